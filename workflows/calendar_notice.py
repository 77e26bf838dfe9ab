"""CalendarNoticeWorkflow: a year's holiday notice, loaded by an admin, carried to every running
ticket whose deadlines it moves — a page of tickets per activity, each re-dated through its own
workflow's `redate` update (activities/calendar_notice.py). Durable: an API or worker that dies
midway loses no ticket; an activity retried re-sends the same update ids, which the tickets
answer once."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.calendar_notice import (
        CALENDAR_NOTICE_WORKFLOW,
        REDATE_PAGE,
        NoticeInput,
        NoticeProgress,
        RedatePageInput,
        RedatePageResult,
    )

PATIENT = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


@workflow.defn(name=CALENDAR_NOTICE_WORKFLOW)
class CalendarNoticeWorkflow:
    @workflow.init
    def __init__(self, notice: NoticeInput, after: str | None = None) -> None:
        self._progress = NoticeProgress(year=notice.year, source=notice.source)

    @workflow.run
    async def run(self, notice: NoticeInput, after: str | None = None) -> NoticeProgress:
        while True:
            page: RedatePageResult = await workflow.execute_activity(
                REDATE_PAGE,
                RedatePageInput(notice=notice, after=after),
                result_type=RedatePageResult,
                start_to_close_timeout=timedelta(minutes=10),
                heartbeat_timeout=timedelta(minutes=1),
                retry_policy=PATIENT,
                summary=f"re-date the tickets after {after or 'the first'}",
            )
            self._progress.add(page)
            after = page.next_after
            if after is None:
                break
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(args=[notice, after])
        self._progress.done = True
        return self._progress

    @workflow.query
    def progress(self) -> NoticeProgress:
        return self._progress
