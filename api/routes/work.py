"""Work lists: a department's inbox and the supervisors' manual dispatch queue."""
from typing import Annotated

from fastapi import APIRouter, Query

from api.authz import area_scope
from api.deps import CurrentUser, SessionDep, require_role
from api.schemas import MAX_OFFSET, TicketPage, page_of
from domain.states import Role
from readmodel import queries

router = APIRouter(tags=["work"])
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


@router.get("/inbox", response_model=TicketPage)
async def inbox(user: CurrentUser, session: SessionDep, limit: Limit = 50,
                offset: Offset = 0) -> TicketPage:
    """Your department's open tickets, soonest deadline first."""
    require_role(user, Role.DEPARTMENT_STAFF)
    page = await queries.department_inbox(session=session, department=user.department or "",
                                          limit=limit, offset=offset)
    return page_of(page.rows, page.total, limit, offset)


@router.get("/dispatch-queue", response_model=TicketPage)
async def dispatch_queue(user: CurrentUser, session: SessionDep, limit: Limit = 50,
                         offset: Offset = 0) -> TicketPage:
    """Tickets no rule could route or a department returned, waiting for a supervisor (in their
    area)."""
    area = await area_scope(user, session)
    page = await queries.dispatch_queue(session=session, limit=limit, offset=offset, area=area)
    return page_of(page.rows, page.total, limit, offset)
