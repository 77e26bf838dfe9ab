"""Record workflow histories for the replay test: `python -m tests.record_histories`.

Re-record only on purpose: a committed history is the proof that today's TicketWorkflow still
replays what yesterday's one did. A change that breaks replay needs `workflow.patched`.
"""

import asyncio
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from activities.notices import relay_waker
from domain.notices import relay_workflow_id
from domain.reports import ReportKind, ReportRequest
from domain.subjects import OBSERVATION
from readmodel.db import Database
from readmodel.seed import seed_demo_city
from temporal_client import register_search_attributes
from tests.api_fixtures import ADMIN, CGJ, LI, SUPERVISOR, WANG, ZJJ, Gridflow, gridflow_on
from tests.conftest import BIN
from tests.factories import GARBAGE, ILLEGAL_AD, LAT, LON, MANHOLE, OTHER
from tests.history_keys import history_converter
from tests.schema import migrate_to_head
from tests.test_api_calendar_notice import (
    notice_with_a_march_holiday,
    progress_done,
    unpublish_next_year,
    working_days_until,
)
from tests.test_api_duplicates import across_the_edge
from tests.test_api_lifecycle import wait_for_status
from workflows.reports import ReportWorkflow

SENSOR = "demo-sensor-gateway"

HERE = Path(__file__).parent / "histories"


async def full_lifecycle_with_breaches(gf: Gridflow, env: WorkflowEnvironment) -> str:
    t = await gf.new_ticket()
    await wait_for_status(gf, t, "dispatched")
    await env.sleep(timedelta(days=4))  # the claim deadline passes
    await gf.act(t, "claim", CGJ)
    await gf.act(t, "start-verification", CGJ)
    await gf.act(
        t,
        "verify",
        CGJ,
        {"outcome": "needs_rectification", "severity": "red", "rectify_working_days": 1},
    )
    await env.sleep(timedelta(days=4))  # the rectification deadline passes
    await gf.act(t, "rectified", CGJ)
    await gf.act(t, "write-off", WANG)
    await wait_for_status(gf, t, "archived")
    return t


async def return_dispatch_rework(gf: Gridflow, env: WorkflowEnvironment) -> str:
    t = await gf.new_ticket(category=MANHOLE)
    await wait_for_status(gf, t, "dispatched")
    await gf.act(t, "return", CGJ, {"reason": "not ours"})
    await gf.act(t, "dispatch", SUPERVISOR, {"department": "zjj"})
    await gf.act(t, "claim", ZJJ)
    await gf.act(t, "verify", ZJJ, {"outcome": "fixed_on_site"})
    await gf.act(t, "reject", WANG, {"reason": "still loose"})
    await gf.act(t, "rectified", ZJJ)
    await gf.act(t, "write-off", SUPERVISOR)
    await wait_for_status(gf, t, "archived")
    return t


async def manual_queue_cancelled(gf: Gridflow, env: WorkflowEnvironment) -> str:
    t = await gf.new_ticket(category=OTHER)
    await wait_for_status(gf, t, "manual_dispatch")
    await env.sleep(timedelta(days=4))  # the dispatch deadline passes
    await gf.act(t, "cancel", SUPERVISOR, {"kind": "invalid", "reason": "not a city matter"})
    await wait_for_status(gf, t, "archived")
    return t


async def extension_and_parking(gf: Gridflow, env: WorkflowEnvironment) -> str:
    t = await gf.new_ticket()
    await wait_for_status(gf, t, "dispatched")
    await gf.act(t, "claim", CGJ)
    await gf.act(t, "request-extension", CGJ, {"working_days": 2, "reason": "crane"})
    await gf.act(t, "approve-extension", SUPERVISOR)
    await gf.act(t, "request-extension", CGJ, {"working_days": 1, "reason": "rain"})
    await gf.act(t, "refuse-extension", SUPERVISOR)
    review = (await env.get_current_time() + timedelta(days=10)).isoformat()
    await gf.act(t, "request-parking", CGJ, {"reason": "winter", "review_at": review})
    await gf.act(t, "approve-parking", SUPERVISOR)
    await env.sleep(timedelta(days=11))  # the review date brings it back
    await gf.act(
        t,
        "request-parking",
        CGJ,
        {
            "reason": "again",
            "review_at": (await env.get_current_time() + timedelta(days=5)).isoformat(),
        },
    )
    await gf.act(t, "approve-parking", SUPERVISOR)
    await gf.act(t, "unpark", SUPERVISOR)
    await env.sleep(timedelta(days=10))  # late: warnings, breach, the ladder and reminders
    await gf.act(t, "verify", CGJ, {"outcome": "fixed_on_site"})
    await gf.act(t, "write-off", WANG)
    await wait_for_status(gf, t, "archived")
    return t


