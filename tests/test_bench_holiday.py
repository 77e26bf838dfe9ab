"""The holiday section's premise (bench/holiday_setup.py), on the product's own dating: every
report filed before T0 has its claim deadline, and its warnings, at one instant; a report filed
after T0 does not. Pure: the calendar and the policy as the worker dates with them."""

from datetime import UTC, date, datetime, timedelta

import pytest

from bench.__main__ import merged
from bench.holiday_setup import Morning, plan, policy_env
from domain.calendar import SHANGHAI, ChinaWorkingCalendar
from domain.contracts import ScheduleRequest
from domain.deadlines import date_deadline
from domain.models import Deadline
from domain.policy import DeadlinePolicy
from domain.states import DeadlineStage, Urgency

CATEGORY = "E0101"
POLICY = DeadlinePolicy.model_validate_json(
    policy_env(DeadlinePolicy().model_dump_json())["GRIDFLOW_DEADLINE_POLICY"]
)


def calendar(morning: Morning, *, days: dict[date, bool] | None = None) -> ChinaWorkingCalendar:
    years = {morning.t0.year - 1, morning.t0.year, morning.t0.year + 1}
    return ChinaWorkingCalendar(
        days=days or {}, known_years=years, working_hours=morning.working_hours
    )


def claim(morning: Morning, cal: ChinaWorkingCalendar, filed: datetime) -> Deadline:
    return date_deadline(
        ScheduleRequest(kind="open", stage=DeadlineStage.CLAIM, start=filed),
        calendar=cal,
        policy=POLICY,
        category=CATEGORY,
        urgency=Urgency.NORMAL,
        rules=[morning.rule(CATEGORY)],
    )


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 12, 8, 9, 30, tzinfo=SHANGHAI),  # a Tuesday morning
        datetime(2026, 12, 8, 23, 30, tzinfo=SHANGHAI),  # T would pass midnight: the next day
        datetime(2026, 12, 7, 23, 59, 30, tzinfo=SHANGHAI),  # filing crosses midnight
    ],
)
def test_reports_filed_before_t0_share_one_deadline_and_its_warnings(now: datetime) -> None:
    morning = plan(now.astimezone(UTC), lead_seconds=900, deadline_seconds=1200)
    cal = calendar(morning)
    assert morning.t0 >= now and morning.due == morning.t0 + timedelta(seconds=1200)
    dated = [claim(morning, cal, now + timedelta(seconds=s)) for s in (0, 300, 600, 899)]
    assert {d.due_at for d in dated} == {morning.due}
    assert {tuple(w.at for w in d.warnings) for d in dated} == {
        (morning.t0 + timedelta(seconds=120), morning.t0 + timedelta(seconds=600))
    }
    morning.check(cal, now)  # what the bench asserts of the stack's own calendar

    late = claim(morning, cal, morning.t0 + timedelta(seconds=30))
    assert late.due_at == morning.due + timedelta(seconds=30)


def test_a_day_off_at_t0_would_move_the_morning_so_the_bench_makes_it_a_working_day() -> None:
    now = datetime(2026, 12, 12, 8, 0, tzinfo=SHANGHAI)  # a Saturday
    morning = plan(now.astimezone(UTC), lead_seconds=600, deadline_seconds=300)
    with pytest.raises(RuntimeError, match="calendar dates now"):
        morning.check(calendar(morning), now)
    morning.check(calendar(morning, days={morning.day: True}), now)


def test_a_merged_run_replaces_only_its_sections_and_names_itself() -> None:
    base = {"backlog": ["old"], "holiday": {"old": 1}, "sources": {"6. Open tickets": "then"}}
    run = {
        "holiday": {"new": 1},
        "backlog": ["not asked"],
        "machine": {"load_avg": [0.5, 0.4, 0.3]},
        "load_after": [1.0, 0.9, 0.8],
        "started": "s",
        "finished": "f",
    }
    out = merged(base, run, {"holiday"}, "python -m bench --full --only holiday --merge")
    assert out["holiday"] == {"new": 1} and out["backlog"] == ["old"]
    assert out["sources"]["6. Open tickets"] == "then"
    assert "--only holiday --merge" in out["sources"]["8. The holiday morning"]
