"""A periodic report: started by its Temporal Schedule (activities/report_schedules.py) or by an
admin, it asks whether the report is due, compiles it and tells its subscribers
(docs/reports.md).

The moment a report is for is the request's `at`, else the time the schedule meant to start it
(its TemporalScheduledStartTime search attribute: a run caught up late is still that day's), else
now. Which day that is in Asia/Shanghai, and whether the calendar makes it a report day, is the
report_day_check activity's to say: calendar data is read there, never here.
"""

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from domain.reports import (
        COMPILE_REPORT,
        PUBLISH_REPORT,
        REPORT_DAY_CHECK,
        REPORT_WORKFLOW,
        CompiledReport,
        ReportDayInput,
        ReportOutcome,
        ReportPlan,
        ReportRequest,
    )

SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
PATIENT = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


def _scheduled_start() -> datetime | None:
    return workflow.info().typed_search_attributes.get(SCHEDULED_START)


@workflow.defn(name=REPORT_WORKFLOW)
class ReportWorkflow:
    @workflow.run
    async def run(self, request: ReportRequest) -> ReportOutcome:
        at = request.at or _scheduled_start() or workflow.now()
        decided: ReportPlan = await workflow.execute_activity(
            REPORT_DAY_CHECK,
            ReportDayInput(kind=request.kind, at=at, force=request.force),
            result_type=ReportPlan,
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=PATIENT,
            summary="is a report due (the working calendar)",
        )
        if not decided.due:
            return ReportOutcome(report_id=decided.report_id, compiled=False, reason=decided.reason)
        compiled: CompiledReport = await workflow.execute_activity(
            COMPILE_REPORT,
            decided,
            result_type=CompiledReport,
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=PATIENT,
            summary="compile the report",
        )
        await workflow.execute_activity(
            PUBLISH_REPORT,
            compiled,
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=PATIENT,
            summary="tell the report's subscribers",
        )
        return ReportOutcome(report_id=compiled.report_id, compiled=True, reason=decided.reason)
