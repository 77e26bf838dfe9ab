"""Dating deadlines on the working calendar: the only place calendar data meets a ticket.

The activities load (the calendar, the table's rules) and hand over to domain.deadlines, which
does the dating; see docs/deadlines.md.
"""

from collections.abc import Awaitable, Callable

import structlog
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
    ScheduleResult,
)
from domain.deadlines import date_deadline, plan_due
from domain.policy import DeadlinePolicy
from readmodel.db import Database
from readmodel.reference import policy_store

log = structlog.get_logger("gridflow.deadlines")


class DeadlineActivities:
    def __init__(self, *, db: Database, calendars: CalendarSource, policy: DeadlinePolicy) -> None:
        self.db, self.calendars, self.policy = db, calendars, policy

    @activity.defn(name=SCHEDULE_DEADLINES)
    async def schedule_deadlines(self, input: ScheduleInput) -> ScheduleResult:
        """Open, extend or shift deadlines; a year the calendar lacks fails loudly, never guessed."""
        calendar = await self.calendars.get()
        async with self.db.session() as session:
            rules = await policy_store.rules_for(session=session, category=input.category)
        result = ScheduleResult(deadlines=[], alarm_policy=self.policy.alarm_policy())
        for request in input.requests:
            try:
                result.deadlines.append(
                    date_deadline(
                        request,
                        calendar=calendar,
                        policy=self.policy,
                        category=input.category,
                        urgency=input.urgency,
                        rules=rules,
                    )
                )
            except CalendarUnknownYear as err:
                log.error(
                    "calendar_unknown_year",
                    ticket_id=input.ticket_id,
                    workflow_id=activity.info().workflow_id,
                    year=err.year,
                    stage=request.stage.value,
                )
                result.failures.append(ScheduleFailure(stage=request.stage, error=str(err)))
        return result

    @activity.defn(name=PLAN_DEADLINES)
    async def plan_deadlines(self, input: PlanDeadlinesInput) -> PlanDeadlinesResult:
        """Tickets started before deadline alarms: N working days (or the policy's amount)."""
        calendar = await self.calendars.get()
        return PlanDeadlinesResult(
            due=plan_due(
                calendar,
                policy=self.policy,
                category=input.category,
                start=input.start,
                stages=input.stages,
                working_days=input.working_days,
            )
        )

    def all(self) -> list[Callable[..., Awaitable[object]]]:
        return [self.schedule_deadlines, self.plan_deadlines]
