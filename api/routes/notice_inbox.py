"""The bell: the signed-in person's own in-app notices (docs/notification-centre.md).

Every person has one, whatever their role; machines and API keys have none. Only the caller's
own notices are listed, counted or marked read: ids of anyone else's are left untouched, so the
answer says nothing of whether they exist.
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from activities.notice_delivery import event_of
from api.deps import PersonUser, SessionDep, SettingsDep
from api.notice_views import link_for
from api.paging import Page, PageParams
from api.schemas import Body
from domain.notice_text import render
from readmodel.access.tables import User
from readmodel.notices import deliveries
from readmodel.notices.tables import NotificationDelivery
from readmodel.tickets.tables import Notification

router = APIRouter(prefix="/my/notices", tags=["notification centre"])


class InboxNotice(BaseModel):
    id: int = Field(description="the delivery's id: what POST /my/notices/read takes")
    event_id: str
    kind: str
    title: str
    message: str | None = Field(description="a line of the sender's, e.g. a 催办's words")
    ticket_id: str | None
    stage: str | None
    level: int | None
    due_at: datetime | None
    urgent: bool
    created_at: datetime
    read_at: datetime | None
    link: str | None = Field(description="the page to open, for your role (a path of this site)")


class InboxPage(Page[InboxNotice]):
    pass


class Unread(BaseModel):
    unread: int


class Marked(BaseModel):
    marked: int = Field(description="how many of your unread notices this marked read")
    unread: int = Field(description="how many stay unread")


# A delivery's id (the database's integer key).
DeliveryId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class MarkRead(Body):
    ids: list[DeliveryId] = Field(
        min_length=1, max_length=200, description="delivery ids (item `id`)"
    )


def _notice(d: NotificationDelivery, e: Notification, user: User, public_url: str) -> InboxNotice:
    message = e.data.get("message")
    assert d.id is not None  # a row read back from the database
    return InboxNotice(
        id=d.id,
        event_id=e.event_id,
        kind=e.kind,
        title=render(event_of(e), None).title,
        message=message if isinstance(message, str) and message else None,
        ticket_id=e.ticket_id,
        stage=e.stage,
        level=e.level,
        due_at=e.due_at,
        urgent=e.urgent,
        created_at=e.created_at,
        read_at=d.read_at,
        link=link_for(user.role, e, public_url),
    )


@router.get("", response_model=InboxPage)
async def my_notices(
    user: PersonUser,
    session: SessionDep,
    config: SettingsDep,
    paging: PageParams,
    unread: bool = False,
) -> InboxPage:
    """Your in-app notices, newest first; `unread=true`: only those not yet marked read."""
    rows, total = await deliveries.inbox(
        session=session,
        user_id=user.user_id,
        unread=unread,
        limit=paging.limit,
        offset=paging.offset,
    )
    items = [_notice(d, e, user, config.public_url) for d, e in rows]
    return InboxPage.of(items, total, paging)


@router.get("/unread-count", response_model=Unread)
async def unread_count(user: PersonUser, session: SessionDep) -> Unread:
    """How many of your in-app notices are unread: the number on the bell."""
    return Unread(unread=await deliveries.unread_count(session=session, user_id=user.user_id))


@router.post("/read", response_model=Marked)
async def mark_read(body: MarkRead, user: PersonUser, session: SessionDep) -> Marked:
    """Mark these of your notices read; ids that are not your notices are left as they are."""
    marked = await deliveries.mark_read(
        session=session, user_id=user.user_id, delivery_ids=body.ids, now=datetime.now(UTC)
    )
    unread = await deliveries.unread_count(session=session, user_id=user.user_id)
    return Marked(marked=marked, unread=unread)


@router.post("/read-all", response_model=Marked)
async def mark_all_read(user: PersonUser, session: SessionDep) -> Marked:
    """Mark all your notices read."""
    marked = await deliveries.mark_read(
        session=session, user_id=user.user_id, delivery_ids=None, now=datetime.now(UTC)
    )
    unread = await deliveries.unread_count(session=session, user_id=user.user_id)
    return Marked(marked=marked, unread=unread)
