"""Grid workers report incidents."""
import re
from typing import Annotated

from fastapi import APIRouter, Header, Response
from sqlmodel import select

from api import tickets_service
from api.deps import CurrentUser, SessionDep, SettingsDep, TemporalClient, actor_of, require_role
from api.errors import ApiError, invalid
from api.schemas import IncidentCreate, SubmissionPublic
from domain.geo import GridCell, locate
from domain.states import Role, TicketStatus
from readmodel.tables import Category, Grid, SubjectRow, TicketRow

router = APIRouter(prefix="/incidents", tags=["incidents"])
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:\-]{8,128}$")


@router.post(
    "",
    status_code=201,
    response_model=SubmissionPublic,
    responses={200: {"model": SubmissionPublic, "description": "same Idempotency-Key again"}},
)
async def submit_incident(
    body: IncidentCreate,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
    config: SettingsDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(description="generated when the form opens; "
                                                  "8-128 of A-Z a-z 0-9 _ . : -")] = None,
) -> SubmissionPublic:
    """Report an incident; retries with the same Idempotency-Key return the same ticket."""
    require_role(user, Role.GRID_WORKER)
    if idempotency_key is None:
        raise invalid("Idempotency-Key", "header is required")
    if not KEY_PATTERN.match(idempotency_key):
        raise invalid("Idempotency-Key", "must be 8-128 characters of A-Z a-z 0-9 _ . : -")
    if await session.get(Category, body.category) is None:
        raise invalid("category", f"unknown category '{body.category}'")
    if body.subject_code is not None and await session.get(SubjectRow, body.subject_code) is None:
        raise invalid("subject_code", f"unknown subject '{body.subject_code}'")
    grids = [GridCell.model_validate(g, from_attributes=True)
             for g in (await session.exec(select(Grid))).all()]
    cell = locate(grids, lat=body.lat, lon=body.lon)
    if cell is None:
        raise ApiError(422, "the location lies outside every grid of the city",
                       fields=[{"field": "lat", "message": "outside every grid"},
                               {"field": "lon", "message": "outside every grid"}])
    ticket_id, replayed = await tickets_service.submit_incident(
        client=client, config=config, reporter=actor_of(user), body=body, grid=cell.code,
        idempotency_key=idempotency_key,
    )
    status = TicketStatus.SUBMITTED
    if replayed:
        response.status_code = 200
        row = await session.get(TicketRow, ticket_id)
        status = TicketStatus(row.status) if row else status
    return SubmissionPublic(ticket_id=ticket_id, status=status, grid=cell.code, replayed=replayed)
