"""Dating deadlines: a stage's amount and unit from the policy, its due and warnings on a calendar.

Pure: the schedule_deadlines and plan_deadlines activities load the calendar and the table's
rules and call these. What they return is recorded in the ticket workflow's history, so the same
request must keep dating to the same deadline (tests/test_replay.py).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.contracts import ScheduleRequest
from domain.models import Deadline, DeadlineWarning
from domain.policy import DeadlinePolicy, PolicyRule
from domain.states import DeadlineStage, Unit, Urgency


class DatingCalendar(Protocol):
    """What dating needs of a working calendar (domain.calendar.ChinaWorkingCalendar).

    Each method raises CalendarUnknownYear for a year the calendar has no data for."""

    def add(self, start: datetime, amount: float, unit: Unit) -> datetime: ...

    def fraction_point(
        self, start: datetime, due: datetime, fraction: float, unit: Unit
    ) -> datetime: ...

    def shift(
        self, due: datetime, paused_from: datetime, paused_to: datetime, unit: Unit
    ) -> datetime: ...

    def provisional_between(self, start: datetime, end: datetime) -> bool: ...


def limit_of(
    request: ScheduleRequest,
    *,
    policy: DeadlinePolicy,
    category: str,
    urgency: Urgency,
    rules: Sequence[PolicyRule] = (),
) -> tuple[float, Unit]:
    """The amount and unit a new deadline runs for: the request's own when it gives both (a
    finding or a refusal sets them), else the policy's most specific rule, the table's `rules`
    winning ties over the configured defaults."""
    if request.amount is not None and request.unit is not None:
        return request.amount, Unit(request.unit)
    limit = policy.limit_for(
        request.stage, category=category, urgency=urgency, extra_rules=list(rules)
    )
    return limit.amount, limit.unit


def warnings_for(
    calendar: DatingCalendar,
    *,
    start: datetime,
    due: datetime,
    unit: Unit,
    fractions: Sequence[float],
    fired: Sequence[float] = (),
) -> list[DeadlineWarning]:
    """A warning at each fraction of the deadline's own time (working or natural) not yet fired."""
    return [
        DeadlineWarning(fraction=f, at=calendar.fraction_point(start, due, f, unit))
        for f in fractions
        if f not in fired
    ]


def date_deadline(
    request: ScheduleRequest,
    *,
    calendar: DatingCalendar,
    policy: DeadlinePolicy,
    category: str,
    urgency: Urgency,
    rules: Sequence[PolicyRule] = (),
) -> Deadline:
    """Open, extend or shift one deadline; raises CalendarUnknownYear, never guesses a date."""
    r = request
    if r.kind == "open" and r.due_at is not None:
        unit, amount, due = Unit.HOURS, (r.due_at - r.start).total_seconds() / 3600, r.due_at
    elif r.kind == "open":
        amount, unit = limit_of(r, policy=policy, category=category, urgency=urgency, rules=rules)
        due = calendar.add(r.start, amount, unit)
    elif r.kind == "extend":
        assert r.due_at is not None and r.amount is not None
        # The unit stays the deadline's own; the extension itself is always in working days.
        unit, amount = Unit(r.unit or Unit.WORKING_DAYS), r.amount
        due = calendar.add(r.due_at, r.amount, Unit.WORKING_DAYS)
    else:  # shift: the deadline stood still over the parking
        assert r.due_at and r.paused_from and r.paused_to
        unit, amount = Unit(r.unit or Unit.WORKING_DAYS), 0.0
        due = calendar.shift(r.due_at, r.paused_from, r.paused_to, unit)
        moved = [
            DeadlineWarning(
                fraction=w.fraction, at=calendar.shift(w.at, r.paused_from, r.paused_to, unit)
            )
            for w in r.warnings
        ]
        return Deadline(
            stage=r.stage,
            started_at=r.start,
            due_at=due,
            unit=unit,
            amount=amount,
            warnings=moved,
            provisional=calendar.provisional_between(r.paused_from, due),
        )
    warnings = warnings_for(
        calendar,
        start=r.start,
        due=due,
        unit=unit,
        fractions=policy.warning_fractions,
        fired=r.fired,
    )
    return Deadline(
        stage=r.stage,
        started_at=r.start,
        due_at=due,
        unit=unit,
        amount=amount,
        warnings=warnings,
        provisional=(r.kind == "extend" or unit is not Unit.HOURS)
        and calendar.provisional_between(r.start, due),
    )


def plan_due(
    calendar: DatingCalendar,
    *,
    policy: DeadlinePolicy,
    category: str,
    start: datetime,
    stages: Sequence[DeadlineStage],
    working_days: int | None = None,
) -> dict[DeadlineStage, datetime]:
    """Dues of tickets started before deadline alarms (v1): N working days when given, else the
    configured policy for a normal ticket (the table's rules came later and never applied)."""
    due = {}
    for stage in stages:
        if working_days:
            due[stage] = calendar.add(start, working_days, Unit.WORKING_DAYS)
        else:
            limit = policy.limit_for(stage, category=category, urgency=Urgency.NORMAL)
            due[stage] = calendar.add(start, limit.amount, limit.unit)
    return due
