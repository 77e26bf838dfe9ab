"""Notices for the notification centre's tests: published as the worker's activities publish them
(activities/notices.NoticePublisher: outbox, subscriptions, deliveries), and a push delivery
failed for good as the relay leaves one once its retry budget is spent."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select

from activities.notices import NoticePublisher
from domain import demo_city
from domain.notices import DeliveryStatus, EventKind, NoticeEvent, event_id
from readmodel.db import Database
from readmodel.notices import deliveries, outbox
from readmodel.notices.tables import NotificationChannel, NotificationDelivery

HOME_GRID = demo_city.GRIDS[1].code  # wang's grid, in wu's street; cgj's garbage
FAR_GRID = next(g for g in demo_city.GRIDS if g.street == demo_city.DISTRICT + "002").code


def notice(kind: EventKind = EventKind.BREACH, **fields: Any) -> NoticeEvent:
    """A ticket's notice (a cgj ticket in wang's grid unless told), with an id of its own."""
    values: dict[str, Any] = {
        "event_id": event_id("test", uuid.uuid4()),
        "kind": kind,
        "target": "cgj",
        "ticket_id": f"GF-TEST-{uuid.uuid4().hex[:8].upper()}",
        "seq": 3,
        "department": "cgj",
        "grid": HOME_GRID,
        "stage": "claim",
        "due_at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        "created_at": datetime.now(UTC),
    }
    return NoticeEvent(**(values | fields))


async def publish(db: Database, *events: NoticeEvent) -> None:
    """Written as a worker writes them; the relay is not woken (nothing in-app waits for it)."""
    await NoticePublisher(db=db, calendars=None, wake=None).publish(list(events))


async def webhook(db: Database, url: str, channel_id: str | None = None) -> str:
    """A webhook channel (no secret) at `url`."""
    channel_id = channel_id or f"hook-{uuid.uuid4().hex[:8]}"
    async with db.session() as session:
        session.add(
            NotificationChannel(
                channel_id=channel_id,
                kind="webhook",
                name="测试 webhook",
                url=url,
                created_at=datetime.now(UTC),
            )
        )
        await session.commit()
    return channel_id


async def failed_delivery(db: Database, channel_id: str, event: NoticeEvent | None = None) -> int:
    """A push of `event` (a new one if none) on `channel_id` that failed for good: the relay's
    record of a receiver that refused it."""
    event = event or notice()
    now = datetime.now(UTC)
    async with db.session() as session:
        await outbox.add_events(session=session, events=[event])
        row = NotificationDelivery(
            event_id=event.event_id,
            channel_id=channel_id,
            recipient_id="",
            status=DeliveryStatus.PENDING,
            not_before=now,
            # Not due for any relay running meanwhile: only the failure below settles it.
            next_attempt_at=datetime(2999, 1, 1, tzinfo=UTC),
            created_at=now,
        )
        session.add(row)
        await session.commit()
        deliveries.record_failure(
            row, now, "the receiver answered 410", permanent=True, max_attempts=30
        )
        session.add(row)
        await session.commit()
        assert row.id is not None
        return row.id


async def delivery_ids(db: Database, event: NoticeEvent) -> dict[str, int]:
    """The event's in-app deliveries, by recipient."""
    async with db.session() as session:
        rows = await session.exec(
            select(NotificationDelivery).where(col(NotificationDelivery.event_id) == event.event_id)
        )
        return {d.recipient_id: d.id for d in rows.all() if d.id is not None}
