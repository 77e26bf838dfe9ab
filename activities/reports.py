"""The report workflow's activities: whether a report is due (the working calendar decides), its
compilation into the `report` table, and its notice (docs/reports.md)."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import structlog
from temporalio import activity

from activities.calendar_source import CalendarSource
from activities.notices import NoticePublisher
from domain.notices import COMMAND_CENTRE, EventKind, NoticeEvent, event_id
from domain.reports import (
    COMPILE_REPORT,
    EVENT_KINDS,
    PUBLISH_REPORT,
    REPORT_DAY_CHECK,
    CompiledReport,
    ReportDayInput,
    ReportPlan,
    plan,
)
from readmodel.db import Database
from readmodel.reports import store
from readmodel.reports.compile import compile_report
from readmodel.reports.figures import summary

log = structlog.get_logger("gridflow.reports")


def report_link(public_url: str, report_id: str) -> str:
    return f"{public_url.rstrip('/')}/app/reports/{report_id}"


class ReportActivities:
    def __init__(
        self,
        *,
        db: Database,
        calendars: CalendarSource,
        publisher: NoticePublisher,
        public_url: str,
    ) -> None:
        self.db, self.calendars, self.publisher = db, calendars, publisher
        self.public_url = public_url

    @activity.defn(name=REPORT_DAY_CHECK)
    async def report_day_check(self, input: ReportDayInput) -> ReportPlan:
        """Which report `input.at` asks for and whether it is due. A year the calendar lacks is
        compiled anyway, and the command centre hears that the calendar needs loading."""
        decided = plan(input.kind, input.at, await self.calendars.get(), force=input.force)
        if not decided.calendar_known:
            log.warning("report_calendar_unknown_year", report_id=decided.report_id)
            await self.publisher.publish([self._calendar_alert(decided)])
        return decided

    def _calendar_alert(self, decided: ReportPlan) -> NoticeEvent:
        year = decided.day.year
        return NoticeEvent(
            event_id=event_id("report-calendar", decided.report_id),
            kind=EventKind.CALENDAR_ALERT,
            target=COMMAND_CENTRE,
            data={
                "title": f"工作日历缺少 {year} 年",
                "message": (
                    f"{decided.report_id} 已照常编制（不知 {decided.day} 是否工作日）；"
                    f"请加载 {year} 年的工作日历"
                ),
                "report_id": decided.report_id,
                "year": year,
            },
            created_at=datetime.now(UTC),
        )

    @activity.defn(name=COMPILE_REPORT)
    async def compile_report(self, input: ReportPlan) -> CompiledReport:
        """Read the figures and store the report (again: its row is replaced)."""
        async with self.db.session() as session:
            content = await compile_report(session=session, plan=input, now=datetime.now(UTC))
            await store.save(session=session, content=content)
            await session.commit()
        log.info("report_compiled", report_id=input.report_id)
        return CompiledReport(
            report_id=content.report_id,
            kind=content.kind,
            title=content.title,
            summary=summary(content),
        )

    @activity.defn(name=PUBLISH_REPORT)
    async def publish_report(self, input: CompiledReport) -> None:
        """The report's notice, once per report however often it is compiled."""
        await self.publisher.publish(
            [
                NoticeEvent(
                    event_id=event_id("report", input.report_id),
                    kind=EVENT_KINDS[input.kind],
                    target=COMMAND_CENTRE,
                    data={
                        "report_id": input.report_id,
                        "title": input.title,
                        "summary": input.summary,
                        "link": report_link(self.public_url, input.report_id),
                    },
                    created_at=datetime.now(UTC),
                )
            ]
        )

    def all(self) -> list[Callable[..., Awaitable[object]]]:
        return [self.report_day_check, self.compile_report, self.publish_report]
