"""China's working calendar (holidays, 调休 make-up days, working hours): examples, properties."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays
import pytest
from chinese_calendar import constants
from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import SHANGHAI, CalendarUnknownYear, ChinaWorkingCalendar
from domain.states import Unit

DAYS = {**{d: False for d in constants.holidays}, **{d: True for d in constants.workdays}}
CAL = ChinaWorkingCalendar(days=DAYS, known_years=range(2004, 2027))
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


# --- the data ------------------------------------------------------------------------------


def test_national_day_2025_and_its_make_up_weekends():
    assert not any(CAL.is_working_day(date(2025, 10, d)) for d in range(1, 9))
    assert CAL.is_working_day(date(2025, 9, 28))  # Sunday, 调休
    assert CAL.is_working_day(date(2025, 10, 11))  # Saturday, 调休
    assert not CAL.is_working_day(date(2025, 10, 12))  # an ordinary Sunday
    assert CAL.is_working_day(date(2025, 10, 9))


def test_chinesecalendar_and_holidays_agree_on_every_day_2015_to_2026():
    china = holidays.China(years=range(2015, 2027))
    day, disagree = date(2015, 1, 1), []
    while day <= date(2026, 12, 31):
        ours, theirs = CAL.is_working_day(day), china.is_working_day(day)
        if not (ours == theirs == chinese_calendar.is_workday(day)):
            disagree.append(day)
        day += timedelta(days=1)
    assert disagree == []


@pytest.mark.parametrize(
    "call",
    [
        lambda: CAL.is_working_day(date(2027, 1, 4)),
        lambda: CAL.add_working_days(sh(2026, 12, 31, 10), 1),
        lambda: CAL.add_working_hours(sh(2026, 12, 31, 16), 2),
        lambda: CAL.working_time_between(sh(2026, 12, 31, 10), sh(2027, 1, 4, 10)),
        lambda: CAL.add(sh(2003, 12, 31, 10), 1, Unit.WORKING_DAYS),
    ],
    ids=["day", "days", "hours", "between", "2003"],
)
def test_an_unknown_year_fails_loudly_and_names_the_year(call):
    with pytest.raises(CalendarUnknownYear, match=r"no data for 20(27|03); load it with") as err:
        call()
    assert err.value.year in (2027, 2003)


def test_a_loaded_year_is_known_weekdays_working_weekends_off_unless_listed():
    cal = ChinaWorkingCalendar(
        days={date(2027, 1, 1): False, date(2027, 2, 6): True}, known_years=[2027]
    )
    assert not cal.is_working_day(date(2027, 1, 1))  # Friday, New Year
    assert cal.is_working_day(date(2027, 1, 4)) and not cal.is_working_day(date(2027, 1, 2))
    assert cal.is_working_day(date(2027, 2, 6))  # Saturday, make-up
    with pytest.raises(CalendarUnknownYear):
        ChinaWorkingCalendar(days={date(2028, 1, 3): True}, known_years=[]).is_working_day(
            date(2028, 1, 3)
        )


# --- working days ----------------------------------------------------------------------------


def test_the_day_before_national_day_plus_one_working_day_is_october_9():
    assert CAL.add_working_days(sh(2025, 9, 30, 10, 15), 1) == sh(2025, 10, 9, 10, 15)
    assert CAL.add(sh(2025, 9, 30, 16), 1, Unit.WORKING_DAYS) == sh(2025, 10, 9, 16)


def test_starts_outside_working_time_roll_forward_to_the_next_working_instant():
    assert CAL.add_working_days(sh(2025, 9, 30, 20), 1) == sh(2025, 10, 10, 9)  # evening
    assert CAL.add_working_days(sh(2025, 10, 3, 15), 1) == sh(2025, 10, 10, 9)  # holiday
    assert CAL.add_working_days(sh(2025, 9, 29, 12, 30), 1) == sh(2025, 9, 30, 13, 30)  # lunch
    assert CAL.add_working_days(sh(2025, 9, 29, 7), 0) == sh(2025, 9, 29, 9)
    assert CAL.add_working_days(sh(2025, 10, 10, 18), 1) == sh(2025, 10, 13, 9)  # via Sat 11th
    assert CAL.add_working_days(sh(2025, 10, 10, 18), 0) == sh(2025, 10, 11, 9)


def test_the_end_of_a_period_is_still_working_time():
    assert CAL.add_working_days(sh(2025, 9, 29, 12), 1) == sh(2025, 9, 30, 12)
    assert CAL.add_working_days(sh(2025, 9, 29, 17, 30), 1) == sh(2025, 9, 30, 17, 30)
    assert CAL.add_working_hours(sh(2025, 9, 29, 12), 0) == sh(2025, 9, 29, 12)


def test_answers_in_the_callers_zone():
    start = datetime(2025, 9, 30, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai
    due = CAL.add_working_days(start, 1)
    assert due == sh(2025, 10, 9, 16) and due.tzinfo is UTC


# --- working hours and natural hours ---------------------------------------------------------


def test_21_working_hours_from_september_30_end_on_the_make_up_saturday():
    # 1.5 h on 9-30, none 10-01..08, 7 h each on 10-09 and 10-10, 5.5 h on Saturday 10-11.
    assert CAL.add_working_hours(sh(2025, 9, 30, 16), 21) == sh(2025, 10, 11, 16)
    assert CAL.add(sh(2025, 9, 30, 16), 21, Unit.WORKING_HOURS) == sh(2025, 10, 11, 16)


def test_working_hours_end_at_the_end_of_a_period_and_skip_lunch():
    assert CAL.add_working_hours(sh(2025, 9, 30, 16), 1.5) == sh(2025, 9, 30, 17, 30)
    assert CAL.add_working_hours(sh(2025, 9, 29, 11), 2) == sh(2025, 9, 29, 14, 30)
    assert CAL.add_working_hours(sh(2025, 9, 29, 20), 1) == sh(2025, 9, 30, 10)


def test_natural_hours_ignore_the_calendar():
    assert CAL.add(sh(2025, 10, 1, 22), 4, Unit.HOURS) == sh(2025, 10, 2, 2)
    # even in a year the calendar does not know
    assert CAL.add(sh(2030, 1, 1), 1, Unit.HOURS) == sh(2030, 1, 1, 1)


def test_working_time_between():
    assert CAL.working_time_between(sh(2025, 9, 30, 16), sh(2025, 10, 11, 16)) == 21 * H
    assert CAL.working_time_between(sh(2025, 9, 29, 8), sh(2025, 9, 29, 20)) == 7 * H
    assert CAL.working_time_between(sh(2025, 9, 29, 11), sh(2025, 9, 29, 11)) == timedelta(0)
    assert CAL.working_time_between(sh(2025, 9, 29, 12), sh(2025, 9, 29, 11)) == timedelta(0)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: CAL.add_working_days(datetime(2025, 9, 29, 10), 1), "timezone"),
        (lambda: CAL.add_working_hours(sh(2025, 9, 29, 10), -1), "negative"),
        (lambda: CAL.add(sh(2025, 9, 29, 10), 1.5, Unit.WORKING_DAYS), "whole number"),
        (lambda: CAL.add(sh(2025, 9, 29, 10), float("nan"), Unit.HOURS), "finite"),
        (lambda: CAL.add(sh(2025, 9, 29, 10), 1, "weeks"), "weeks"),  # type: ignore[arg-type]
        (lambda: CAL.fraction_point(sh(2025, 9, 29), sh(2025, 9, 30), 1.5, Unit.HOURS), "fraction"),
        (
            lambda: ChinaWorkingCalendar(
                days={}, known_years=[], working_hours=[(time(12), time(9))]
            ),
            "end after",
        ),
        (
            lambda: ChinaWorkingCalendar(
                days={}, known_years=[], working_hours=[(time(9), time(13)), (time(12), time(17))]
            ),
            "overlaps",
        ),
    ],
)
def test_bad_input_is_refused(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_working_hours_are_configuration():
    cal = ChinaWorkingCalendar(
        days=DAYS, known_years=[2025], working_hours=[(time(8, 30), time(12)), (time(14), time(18))]
    )
    assert cal.add_working_hours(sh(2025, 9, 30, 17), 2) == sh(2025, 10, 9, 9, 30)
    assert cal.working_time_between(sh(2025, 9, 29), sh(2025, 9, 30)) == 7.5 * H


# --- warnings and pauses ---------------------------------------------------------------------


def test_fraction_points_count_working_time_for_working_units():
    start, due = sh(2025, 9, 30, 16), sh(2025, 10, 11, 16)
    assert CAL.fraction_point(start, due, 0.5, Unit.WORKING_HOURS) == sh(2025, 10, 10, 11)
    assert CAL.fraction_point(start, due, 0.5, Unit.WORKING_DAYS) == sh(2025, 10, 10, 11)
    assert CAL.fraction_point(start, due, 0.5, Unit.HOURS) == sh(2025, 10, 6, 4)
    assert CAL.fraction_point(start, due, 1, Unit.WORKING_HOURS) == due
    assert CAL.fraction_point(start, due, 0, Unit.HOURS) == start
    assert CAL.fraction_point(due, start, 0.8, Unit.WORKING_HOURS) == start  # due already past


def test_a_pause_keeps_the_remaining_working_time():
    due = sh(2025, 9, 30, 15)
    # one working hour parked on Monday morning: due one working hour later
    assert CAL.shift(due, sh(2025, 9, 29, 10), sh(2025, 9, 29, 11), Unit.WORKING_DAYS) == sh(
        2025, 9, 30, 16
    )
    # parked over the holiday only: no working time lost, due unchanged
    due = sh(2025, 10, 9, 10)
    assert CAL.shift(due, sh(2025, 10, 1), sh(2025, 10, 8, 20), Unit.WORKING_HOURS) == due
    # natural hours: pushed by the length of the pause
    assert CAL.shift(due, sh(2025, 10, 1), sh(2025, 10, 2), Unit.HOURS) == sh(2025, 10, 10, 10)
    # parked past the due: the remaining 1.5 h (9-30 16:00-17:30) start when it resumes
    assert CAL.shift(
        sh(2025, 10, 9, 9), sh(2025, 9, 30, 16), sh(2025, 10, 10, 9), Unit.WORKING_HOURS
    ) == sh(2025, 10, 10, 10, 30)
    # a pause after the due changes nothing
    assert CAL.shift(due, sh(2025, 10, 9, 11), sh(2025, 10, 9, 12), Unit.WORKING_HOURS) == due


# --- properties ------------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2015, 1, 1),
    max_value=datetime(2026, 6, 30),
    timezones=st.sampled_from([SHANGHAI, UTC, NEW_YORK]),
    allow_imaginary=False,
)
minutes = st.integers(min_value=0, max_value=400 * 60)  # hours as whole minutes: exact sums
days = st.integers(min_value=0, max_value=60)
units = st.sampled_from(list(Unit))
# Instants inside working time, in any zone: the next working instant, then up to a day's work.
working_starts = st.builds(
    lambda s, m: CAL.add_working_hours(s, m / 60),
    starts,
    st.integers(min_value=0, max_value=7 * 60),
)


def utc(moment: datetime) -> datetime:  # compare instants, not wall clocks (New York has DST)
    return moment.astimezone(UTC)


def in_working_time(moment: datetime) -> bool:
    local = moment.astimezone(SHANGHAI)
    return CAL.is_working_day(local.date()) and any(
        a <= local.time() <= b for a, b in CAL.working_hours
    )


@given(starts, starts, minutes, units)
def test_monotonic_in_start(a, b, m, unit):
    early, late = sorted((a, b), key=utc)
    amount = m // 60 // 8 if unit is Unit.WORKING_DAYS else m / 60
    assert utc(CAL.add(early, amount, unit)) <= utc(CAL.add(late, amount, unit))


@given(starts, minutes, minutes, units)
def test_monotonic_in_amount_and_never_before_start(start, m, n, unit):
    fewer, more = sorted((m, n))
    if unit is Unit.WORKING_DAYS:
        fewer, more = fewer // 480, more // 480
        assert utc(CAL.add(start, fewer, unit)) <= utc(CAL.add(start, more, unit))
    else:
        assert (
            utc(start)
            <= utc(CAL.add(start, fewer / 60, unit))
            <= utc(CAL.add(start, more / 60, unit))
        )


@given(working_starts, minutes, minutes)
def test_working_hours_are_additive(start, m, n):
    stepwise = CAL.add_working_hours(CAL.add_working_hours(start, m / 60), n / 60)
    assert stepwise == CAL.add_working_hours(start, (m + n) / 60)


@given(starts, days, days)
def test_working_days_are_additive(start, m, n):
    stepwise = CAL.add_working_days(CAL.add_working_days(start, m), n)
    assert stepwise == CAL.add_working_days(start, m + n)


@given(starts, st.integers(min_value=1, max_value=60))
def test_one_or_more_working_days_land_on_a_working_day_in_working_time(start, n):
    due = CAL.add_working_days(start, n)
    assert CAL.is_working_day(due.astimezone(SHANGHAI).date()) and in_working_time(due)


@given(working_starts, minutes)
def test_working_hours_added_are_working_hours_between(start, m):
    assert in_working_time(start)
    due = CAL.add_working_hours(start, m / 60)
    assert CAL.working_time_between(start, due) == timedelta(minutes=m)
    assert in_working_time(due)


@given(starts, minutes, st.floats(min_value=0, max_value=1), units)
def test_fraction_points_lie_between_start_and_due(start, m, fraction, unit):
    due = CAL.add(start, m // 480 if unit is Unit.WORKING_DAYS else m / 60, unit)
    point = CAL.fraction_point(start, due, fraction, unit)
    assert utc(start) <= utc(point) <= utc(due)
    assert utc(CAL.fraction_point(start, due, fraction / 2, unit)) <= utc(point)


@given(starts, minutes, minutes, minutes, units)
def test_a_shift_is_never_earlier_and_keeps_the_remaining_time(start, m, a, b, unit):
    due = CAL.add(start, m / 60, Unit.HOURS if unit is Unit.HOURS else Unit.WORKING_HOURS)
    paused_from = start.astimezone(UTC) + timedelta(minutes=a)
    paused_to = paused_from + timedelta(minutes=b)
    new = CAL.shift(due, paused_from, paused_to, unit)
    assert utc(new) >= utc(due)
    if paused_from < due and b:
        if unit is Unit.HOURS:
            assert new - paused_to == due - paused_from
        else:
            assert CAL.working_time_between(paused_to, new) == CAL.working_time_between(
                paused_from, due
            )
