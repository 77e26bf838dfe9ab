"""Events into the outbox and out to deliveries: what publishing a notice writes, once however
often it is retried (the event id and (event, channel, recipient) are unique)."""

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.calendar import CalendarUnknownYear, ChinaWorkingCalendar
from domain.notices import (
    PERSONAL_CHANNELS,
    Audience,
    ChannelKind,
    DeliveryStatus,
    NoticeEvent,
)
from readmodel.notices.audiences import People
from readmodel.notices.tables import (
    NotificationChannel,
    NotificationDelivery,
    NotificationSubscription,
)
from readmodel.tickets.projection import _insert, _table
from readmodel.tickets.tables import Notification


async def add_events(*, session: AsyncSession, events: list[NoticeEvent]) -> None:
    rows = [
        {
            "event_id": e.event_id,
            "ticket_id": e.ticket_id,
            "seq": e.seq,
            "kind": e.kind.value,
            "target": e.target or "",
            "level": e.level,
            "stage": e.stage,
            "due_at": e.due_at,
            "urgent": e.urgent,
            "department": e.department,
            "grid": e.grid,
            "data": e.data,
            "created_at": e.created_at,
        }
        for e in events
    ]
    for chunk in chunks(rows):
        stmt = _insert(session, _table(Notification)).values(chunk)
        await session.exec(stmt.on_conflict_do_nothing(index_elements=["event_id"]))


def chunks(rows: list[dict], size: int = 500) -> list[list[dict]]:
    """Rows in inserts of `size`: one statement's bound parameters stay under SQLite's limit."""
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def in_scope(scope: str | None, event: NoticeEvent) -> bool:
    """A subscription's scope: none, the event's department, or an area holding its place."""
    if not scope:
        return True
    if scope == event.department:
        return True
    return any(code and code.startswith(scope) for code in (event.grid, event.target))


def not_before(event: NoticeEvent, calendar: ChinaWorkingCalendar | None) -> datetime:
    """Urgent notices go at once; others wait for the next working moment. A year the calendar
    lacks sends at once: a notice is never held back by a guess."""
    if event.urgent or calendar is None:
        return event.created_at
    try:
        return calendar.next_working_moment(event.created_at)
    except CalendarUnknownYear:
        return event.created_at


async def fan_out(
    *, session: AsyncSession, events: list[NoticeEvent], calendar: ChinaWorkingCalendar | None
) -> int:
    """Deliveries for every subscription each event matches; returns how many wait to be pushed.
    In-app deliveries are delivered on writing (they reach a page, not a phone)."""
    if not events:
        return 0
    subs = (
        await session.exec(
            select(NotificationSubscription, NotificationChannel)
            .join(
                NotificationChannel,
                col(NotificationChannel.channel_id) == col(NotificationSubscription.channel_id),
            )
            .where(col(NotificationSubscription.active), col(NotificationChannel.active))
            .where(col(NotificationSubscription.kind).in_({e.kind.value for e in events}))
        )
    ).all()
    people = await People.load(session) if subs else People([])
    rows: dict[tuple[str, str, str], dict] = {}
    for event in events:
        when = not_before(event, calendar)
        for sub, channel in subs:
            if sub.kind != event.kind or not in_scope(sub.scope, event):
                continue
            kind = ChannelKind(channel.kind)
            if kind in PERSONAL_CHANNELS:
                recipients = [u.user_id for u in people.audience(Audience(sub.audience), event)]
            else:
                recipients = [""]
            for user_id in recipients:
                in_app = kind is ChannelKind.IN_APP
                rows[(event.event_id, channel.channel_id, user_id)] = {
                    "event_id": event.event_id,
                    "channel_id": channel.channel_id,
                    "recipient_id": user_id,
                    "status": (DeliveryStatus.SENT if in_app else DeliveryStatus.PENDING).value,
                    "attempts": 1 if in_app else 0,
                    "not_before": event.created_at if in_app else when,
                    "next_attempt_at": None if in_app else when,
                    "sent_at": event.created_at if in_app else None,
                    "created_at": event.created_at,
                }
    for chunk in chunks(list(rows.values())):
        stmt = _insert(session, _table(NotificationDelivery)).values(chunk)
        await session.exec(
            stmt.on_conflict_do_nothing(index_elements=["event_id", "channel_id", "recipient_id"])
        )
    return sum(1 for r in rows.values() if r["status"] == DeliveryStatus.PENDING)
