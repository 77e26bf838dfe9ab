"""A burst of notices wakes the relay a few times, not once per notice (the holiday morning:
docs/benchmarks.md, section 8), and still every notice written before a publish returned is
pushed: the relay's history on the time-skipping server, with the real worker and receiver."""

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from activities.notices import WAKE_GAP, Coalesced, NoticePublisher, relay_waker
from domain.notices import EventKind, relay_workflow_id
from readmodel.db import Database
from readmodel.notices.tables import NotificationSubscription
from settings import Settings
from tests.notice_helpers import notice, webhook
from tests.relay_receiver import receiving
from worker import build_worker

BACKENDS = ["sqlite"]
BURST = 60


async def test_a_burst_of_notices_wakes_the_relay_a_few_times_and_every_notice_goes_out(
    ts_env: WorkflowEnvironment, demo_db: Database
) -> None:
    cfg = Settings(task_queue=f"q-{uuid.uuid4()}", database_url=demo_db.url)
    async with receiving() as receiver, build_worker(ts_env.client, db=demo_db, config=cfg):
        channel = await webhook(demo_db, receiver.url)
        async with demo_db.session() as session:
            session.add(
                NotificationSubscription(
                    kind=EventKind.BREACH,
                    audience="target",
                    channel_id=channel,
                    created_at=datetime.now(UTC),
                )
            )
            await session.commit()
        publisher = NoticePublisher(
            db=demo_db, calendars=None, wake=relay_waker(ts_env.client, cfg.task_queue)
        )
        events = [notice(urgent=True) for _ in range(BURST)]
        # One publish per notice, side by side, as the breach burst's notify activities run.
        started = time.monotonic()
        await asyncio.gather(*(publisher.publish([e]) for e in events))
        took = time.monotonic() - started
        await ts_env.sleep(timedelta(minutes=2))  # a receiver's refused connection: retried
        assert sorted(receiver.event_ids()) == sorted(e.event_id for e in events)

        relay = ts_env.client.get_workflow_handle(relay_workflow_id(cfg.task_queue))
        history = await relay.fetch_history()
        signals = [
            e
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
        ]
        # One wake on the way at a time, at most one per WAKE_GAP (was: one per publish).
        assert 1 <= len(signals) <= min(took / WAKE_GAP + 2, BURST / 4), (
            f"{len(signals)} wakes for {BURST} publishes in {took:.1f} s"
        )


async def test_a_call_made_while_a_wake_is_on_its_way_is_covered_by_a_later_one() -> None:
    """What the relay relies on: each call returns only after a wake that began after it."""
    began: list[float] = []
    loop = asyncio.get_running_loop()

    async def slow_wake() -> None:
        began.append(loop.time())
        await asyncio.sleep(0.05)

    wake = Coalesced(slow_wake, gap=0.02)

    async def call() -> float:
        asked = loop.time()
        await wake()
        return asked

    first = [asyncio.create_task(call()) for _ in range(20)]
    await asyncio.sleep(0.01)  # the first wake is on its way
    later = [asyncio.create_task(call()) for _ in range(20)]
    asked = await asyncio.gather(*first, *later)

    assert len(began) == 2  # forty calls, two wakes
    assert all(any(start >= a for start in began) for a in asked)
    assert began[1] >= max(asked[20:])
