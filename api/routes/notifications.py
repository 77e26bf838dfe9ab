"""The notification outbox: who was told what about which ticket (warnings, breaches, climbs)."""
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlmodel import col, func, select

from api.authz import area_scope
from api.deps import FieldUser, SessionDep
from api.paging import Page, PageParams
from domain.states import Role
from readmodel.queries import in_area
from readmodel.tables import Notification, TicketRow

router = APIRouter(tags=["notifications"])


class NotificationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    ticket_id: str
    seq: int
    kind: str
    target: str
    level: int | None
    stage: str | None
    due_at: datetime | None
    created_at: datetime


class NotificationPage(Page[NotificationPublic]):
    pass


@router.get("/notifications", response_model=NotificationPage)
async def notifications(
    user: FieldUser, session: SessionDep, paging: PageParams, ticket_id: str | None = None,
) -> NotificationPage:
    """Newest first: supervisors their area's; staff their department's; grid workers their
    grids'."""
    query = select(Notification)
    if user.role == Role.SUPERVISOR and (area := await area_scope(user, session)) is not None:
        query = query.where(col(Notification.ticket_id).in_(
            select(TicketRow.ticket_id).where(*in_area(area))))
    elif user.role == Role.DEPARTMENT_STAFF:
        query = query.where(Notification.target == (user.department or ""))
    elif user.role == Role.GRID_WORKER:
        query = query.where(col(Notification.target).in_(list(user.grids)))
    if ticket_id:
        query = query.where(Notification.ticket_id == ticket_id)
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    rows = (await session.exec(query.order_by(col(Notification.id).desc())
                               .limit(paging.limit).offset(paging.offset))).all()
    return NotificationPage.of([NotificationPublic.model_validate(r) for r in rows], int(total),
                               paging)
