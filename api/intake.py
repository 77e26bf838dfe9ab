"""Accepting a report: the checks every intake runs (POST /api/v1/incidents, POST /open311/v2/
requests), then the idempotent start of its ticket. Raises ApiError; changes nothing on refusal."""

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header
from prometheus_client import Counter
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api import photo_links, tickets_service
from api.authz import ensure_may_report_in
from api.deps import CurrentUser, actor_of
from api.errors import ApiError, invalid
from api.schemas import IncidentCreate
from domain.geo import CoordSystem, GridIndex, to_wgs84
from domain.photos import PhotoKind
from domain.states import Role, TicketStatus, Urgency
from readmodel.access.tables import User
from readmodel.reference import catalogue_store, subject_store
from readmodel.tickets import queries
from settings import Settings

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:\-]{8,128}$")
ACCEPTED = Counter(
    "gridflow_intake_accepted", "Reports accepted (replayed: the same report again)", ["replayed"]
)
REFUSED = Counter("gridflow_intake_refused", "Reports the intake checks refused, by code", ["code"])


@dataclass(frozen=True)
class ReportKey:
    """A person's report and the ticket it becomes: the id is derived from (reporter,
    Idempotency-Key) here, once per request, and the rate limit (is it a replay?), the photo
    check (already attached to it?) and the start all use it. None for a sensor, whose ticket is
    found by its device (tickets_service.submit_sensor_report), and for a report without a key."""

    idempotency_key: str | None
    ticket_id: str | None


NO_KEY = ReportKey(idempotency_key=None, ticket_id=None)  # Open311: machine clients only


async def report_key(
    user: CurrentUser,
    idempotency_key: Annotated[
        str | None,
        Header(description="generated when the form opens; 8-128 of A-Z a-z 0-9 _ . : -"),
    ] = None,
) -> ReportKey:
    if not idempotency_key or user.role == Role.SENSOR:
        return ReportKey(idempotency_key=idempotency_key, ticket_id=None)
    return ReportKey(
        idempotency_key=idempotency_key,
        ticket_id=tickets_service.ticket_id_for(
            user_id=user.user_id, idempotency_key=idempotency_key
        ),
    )


ReportKeyDep = Annotated[ReportKey, Depends(report_key)]


@dataclass(frozen=True)
class Accepted:
    ticket_id: str
    status: TicketStatus
    grid: str
    replayed: bool  # the same Idempotency-Key again, or a sensor's repeat of an open fault


async def accept_report(**report: Any) -> Accepted:
    """Check a report and start (or find again) its ticket, counted (docs/observability.md)."""
    try:
        accepted = await check_and_start(**report)
    except ApiError as err:
        REFUSED.labels(err.code).inc()
        raise
    ACCEPTED.labels(str(accepted.replayed).lower()).inc()
    return accepted


async def check_and_start(
    *,
    body: IncidentCreate,
    user: User,
    key: ReportKey,
    session: AsyncSession,
    client: Client,
    config: Settings,
    grids: GridIndex,
) -> Accepted:
    """Check a report and start (or find again) its ticket."""
    sensor, idempotency_key = user.role == Role.SENSOR, key.idempotency_key
    if sensor and body.device_id is None:
        raise invalid("device_id", "a sensor's report names its device")
    if not sensor and body.device_id is not None:
        raise invalid("device_id", "only sensors report with a device id")
    if not sensor and idempotency_key is None:
        raise invalid("Idempotency-Key", "header is required")
    if idempotency_key is not None and not KEY_PATTERN.match(idempotency_key):
        raise invalid("Idempotency-Key", "must be 8-128 characters of A-Z a-z 0-9 _ . : -")
    category = await catalogue_store.category(session=session, code=body.category)
    if category is None:
        raise invalid("category", f"unknown category '{body.category}'")
    if body.urgency is None:  # the sub-class's default: a gas leak is urgent unless told otherwise
        body = body.model_copy(update={"urgency": Urgency(category.urgency)})
    if (
        body.subject_code is not None
        and await subject_store.get(session=session, code=body.subject_code) is None
    ):
        raise invalid("subject_code", f"unknown subject '{body.subject_code}'")
    if sensor and body.photo_ids:
        raise invalid("photo_ids", "sensors report without photos")
    if body.photo_ids:  # a replay finds them attached to its own ticket already
        await photo_links.check(
            session=session,
            photo_ids=body.photo_ids,
            user=user,
            kind=PhotoKind.REPORT,
            ticket_id=key.ticket_id,
        )
    # Phones' map SDKs report GCJ-02 or BD-09; the map and the ticket are WGS-84 only.
    lat, lon = to_wgs84(lat=body.lat, lon=body.lon, system=body.coord_system)
    cell = grids.locate(lat=lat, lon=lon)
    if cell is None:
        raise ApiError(
            422,
            "the location lies outside every grid of the city",
            fields=[
                {"field": "lat", "message": "outside every grid"},
                {"field": "lon", "message": "outside every grid"},
            ],
        )
    ensure_may_report_in(user, cell.code)
    body = body.model_copy(update={"lat": lat, "lon": lon, "coord_system": CoordSystem.WGS84})
    await session.commit()  # no pooled connection held while Temporal acknowledges the start
    if sensor:
        ticket_id, replayed = await tickets_service.submit_sensor_report(
            session=session,
            client=client,
            config=config,
            reporter=actor_of(user),
            body=body,
            grid=cell.code,
        )
    else:
        assert key.ticket_id is not None  # a person's report has a key: checked above
        ticket_id, replayed = await tickets_service.submit_incident(
            client=client,
            config=config,
            reporter=actor_of(user),
            body=body,
            grid=cell.code,
            ticket_id=key.ticket_id,
        )
        await photo_links.attach(session=session, photo_ids=body.photo_ids, ticket_id=ticket_id)
    status = TicketStatus.SUBMITTED
    if replayed:
        row = await queries.ticket_row(session=session, ticket_id=ticket_id)
        status = TicketStatus(row.status) if row else status
    return Accepted(ticket_id=ticket_id, status=status, grid=cell.code, replayed=replayed)
