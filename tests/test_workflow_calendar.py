"""Timers follow the working calendar as data: a holiday week with make-up Saturdays, and a year
the calendar does not know (alerted and retried, never guessed)."""

from datetime import date, datetime, time, timedelta

from sqlmodel import col, delete

from domain.calendar import SHANGHAI
from domain.policy import DEFAULT_RULES, DeadlinePolicy, PolicyRule
from domain.states import DeadlineStage, Unit
from readmodel.db import Database
from readmodel.reference.calendar_store import load_year
from readmodel.reference.calendar_tables import WorkCalendarDay, WorkCalendarYear
from tests.workflow_helpers import actions, deadline, routed, sleep_until, snapshot, ticket_running

Stage = DeadlineStage


async def load_days(db: Database, holidays: list[date], workdays: list[date]) -> None:
    years = {d.year for d in holidays + workdays}
    async with db.session() as session:
        for year in years:
            await load_year(
                session=session,
                year=year,
                holidays=[d for d in holidays if d.year == year],
                workdays=[d for d in workdays if d.year == year],
                source="test: a holiday week",
            )


async def test_a_holiday_week_with_make_up_saturdays(ts_env, db) -> None:
    # A Friday at 10:00 in Shanghai; then: Saturday worked (调休), Monday-Friday off, Saturday worked.
    now = (await ts_env.get_current_time()).astimezone(SHANGHAI)
    friday = now.date() + timedelta(days=(4 - now.weekday()) % 7 + 7)
    sat1, sat2, monday_after = (friday + timedelta(days=n) for n in (1, 8, 10))
    holiday_week = [friday + timedelta(days=n) for n in range(3, 8)]
    await load_days(db, holidays=holiday_week, workdays=[sat1, sat2])
    await sleep_until(ts_env, datetime.combine(friday, time(10), SHANGHAI), after=timedelta(0))

    async with ticket_running(ts_env, db) as handle:
        await routed(handle)
        t = await snapshot(handle)
        dispatched = next(e.at for e in t.events if e.action == "dispatch").astimezone(SHANGHAI)
        claim, verify = deadline(t, Stage.CLAIM), deadline(t, Stage.VERIFY)
        local = lambda d: d.due_at.astimezone(SHANGHAI)  # noqa: E731
        assert local(claim).date() == sat1  # 1 working day: the make-up Saturday
        assert local(verify).date() == monday_after  # 3: Saturday, next Saturday, Monday
        assert local(claim).time() == local(verify).time() == dispatched.time()
        await sleep_until(ts_env, claim.due_at)
        t = await snapshot(handle)
        assert [b.stage for b in t.breaches] == [Stage.CLAIM]
        await sleep_until(ts_env, datetime.combine(sat2, time(9), SHANGHAI))
        assert [b.stage for b in (await snapshot(handle)).breaches] == [Stage.CLAIM]  # holidays
        await sleep_until(ts_env, verify.due_at)
        t = await snapshot(handle)
    assert [b.stage for b in t.breaches] == [Stage.CLAIM, Stage.VERIFY]
    assert t.breaches[1].breached_at.astimezone(SHANGHAI).date() == monday_after


async def test_a_year_the_calendar_does_not_know_is_alerted_and_retried(ts_env, db) -> None:
    # Years from this_year + 3 on are unloaded: the next two are dated on the statutory rules
    # (provisional), so a handling limit of ~5.5 years ends in one nobody has any data for.
    far = DeadlinePolicy(
        rules=[*DEFAULT_RULES, PolicyRule(stage=Stage.HANDLE, amount=1400, unit=Unit.WORKING_DAYS)]
    )
    this_year = (await ts_env.get_current_time()).year
    async with db.session() as session:
        for table in (WorkCalendarDay, WorkCalendarYear):
            column = WorkCalendarDay.day if table is WorkCalendarDay else WorkCalendarYear.year
            bound = date(this_year + 3, 1, 1) if table is WorkCalendarDay else this_year + 3
            await session.exec(delete(table).where(col(column) >= bound))
        await session.commit()

    async with ticket_running(ts_env, db, policy=far) as handle:
        await routed(handle)
        t = await snapshot(handle)
        assert {d.stage for d in t.open_deadlines} == {Stage.CLAIM, Stage.VERIFY}  # still dated
        assert [u.stage for u in t.unplanned] == [Stage.HANDLE]
        assert f"no data for {this_year + 5}" in t.unplanned[0].error
        alert = [e for e in t.events if e.action == "calendar_alert"]
        assert len(alert) == 1 and alert[0].reason is not None
        assert "load it with" in alert[0].reason

        await ts_env.sleep(timedelta(hours=3))  # retried every hour, still unknown: no guess
        t = await snapshot(handle)
        assert [u.stage for u in t.unplanned] == [Stage.HANDLE]
        assert actions(t).count("calendar_alert") == 1

        for year in range(this_year + 3, this_year + 7):
            async with db.session() as session:
                await load_year(
                    session=session,
                    year=year,
                    holidays=[],
                    workdays=[],
                    source="the State Council's notice",
                )
        await ts_env.sleep(timedelta(hours=1, minutes=1))
        t = await snapshot(handle)
    assert t.unplanned == [] and t.next_replan_at is None
    handling = deadline(t, Stage.HANDLE)
    assert handling.due_at.year >= this_year + 3
    assert actions(t).count("calendar_alert") == 2
    assert t.events[-1].reason == "calendar loaded: deadlines planned"


async def test_a_deadline_in_a_year_not_yet_published_is_dated_provisionally(ts_env, db) -> None:
    # Next year's notice is not out: its deadlines go on the statutory rules, marked, not undated.
    long = DeadlinePolicy(
        rules=[*DEFAULT_RULES, PolicyRule(stage=Stage.HANDLE, amount=300, unit=Unit.WORKING_DAYS)]
    )
    this_year = (await ts_env.get_current_time()).year
    async with db.session() as session:
        await session.exec(
            delete(WorkCalendarDay).where(col(WorkCalendarDay.day) >= date(this_year + 1, 1, 1))
        )
        await session.exec(delete(WorkCalendarYear).where(col(WorkCalendarYear.year) > this_year))
        await session.commit()

    async with ticket_running(ts_env, db, policy=long) as handle:
        await routed(handle)
        t = await snapshot(handle)
    handle_deadline = deadline(t, Stage.HANDLE)
    assert handle_deadline.due_at.astimezone(SHANGHAI).year > this_year
    assert handle_deadline.provisional is True
    assert t.unplanned == [] and "calendar_alert" not in actions(t)
