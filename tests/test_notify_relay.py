"""The relay on the time-skipping server with the real worker and a real HTTP receiver: notices wait
for the next working moment (a holiday skipped, a make-up Saturday counted) unless urgent; a
channel down for an hour loses nothing and doubles nothing; a spent budget fails the delivery,
and an admin's retry delivers it."""

import uuid
from datetime import date, datetime, timedelta

from prometheus_client import REGISTRY
from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment

from activities.calendar_source import CalendarSource
from activities.notices import NoticePublisher, relay_waker
from domain.calendar import SHANGHAI
from domain.notices import DeliveryStatus, EventKind, NoticeEvent, event_id
from readmodel.db import Database
from readmodel.notices import deliveries
from readmodel.notices.secrets import encrypt
from readmodel.notices.tables import (
    NotificationChannel,
    NotificationDelivery,
    NotificationSubscription,
)
from readmodel.reference.calendar_store import load_year
from settings import Settings
from tests.relay_receiver import receiving
from tests.workflow_helpers import sleep_until
from worker import build_worker

BACKENDS = ["sqlite"]  # the relay's SQL is the same on both; PostgreSQL runs the API tests
SECRET = "test-webhook-secret-0123456789"


async def webhook_channel(db: Database, url: str, *, kind: EventKind) -> None:
    now = datetime.now(SHANGHAI)
    async with db.session() as session:
        session.add(
            NotificationChannel(
                channel_id="centre-hook",
                kind="webhook",
                name="command centre webhook",
                url=url,
                secret_ciphertext=encrypt(_key(), SECRET),
                created_at=now,
            )
        )
        session.add(
            NotificationSubscription(
                kind=kind, audience="command_centre", channel_id="centre-hook", created_at=now
            )
        )
        await session.commit()


def _key() -> str:
    key = Settings().secrets_key
    assert key is not None
    return key.get_secret_value()


def notice(at: datetime, *, urgent: bool = False, n: int = 0) -> NoticeEvent:
    return NoticeEvent(
        event_id=event_id("relay-test", uuid.uuid4(), n),
        kind=EventKind.WARNING,
        target="cgj",
        department="cgj",
        urgent=urgent,
        created_at=at,
    )


async def rows(db: Database) -> list[NotificationDelivery]:
    async with db.session() as session:
        found = await session.exec(
            select(NotificationDelivery)
            .where(NotificationDelivery.channel_id == "centre-hook")
            .order_by(col(NotificationDelivery.id))
        )
        return list(found.all())


def config(db: Database, **kwargs: object) -> Settings:
    return Settings(task_queue=f"q-{uuid.uuid4()}", database_url=db.url, **kwargs)  # type: ignore[arg-type]


def notifications(outcome: str) -> float:
    return REGISTRY.get_sample_value("gridflow_notifications_total", {"outcome": outcome}) or 0.0


async def test_a_notice_waits_past_a_holiday_for_the_make_up_saturday_unless_urgent(
    ts_env: WorkflowEnvironment, demo_db: Database
) -> None:
    # 2027 in the tests: New Year's Day a holiday, Saturday 2 January a make-up working day.
    async with demo_db.session() as session:
        await load_year(
            session=session,
            year=2027,
            holidays=[date(2027, 1, 1)],
            workdays=[date(2027, 1, 2)],
            source="tests: a holiday and a make-up day",
        )
    evening = datetime(2026, 12, 31, 18, 0, tzinfo=SHANGHAI)  # after working hours
    make_up_morning = datetime(2027, 1, 2, 9, 0, tzinfo=SHANGHAI)
    cfg = config(demo_db)
    async with receiving() as receiver, build_worker(ts_env.client, db=demo_db, config=cfg):
        await webhook_channel(demo_db, receiver.url, kind=EventKind.WARNING)
        publisher = NoticePublisher(
            db=demo_db,
            calendars=CalendarSource(db=demo_db, working_hours=cfg.working_hours),
            wake=relay_waker(ts_env.client, cfg.task_queue),
        )
        quiet, urgent = notice(evening), notice(evening, urgent=True, n=1)
        assert await publisher.publish([quiet, urgent]) == 2
        waiting = {r.event_id: r for r in await rows(demo_db)}
        assert waiting[quiet.event_id].not_before == make_up_morning
        assert waiting[urgent.event_id].not_before == evening

        await sleep_until(ts_env, datetime(2027, 1, 1, 12, 0, tzinfo=SHANGHAI))  # the holiday
        assert receiver.event_ids() == [urgent.event_id]
        await sleep_until(ts_env, make_up_morning)
        assert receiver.event_ids() == [urgent.event_id, quiet.event_id]
        assert all(r.status == DeliveryStatus.SENT for r in await rows(demo_db))
        receiver.check_signatures(SECRET)


