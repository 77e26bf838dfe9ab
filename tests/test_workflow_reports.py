"""The report workflow on the time-skipping server, the worker's activities on the seeded demo
city (China's 2026 calendar): a make-up Saturday gets its daily report and its notice, a holiday
neither; a year the calendar lacks is compiled anyway, and the command centre is alerted."""

import uuid
from datetime import date, datetime, time

from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment

from domain.calendar import SHANGHAI
from domain.notices import EventKind, event_id
from domain.reports import ReportKind, ReportOutcome, ReportRequest
from readmodel.db import Database
from readmodel.reports import store
from readmodel.tickets.tables import Notification
from tests.workflow_helpers import config_for
from worker import build_worker
from workflows.reports import ReportWorkflow


def at(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(8, 30), SHANGHAI)


async def run(env: WorkflowEnvironment, db: Database, day: str) -> ReportOutcome:
    config = config_for(db)
    async with build_worker(env.client, db=db, config=config):
        return await env.client.execute_workflow(
            ReportWorkflow.run,
            ReportRequest(kind=ReportKind.DAILY, at=at(day)),
            id=f"report-test-{uuid.uuid4()}",
            task_queue=config.task_queue,
        )


async def told(db: Database, kind: EventKind) -> list[Notification]:
    async with db.session() as session:
        return list(
            (
                await session.exec(select(Notification).where(col(Notification.kind) == kind.value))
            ).all()
        )


async def test_a_make_up_saturday_gets_the_daily_report_a_holiday_does_not(
    ts_env: WorkflowEnvironment, db: Database
) -> None:
    holiday = await run(ts_env, db, "2026-10-01")  # National Day
    assert (holiday.compiled, holiday.report_id) == (False, "daily-2026-10-01")
    assert "not a working day" in holiday.reason
    saturday = await run(ts_env, db, "2026-10-10")  # its make-up Saturday (调休)
    assert (saturday.compiled, saturday.report_id) == (True, "daily-2026-10-10")
    async with db.session() as session:
        assert await store.get(session=session, report_id="daily-2026-10-01") is None
        report = await store.get(session=session, report_id="daily-2026-10-10")
    assert report is not None and report.calendar_known
    assert (report.period_start, report.period_end) == (date(2026, 10, 9), date(2026, 10, 10))
    [notice] = await told(db, EventKind.DAILY_REPORT)
    assert notice.event_id == event_id("report", "daily-2026-10-10")
    assert notice.data["title"] == "每日销号通报 2026-10-10"
    assert notice.data["summary"][0] == "统计 2026-10-09"
    assert await told(db, EventKind.CALENDAR_ALERT) == []


async def test_a_year_the_calendar_lacks_is_compiled_and_alerted(
    ts_env: WorkflowEnvironment, db: Database
) -> None:
    sunday = await run(ts_env, db, "2150-03-02")
    assert (sunday.compiled, sunday.report_id) == (True, "daily-2150-03-02")
    async with db.session() as session:
        report = await store.get(session=session, report_id="daily-2150-03-02")
    assert report is not None and not report.calendar_known
    [alert] = await told(db, EventKind.CALENDAR_ALERT)
    assert alert.data["report_id"] == "daily-2150-03-02" and "2150" in alert.data["title"]
    [notice] = await told(db, EventKind.DAILY_REPORT)
    assert any("2150" in line for line in notice.data["summary"])
