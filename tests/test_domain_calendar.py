"""Working-day arithmetic: WeekdayCalendar in Asia/Shanghai, by example and by property."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.calendar import SHANGHAI, WeekdayCalendar

CAL = WeekdayCalendar()
NEW_YORK = ZoneInfo("America/New_York")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


# 2025-03-07 is a Friday, 2025-03-08/09 the weekend, 2025-03-10 a Monday.

def test_friday_plus_one_working_day_is_monday_same_local_time():
    assert CAL.add_working_days(sh(2025, 3, 7, 16, 30), 1) == sh(2025, 3, 10, 16, 30)


def test_late_friday_in_shanghai_counts_as_friday_even_when_given_in_utc():
    start = datetime(2025, 3, 7, 15, 30, tzinfo=UTC)  # Friday 23:30 in Shanghai
    due = CAL.add_working_days(start, 1)
    assert due == sh(2025, 3, 10, 23, 30)
    assert due.tzinfo is UTC  # answered in the caller's zone


def test_friday_evening_utc_is_already_saturday_in_shanghai():
    start = datetime(2025, 3, 7, 20, 0, tzinfo=UTC)  # Saturday 04:00 in Shanghai
    assert CAL.add_working_days(start, 1) == sh(2025, 3, 11, 0, 0)


@pytest.mark.parametrize("start", [sh(2025, 3, 8, 0, 0), sh(2025, 3, 8, 10, 15),
                                   sh(2025, 3, 9, 23, 59)], ids=["sat 00:00", "sat", "sun late"])
def test_weekend_report_with_one_working_day_is_due_at_the_end_of_monday(start):
    assert CAL.add_working_days(start, 1) == sh(2025, 3, 11, 0, 0)  # = Monday 24:00


def test_zero_days_on_a_working_day_is_the_start_itself():
    start = sh(2025, 3, 5, 11, 0)
    assert CAL.add_working_days(start, 0) == start


def test_zero_days_on_a_weekend_is_the_start_of_monday():
    assert CAL.add_working_days(sh(2025, 3, 8, 18, 0), 0) == sh(2025, 3, 10, 0, 0)


def test_five_working_days_is_one_calendar_week():
    assert CAL.add_working_days(sh(2025, 3, 4, 9, 0), 5) == sh(2025, 3, 11, 9, 0)


def test_negative_days_are_refused():
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_days(sh(2025, 3, 5, 9, 0), -1)


def test_naive_start_is_refused():
    with pytest.raises(ValueError, match="timezone"):
        CAL.add_working_days(datetime(2025, 3, 5, 9, 0), 1)


def test_working_days_are_monday_to_friday():
    week = [date(2025, 3, 3) + timedelta(days=i) for i in range(7)]
    assert [CAL.is_working_day(d) for d in week] == [True] * 5 + [False] * 2


# --- properties ------------------------------------------------------------------------------
# Shanghai had daylight saving time until 1991; deadlines are computed for present-day tickets.

starts = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([SHANGHAI, UTC, NEW_YORK]), allow_imaginary=False,
)
days = st.integers(min_value=0, max_value=60)


def local_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def on_working_day(moment: datetime) -> bool:
    return local_date(moment).weekday() < 5


@given(starts, days)
def test_due_is_never_before_start(start, n):
    assert CAL.add_working_days(start, n) >= start


@given(starts, starts, days)
def test_monotonic_in_start(a, b, n):
    early, late = sorted((a, b))
    assert CAL.add_working_days(early, n) <= CAL.add_working_days(late, n)


@given(starts, days, days)
def test_more_days_is_strictly_later(start, m, n):
    assume(m != n)
    fewer, more = sorted((m, n))
    assert CAL.add_working_days(start, fewer) < CAL.add_working_days(start, more)


@given(starts, days, days)
def test_additive_from_a_working_day(start, m, n):
    assume(on_working_day(start))
    stepwise = CAL.add_working_days(CAL.add_working_days(start, m), n)
    assert stepwise == CAL.add_working_days(start, m + n)


@given(starts, st.integers(min_value=1, max_value=60))
def test_due_lands_on_a_working_day(start, n):
    assert on_working_day(CAL.add_working_days(start, n))


@given(starts, days)
def test_from_a_working_day_exactly_n_working_days_pass_at_the_same_local_time(start, n):
    assume(on_working_day(start))
    due = CAL.add_working_days(start, n)
    first, last = local_date(start), local_date(due)
    passed = [first + timedelta(days=i) for i in range(1, (last - first).days + 1)]
    assert sum(d.weekday() < 5 for d in passed) == n
    assert due.astimezone(SHANGHAI).time() == start.astimezone(SHANGHAI).time()