async def test_a_channel_down_for_an_hour_loses_nothing_and_doubles_nothing(
    ts_env: WorkflowEnvironment, demo_db: Database
) -> None:
    cfg = config(demo_db)
    async with receiving() as receiver, build_worker(ts_env.client, db=demo_db, config=cfg):
        await webhook_channel(demo_db, receiver.url, kind=EventKind.WARNING)
        receiver.down = True
        publisher = NoticePublisher(
            db=demo_db, calendars=None, wake=relay_waker(ts_env.client, cfg.task_queue)
        )
        start = await ts_env.get_current_time()
        events = [notice(start, urgent=True, n=n) for n in range(5)]
        await publisher.publish(events)
        await sleep_until(ts_env, start + timedelta(hours=1))
        assert receiver.event_ids() == []
        assert receiver.refused >= 5 * 3  # every notice was tried again and again
        waiting = await rows(demo_db)
        assert {r.status for r in waiting} == {DeliveryStatus.PENDING}
        assert all(r.attempts >= 3 and r.last_error for r in waiting)

        receiver.down = False
        await sleep_until(ts_env, start + timedelta(hours=1, minutes=6))
        assert sorted(receiver.event_ids()) == sorted(e.event_id for e in events)  # once each
        assert {r.status for r in await rows(demo_db)} == {DeliveryStatus.SENT}


async def test_a_spent_budget_fails_the_delivery_and_an_admin_retry_delivers_it(
    ts_env: WorkflowEnvironment, demo_db: Database
) -> None:
    cfg = config(demo_db, notice_max_attempts=3)
    counted = {o: notifications(o) for o in ("delivered", "retrying", "failed")}
    async with receiving() as receiver, build_worker(ts_env.client, db=demo_db, config=cfg):
        await webhook_channel(demo_db, receiver.url, kind=EventKind.WARNING)
        receiver.down = True
        wake = relay_waker(ts_env.client, cfg.task_queue)
        publisher = NoticePublisher(db=demo_db, calendars=None, wake=wake)
        start = await ts_env.get_current_time()
        event = notice(start, urgent=True)
        await publisher.publish([event])
        await sleep_until(ts_env, start + timedelta(minutes=10))
        [failed] = await rows(demo_db)
        assert failed.status == DeliveryStatus.FAILED and failed.attempts == 3
        assert failed.next_attempt_at is None and "503" in (failed.last_error or "")
        assert receiver.refused == 3
        # the worker's metrics (docs/observability.md): two tries that failed, then given up
        assert notifications("retrying") == counted["retrying"] + 2
        assert notifications("failed") == counted["failed"] + 1

        receiver.down = False
        assert failed.id is not None
        async with demo_db.session() as session:
            assert await deliveries.retry(
                session=session, delivery_id=failed.id, now=await ts_env.get_current_time()
            )
            assert not await deliveries.retry(  # only a failed delivery is retried
                session=session, delivery_id=failed.id, now=await ts_env.get_current_time()
            )
        await wake()
        await sleep_until(ts_env, start + timedelta(minutes=11))
        [sent] = await rows(demo_db)
        assert sent.status == DeliveryStatus.SENT and receiver.event_ids() == [event.event_id]
        assert notifications("delivered") == counted["delivered"] + 1
