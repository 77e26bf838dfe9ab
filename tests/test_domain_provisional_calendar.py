"""A year whose official holiday notice is not loaded yet is dated on the statutory rules and
marked provisional (readmodel/reference/calendar_store.py statutory_schedule, domain/calendar.py
provisional_years, domain/deadlines.py date_deadline): deadlines crossing into it are never left
undated, and say they may move."""

from datetime import date, datetime

import pytest

from domain.calendar import SHANGHAI, CalendarUnknownYear, ChinaWorkingCalendar
from domain.contracts import ScheduleRequest
from domain.deadlines import date_deadline
from domain.models import Deadline
from domain.policy import DeadlinePolicy, PolicyRule
from domain.states import DeadlineStage, Unit, Urgency
from readmodel.reference.calendar_store import (
    china_schedule,
    provisional_years,
    statutory_schedule,
)

POLICY = DeadlinePolicy()


def calendar() -> ChinaWorkingCalendar:
    """2026 official (chinesecalendar), 2027 and 2028 provisional, as load_calendar builds it."""
    official = {d: on for d, (on, _note) in china_schedule([2026]).items()}
    ahead = provisional_years([2026])
    days = official | statutory_schedule(2027) | statutory_schedule(2028)
    return ChinaWorkingCalendar(days=days, known_years=[2026], provisional_years=ahead)


def sh(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=SHANGHAI)


def dated(stage: DeadlineStage, start: datetime, due_at: datetime | None = None) -> Deadline:
    return date_deadline(
        ScheduleRequest(kind="open", stage=stage, start=start, due_at=due_at),
        calendar=calendar(),
        policy=POLICY,
        category="garbage",
        urgency=Urgency.NORMAL,
        rules=[PolicyRule(stage=DeadlineStage.HANDLE, amount=3, unit=Unit.WORKING_DAYS)],
    )


def test_the_two_years_after_the_last_official_one_are_provisional() -> None:
    assert provisional_years([2004, 2026, 2025]) == [2027, 2028]
    assert provisional_years([]) == []


def test_the_statutory_2027_keeps_the_spring_festival_and_new_year_off() -> None:
    days = statutory_schedule(2027)
    assert all(d.year == 2027 for d in days)
    assert days[date(2027, 1, 1)] is False  # New Year's Day
    assert all(days[date(2027, 2, d)] is False for d in (6, 7, 8))  # 春节, from the lunar date
    assert days[date(2027, 10, 1)] is False  # National Day
    cal = calendar()
    assert cal.is_working_day(date(2027, 3, 1)) and not cal.is_working_day(date(2027, 3, 6))


def test_a_deadline_crossing_into_the_provisional_year_is_dated_and_marked() -> None:
    # Wednesday 30 December 2026: Thursday 31st, then 1 January off, the weekend, Monday 4th.
    handle = dated(DeadlineStage.HANDLE, sh(2026, 12, 30))
    assert handle.due_at == sh(2027, 1, 5)
    assert handle.provisional is True
    assert [w.at.year for w in handle.warnings] == [2026, 2027]


def test_a_deadline_inside_the_official_year_is_not_provisional() -> None:
    handle = dated(DeadlineStage.HANDLE, sh(2026, 12, 1))
    assert handle.due_at == sh(2026, 12, 4) and handle.provisional is False


def test_a_natural_hours_deadline_never_counts_on_the_calendar() -> None:
    claim = dated(DeadlineStage.CLAIM, sh(2026, 12, 31), due_at=sh(2027, 1, 1, 22))
    assert claim.provisional is False


def test_beyond_the_provisional_years_a_deadline_still_stays_undated() -> None:
    with pytest.raises(CalendarUnknownYear, match="no data for 2029"):
        calendar().add(sh(2028, 12, 29), 3, Unit.WORKING_DAYS)


def test_a_notice_is_checked_against_what_the_libraries_know() -> None:
    from readmodel.reference.calendar_check import cross_check

    published = {d: on for d, (on, _) in china_schedule([2026]).items()}
    [china, rules] = cross_check(2026, published)
    assert china.reference.startswith("chinesecalendar") and china.complete
    assert (china.off_not_listed, china.listed_not_off, china.workdays_differ) == ([], [], [])
    typo = dict(published) | {date(2026, 10, 8): False}
    del typo[date(2026, 10, 1)]
    [china, _] = cross_check(2026, typo)
    assert (china.off_not_listed, china.listed_not_off) == (
        [date(2026, 10, 1)],
        [date(2026, 10, 8)],
    )
    [rules] = cross_check(2027, statutory_schedule(2027) | {date(2027, 2, 12): False})
    assert rules.reference.startswith("holidays") and not rules.complete
    assert (rules.off_not_listed, rules.listed_not_off) == ([], [date(2027, 2, 12)])
