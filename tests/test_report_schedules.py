"""The reports' Temporal Schedules on the dev server: the worker's ensure_schedules creates them at
08:30 Asia/Shanghai (daily, Monday, the 1st), again without harm (an operator's pause kept), and
the daily one triggered compiles today's report and puts its notice in the outbox."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlmodel import col, select
from temporalio.client import (
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleBackfill,
    ScheduleOverlapPolicy,
    ScheduleRange,
)

from activities.report_schedules import ensure_schedules
from domain.calendar import SHANGHAI
from domain.notices import event_id
from domain.reports import ReportKind, ReportOutcome
from readmodel.db import Database
from readmodel.reference.calendar_store import load_year, year_schedule
from readmodel.reports import store
from readmodel.tickets.tables import Notification
from tests.api_fixtures import Gridflow, gf  # noqa: F401

BACKENDS = ["sqlite"]  # the schedules are what is tested, not the database


@pytest.fixture
async def schedules(gf: Gridflow) -> AsyncIterator[list[str]]:
    prefix = f"test-report-{uuid.uuid4().hex[:8]}"
    ids = await ensure_schedules(gf.client, gf.config.task_queue, prefix=prefix)
    yield ids
    for sid in ids:
        await gf.client.get_schedule_handle(sid).delete()


async def working_days(db: Database, days: list[date]) -> None:
    """Make these days working days in the read model's calendar (whatever today is)."""
    async with db.session() as session:
        for year in sorted({d.year for d in days}):
            loaded = await year_schedule(session=session, year=year)
            assert loaded is not None
            await load_year(
                session=session,
                year=year,
                holidays=[d for d in loaded.holidays if d not in days],
                workdays=sorted(set(loaded.workdays) | {d for d in days if d.weekday() >= 5}),
                source="test: today is a working day",
            )
        await session.commit()


async def test_created_at_0830_shanghai_and_again_unharmed(
    gf: Gridflow, schedules: list[str]
) -> None:
    assert [s.rsplit("-", 1)[1] for s in schedules] == ["daily", "weekly", "monthly"]
    for sid, kind in zip(schedules, ReportKind, strict=True):
        described = await gf.client.get_schedule_handle(sid).describe()
        spec = described.schedule.spec
        assert spec.time_zone_name == "Asia/Shanghai"
        [calendar] = spec.calendars
        assert list(calendar.hour) == [ScheduleRange(8)]
        assert list(calendar.minute) == [ScheduleRange(30)]
        assert list(calendar.second) == [ScheduleRange(0)]
        upcoming = [t.astimezone(SHANGHAI) for t in described.info.next_action_times]
        assert upcoming and all((t.hour, t.minute) == (8, 30) for t in upcoming)
        if kind is ReportKind.DAILY:
            assert [t.date() for t in upcoming[:2]] == [
                upcoming[0].date(),
                upcoming[0].date() + timedelta(days=1),
            ]
        elif kind is ReportKind.WEEKLY:
            assert all(t.weekday() == 0 for t in upcoming)
        else:
            assert all(t.day == 1 for t in upcoming)
        policy = described.schedule.policy
        assert policy.overlap == ScheduleOverlapPolicy.SKIP
        assert policy.catchup_window == timedelta(days=1)
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert (action.workflow, action.task_queue) == ("Report", gf.config.task_queue)

    # an operator pauses the daily one; a worker starting on another queue updates the action
    # and keeps the pause
    daily = gf.client.get_schedule_handle(schedules[0])
    await daily.pause(note="holiday freeze")
    prefix = schedules[0].rsplit("-", 1)[0]
    assert await ensure_schedules(gf.client, "another-queue", prefix=prefix) == schedules
    described = await daily.describe()
    assert described.schedule.state.paused
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow) and action.task_queue == "another-queue"


async def test_the_daily_schedule_triggered_compiles_and_tells(
    gf: Gridflow, schedules: list[str]
) -> None:
    today = datetime.now(SHANGHAI).date()
    await working_days(gf.db, [today, today + timedelta(days=1)])  # midnight may pass meanwhile
    daily = gf.client.get_schedule_handle(schedules[0])
    await daily.trigger()
    for _ in range(200):
        recent = (await daily.describe()).info.recent_actions
        if recent:
            break
        await asyncio.sleep(0.1)
    [run] = recent
    assert isinstance(run.action, ScheduleActionExecutionStartWorkflow)
    outcome = await gf.client.get_workflow_handle(
        run.action.workflow_id, result_type=ReportOutcome
    ).result()
    # the workflow read the day from the schedule's time
    assert outcome.compiled, outcome.reason
    assert outcome.report_id == f"daily-{run.scheduled_at.astimezone(SHANGHAI).date()}"
    async with gf.db.session() as session:
        report = await store.get(session=session, report_id=outcome.report_id)
        notices = (
            await session.exec(
                select(Notification).where(
                    col(Notification.event_id) == event_id("report", outcome.report_id)
                )
            )
        ).all()
    assert report is not None and report.kind is ReportKind.DAILY
    [notice] = notices
    assert (notice.kind, notice.data["report_id"]) == ("daily_report", outcome.report_id)


async def outcomes_of_backfill(gf: Gridflow, schedule_id: str, days: list[str]) -> list[Any]:
    """Backfill the schedule over these days (its runs start now, each with its 08:30 as the
    scheduled time) and return their outcomes, in the order of the days."""
    handle = gf.client.get_schedule_handle(schedule_id)
    for day in days:
        start = datetime.combine(date.fromisoformat(day), time(0), SHANGHAI)
        await handle.backfill(
            ScheduleBackfill(
                start_at=start,
                end_at=start + timedelta(hours=23),
                overlap=ScheduleOverlapPolicy.ALLOW_ALL,
            )
        )
    for _ in range(200):
        recent = (await handle.describe()).info.recent_actions
        if len(recent) >= len(days):
            break
        await asyncio.sleep(0.1)
    runs = sorted(recent, key=lambda r: r.scheduled_at)
    out = []
    for run in runs:
        assert isinstance(run.action, ScheduleActionExecutionStartWorkflow)
        out.append(
            await gf.client.get_workflow_handle(
                run.action.workflow_id, result_type=ReportOutcome
            ).result()
        )
    return out


async def test_the_day_is_the_scheduled_one_and_the_calendar_decides(
    gf: Gridflow, schedules: list[str]
) -> None:
    # runs caught up (or backfilled) long after their time report on the day they were for
    holiday, saturday = await outcomes_of_backfill(gf, schedules[0], ["2026-10-01", "2026-10-10"])
    assert (holiday.report_id, holiday.compiled) == ("daily-2026-10-01", False)  # National Day
    assert (saturday.report_id, saturday.compiled) == ("daily-2026-10-10", True)  # 调休
    [weekly] = await outcomes_of_backfill(gf, schedules[1], ["2026-10-12"])
    assert (weekly.report_id, weekly.compiled) == ("weekly-2026-W41", True)
