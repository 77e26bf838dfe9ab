"""The notification outbox: who was told what about which ticket (warnings, breaches, climbs),
and how each notice's deliveries went."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict

from api.authz import ensure_may_read_deliveries, notice_scope
from api.deps import ConfigReaderUser, FieldUser, SessionDep
from api.errors import ApiError
from api.notice_views import DeliveryPage, deliveries_public
from api.paging import Page, PageParams
from readmodel.notices import deliveries
from readmodel.tickets import queries

router = APIRouter(tags=["notifications"])


class NotificationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    event_id: str
    ticket_id: str | None  # None: not a ticket's (a report)
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


@router.get("/notifications/{event_id}/deliveries", response_model=DeliveryPage)
async def notice_deliveries(
    event_id: Annotated[str, Path(max_length=64)],
    user: ConfigReaderUser,
    session: SessionDep,
    paging: PageParams,
) -> DeliveryPage:
    """How one notice's deliveries went: each channel and recipient (a user id), pending, sent
    or failed, its tries and last error (admins; supervisors over the notice's place)."""
    event = await deliveries.event(session=session, event_id=event_id)
    if event is None:
        raise ApiError(404, f"no notice {event_id}")
    await ensure_may_read_deliveries(user, session=session, grid=event.grid, event_id=event_id)
    rows, total = await deliveries.listing(
        session=session,
        status=None,
        event_id=event_id,
        channel_id=None,
        limit=paging.limit,
        offset=paging.offset,
    )
    return DeliveryPage.of(await deliveries_public(session, rows), total, paging)
