"""Inputs and results of the ticket workflow and its activities (names are the activity names)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from domain.alarms import Notice
from domain.models import (
    AlarmPolicy,
    Deadline,
    DeadlineWarning,
    DuplicateCandidate,
    Incident,
    RoutingDecision,
    TicketEvent,
    TicketSnapshot,
)
from domain.states import DeadlineStage, TicketStatus, Unit, Urgency
from domain.subjects import SubjectState

ROUTE_TICKET = "route_ticket"
PLAN_DEADLINES = "plan_deadlines"
PROJECT_TICKET = "project_ticket"
ARCHIVE_TICKET = "archive_ticket"
SCHEDULE_DEADLINES = "schedule_deadlines"
NOTIFY = "notify"
TELL_SUBJECT = "tell_subject"
FIND_DUPLICATES = "find_duplicates"
PROJECT_SUBJECT = "project_subject"


class TicketInput(BaseModel):
    incident: Incident


class TicketResult(BaseModel):
    ticket_id: str
    final_status: TicketStatus
    archive_sha256: str


class RouteInput(BaseModel):
    ticket_id: str
    category: str
    grid: str


class ScheduleRequest(BaseModel):
    """open: a new deadline from `start` (policy amount unless given, or `due_at` outright);
    extend: move `due_at` by `amount` working days; shift: `due_at` was paused over
    [paused_from, paused_to]. Warnings are (re)planned for the fractions not yet `fired`."""

    kind: Literal["open", "extend", "shift"]
    stage: DeadlineStage
    start: datetime
    amount: float | None = None
    unit: Unit | None = None
    due_at: datetime | None = None
    paused_from: datetime | None = None
    paused_to: datetime | None = None
    fired: list[float] = Field(default_factory=list)
    warnings: list[DeadlineWarning] = Field(default_factory=list)  # shift: the unfired ones


class ScheduleInput(BaseModel):
    ticket_id: str
    category: str
    urgency: Urgency
    requests: list[ScheduleRequest]


class ScheduleFailure(BaseModel):
    stage: DeadlineStage
    error: str  # e.g. the calendar has no data for the year the deadline would fall in


class ScheduleResult(BaseModel):
    deadlines: list[Deadline]  # those that could be dated, in request order
    failures: list[ScheduleFailure] = Field(default_factory=list)
    alarm_policy: AlarmPolicy


class NotifyInput(BaseModel):
    ticket_id: str
    seq: int  # the timeline event the notices belong to: retries write nothing twice
    notices: list[Notice]


class PlanDeadlinesInput(BaseModel):
    """v1 tickets (started before deadline alarms) still plan through this."""

    ticket_id: str
    category: str
    start: datetime
    stages: list[DeadlineStage]
    working_days: int | None = None  # overrides the policy (a finding or a rejection gives it)


class PlanDeadlinesResult(BaseModel):
    due: dict[DeadlineStage, datetime]


class ProjectInput(BaseModel):
    snapshot: TicketSnapshot
    events: list[TicketEvent]


class ArchiveInput(BaseModel):
    snapshot: TicketSnapshot


class ArchiveResult(BaseModel):
    content_sha256: str


__all__ = ["RoutingDecision"]


class ProjectSubjectInput(BaseModel):
    state: SubjectState


class DuplicateQuery(BaseModel):
    ticket_id: str
    category: str
    lat: float
    lon: float
    submitted_at: datetime


class DuplicateResult(BaseModel):
    candidates: list[DuplicateCandidate]  # nearest first
