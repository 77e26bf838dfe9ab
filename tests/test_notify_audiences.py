"""Who hears what by default, on the demo city's people: warnings to whoever answers for the stage,
breaches to them and the supervisor over the place, each climb to that level's supervisor,
returns to the command centre; off-duty staff hear nothing; a scope narrows a subscription; a
retried publish writes nothing twice."""

from datetime import UTC, datetime

from sqlmodel import col, select, update

from activities.notices import NoticePublisher
from domain.notices import (
    COMMAND_CENTRE,
    DeliveryStatus,
    EventKind,
    NoticeEvent,
    event_id,
    retry_delay,
)
from readmodel.access.tables import User
from readmodel.db import Database
from readmodel.notices.tables import NotificationDelivery, NotificationSubscription
from readmodel.tickets.tables import Notification

WU_GRID = "33010600100101"  # in wu's street (330106001), one of wang's grids
OTHER_STREET_GRID = "33010600200101"  # another street of chen's district
NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)  # 10:00 on a Tuesday in Shanghai: working time


def event(kind: EventKind, target: str, *, grid: str = WU_GRID, **kw: object) -> NoticeEvent:
    return NoticeEvent(
        event_id=event_id("audience-test", kind, target, grid),
        kind=kind,
        target=target,
        ticket_id="T-AUD",
        department="cgj",
        grid=grid,
        created_at=NOW,
        **kw,
    )


async def recipients(db: Database, e: NoticeEvent) -> set[str]:
    async with db.session() as session:
        found = await session.exec(
            select(NotificationDelivery.recipient_id).where(
                NotificationDelivery.event_id == e.event_id
            )
        )
        return set(found.all())


async def publish(db: Database, *events: NoticeEvent) -> int:
    return await NoticePublisher(db=db, calendars=None, wake=None).publish(list(events))


async def test_the_default_audiences(demo_db: Database) -> None:
    warning = event(EventKind.WARNING, "cgj")
    breach = event(EventKind.BREACH, "cgj")
    write_off_breach = event(EventKind.BREACH, WU_GRID)  # the grid answers for the check
    street_climb = event(EventKind.ESCALATE, "330106001", level=3)
    district_climb = event(EventKind.ESCALATE, "330106", level=4)
    returned = event(EventKind.RETURN, COMMAND_CENTRE)
    far_breach = event(EventKind.BREACH, "cgj", grid=OTHER_STREET_GRID)
    assert await publish(demo_db, warning, breach, write_off_breach, street_climb) == 0
    await publish(demo_db, district_climb, returned, far_breach)

    assert await recipients(demo_db, warning) == {"zhao"}
    assert await recipients(demo_db, breach) == {"zhao", "wu"}  # wu is nearest over the place
    assert await recipients(demo_db, write_off_breach) == {"wang", "wu"}
    assert await recipients(demo_db, street_climb) == {"wu"}
    assert await recipients(demo_db, district_climb) == {"chen"}
    assert await recipients(demo_db, returned) == {"chen"}
    assert await recipients(demo_db, far_breach) == {"zhao", "chen"}  # no street supervisor


async def test_in_app_notices_are_delivered_at_once_and_once(demo_db: Database) -> None:
    breach = event(EventKind.BREACH, "cgj")
    await publish(demo_db, breach)
    await publish(demo_db, breach)  # the notify activity retried
    async with demo_db.session() as session:
        rows = (
            await session.exec(
                select(NotificationDelivery).where(NotificationDelivery.event_id == breach.event_id)
            )
        ).all()
        outbox = (
            await session.exec(select(Notification).where(Notification.event_id == breach.event_id))
        ).all()
    assert len(rows) == 2 and len(outbox) == 1
    assert all(r.status == DeliveryStatus.SENT and r.sent_at == NOW for r in rows)


async def test_off_duty_staff_hear_nothing_and_a_scope_narrows(demo_db: Database) -> None:
    async with demo_db.session() as session:
        await session.exec(update(User).where(col(User.user_id) == "zhao").values(on_duty=False))
        session.add(
            NotificationSubscription(
                kind=EventKind.WARNING,
                audience="command_centre",
                channel_id="in-app",
                scope="330106002",  # only the other street's tickets
                created_at=NOW,
            )
        )
        await session.commit()
    near, far = (
        event(EventKind.WARNING, "cgj"),
        event(EventKind.WARNING, "cgj", grid=OTHER_STREET_GRID),
    )
    await publish(demo_db, near, far)
    assert await recipients(demo_db, near) == set()
    assert await recipients(demo_db, far) == {"chen"}


def test_event_ids_are_stable_and_retries_back_off_to_five_minutes() -> None:
    assert event_id("T-1", 3, "breach", "cgj") == event_id("T-1", 3, "breach", "cgj")
    assert event_id("T-1", 3, "breach", "cgj") != event_id("T-1", 4, "breach", "cgj")
    assert [retry_delay(n) for n in (1, 2, 3, 6, 30)] == [10, 20, 40, 300, 300]
    # 30 tries outlast a channel down for an hour
    assert sum(retry_delay(n) for n in range(1, 30)) > 3600
