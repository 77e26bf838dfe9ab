"""The caller's own work: a grid worker's reports and write-off checks."""

from fastapi import APIRouter

from api.deps import GridWorkerUser, ReporterUser, SessionDep
from api.paging import PageParams
from api.schemas import TicketPage
from readmodel.tickets import queries

router = APIRouter(prefix="/my", tags=["work"])


@router.get("/tickets", response_model=TicketPage)
async def my_tickets(user: ReporterUser, session: SessionDep, paging: PageParams) -> TicketPage:
    """The tickets you reported, newest first (grid workers and sensors): state, category, grid,
    current deadline, overdue, updated_at. From the read model: a report appears once its first
    projection write landed (milliseconds after submission with a worker running)."""
    page = await queries.reporter_tickets(
        session=session, reporter_id=user.user_id, limit=paging.limit, offset=paging.offset
    )
    return TicketPage.of_rows(page.rows, page.total, paging)


@router.get("/write-off-checks", response_model=TicketPage)
async def my_write_off_checks(
    user: GridWorkerUser, session: SessionDep, paging: PageParams
) -> TicketPage:
    """Resolved tickets in your grids, whoever reported them, waiting for your check on site
    (grid workers; then POST /tickets/{id}/write-off or /reject): the soonest deadline first."""
    page = await queries.write_off_checks(
        session=session, grids=list(user.grids), limit=paging.limit, offset=paging.offset
    )
    return TicketPage.of_rows(page.rows, page.total, paging)
