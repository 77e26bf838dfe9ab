"""Work lists: a department's inbox and the supervisors' manual dispatch queue."""
from fastapi import APIRouter

from api.authz import area_scope
from api.deps import CurrentUser, SessionDep, require_role
from api.paging import PageParams
from api.schemas import TicketPage
from domain.states import Role
from readmodel import queries

router = APIRouter(tags=["work"])


@router.get("/inbox", response_model=TicketPage)
async def inbox(user: CurrentUser, session: SessionDep, paging: PageParams) -> TicketPage:
    """Your department's open tickets, soonest deadline first."""
    require_role(user, Role.DEPARTMENT_STAFF)
    page = await queries.department_inbox(session=session, department=user.department or "",
                                          limit=paging.limit, offset=paging.offset)
    return TicketPage.of_rows(page.rows, page.total, paging)


@router.get("/dispatch-queue", response_model=TicketPage)
async def dispatch_queue(user: CurrentUser, session: SessionDep,
                         paging: PageParams) -> TicketPage:
    """Tickets no rule could route or a department returned, waiting for a supervisor (in their
    area)."""
    area = await area_scope(user, session)
    page = await queries.dispatch_queue(session=session, limit=paging.limit,
                                        offset=paging.offset, area=area)
    return TicketPage.of_rows(page.rows, page.total, paging)