async def duplicate_merged(gf: Gridflow, env: WorkflowEnvironment) -> list[str]:
    wangs, lis = across_the_edge(10)  # li reports only in his own grids
    first = await gf.new_ticket(**wangs)
    await wait_for_status(gf, first, "dispatched")
    second = await gf.new_ticket(token=LI, description="same pile", **lis)
    await wait_for_status(gf, second, "duplicate_review")
    await gf.act(second, "merge", SUPERVISOR, {"into": first})
    await wait_for_status(gf, second, "archived")
    await gf.act(first, "claim", CGJ)
    await gf.act(first, "verify", CGJ, {"outcome": "fixed_on_site"})
    await gf.act(first, "write-off", WANG)
    await wait_for_status(gf, first, "archived")
    return [first, second]


async def kept_separate_and_sensor(gf: Gridflow, env: WorkflowEnvironment) -> list[str]:
    first = await gf.new_ticket()
    await wait_for_status(gf, first, "dispatched")
    near = await gf.new_ticket()
    await wait_for_status(gf, near, "duplicate_review")
    await gf.act(near, "keep-separate", SUPERVISOR)
    await wait_for_status(gf, near, "dispatched")
    body = {"category": MANHOLE, "lat": LAT, "lon": LON, "description": "位移", "device_id": "MH-7"}
    sensor = (await gf.call("POST", "/incidents", SENSOR, json=body)).json()["ticket_id"]
    await wait_for_status(gf, sensor, "dispatched")
    gf.config.sensor_repeat_quiet_seconds = 0  # the repeats' signals are what is recorded
    for _ in range(2):
        await gf.call("POST", "/incidents", SENSOR, json=body)
    for ticket_id in (first, near, sensor):
        await gf.act(ticket_id, "cancel", SUPERVISOR, {"kind": "invalid", "reason": "recorded"})
        await wait_for_status(gf, ticket_id, "archived")
    return [near, sensor]


async def subject_rectified(gf: Gridflow, env: WorkflowEnvironment) -> list[str]:
    t = await gf.new_ticket(category=ILLEGAL_AD, subject_code="SS-0001")
    await wait_for_status(gf, t, "dispatched")
    await gf.act(t, "claim", CGJ)
    await gf.act(
        t,
        "verify",
        CGJ,
        {"outcome": "needs_rectification", "severity": "yellow", "rectify_working_days": 2},
    )
    await gf.act(t, "rectified", CGJ)
    await gf.act(t, "write-off", WANG)
    await wait_for_status(gf, t, "archived")
    await env.sleep(OBSERVATION + timedelta(days=1))  # observation over: a re-check is due
    await gf.call("POST", "/subjects/SS-0001/recheck", WANG, json={"clean": True})
    subject = gf.client.get_workflow_handle("subject-SS-0001")
    await subject.result()
    return [t, "subject-SS-0001"]


# Files are named after the workflow version that wrote them: v1 = before deadline alarms,
# v2 = deadline alarms, extensions, parking; v3 = duplicates, sensors, subjects; v4 = routing and
# the clock re-checked after queued actions (from tests/test_workflow_races.py); v5 = routing,
async def urged_then_claimed(gf: Gridflow, env: WorkflowEnvironment) -> str:
    t = await gf.new_ticket()
    await wait_for_status(gf, t, "dispatched")
    await gf.act(t, "urge", SUPERVISOR, {"message": "今天必须到场 on site today"})
    await gf.act(t, "claim", CGJ)
    return t


async def order_breached_then_answered(gf: Gridflow, env: WorkflowEnvironment) -> str:
    t = await gf.new_ticket(category=MANHOLE)  # not a duplicate of the garbage before it
    await wait_for_status(gf, t, "dispatched")
    body = {"tickets": [t], "instruction": "三天内清运 clear it", "reply_working_days": 1}
    order = (await gf.call("POST", "/orders", SUPERVISOR, json=body)).json()
    await env.sleep(timedelta(days=5))  # unanswered: breached, then climbs
    answer = {"done": "已清运 cleared", "finish_by": str(date.today() + timedelta(days=30))}
    await gf.call("POST", f"/orders/{order['order_id']}/answer", CGJ, json=answer)
    await gf.call("POST", f"/orders/{order['order_id']}/close", SUPERVISOR, json={})
    return f"order-{order['order_id']}"


