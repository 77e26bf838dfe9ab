"""Runs a worker for the ticket task queue: `python worker.py` (settings from GRIDFLOW_*)."""

import asyncio
import signal
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities import metrics
from activities.calendar_notice import CalendarNoticeActivities
from activities.calendar_source import CalendarSource
from activities.deadlines import DeadlineActivities
from activities.notice_delivery import DeliveryActivities
from activities.notices import NoticePublisher, relay_waker
from activities.report_schedules import ensure_schedules
from activities.reports import ReportActivities
from activities.subjects import SubjectActivities
from activities.supervision import SupervisionActivities
from activities.tickets import TicketActivities
from logging_setup import configure_logging
from readmodel.db import Database
from readmodel.migrate import require_head
from settings import Settings, settings
from temporal_client import connect
from workflows.calendar_notice import CalendarNoticeWorkflow
from workflows.notices import NotificationRelayWorkflow
from workflows.reports import ReportWorkflow
from workflows.subject import SubjectWorkflow
from workflows.supervision import SupervisionOrderWorkflow
from workflows.ticket import TicketWorkflow

log = structlog.get_logger("gridflow.worker")


def tuning(config: Settings) -> dict:
    """The Worker options settings set (GRIDFLOW_WORKER_*); the rest stay the SDK's defaults."""
    names = [
        "max_cached_workflows",
        "max_concurrent_workflow_tasks",
        "max_concurrent_activities",
        "max_concurrent_workflow_task_polls",
        "max_concurrent_activity_task_polls",
    ]
    options: dict = {n: v for n in names if (v := getattr(config, f"worker_{n}")) is not None}
    if config.worker_sticky_schedule_to_start_seconds is not None:
        options["sticky_queue_schedule_to_start_timeout"] = timedelta(
            seconds=config.worker_sticky_schedule_to_start_seconds
        )
    if config.worker_sandbox_passthrough:
        restrictions = SandboxRestrictions.default.with_passthrough_modules(
            *config.worker_sandbox_passthrough
        )
        options["workflow_runner"] = SandboxedWorkflowRunner(restrictions=restrictions)
    return options


def activities_for(
    client: Client, *, db: Database, config: Settings
) -> list[Callable[..., Awaitable[object]]]:
    calendars = CalendarSource(db=db, working_hours=config.working_hours)
    deadlines = DeadlineActivities(db=db, calendars=calendars, policy=config.deadline_policy)
    publisher = NoticePublisher(
        db=db, calendars=calendars, wake=relay_waker(client, config.task_queue)
    )
    return [
        *TicketActivities(db=db, publisher=publisher).all(),
        *deadlines.all(),
        *SubjectActivities(db=db, client=client).all(),
        *DeliveryActivities(db=db, config=config).all(),
        *ReportActivities(
            db=db, calendars=calendars, publisher=publisher, public_url=config.public_url
        ).all(),
        *SupervisionActivities(db=db, calendars=calendars, publisher=publisher).all(),
        CalendarNoticeActivities(
            db=db, client=client, working_hours=config.working_hours
        ).redate_page,
    ]


def build_worker(
    client: Client, *, db: Database, config: Settings, task_queue: str | None = None
) -> Worker:
    return Worker(
        client,
        task_queue=task_queue or config.task_queue,
        workflows=[
            TicketWorkflow,
            SubjectWorkflow,
            NotificationRelayWorkflow,
            ReportWorkflow,
            SupervisionOrderWorkflow,
            CalendarNoticeWorkflow,
        ],
        activities=activities_for(client, db=db, config=config),
        **tuning(config),
    )


async def main() -> None:
    configure_logging(json=settings.log_json)
    await require_head(settings.database_url)  # SchemaBehind: migrate first
    db = Database(settings.database_url)
    counting = None
    if settings.worker_metrics_address:  # gridflow_* metrics (docs/observability.md)
        metrics.serve_metrics(settings.worker_metrics_address)
        counting = asyncio.create_task(
            metrics.keep_counting_tickets(db, settings.ticket_count_every_seconds)
        )
    client = await connect(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with build_worker(client, db=db, config=settings):
        await relay_waker(client, settings.task_queue)()  # pushes what waited while it was down
        await ensure_schedules(client, settings.task_queue)  # the periodic reports
        log.info("worker started", task_queue=settings.task_queue)
        await stop.wait()
    if counting:
        counting.cancel()
    await db.dispose()
    log.info("worker stopped")


if __name__ == "__main__":
    asyncio.run(main())
