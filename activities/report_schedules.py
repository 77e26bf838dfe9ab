"""The reports' Temporal Schedules, created or brought up to date by the worker at start-up
(docs/reports.md): daily at 08:30 every day (the workflow asks the working calendar whether the
day gets a report), weekly on Monday 08:30, monthly on the 1st at 08:30, Asia/Shanghai time.

A run still going when the next is due is not doubled (overlap: skip); a schedule that could not
fire (the server down) catches up within a day, later than that it is left out. An operator's
pause (`temporal schedule toggle --pause`) survives a worker's restart: only the spec, action and
policy are rewritten.
"""

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from domain.reports import REPORT_WORKFLOW, ReportKind, ReportRequest

TIME_ZONE = "Asia/Shanghai"
SCHEDULE_PREFIX = "gridflow-report"
CATCHUP_WINDOW = timedelta(days=1)
# A run stuck longer than this (its database down all day) gives way to the next day's.
RUN_TIMEOUT = timedelta(hours=12)
_AT_0830 = {"hour": [ScheduleRange(8)], "minute": [ScheduleRange(30)]}
CALENDARS = {
    ReportKind.DAILY: ScheduleCalendarSpec(
        **_AT_0830, comment="08:30 every day; the workflow skips days off"
    ),
    ReportKind.WEEKLY: ScheduleCalendarSpec(
        **_AT_0830, day_of_week=[ScheduleRange(1)], comment="Monday 08:30"
    ),
    ReportKind.MONTHLY: ScheduleCalendarSpec(
        **_AT_0830, day_of_month=[ScheduleRange(1)], comment="the 1st, 08:30"
    ),
}


def schedule_id(kind: ReportKind, prefix: str = SCHEDULE_PREFIX) -> str:
    return f"{prefix}-{kind.value}"


def schedule_of(kind: ReportKind, task_queue: str, prefix: str = SCHEDULE_PREFIX) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            REPORT_WORKFLOW,
            ReportRequest(kind=kind),
            id=schedule_id(kind, prefix),  # each run's id: this plus its scheduled time
            task_queue=task_queue,
            execution_timeout=RUN_TIMEOUT,
        ),
        spec=ScheduleSpec(calendars=[CALENDARS[kind]], time_zone_name=TIME_ZONE),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP_WINDOW),
    )


async def ensure_schedules(
    client: Client, task_queue: str, *, prefix: str = SCHEDULE_PREFIX
) -> list[str]:
    """Create each report's schedule, or update the one there (keeping its paused state);
    returns their ids. Safe to run on every start of every worker."""
    ids = []
    for kind in ReportKind:
        wanted = schedule_of(kind, task_queue, prefix)
        sid = schedule_id(kind, prefix)
        try:
            await client.create_schedule(sid, wanted)
        except ScheduleAlreadyRunningError:

            def keep_state(
                current: ScheduleUpdateInput, wanted: Schedule = wanted
            ) -> ScheduleUpdate:
                wanted.state = current.description.schedule.state
                return ScheduleUpdate(schedule=wanted)

            await client.get_schedule_handle(sid).update(keep_state)
        ids.append(sid)
    return ids
