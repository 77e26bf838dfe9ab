"""Request bodies and public views of the HTTP API."""

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from api.paging import Page, Paging
from domain.geo import CoordSystem
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
from domain.photos import MAX_PHOTOS, TicketPhotos, photos_of
from domain.states import CancelKind, DeadlineStage, FindingOutcome, Severity, TicketStatus, Urgency


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Free text is stored exactly as given (pages escape it when they show it); only characters no
# person types are refused: C0 controls other than tab and newlines, DEL (NUL breaks PostgreSQL).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
_OK = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
NOT_BLANK = rf"^{_OK}*[^\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f]{_OK}*$"
ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return _no_control(value)


def _text(max_length: int) -> Any:
    """The limits of free text that may be empty (notes); checked by _no_control after them."""
    return Field(max_length=max_length, json_schema_extra={"pattern": NO_CONTROL})


def _required(max_length: int) -> Any:
    """The limits of free text with something in it (descriptions, reasons); checked by
    _not_blank after them."""
    return Field(min_length=1, max_length=max_length, json_schema_extra={"pattern": NOT_BLANK})


# Limits (docs/input.md): a description 4000 characters, a reason or note 2000, a routing rule's
# note 500, a subject's name 200 and kind 40, a calendar's source 200, codes and ids 64.
# Spelled out as Annotated aliases (not built by a function) so that type checkers read them.
DESCRIPTION_MAX, NOTE_MAX, CODE_MAX = 4000, 2000, 64
Code = Annotated[str, Field(min_length=1, max_length=CODE_MAX, pattern=ID_PATTERN)]
Description = Annotated[str, _required(DESCRIPTION_MAX), AfterValidator(_not_blank)]
Note = Annotated[str, _text(NOTE_MAX), AfterValidator(_no_control)]
Reason = Annotated[str, _required(NOTE_MAX), AfterValidator(_not_blank)]
RuleNote = Annotated[str, _text(500), AfterValidator(_no_control)]
SubjectName = Annotated[str, _required(200), AfterValidator(_not_blank)]
SubjectKind = Annotated[str, _required(40), AfterValidator(_not_blank)]
CalendarSource = Annotated[str, _required(200), AfterValidator(_not_blank)]
Instruction = Annotated[str, _required(1000), AfterValidator(_not_blank)]  # a 督办单's
PhotoId = Code
PhotoIds: list[str] = Field(
    default_factory=list,
    max_length=MAX_PHOTOS,
    description=f"photos uploaded first with POST /photos (their photo_id), at most {MAX_PHOTOS}",
)


class IncidentCreate(Body):
    category: Code = Field(examples=["E0101"], description="a sub-class code (GET /categories)")
    # Integers are numbers too (120 is a longitude); booleans and numeric strings are not.
    lat: float = Field(strict=True, ge=-90, le=90, allow_inf_nan=False, examples=[30.255])
    lon: float = Field(strict=True, ge=-180, le=180, allow_inf_nan=False, examples=[120.105])
    coord_system: CoordSystem = Field(
        default=CoordSystem.WGS84,
        exclude=True,  # not in the request fingerprint: lat/lon are
        # converted to WGS-84 before it is taken, so the same point is the same report
        description="the datum of lat/lon: wgs84 (GPS), gcj02 (Amap, Tencent) or bd09 (Baidu); "
        "converted to WGS-84, which is all that is stored",
    )
    description: Description
    subject_code: Code | None = Field(
        default=None, description="the shop, school or building concerned"
    )
    device_id: Code | None = Field(
        default=None, description="sensors only: the device reporting the fault"
    )
    urgency: Urgency | None = Field(
        default=None,
        description="urgent tickets run on natural hours, day and night; "
        "default: the category's (GET /categories)",
    )
    photo_ids: list[PhotoId] = PhotoIds  # kind report


class SubmissionPublic(BaseModel):
    ticket_id: str
    status: TicketStatus
    grid: str
    replayed: bool = Field(description="true when this Idempotency-Key was seen before")


class NoteBody(Body):
    note: Note | None = None


class DispatchBody(NoteBody):
    department: Code


class ReasonBody(NoteBody):
    reason: Reason


class VerifyBody(NoteBody):
    outcome: FindingOutcome
    severity: Severity | None = None
    rectify_due_at: AwareDatetime | None = Field(default=None, description="with timezone")
    rectify_working_days: int | None = Field(default=None, strict=True, ge=1, le=250)


class PhotoNoteBody(NoteBody):
    """rectified (photos of kind rectification) and write-off (kind write_off)."""

    photo_ids: list[PhotoId] = PhotoIds


class RejectBody(ReasonBody):
    rework_working_days: int | None = Field(default=None, strict=True, ge=1, le=250)
    photo_ids: list[PhotoId] = PhotoIds  # kind write_off


class CancelBody(ReasonBody):
    kind: CancelKind
    duplicate_of: Code | None = None


class ExtensionBody(Body):
    working_days: int = Field(strict=True, ge=1, le=60)
    reason: Reason
    note: Note | None = None


class DecisionBody(Body):
    reason: Note | None = None
    note: Note | None = None


