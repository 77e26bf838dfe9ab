"""The caller's own work: a grid worker's reports and write-off checks."""
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentUser, SessionDep, require_role
from api.schemas import MAX_OFFSET, TicketPage, page_of
from domain.states import Role
from readmodel import queries

router = APIRouter(prefix="/my", tags=["work"])
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


@router.get("/tickets", response_model=TicketPage)
async def my_tickets(user: CurrentUser, session: SessionDep, limit: Limit = 50,
                     offset: Offset = 0) -> TicketPage:
    """The tickets you reported, newest first (grid workers and sensors): state, category, grid,
    current deadline, overdue, updated_at. From the read model: a report appears once its first
    projection write landed (milliseconds after submission with a worker running)."""
    require_role(user, Role.GRID_WORKER, Role.SENSOR)
    page = await queries.reporter_tickets(session=session, reporter_id=user.user_id, limit=limit,
                                          offset=offset)
    return page_of(page.rows, page.total, limit, offset)


@router.get("/write-off-checks", response_model=TicketPage)
async def my_write_off_checks(user: CurrentUser, session: SessionDep, limit: Limit = 50,
                              offset: Offset = 0) -> TicketPage:
    """Resolved tickets in your grids, whoever reported them, waiting for your check on site
    (grid workers; then POST /tickets/{id}/write-off or /reject): the soonest deadline first."""
    require_role(user, Role.GRID_WORKER)
    page = await queries.write_off_checks(session=session, grids=list(user.grids), limit=limit,
                                          offset=offset)
    return page_of(page.rows, page.total, limit, offset)
