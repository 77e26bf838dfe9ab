"""Value objects that cross the Temporal boundary: plain pydantic models, never table rows."""

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from domain.areas import community_of, street_of
from domain.states import (
    Action,
    CancelKind,
    DeadlineStage,
    FindingOutcome,
    Role,
    Severity,
    TicketStatus,
    Unit,
    Urgency,
)


class Actor(BaseModel):
    """Who acts, with the claims the workflow needs to decide whether they may."""

    user_id: str
    role: Role
    department: str | None = None
    grids: list[str] = Field(default_factory=list)


SYSTEM_ACTOR = Actor(user_id="system", role=Role.SYSTEM)


class TicketEvent(BaseModel):
    seq: int
    at: datetime
    actor_id: str
    actor_role: Role
    action: Action
    from_status: TicketStatus | None = None
    to_status: TicketStatus
    reason: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class DeadlineWarning(BaseModel):
    fraction: float
    at: datetime
    fired_at: datetime | None = None


class Deadline(BaseModel):
    stage: DeadlineStage
    started_at: datetime
    due_at: datetime
    unit: Unit = Unit.WORKING_DAYS
    amount: float = 0
    warnings: list[DeadlineWarning] = Field(default_factory=list)
    met_at: datetime | None = None
    breached_at: datetime | None = None
    voided_at: datetime | None = None  # no longer relevant (returned, cancelled)
    paused_at: datetime | None = None  # parked: the clock stands still
    extended_working_days: int = 0
    # Dated across a year whose official holiday notice was not loaded yet (the statutory rules
    # stood in): it may move when the notice is loaded (docs/calendar.md).
    provisional: bool = False

    @property
    def is_open(self) -> bool:
        return self.met_at is None and self.voided_at is None


class Breach(BaseModel):
    stage: DeadlineStage
    due_at: datetime
    breached_at: datetime


class AlarmPolicy(BaseModel):
    """How lateness is chased; taken from configuration when deadlines are planned."""

    escalation_delays: list[timedelta] = Field(
        default_factory=lambda: [timedelta(hours=4), timedelta(days=1), timedelta(days=2)],
        description="time at grid, community and street level before climbing further",
    )
    reminder_interval: timedelta = timedelta(hours=24)
    max_extension_working_days: int = 10


class ExtensionRequest(BaseModel):
    stage: DeadlineStage
    working_days: int
    reason: str
    requested_by: str
    requested_at: datetime


class ParkingRequest(BaseModel):
    reason: str
    review_at: datetime
    requested_by: str
    requested_at: datetime


class Parking(BaseModel):
    parked_at: datetime
    review_at: datetime
    reason: str
    approved_by: str


class DuplicateCandidate(BaseModel):
    ticket_id: str
    distance_m: float


class ReportLink(BaseModel):
    """A report merged into this ticket: its reporter follows this ticket's progress."""

    ticket_id: str
    reporter_id: str
    at: datetime


class SensorReading(BaseModel):
    device_id: str
    at: datetime
    # The API's audit call id (readmodel/access/audit_resolve.py finds the reading in the ticket's
    # history by it); readings sent before it had none.
    call_id: str | None = None


class UnplannedDeadline(BaseModel):
    """A deadline the calendar could not date (a year it does not know yet): retried, alerted."""

    stage: DeadlineStage
    start: datetime
    amount: float | None = None
    unit: Unit | None = None
    error: str


class Finding(BaseModel):
    outcome: FindingOutcome
    severity: Severity | None = None
    rectify_due_at: datetime | None = None
    note: str | None = None


class RoutingDecision(BaseModel):
    department: str | None
    rule_id: str | None
    rule_version: int | None = None
    reason: str


class Incident(BaseModel):
    """What the grid worker reported, already validated and located by the API."""

    ticket_id: str
    category: str
    lat: float
    lon: float
    grid: str
    description: str
    reporter: Actor
    submitted_at: datetime
    urgency: Urgency = Urgency.NORMAL
    subject_code: str | None = None  # the shop, school or building the report concerns
    device_id: str | None = None  # a sensor's report (smart community)
    photo_ids: list[str] = Field(default_factory=list)  # uploaded photos (kind report)


class TicketSnapshot(BaseModel):
    """The ticket as the workflow holds it; queries and projections read this."""

    ticket_id: str
    status: TicketStatus
    category: str
    grid: str
    lat: float
    lon: float
    description: str
    reporter_id: str
    submitted_at: datetime
    department: str | None = None
    claimed_by: str | None = None
    routing: RoutingDecision | None = None
    finding: Finding | None = None
    return_count: int = 0
    rework_count: int = 0
    cancel_kind: CancelKind | None = None
    deadlines: list[Deadline] = Field(default_factory=list)
    events: list[TicketEvent] = Field(default_factory=list)
    seq: int = 0
    updated_at: datetime
    urgency: Urgency = Urgency.NORMAL
    subject_code: str | None = None
    device_id: str | None = None
    closed_at: datetime | None = None  # written off or cancelled
    escalation_level: int = 0
    next_escalation_at: datetime | None = None
    next_reminder_at: datetime | None = None
    reminder_count: int = 0  # the clock's automatic 催办 while overdue
    urge_count: int = 0  # supervisors' 催办 (domain/urge.py)
    breach_log: list[Breach] = Field(default_factory=list)
    extension_request: ExtensionRequest | None = None
    extension_count: int = 0
    parking_request: ParkingRequest | None = None
    parking: Parking | None = None
    alarm_policy: AlarmPolicy = Field(default_factory=AlarmPolicy)
    unplanned: list[UnplannedDeadline] = Field(default_factory=list)
    next_replan_at: datetime | None = None
    duplicate_candidates: list[DuplicateCandidate] = Field(default_factory=list)
    merged_into: str | None = None
    merged_reports: list[ReportLink] = Field(default_factory=list)
    sensor_readings: int = 0

    @property
    def community(self) -> str:
        return community_of(self.grid)

    @property
    def street(self) -> str:
        return street_of(self.grid)

    @property
    def open_deadlines(self) -> list[Deadline]:
        return [d for d in self.deadlines if d.is_open]

    @property
    def current_deadline(self) -> Deadline | None:
        """The soonest deadline still running: what the ticket is being chased for now."""
        pending = self.open_deadlines
        return min(pending, key=lambda d: d.due_at) if pending else None

    @property
    def overdue(self) -> bool:
        return any(d.breached_at is not None for d in self.open_deadlines)

    @property
    def breaches(self) -> list[Breach]:
        # v1 tickets kept no log: their breaches are the deadlines marked breached.
        if self.breach_log:
            return self.breach_log
        return [
            Breach(stage=d.stage, due_at=d.due_at, breached_at=d.breached_at)
            for d in self.deadlines
            if d.breached_at is not None
        ]


def initial_snapshot(incident: Incident) -> TicketSnapshot:
    """The ticket as it stands the moment its report is acknowledged."""
    return TicketSnapshot(
        ticket_id=incident.ticket_id,
        status=TicketStatus.SUBMITTED,
        category=incident.category,
        grid=incident.grid,
        lat=incident.lat,
        lon=incident.lon,
        description=incident.description,
        reporter_id=incident.reporter.user_id,
        submitted_at=incident.submitted_at,
        updated_at=incident.submitted_at,
        urgency=incident.urgency,
        subject_code=incident.subject_code,
        device_id=incident.device_id,
    )
