"""Dating deadlines on the working calendar: the only place calendar data meets a ticket."""
import structlog
from sqlmodel import col, or_, select
from temporalio import activity

from activities.calendar_source import CalendarSource
from domain.calendar import CalendarUnknownYear
from domain.contracts import (
    PLAN_DEADLINES,
    SCHEDULE_DEADLINES,
    PlanDeadlinesInput,
    PlanDeadlinesResult,
    ScheduleFailure,
    ScheduleInput,
    ScheduleRequest,
    ScheduleResult,
)
from domain.models import Deadline, DeadlineWarning
from domain.policy import DeadlinePolicy, PolicyRule
from domain.states import Unit, Urgency
from readmodel.db import Database
from readmodel.tables import DeadlineRuleRow

log = structlog.get_logger("gridflow.deadlines")


class DeadlineActivities:
    def __init__(self, *, db: Database, calendars: CalendarSource, policy: DeadlinePolicy) -> None:
        self.db, self.calendars, self.policy = db, calendars, policy

    async def _rules(self, category: str) -> list[PolicyRule]:
        async with self.db.session() as session:
            rows = (await session.exec(select(DeadlineRuleRow).where(
                or_(col(DeadlineRuleRow.category).is_(None), DeadlineRuleRow.category == category)
            ).order_by(col(DeadlineRuleRow.id)))).all()
        return [PolicyRule.model_validate(r, from_attributes=True) for r in rows]

    @activity.defn(name=SCHEDULE_DEADLINES)
    async def schedule_deadlines(self, input: ScheduleInput) -> ScheduleResult:
        """Open, extend or shift deadlines; a year the calendar lacks fails loudly, never guessed."""
        calendar = await self.calendars.get()
        rules = await self._rules(input.category)
        result = ScheduleResult(deadlines=[], alarm_policy=self.policy.alarm_policy())
        for request in input.requests:
            try:
                result.deadlines.append(self._one(calendar, input, request, rules))
            except CalendarUnknownYear as err:
                log.error("calendar_unknown_year", ticket_id=input.ticket_id,
                          workflow_id=activity.info().workflow_id, year=err.year,
                          stage=request.stage.value)
                result.failures.append(ScheduleFailure(stage=request.stage, error=str(err)))
        return result

    def _one(self, calendar, input: ScheduleInput, r: ScheduleRequest,  # type: ignore[no-untyped-def]
             rules: list[PolicyRule]) -> Deadline:
        if r.kind == "open" and r.due_at is not None:
            unit, amount, due = Unit.HOURS, (r.due_at - r.start).total_seconds() / 3600, r.due_at
        elif r.kind == "open":
            if r.amount is not None and r.unit is not None:
                amount, unit = r.amount, Unit(r.unit)
            else:
                limit = self.policy.limit_for(r.stage, category=input.category,
                                              urgency=input.urgency, extra_rules=rules)
                amount, unit = limit.amount, limit.unit
            due = calendar.add(r.start, amount, unit)
        elif r.kind == "extend":
            assert r.due_at is not None and r.amount is not None
            unit, amount = Unit(r.unit or Unit.WORKING_DAYS), r.amount
            due = calendar.add(r.due_at, r.amount, Unit.WORKING_DAYS)
        else:  # shift: the deadline stood still over the parking
            assert r.due_at and r.paused_from and r.paused_to
            unit, amount = Unit(r.unit or Unit.WORKING_DAYS), 0.0
            due = calendar.shift(r.due_at, r.paused_from, r.paused_to, unit)
            moved = [DeadlineWarning(fraction=w.fraction, at=calendar.shift(
                w.at, r.paused_from, r.paused_to, unit)) for w in r.warnings]
            return Deadline(stage=r.stage, started_at=r.start, due_at=due, unit=unit,
                            amount=amount, warnings=moved)
        warnings = [
            DeadlineWarning(fraction=f, at=calendar.fraction_point(r.start, due, f, unit))
            for f in self.policy.warning_fractions if f not in r.fired
        ]
        return Deadline(stage=r.stage, started_at=r.start, due_at=due, unit=unit, amount=amount,
                        warnings=warnings)

    @activity.defn(name=PLAN_DEADLINES)
    async def plan_deadlines(self, input: PlanDeadlinesInput) -> PlanDeadlinesResult:
        """Tickets started before deadline alarms: N working days (or the policy's amount)."""
        calendar = await self.calendars.get()
        due = {}
        for stage in input.stages:
            if input.working_days:
                due[stage] = calendar.add(input.start, input.working_days, Unit.WORKING_DAYS)
            else:
                limit = self.policy.limit_for(stage, category=input.category,
                                              urgency=Urgency.NORMAL)
                due[stage] = calendar.add(input.start, limit.amount, limit.unit)
        return PlanDeadlinesResult(due=due)

    def all(self) -> list:  # type: ignore[type-arg]
        return [self.schedule_deadlines, self.plan_deadlines]
