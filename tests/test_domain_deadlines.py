"""Dating deadlines (domain.deadlines): the stage's limit from the policy and the table's rules,
the due and the warnings on China's working calendar. Every expected instant is worked out by
hand on the 2025 National Day week: 1-8 October off, Sunday 28 September and Saturday
11 October worked; working hours 09:00-12:00 and 13:30-17:30."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pytest

from domain.calendar import SHANGHAI, CalendarUnknownYear, ChinaWorkingCalendar
from domain.contracts import ScheduleRequest
from domain.deadlines import date_deadline, limit_of, plan_due
from domain.models import Deadline, DeadlineWarning
from domain.policy import DeadlinePolicy, PolicyRule
from domain.states import DeadlineStage, Unit, Urgency

Stage = DeadlineStage
WD, WH, H = Unit.WORKING_DAYS, Unit.WORKING_HOURS, Unit.HOURS
NORMAL, URGENT = Urgency.NORMAL, Urgency.URGENT
POLICY = DeadlinePolicy()  # the built-in defaults, warnings at 50 % and 80 %

HOLIDAY = {date(2025, 10, d): False for d in range(1, 9)}
CALENDAR = ChinaWorkingCalendar(
    days={**HOLIDAY, date(2025, 9, 28): True, date(2025, 10, 11): True}, known_years=[2025]
)


def sh(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


def dated(
    request: ScheduleRequest,
    *,
    category: str = "garbage",
    urgency: Urgency = NORMAL,
    rules: Sequence[PolicyRule] = (),
    policy: DeadlinePolicy = POLICY,
) -> Deadline:
    return date_deadline(
        request, calendar=CALENDAR, policy=policy, category=category, urgency=urgency, rules=rules
    )


def opening(stage: Stage, start: datetime, **fields: Any) -> ScheduleRequest:
    return ScheduleRequest(kind="open", stage=stage, start=start, **fields)


def at(deadline: Deadline) -> dict[float, datetime]:
    return {w.fraction: w.at for w in deadline.warnings}


def test_a_working_day_deadline_skips_the_holiday_and_counts_the_make_up_saturday():
    verify = dated(opening(Stage.VERIFY, sh(9, 30, 10)))
    assert (verify.amount, verify.unit) == (3, WD)
    assert verify.due_at == sh(10, 11, 10)  # 9, 10 and (worked) Saturday 11 October
    assert (verify.stage, verify.started_at) == (Stage.VERIFY, sh(9, 30, 10))


def test_warnings_fall_at_their_fraction_of_working_time():
    claim = dated(opening(Stage.CLAIM, sh(9, 29, 9)))
    assert claim.due_at == sh(9, 30, 9)  # 7 working hours away
    # 50 %: 3.5 h = the morning's 3 h, then 30 min after lunch; 80 %: 5.6 h = 13:30 + 2.6 h
    assert at(claim) == {0.5: sh(9, 29, 14), 0.8: sh(9, 29, 16, 6)}


def test_an_urgent_deadline_runs_on_natural_hours_through_the_night_and_the_holiday():
    verify = dated(opening(Stage.VERIFY, sh(10, 1, 22)), urgency=URGENT)
    assert (verify.amount, verify.unit, verify.due_at) == (4, H, sh(10, 2, 2))
    assert at(verify) == {0.5: sh(10, 2, 0), 0.8: sh(10, 2, 1, 12)}


def test_a_category_rule_of_the_table_overrides_the_stage_default():
    rules = [PolicyRule(stage=Stage.CLAIM, amount=3, unit=WH, category="garbage")]
    claim = dated(opening(Stage.CLAIM, sh(9, 29, 16)), rules=rules)
    assert (claim.amount, claim.unit) == (3, WH)
    assert claim.due_at == sh(9, 30, 10, 30)  # 1.5 h on Monday, 1.5 h on Tuesday morning
    # it beats the built-in urgent default too; another category keeps the default
    assert limit_of(
        opening(Stage.CLAIM, sh(9, 29)),
        policy=POLICY,
        category="garbage",
        urgency=URGENT,
        rules=rules,
    ) == (3, WH)
    assert dated(opening(Stage.CLAIM, sh(9, 29, 16)), category="ads", rules=rules).amount == 1


def test_a_table_rule_wins_its_tie_with_the_configured_default():
    rules = [PolicyRule(stage=Stage.HANDLE, amount=2, unit=WD)]
    assert limit_of(
        opening(Stage.HANDLE, sh(9, 29)), policy=POLICY, category="ads", urgency=NORMAL, rules=rules
    ) == (2, WD)


def test_an_amount_and_unit_in_the_request_win_over_the_policy():
    rectify = dated(
        opening(Stage.RECTIFY, sh(9, 29, 9), amount=5, unit=WD),
        rules=[PolicyRule(stage=Stage.RECTIFY, amount=1, unit=H, category="garbage")],
    )
    # 30 September, 9, 10, (worked) Saturday 11 and Monday 13 October
    assert (rectify.amount, rectify.unit, rectify.due_at) == (5, WD, sh(10, 13, 9))


def test_an_explicit_due_is_taken_as_is_in_natural_hours():
    write_off = dated(opening(Stage.WRITE_OFF, sh(9, 29, 9), due_at=sh(9, 30, 19)))
    assert (write_off.unit, write_off.amount, write_off.due_at) == (H, 34, sh(9, 30, 19))
    assert at(write_off) == {0.5: sh(9, 30, 2), 0.8: sh(9, 30, 12, 12)}


def test_no_warning_is_planned_again_once_fired():
    claim = dated(opening(Stage.CLAIM, sh(9, 29, 9), fired=[0.5]))
    assert at(claim) == {0.8: sh(9, 29, 16, 6)}


def test_an_extension_moves_the_due_by_working_days_and_keeps_the_deadline_unit():
    handle = dated(
        ScheduleRequest(
            kind="extend",
            stage=Stage.HANDLE,
            start=sh(9, 22, 9),
            due_at=sh(9, 30, 9),
            amount=2,
            unit=WD,
            fired=[0.5],
        )
    )
    assert (handle.amount, handle.unit, handle.due_at) == (2, WD, sh(10, 10, 9))
    assert list(at(handle)) == [0.8]  # replanned from the start to the new due
    urgent = dated(
        ScheduleRequest(
            kind="extend",
            stage=Stage.HANDLE,
            start=sh(9, 29, 9),
            due_at=sh(9, 30, 9),
            amount=1,
            unit=H,
        )
    )
    assert (urgent.unit, urgent.due_at) == (H, sh(10, 9, 9))  # extended in working days
    assert at(urgent)[0.5] == sh(10, 4, 9)  # but warned in its own natural time


def test_a_parked_deadline_shifts_by_the_working_time_of_the_pause_with_its_warnings():
    warning = DeadlineWarning(fraction=0.8, at=sh(10, 9, 17))
    handle = dated(
        ScheduleRequest(
            kind="shift",
            stage=Stage.HANDLE,
            start=sh(9, 22, 9),
            due_at=sh(10, 10, 9),
            unit=WD,
            paused_from=sh(9, 30, 17),
            paused_to=sh(10, 9, 9),
            warnings=[warning],
        )
    )
    # the pause held 30 working minutes (Tuesday 17:00-17:30; the holiday holds none)
    assert (handle.due_at, handle.unit, handle.amount) == (sh(10, 10, 9, 30), WD, 0)
    assert handle.warnings == [DeadlineWarning(fraction=0.8, at=sh(10, 9, 17, 30))]
    urgent = dated(
        ScheduleRequest(
            kind="shift",
            stage=Stage.VERIFY,
            start=sh(10, 1, 8),
            due_at=sh(10, 1, 12),
            unit=H,
            paused_from=sh(10, 1, 10),
            paused_to=sh(10, 1, 11),
        )
    )
    assert urgent.due_at == sh(10, 1, 13)  # natural time: an hour later, holiday or not


@pytest.mark.parametrize(
    "request_",
    [
        opening(Stage.HANDLE, sh(12, 25, 9)),  # ten working days from Christmas: into 2026
        opening(Stage.CLAIM, datetime(2026, 1, 5, 9, tzinfo=SHANGHAI)),
        ScheduleRequest(
            kind="extend",
            stage=Stage.HANDLE,
            start=sh(12, 1, 9),
            due_at=sh(12, 30, 9),
            amount=3,
            unit=WD,
        ),
    ],
    ids=["due in 2026", "started in 2026", "extended into 2026"],
)
def test_a_year_the_calendar_does_not_know_raises_never_guesses(request_):
    with pytest.raises(CalendarUnknownYear) as err:
        dated(request_)
    assert err.value.year == 2026


def test_tickets_from_before_alarms_plan_on_working_days_or_the_normal_policy():
    start = sh(9, 30, 10)
    assert plan_due(
        CALENDAR,
        policy=POLICY,
        category="garbage",
        start=start,
        stages=[Stage.CLAIM],
        working_days=2,
    ) == {Stage.CLAIM: sh(10, 10, 10)}
    assert plan_due(
        CALENDAR, policy=POLICY, category="garbage", start=start, stages=[Stage.CLAIM, Stage.VERIFY]
    ) == {Stage.CLAIM: sh(10, 9, 10), Stage.VERIFY: sh(10, 11, 10)}
