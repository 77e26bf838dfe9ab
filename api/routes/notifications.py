"""The notification outbox: who was told what about which ticket (warnings, breaches, climbs)."""
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlmodel import col, func, select

from api.authz import area_scope
from api.deps import CurrentUser, SessionDep, require_role
from api.schemas import MAX_OFFSET
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


class NotificationPage(BaseModel):
    items: list[NotificationPublic]
    total: int


@router.get("/notifications", response_model=NotificationPage)
async def notifications(
    user: CurrentUser, session: SessionDep, ticket_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> NotificationPage:
    """Newest first: supervisors their area's; staff their department's; grid workers their
    grids'."""
    require_role(user, Role.SUPERVISOR, Role.DEPARTMENT_STAFF, Role.GRID_WORKER)
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
                               .limit(limit).offset(offset))).all()
    return NotificationPage(items=[NotificationPublic.model_validate(r) for r in rows],
                            total=int(total))
