"""Value objects that cross the Temporal boundary: plain pydantic models, never table rows."""
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from domain.states import (
    Action,
    CancelKind,
    DeadlineStage,
    FindingOutcome,
    Role,
    Severity,
    TicketStatus,
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


class Deadline(BaseModel):
    stage: DeadlineStage
    started_at: datetime
    due_at: datetime
    met_at: datetime | None = None
    breached_at: datetime | None = None
    voided_at: datetime | None = None  # no longer relevant (returned, cancelled)

    @property
    def is_open(self) -> bool:
        return self.met_at is None and self.voided_at is None


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
    def breaches(self) -> list[Deadline]:
        return [d for d in self.deadlines if d.breached_at is not None]


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
    )
