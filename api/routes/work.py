"""Work lists: a department's inbox and the supervisors' manual dispatch queue."""

from fastapi import APIRouter

from api.deps import SessionDep, StaffUser, SupervisorArea
from api.paging import PageParams
from api.schemas import TicketPage
from readmodel.tickets import queries

router = APIRouter(tags=["work"])


@router.get("/inbox", response_model=TicketPage)
async def inbox(user: StaffUser, session: SessionDep, paging: PageParams) -> TicketPage:
    """Your department's open tickets, soonest deadline first."""
    page = await queries.department_inbox(
        session=session, department=user.department or "", limit=paging.limit, offset=paging.offset
    )
    return TicketPage.of_rows(page.rows, page.total, paging)


@router.get("/dispatch-queue", response_model=TicketPage)
async def dispatch_queue(
    area: SupervisorArea, session: SessionDep, paging: PageParams
) -> TicketPage:
    """Tickets no rule could route or a department returned, waiting for a supervisor (in their
    area)."""
    page = await queries.dispatch_queue(
        session=session, limit=paging.limit, offset=paging.offset, area=area
    )
    return TicketPage.of_rows(page.rows, page.total, paging)
