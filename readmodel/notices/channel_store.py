"""Channels and subscriptions as admins keep them (api/routes/notify_admin.py): who hears what
over which channel is data, changed without a redeploy."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from readmodel.notices.tables import NotificationChannel, NotificationSubscription


class ChannelExists(Exception):
    pass


class SubscriptionExists(Exception):
    pass


async def channels(
    *, session: AsyncSession, limit: int, offset: int
) -> tuple[Sequence[NotificationChannel], int]:
    total = (await session.exec(select(func.count()).select_from(NotificationChannel))).one()
    page = await session.exec(
        select(NotificationChannel)
        .order_by(col(NotificationChannel.channel_id))
        .limit(limit)
        .offset(offset)
    )
    return page.all(), total


async def channel(*, session: AsyncSession, channel_id: str) -> NotificationChannel | None:
    return await session.get(NotificationChannel, channel_id)


async def add_channel(*, session: AsyncSession, row: NotificationChannel) -> NotificationChannel:
    if await session.get(NotificationChannel, row.channel_id) is not None:
        raise ChannelExists(f"channel {row.channel_id} exists already")
    session.add(row)
    await session.commit()
    return row


async def save_channel(*, session: AsyncSession, row: NotificationChannel) -> NotificationChannel:
    session.add(row)
    await session.commit()
    await session.refresh(row)
    return row


async def subscriptions(
    *,
    session: AsyncSession,
    kind: str | None,
    channel_id: str | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[NotificationSubscription], int]:
    query = select(NotificationSubscription)
    if kind is not None:
        query = query.where(NotificationSubscription.kind == kind)
    if channel_id is not None:
        query = query.where(NotificationSubscription.channel_id == channel_id)
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    page = await session.exec(
        query.order_by(col(NotificationSubscription.id)).limit(limit).offset(offset)
    )
    return page.all(), total


async def add_subscription(
    *,
    session: AsyncSession,
    kind: str,
    audience: str,
    channel_id: str,
    scope: str | None,
    now: datetime,
) -> NotificationSubscription:
    # Checked here, not left to the unique constraint: a NULL scope never collides there.
    same = await session.exec(
        select(NotificationSubscription.id)
        .where(NotificationSubscription.kind == kind)
        .where(NotificationSubscription.audience == audience)
        .where(NotificationSubscription.channel_id == channel_id)
        .where(
            col(NotificationSubscription.scope).is_(None)
            if scope is None
            else col(NotificationSubscription.scope) == scope
        )
    )
    found = same.first()
    if found is not None:
        raise SubscriptionExists(f"subscription {found} says the same already")
    row = NotificationSubscription(
        kind=kind, audience=audience, channel_id=channel_id, scope=scope, created_at=now
    )
    session.add(row)
    await session.commit()
    await session.refresh(row)
    return row


async def remove_subscription(*, session: AsyncSession, subscription_id: int) -> bool:
    """Delete it (deliveries already made stay); False when there is none."""
    result = await session.exec(
        delete(NotificationSubscription).where(col(NotificationSubscription.id) == subscription_id)
    )
    await session.commit()
    return bool(result.rowcount)
