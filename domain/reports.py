"""The periodic reports: the daily 销号通报, the weekly and the monthly report (docs/reports.md).

Pure: which report a moment asks for, its id, the days it covers and its title, and the
contracts of the report workflow's activities. The activities ask the working calendar and the
read model computes the figures.

* **daily** — issued on each working day of the working calendar (a make-up Saturday gets one, a
  holiday does not); it covers every day since the previous report day, so Tuesday's covers
  Monday and Monday's covers Friday, Saturday and Sunday: each day is in exactly one daily
  report. A day of a year the calendar lacks is a report day (never skipped on a guess).
* **weekly** — the previous Monday–Sunday; **monthly** — the previous calendar month. Both are
  issued whatever the calendar says (their period does not depend on it).

Days are Asia/Shanghai days; a period is [start, end), `end` the day after its last.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from domain.calendar import SHANGHAI, CalendarUnknownYear, ChinaWorkingCalendar
from domain.notices import EventKind

REPORT_WORKFLOW = "Report"
REPORT_DAY_CHECK = "report_day_check"
COMPILE_REPORT = "compile_report"
PUBLISH_REPORT = "publish_report"
# Longer than any run of days off (the Spring Festival's is 9): a daily report never looks back
# further for the previous report day.
MAX_LOOKBACK_DAYS = 31


class ReportKind(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


EVENT_KINDS = {
    ReportKind.DAILY: EventKind.DAILY_REPORT,
    ReportKind.WEEKLY: EventKind.WEEKLY_REPORT,
    ReportKind.MONTHLY: EventKind.MONTHLY_REPORT,
}
# report_id's shape per kind, for checking a path before any lookup.
REPORT_ID_PATTERN = r"^(daily-\d{4}-\d{2}-\d{2}|weekly-\d{4}-W\d{2}|monthly-\d{4}-\d{2})$"


class Period(BaseModel):
    start: date
    end: date  # exclusive: the day after the last

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)


def local_day(at: datetime) -> date:
    return at.astimezone(SHANGHAI).date()


def is_report_day(calendar: ChinaWorkingCalendar, day: date) -> bool:
    """A working day, or any day of a year the calendar lacks."""
    try:
        return calendar.is_working_day(day)
    except CalendarUnknownYear:
        return True


def daily_period(day: date, report_day: Callable[[date], bool]) -> Period:
    """From the previous report day before `day` up to `day`."""
    start = day - timedelta(days=1)
    for _ in range(MAX_LOOKBACK_DAYS):
        if report_day(start):
            break
        start -= timedelta(days=1)
    else:
        start = day - timedelta(days=1)
    return Period(start=start, end=day)


def weekly_period(day: date) -> Period:
    """The Monday–Sunday before the week of `day`."""
    monday = day - timedelta(days=day.weekday())
    return Period(start=monday - timedelta(days=7), end=monday)


def monthly_period(day: date) -> Period:
    """The calendar month before the month of `day`."""
    first = day.replace(day=1)
    return Period(start=(first - timedelta(days=1)).replace(day=1), end=first)


def report_id(kind: ReportKind, day: date, period: Period) -> str:
    """daily-2026-12-07 (the day of issue), weekly-2026-W49 (the ISO week covered),
    monthly-2026-11 (the month covered)."""
    if kind is ReportKind.DAILY:
        return f"daily-{day.isoformat()}"
    if kind is ReportKind.WEEKLY:
        year, week, _ = period.start.isocalendar()
        return f"weekly-{year}-W{week:02d}"
    return f"monthly-{period.start:%Y-%m}"


def report_id_at(kind: ReportKind, at: datetime) -> str:
    """The id of the report a run at `at` compiles (its period is not needed for the id)."""
    day = local_day(at)
    if kind is ReportKind.WEEKLY:
        return report_id(kind, day, weekly_period(day))
    if kind is ReportKind.MONTHLY:
        return report_id(kind, day, monthly_period(day))
    return report_id(kind, day, Period(start=day, end=day))


def title(kind: ReportKind, day: date, period: Period) -> str:
    if kind is ReportKind.DAILY:
        return f"每日销号通报 {day.isoformat()}"
    if kind is ReportKind.WEEKLY:
        return f"每周通报 {period.start.isoformat()} 至 {period.last.isoformat()}"
    return f"每月通报 {period.start:%Y-%m}"


# --- the workflow's input and its activities' contracts -----------------------------------------


class ReportRequest(BaseModel):
    kind: ReportKind
    at: datetime | None = None  # the moment it is for; None: the schedule's time, else now
    force: bool = False  # an admin's run: compile even on a day off


class ReportDayInput(BaseModel):
    kind: ReportKind
    at: datetime
    force: bool = False


class ReportPlan(BaseModel):
    """What report_day_check decided: whether a report is due, and which."""

    kind: ReportKind
    report_id: str
    title: str
    day: date  # the day of issue (Asia/Shanghai)
    period: Period
    due: bool
    calendar_known: bool = True  # False: the calendar lacks the day's year (an alert was sent)
    reason: str = ""


class CompiledReport(BaseModel):
    report_id: str
    kind: ReportKind
    title: str
    summary: list[str]  # headline figures, a line each


class ReportOutcome(BaseModel):
    report_id: str
    compiled: bool
    reason: str = ""


def plan(
    kind: ReportKind, at: datetime, calendar: ChinaWorkingCalendar, *, force: bool = False
) -> ReportPlan:
    """The report `at` asks for (a daily one only on a report day, unless forced)."""
    day = local_day(at)
    known, due, reason = True, True, ""
    if kind is ReportKind.DAILY:
        try:
            due = calendar.is_working_day(day)
        except CalendarUnknownYear:
            known = False
        period = daily_period(day, lambda d: is_report_day(calendar, d))
        if not due:
            reason = f"{day.isoformat()} is not a working day"
            due = force
    elif kind is ReportKind.WEEKLY:
        period = weekly_period(day)
    else:
        period = monthly_period(day)
    return ReportPlan(
        kind=kind,
        report_id=report_id(kind, day, period),
        title=title(kind, day, period),
        day=day,
        period=period,
        due=due,
        calendar_known=known,
        reason=reason,
    )
