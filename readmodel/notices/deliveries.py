"""Deliveries: which are due, how a try ended, the admin's list and retry, a user's inbox."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.notices import ChannelKind, DeliveryStatus, retry_delay
from readmodel.access.tables import User
from readmodel.notices.tables import NotificationChannel, NotificationDelivery
from readmodel.tickets.tables import Notification

ERROR_LENGTH = 300


@dataclass
class Due:
    delivery: NotificationDelivery
    event: Notification
    channel: NotificationChannel
    recipient: User | None


async def due(*, session: AsyncSession, now: datetime, limit: int) -> list[Due]:
    query = (
        select(NotificationDelivery, Notification, NotificationChannel)
        .join(Notification, col(Notification.event_id) == col(NotificationDelivery.event_id))
        .join(
            NotificationChannel,
            col(NotificationChannel.channel_id) == col(NotificationDelivery.channel_id),
        )
        .where(NotificationDelivery.status == DeliveryStatus.PENDING)
        .where(col(NotificationDelivery.next_attempt_at) <= now)
        .order_by(col(NotificationDelivery.next_attempt_at), col(NotificationDelivery.id))
        .limit(limit)
    )
    rows = (await session.exec(query)).all()
    ids = {d.recipient_id for d, _, _ in rows if d.recipient_id}
    users = {}
    if ids:
        found = await session.exec(select(User).where(col(User.user_id).in_(ids)))
        users = {u.user_id: u for u in found.all()}
    return [Due(d, e, c, users.get(d.recipient_id)) for d, e, c in rows]


async def next_due_at(*, session: AsyncSession) -> datetime | None:
    query = select(func.min(NotificationDelivery.next_attempt_at)).where(
        NotificationDelivery.status == DeliveryStatus.PENDING
    )
    return (await session.exec(query)).one()


def record_sent(d: NotificationDelivery, now: datetime) -> None:
    d.status, d.attempts, d.sent_at = DeliveryStatus.SENT, d.attempts + 1, now
    d.next_attempt_at, d.last_error = None, None


def record_failure(
    d: NotificationDelivery, now: datetime, error: str, *, permanent: bool, max_attempts: int
) -> DeliveryStatus:
    """Another try later, or failed for good once the budget is spent (or retrying cannot help)."""
    d.attempts += 1
    d.last_error = error[:ERROR_LENGTH]
    if permanent or d.attempts >= max_attempts:
        d.status, d.next_attempt_at = DeliveryStatus.FAILED, None
    else:
        d.next_attempt_at = now + timedelta(seconds=retry_delay(d.attempts))
    return DeliveryStatus(d.status)


async def retry(*, session: AsyncSession, delivery_id: int, now: datetime) -> bool:
    """A failed delivery tried again from the start (an admin's retry); False: not failed."""
    result = await session.exec(
        update(NotificationDelivery)
        .where(col(NotificationDelivery.id) == delivery_id)
        .where(col(NotificationDelivery.status) == DeliveryStatus.FAILED)
        .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, last_error=None)
    )
    await session.commit()
    return bool(result.rowcount)


async def listing(
    *,
    session: AsyncSession,
    status: DeliveryStatus | None,
    event_id: str | None,
    channel_id: str | None,
    limit: int,
    offset: int,
) -> tuple[list[NotificationDelivery], int]:
    query = select(NotificationDelivery)
    if status is not None:
        query = query.where(NotificationDelivery.status == status)
    if event_id is not None:
        query = query.where(NotificationDelivery.event_id == event_id)
    if channel_id is not None:
        query = query.where(NotificationDelivery.channel_id == channel_id)
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    page = await session.exec(
        query.order_by(col(NotificationDelivery.id).desc()).limit(limit).offset(offset)
    )
    return list(page.all()), total


def _inbox(user_id: str) -> Any:  # a select of two tables (sqlmodel types it loosely)
    return (
        select(NotificationDelivery, Notification)
        .join(Notification, col(Notification.event_id) == col(NotificationDelivery.event_id))
        .join(
            NotificationChannel,
            col(NotificationChannel.channel_id) == col(NotificationDelivery.channel_id),
        )
        .where(NotificationChannel.kind == ChannelKind.IN_APP)
        .where(NotificationDelivery.recipient_id == user_id)
        .where(NotificationDelivery.status == DeliveryStatus.SENT)
    )


async def inbox(
    *, session: AsyncSession, user_id: str, unread: bool, limit: int, offset: int
) -> tuple[list[tuple[NotificationDelivery, Notification]], int]:
    query = _inbox(user_id)
    if unread:
        query = query.where(col(NotificationDelivery.read_at).is_(None))
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    page = await session.exec(
        query.order_by(col(NotificationDelivery.id).desc()).limit(limit).offset(offset)
    )
    return [(d, e) for d, e in page.all()], total


async def unread_count(*, session: AsyncSession, user_id: str) -> int:
    query = _inbox(user_id).where(col(NotificationDelivery.read_at).is_(None))
    return (await session.exec(select(func.count()).select_from(query.subquery()))).one()


async def mark_read(
    *, session: AsyncSession, user_id: str, delivery_ids: list[int] | None, now: datetime
) -> int:
    """Mark the user's own in-app notices read (all of them when `delivery_ids` is None)."""
    in_app = select(NotificationChannel.channel_id).where(
        NotificationChannel.kind == ChannelKind.IN_APP
    )
    stmt = (
        update(NotificationDelivery)
        .where(col(NotificationDelivery.recipient_id) == user_id)
        .where(col(NotificationDelivery.channel_id).in_(in_app))
        .where(col(NotificationDelivery.read_at).is_(None))
    )
    if delivery_ids is not None:
        stmt = stmt.where(col(NotificationDelivery.id).in_(delivery_ids))
    result = await session.exec(stmt.values(read_at=now))
    await session.commit()
    return int(result.rowcount)


async def one(*, session: AsyncSession, delivery_id: int) -> NotificationDelivery | None:
    return await session.get(NotificationDelivery, delivery_id)


async def event(*, session: AsyncSession, event_id: str) -> Notification | None:
    return (
        await session.exec(select(Notification).where(Notification.event_id == event_id))
    ).first()


async def events(*, session: AsyncSession, event_ids: set[str]) -> dict[str, Notification]:
    """The outbox rows of these events, by event id (what an admin's list says of each)."""
    if not event_ids:
        return {}
    rows = await session.exec(select(Notification).where(col(Notification.event_id).in_(event_ids)))
    return {r.event_id: r for r in rows.all()}