class ParkingBody(Body):
    reason: Reason
    review_at: AwareDatetime = Field(description="when the ticket comes back (with timezone)")
    note: Note | None = None


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
    reminder_count: int = Field(description="the clock's automatic 催办 while overdue")
    urge_count: int = Field(default=0, description="supervisors' 催办 (POST …/urge)")
    extension_request: ExtensionRequest | None
    extension_count: int
    parking_request: ParkingRequest | None
    parking: Parking | None
    unplanned: list[UnplannedDeadline] = Field(
        description="deadlines the calendar could not date yet (a year it does not know)"
    )
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
        description="report, rectification, write_off: from the timeline events that recorded them",
    )
    archive: ArchiveInfo | None = None
    source: str = Field(description="projection, or workflow while the projection catches up")

    @classmethod
    def of(
        cls, t: TicketSnapshot, *, source: str, archive: ArchiveInfo | None = None
    ) -> "TicketPublic":
        current = t.current_deadline
        return cls(
            **t.model_dump(
                exclude={
                    "events",
                    "deadlines",
                    "seq",
                    "cancel_kind",
                    "breach_log",
                    "next_escalation_at",
                    "next_reminder_at",
                    "alarm_policy",
                    "next_replan_at",
                }
            ),
            overdue=t.overdue,
            current_deadline=CurrentDeadline(
                stage=current.stage, due_at=current.due_at, breached=current.breached_at is not None
            )
            if current
            else None,
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
    warned: bool = Field(
        default=False,
        description="a 50/80 % warning fired on a deadline still running and not breached",
    )
    urgency: str
    street: str
    community: str
    escalation_level: int
    parked: bool
    current_stage: str | None
    current_due_at: datetime | None
    return_count: int
    urge_count: int = 0
    submitted_at: datetime
    updated_at: datetime


class TicketPage(Page[TicketSummary]):
    """A page of a ticket list (inbox, queues, overdue, your reports)."""

    @classmethod
    def of_rows(cls, rows: Sequence[Any], total: int, paging: Paging) -> "TicketPage":
        """From read-model rows."""
        return cls.of([TicketSummary.model_validate(r) for r in rows], total, paging)


class Me(BaseModel):
    user_id: str
    name: str
    role: str
    department: str | None
    grids: list[str]


class UrgeBody(Body):
    message: Annotated[str, _required(500), AfterValidator(_not_blank)] = Field(
        description="what the department must hear (1–500 characters)",
        examples=["请今天内到场处置 please be on site today"],
    )


class MergeBody(Body):
    into: Code = Field(description="the surviving ticket")
    note: Note | None = None


class FieldError(BaseModel):
    field: str = Field(description="the body field, query or path parameter or header at fault")
    message: str


class ErrorDetail(BaseModel):
    code: str = Field(
        description="bad_request, unauthorized, forbidden, not_found, conflict, "
        "too_large, unsupported_media_type, invalid, rate_limited, …"
    )
    message: str
    details: dict[str, Any] | None = None
    fields: list[FieldError] | None = None


class ErrorBody(BaseModel):
    """Every refusal: 4xx (and 503) with this body."""

    error: ErrorDetail


# A route's OpenAPI `responses=`: per status, its model, description and headers.
Responses = dict[int | str, dict[str, Any]]


def error_responses(*statuses: int) -> Responses:
    """OpenAPI `responses=` entries for these refusals, all with the one error body."""
    return {status: {"model": ErrorBody, "description": ERROR_WHEN[status]} for status in statuses}


ERROR_WHEN = {
    400: "the body could not be read (malformed JSON)",
    401: "no credentials, or invalid, expired or revoked ones",
    403: "not allowed for this role, department, grid or area",
    404: "no such ticket, photo, subject, rule, user or key (or not yours to see)",
    409: "not in this state; the ticket changed meanwhile; an Idempotency-Key reused",
    413: "too large: a body over 1 MB (photos: 15 MB or 40 MP)",
    415: "not a JPEG, PNG or HEIC (by its bytes)",
    422: "invalid input: `fields` names each field, parameter or header at fault",
    429: "too many submissions: wait Retry-After seconds",
    503: "the workflow service did not answer in time; retry",
}
API_ERRORS = error_responses(400, 401, 403, 404, 409, 413, 422, 503)  # every /api/v1 operation
INTAKE_ERRORS: Responses = {
    429: {
        "model": ErrorBody,
        "description": ERROR_WHEN[429],
        "headers": {
            "Retry-After": {
                "description": "whole seconds until a submission is accepted again",
                "schema": {"type": "integer"},
            }
        },
    }
}
LOGIN_ERRORS: Responses = {
    429: {
        "model": ErrorBody,
        "description": "too many failed logins for this user "
        "name or address: wait Retry-After seconds",
        "headers": {
            "Retry-After": {
                "description": "whole seconds until a login is tried again",
                "schema": {"type": "integer"},
            }
        },
    }
}


def errors_as_json(openapi: dict[str, Any]) -> dict[str, Any]:
    """Refusals are JSON on every route, also where the answer is GeoJSON, CSV or a JPEG."""
    for operations in openapi.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[0] in "45" and content and "application/json" not in content:
                    response["content"] = {"application/json": next(iter(content.values()))}
    return openapi
