"""The notification outbox: who was told what about which ticket (warnings, breaches, climbs)."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from api.authz import notice_scope
from api.deps import FieldUser, SessionDep
from api.paging import Page, PageParams
from readmodel.tickets import queries

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
    user: FieldUser,
    session: SessionDep,
    paging: PageParams,
    ticket_id: str | None = None,
) -> NotificationPage:
    """Newest first: supervisors their area's; staff their department's; grid workers their
    grids'."""
    scope = await notice_scope(user, session)
    rows, total = await queries.notifications(
        session=session,
        area=scope.area,
        targets=scope.targets,
        ticket_id=ticket_id,
        limit=paging.limit,
        offset=paging.offset,
    )
    return NotificationPage.of([NotificationPublic.model_validate(r) for r in rows], total, paging)
