"""Grid workers report incidents."""
import re
from typing import Annotated

from fastapi import APIRouter, Header, Response

from api import photo_links, tickets_service
from api.deps import CurrentUser, SessionDep, SettingsDep, TemporalClient, actor_of, require_role
from api.errors import ApiError, invalid
from api.place import GridIndexDep
from api.ratelimit import IncidentIntake
from api.schemas import INTAKE_ERRORS, IncidentCreate, SubmissionPublic
from domain.geo import CoordSystem, to_wgs84
from domain.photos import PhotoKind
from domain.states import Role, TicketStatus, Urgency
from readmodel.tables import Category, SubjectRow, TicketRow

router = APIRouter(prefix="/incidents", tags=["incidents"])
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:\-]{8,128}$")


@router.post(
    "",
    status_code=201,
    response_model=SubmissionPublic,
    responses={200: {"model": SubmissionPublic, "description": "same Idempotency-Key again"},
               **INTAKE_ERRORS},
)
async def submit_incident(
    body: IncidentCreate,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
    config: SettingsDep,
    grids: GridIndexDep,
    response: Response,
    intake: IncidentIntake,
    idempotency_key: Annotated[str | None, Header(description="generated when the form opens; "
                                                  "8-128 of A-Z a-z 0-9 _ . : -")] = None,
) -> SubmissionPublic:
    """Report an incident; retries with the same Idempotency-Key return the same ticket.

    Sensors (machine clients) name their device instead: a repeat of the same device and fault
    while its ticket is open attaches to that ticket (200, replayed) instead of opening another."""
    require_role(user, Role.GRID_WORKER, Role.SENSOR)
    sensor = user.role == Role.SENSOR
    if sensor and body.device_id is None:
        raise invalid("device_id", "a sensor's report names its device")
    if not sensor and body.device_id is not None:
        raise invalid("device_id", "only sensors report with a device id")
    if not sensor and idempotency_key is None:
        raise invalid("Idempotency-Key", "header is required")
    if idempotency_key is not None and not KEY_PATTERN.match(idempotency_key):
        raise invalid("Idempotency-Key", "must be 8-128 characters of A-Z a-z 0-9 _ . : -")
    category = await session.get(Category, body.category)
    if category is None:
        raise invalid("category", f"unknown category '{body.category}'")
    if body.urgency is None:  # the sub-class's default: a gas leak is urgent unless told otherwise
        body = body.model_copy(update={"urgency": Urgency(category.urgency)})
    if body.subject_code is not None and await session.get(SubjectRow, body.subject_code) is None:
        raise invalid("subject_code", f"unknown subject '{body.subject_code}'")
    if sensor and body.photo_ids:
        raise invalid("photo_ids", "sensors report without photos")
    if body.photo_ids:  # a replay finds them attached to its own ticket already
        await photo_links.check(
            session=session, photo_ids=body.photo_ids, user=user, kind=PhotoKind.REPORT,
            ticket_id=tickets_service.ticket_id_for(user_id=user.user_id,
                                                    idempotency_key=idempotency_key or ""))
    # Phones' map SDKs report GCJ-02 or BD-09; the map and the ticket are WGS-84 only.
    lat, lon = to_wgs84(lat=body.lat, lon=body.lon, system=body.coord_system)
    cell = grids.locate(lat=lat, lon=lon)
    if cell is None:
        raise ApiError(422, "the location lies outside every grid of the city",
                       fields=[{"field": "lat", "message": "outside every grid"},
                               {"field": "lon", "message": "outside every grid"}])
    if not sensor and cell.code not in user.grids:  # sensors report wherever their devices are
        raise ApiError(403, f"the location lies in grid {cell.code}, which is not one of yours",
                       code="outside_your_grids", grid=cell.code)
    body = body.model_copy(update={"lat": lat, "lon": lon, "coord_system": CoordSystem.WGS84})
    await session.commit()  # no pooled connection held while Temporal acknowledges the start
    if sensor:
        ticket_id, replayed = await tickets_service.submit_sensor_report(
            session=session, client=client, config=config, reporter=actor_of(user), body=body,
            grid=cell.code)
    else:
        ticket_id, replayed = await tickets_service.submit_incident(
            client=client, config=config, reporter=actor_of(user), body=body, grid=cell.code,
            idempotency_key=idempotency_key or "",
        )
        await photo_links.attach(session=session, photo_ids=body.photo_ids, ticket_id=ticket_id)
    status = TicketStatus.SUBMITTED
    if replayed:
        if not sensor:  # a retried report was paid for when it was first accepted
            intake.give_back()
        response.status_code = 200
        row = await session.get(TicketRow, ticket_id)
        status = TicketStatus(row.status) if row else status
    return SubmissionPublic(ticket_id=ticket_id, status=status, grid=cell.code, replayed=replayed)
