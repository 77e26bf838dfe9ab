"""Which report a moment asks for, on China's 2026 calendar as seeded: a make-up Saturday gets a
daily report, a holiday does not, each day is covered by exactly one daily report; weekly and
monthly periods and ids; a year the calendar lacks is a report day, never a guess."""

from datetime import date, datetime, time, timedelta

import pytest

from domain.calendar import SHANGHAI, ChinaWorkingCalendar
from domain.reports import ReportKind, plan, report_id_at
from readmodel.reference.calendar_store import china_schedule

DAILY, WEEKLY, MONTHLY = ReportKind.DAILY, ReportKind.WEEKLY, ReportKind.MONTHLY


@pytest.fixture(scope="module")
def calendar() -> ChinaWorkingCalendar:
    days = {d: workday for d, (workday, _note) in china_schedule([2025, 2026]).items()}
    return ChinaWorkingCalendar(days=days, known_years=[2025, 2026])


def at(day: str, hour: int = 8, minute: int = 30) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), SHANGHAI)


def test_a_make_up_saturday_gets_a_daily_report_a_holiday_does_not(
    calendar: ChinaWorkingCalendar,
) -> None:
    saturday = plan(DAILY, at("2026-10-10"), calendar)  # 调休: the National Day make-up day
    assert (saturday.due, saturday.report_id) == (True, "daily-2026-10-10")
    assert (saturday.period.start, saturday.period.end) == (date(2026, 10, 9), date(2026, 10, 10))
    holiday = plan(DAILY, at("2026-10-01"), calendar)
    assert not holiday.due and "not a working day" in holiday.reason
    weekend = plan(DAILY, at("2026-12-05"), calendar)  # a plain Saturday
    assert not weekend.due
    # an admin's run compiles on a day off all the same
    assert plan(DAILY, at("2026-10-01"), calendar, force=True).due


def test_each_day_is_in_exactly_one_daily_report(calendar: ChinaWorkingCalendar) -> None:
    # the first working day after the National Day holiday covers it whole, from 09-30
    after = plan(DAILY, at("2026-10-08"), calendar)
    assert (after.period.start, after.period.end) == (date(2026, 9, 30), date(2026, 10, 8))
    # Monday after a weekend: Friday, Saturday, Sunday
    monday = plan(DAILY, at("2026-12-07"), calendar)
    assert (monday.period.start, monday.period.end) == (date(2026, 12, 4), date(2026, 12, 7))
    # over a whole year, the due reports' periods tile the days without gap or overlap
    covered: list[date] = []
    day = date(2026, 1, 5)
    while day < date(2027, 1, 1) - timedelta(days=1):
        p = plan(DAILY, datetime.combine(day, time(8, 30), SHANGHAI), calendar)
        if p.due:
            covered += [
                p.period.start + timedelta(days=i)
                for i in range((p.period.end - p.period.start).days)
            ]
        day += timedelta(days=1)
    assert covered == sorted(set(covered))
    assert covered == [covered[0] + timedelta(days=i) for i in range(len(covered))]


def test_a_year_the_calendar_lacks_gets_a_report_every_day(calendar: ChinaWorkingCalendar) -> None:
    sunday = plan(DAILY, at("2150-03-02"), calendar)
    assert (sunday.due, sunday.calendar_known) == (True, False)
    assert (sunday.period.start, sunday.period.end) == (date(2150, 3, 1), date(2150, 3, 2))
    assert plan(DAILY, at("2026-06-01"), calendar).calendar_known


def test_weekly_and_monthly_periods_and_ids(calendar: ChinaWorkingCalendar) -> None:
    weekly = plan(WEEKLY, at("2026-12-07"), calendar)
    assert (weekly.report_id, weekly.due) == ("weekly-2026-W49", True)
    assert (weekly.period.start, weekly.period.end) == (date(2026, 11, 30), date(2026, 12, 7))
    assert weekly.title == "每周通报 2026-11-30 至 2026-12-06"
    # the week across a new year is named by its ISO year
    assert plan(WEEKLY, at("2027-01-04"), calendar).report_id == "weekly-2026-W53"
    monthly = plan(MONTHLY, at("2026-01-01"), calendar)  # a holiday: monthly runs all the same
    assert (monthly.report_id, monthly.due) == ("monthly-2025-12", True)
    assert (monthly.period.start, monthly.period.end) == (date(2025, 12, 1), date(2026, 1, 1))
    # 08:30 in Shanghai is 00:30 UTC: the day is Shanghai's
    late_evening_utc = datetime.fromisoformat("2026-12-06T16:30:00+00:00")
    assert plan(DAILY, late_evening_utc, calendar).report_id == "daily-2026-12-07"
    for kind in ReportKind:
        assert (
            report_id_at(kind, at("2026-12-07")) == plan(kind, at("2026-12-07"), calendar).report_id
        )
