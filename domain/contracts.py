"""Inputs and results of the ticket workflow and its activities (names are the activity names)."""
from datetime import datetime

from pydantic import BaseModel

from domain.models import Incident, RoutingDecision, TicketEvent, TicketSnapshot
from domain.states import DeadlineStage, TicketStatus

ROUTE_TICKET = "route_ticket"
PLAN_DEADLINES = "plan_deadlines"
PROJECT_TICKET = "project_ticket"
ARCHIVE_TICKET = "archive_ticket"


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


class PlanDeadlinesInput(BaseModel):
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
