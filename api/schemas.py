"""Request bodies and public views of the HTTP API."""
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from domain.geo import CoordSystem
from domain.photos import MAX_PHOTOS, TicketPhotos, photos_of
from domain.models import (
    Breach,
    Deadline,
    DuplicateCandidate,
    ExtensionRequest,
    Finding,
    Parking,
    ParkingRequest,
    ReportLink,
    RoutingDecision,
    TicketEvent,
    TicketSnapshot,
    UnplannedDeadline,
)
from domain.states import CancelKind, DeadlineStage, FindingOutcome, Severity, TicketStatus, Urgency

class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


PhotoId = Annotated[str, Field(min_length=1, max_length=64)]
PhotoIds = Field(default_factory=list, max_length=MAX_PHOTOS,
                 description="photos uploaded first with POST /photos (their photo_id), "
                             f"at most {MAX_PHOTOS}")


class IncidentCreate(Body):
    category: str = Field(min_length=1, max_length=64, examples=["E0101"],
                          description="a sub-class code (GET /categories)")
    lat: float = Field(strict=True, ge=-90, le=90, examples=[30.255])
    lon: float = Field(strict=True, ge=-180, le=180, examples=[120.105])
    coord_system: CoordSystem = Field(
        default=CoordSystem.WGS84, exclude=True,  # not in the request fingerprint: lat/lon are
        # converted to WGS-84 before it is taken, so the same point is the same report
        description="the datum of lat/lon: wgs84 (GPS), gcj02 (Amap, Tencent) or bd09 (Baidu); "
                    "converted to WGS-84, which is all that is stored")
    description: str = Field(min_length=1, max_length=4000)
    subject_code: str | None = Field(default=None, max_length=64,
                                     description="the shop, school or building concerned")
    device_id: str | None = Field(default=None, min_length=1, max_length=64,
                                  pattern=r"^[A-Za-z0-9_.:-]+$",
                                  description="sensors only: the device reporting the fault")
    urgency: Urgency | None = Field(
        default=None, description="urgent tickets run on natural hours, day and night; "
                                  "default: the category's (GET /categories)")
    photo_ids: list[PhotoId] = PhotoIds  # kind report


class SubmissionPublic(BaseModel):
    ticket_id: str
    status: TicketStatus
    grid: str
    replayed: bool = Field(description="true when this Idempotency-Key was seen before")


class NoteBody(Body):
    note: str | None = Field(default=None, max_length=2000)


class DispatchBody(NoteBody):
    department: str = Field(min_length=1, max_length=64)


class ReasonBody(NoteBody):
    reason: str = Field(min_length=1, max_length=2000)


class VerifyBody(NoteBody):
    outcome: FindingOutcome
    severity: Severity | None = None
    rectify_due_at: datetime | None = None
    rectify_working_days: int | None = Field(default=None, strict=True, ge=1, le=250)


class PhotoNoteBody(NoteBody):
    """rectified (photos of kind rectification) and write-off (kind write_off)."""

    photo_ids: list[PhotoId] = PhotoIds


class RejectBody(ReasonBody):
    rework_working_days: int | None = Field(default=None, strict=True, ge=1, le=250)
    photo_ids: list[PhotoId] = PhotoIds  # kind write_off


class CancelBody(ReasonBody):
    kind: CancelKind
    duplicate_of: str | None = Field(default=None, max_length=64)


class ExtensionBody(Body):
    working_days: int = Field(strict=True, ge=1, le=60)
    reason: str = Field(min_length=1, max_length=2000)
    note: str | None = Field(default=None, max_length=2000)


class DecisionBody(Body):
    reason: str | None = Field(default=None, max_length=2000)
    note: str | None = Field(default=None, max_length=2000)


class ParkingBody(Body):
    reason: str = Field(min_length=1, max_length=2000)
    review_at: datetime = Field(description="when the ticket comes back (with timezone)")
    note: str | None = Field(default=None, max_length=2000)


class CurrentDeadline(BaseModel):
    stage: DeadlineStage
    due_at: datetime
    breached: bool


class ArchiveInfo(BaseModel):
    archived_at: datetime
    content_sha256: str


class TicketPublic(BaseModel):
    ticket_id: str
    status: TicketStatus
    category: str
    grid: str
    lat: float
    lon: float
    description: str
    reporter_id: str
    department: str | None
    claimed_by: str | None
    routing: RoutingDecision | None
    finding: Finding | None
    overdue: bool
    current_deadline: CurrentDeadline | None
    deadlines: list[Deadline]
    breaches: list[Breach]
    return_count: int
    rework_count: int
    urgency: Urgency
    escalation_level: int = Field(description="0 none, 1 grid, 2 community, 3 street, 4 district")
    reminder_count: int
    extension_request: ExtensionRequest | None
    extension_count: int
    parking_request: ParkingRequest | None
    parking: Parking | None
    unplanned: list[UnplannedDeadline] = Field(
        description="deadlines the calendar could not date yet (a year it does not know)")
    subject_code: str | None
    device_id: str | None
    sensor_readings: int
    duplicate_candidates: list[DuplicateCandidate]
    merged_into: str | None
    merged_reports: list[ReportLink]
    submitted_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    timeline: list[TicketEvent]
    photos: TicketPhotos = Field(
        default_factory=TicketPhotos,
        description="report, rectification, write_off: from the timeline events that recorded them")
    archive: ArchiveInfo | None = None
    source: str = Field(description="projection, or workflow while the projection catches up")

    @classmethod
    def of(cls, t: TicketSnapshot, *, source: str, archive: ArchiveInfo | None = None) -> "TicketPublic":
        current = t.current_deadline
        return cls(
            **t.model_dump(exclude={"events", "deadlines", "seq", "cancel_kind", "breach_log",
                                    "next_escalation_at", "next_reminder_at", "alarm_policy",
                                    "next_replan_at"}),
            overdue=t.overdue,
            current_deadline=CurrentDeadline(stage=current.stage, due_at=current.due_at,
                                             breached=current.breached_at is not None)
            if current else None,
            deadlines=t.deadlines,
            breaches=t.breaches,
            timeline=t.events,
            photos=photos_of(t.events),
            archive=archive,
            source=source,
        )


class TicketSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    ticket_id: str
    status: str
    category: str
    grid: str
    department: str | None
    overdue: bool
    warned: bool = Field(default=False, description="a 50/80 % warning fired on a deadline still "
                                                    "running and not breached")
    urgency: str
    street: str
    community: str
    escalation_level: int
    parked: bool
    current_stage: str | None
    current_due_at: datetime | None
    return_count: int
    submitted_at: datetime
    updated_at: datetime


class TicketPage(BaseModel):
    items: list[TicketSummary]
    total: int
    limit: int
    offset: int


class Me(BaseModel):
    user_id: str
    name: str
    role: str
    department: str | None
    grids: list[str]


def page_of(items: list[Any], total: int, limit: int, offset: int) -> TicketPage:
    return TicketPage(items=[TicketSummary.model_validate(r) for r in items], total=total,
                      limit=limit, offset=offset)


class MergeBody(Body):
    into: str = Field(min_length=1, max_length=64, description="the surviving ticket")
    note: str | None = Field(default=None, max_length=2000)