async def daily_report_and_its_delivery(gf: Gridflow, env: WorkflowEnvironment) -> list[str]:
    """A daily report compiled and announced; the relay's first rounds (an urgent notice
    waiting on nobody: the in-app channel is written at once, so the relay finds nothing due)."""
    report_id = f"report-history-{uuid.uuid4().hex[:8]}"
    handle = await env.client.start_workflow(
        ReportWorkflow.run,
        ReportRequest(kind=ReportKind.DAILY, force=True),
        id=report_id,
        task_queue=gf.config.task_queue,
    )
    await handle.result()
    await relay_waker(env.client, gf.config.task_queue)()
    await env.sleep(timedelta(hours=7))  # the relay wakes, finds nothing, sleeps, looks again
    return [report_id, relay_workflow_id(gf.config.task_queue)]


async def redated_by_a_notice(gf: Gridflow, env: WorkflowEnvironment) -> list[str]:
    """A claim deadline dated on next year's statutory rules, re-dated by its notice (issue 16):
    the ticket's redate update and the CalendarNoticeWorkflow that sent it."""
    year = await unpublish_next_year(gf)
    amount = await working_days_until(gf, date(year, 6, 30))
    rule = {"stage": "claim", "amount": amount, "unit": "working_days", "category": GARBAGE}
    await gf.call("POST", "/admin/deadline-rules", ADMIN, json=rule)
    t = await gf.new_ticket()
    await wait_for_status(gf, t, "dispatched")
    _, days_off = notice_with_a_march_holiday(year)
    body = {
        "holidays": [d.isoformat() for d in days_off],
        "workdays": [],
        "source": "国务院办公厅 history notice",
    }
    loaded = (await gf.call("PUT", f"/admin/calendar/{year}", ADMIN, json=body)).json()
    await progress_done(gf, loaded["redating"]["progress_url"])
    return [t, loaded["redating"]["workflow_id"]]


# v1 = before deadline alarms; v2 = alarms; v3 = the duplicate check; v4 = routing re-checked
# after queued actions; v5 = deadline dating and the duplicate search as local activities; v6 =
# a keep-separate queued behind the duplicate flag routes at once (from
# tests/test_workflow_keep_separate_race.py); v7 = 催办 on a ticket, a 督办单, a report, the
# notification relay (issue 14): `python -m tests.record_histories v7`; v8 = a ticket re-dated by a
# year's holiday notice, and the notice's workflow (issue 16).
VERSION = "v6"
Scenario = Callable[[Gridflow, WorkflowEnvironment], Awaitable[str | list[str]]]
SCENARIOS: list[Scenario] = [
    full_lifecycle_with_breaches,
    return_dispatch_rework,
    manual_queue_cancelled,
    extension_and_parking,
    duplicate_merged,
    kept_separate_and_sensor,
    subject_rectified,
]
ADDED: dict[str, list[Scenario]] = {
    "v7": [urged_then_claimed, order_breached_then_answered, daily_report_and_its_delivery],
    "v8": [redated_by_a_notice],
}


async def main() -> None:
    version = sys.argv[1] if len(sys.argv) > 1 else VERSION
    scenarios = ADDED.get(version, SCENARIOS)
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=history_converter(),  # replayable on any machine
        test_server_existing_path=str(BIN / "temporal-test-server"),
    )
    await register_search_attributes(env.client)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/gridflow.db")
        await migrate_to_head(db.url)
        async with db.session() as session:
            await seed_demo_city(session=session)
        async with gridflow_on(env.client, db) as gf:
            for scenario in scenarios:
                ids = await scenario(gf, env)
                for n, workflow_id in enumerate([ids] if isinstance(ids, str) else ids):
                    history = await env.client.get_workflow_handle(workflow_id).fetch_history()
                    path = HERE / f"{version}_{scenario.__name__}_{n}.json"
                    if path.exists():
                        raise SystemExit(f"{path} exists: histories are never overwritten")
                    path.write_text(history.to_json())
                    print("recorded", path.name, len(history.events), "events")
        await db.dispose()
    await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
