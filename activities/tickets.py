"""Ticket activities: route, plan deadlines, project to the read model, archive. All the I/O."""

from collections.abc import Awaitable, Callable

import structlog
from structlog.typing import FilteringBoundLogger
from temporalio import activity

from activities import metrics
from activities.notices import NoticePublisher
from domain.calendar import SHANGHAI
from domain.contracts import (
    ARCHIVE_TICKET,
    FIND_DUPLICATES,
    NOTIFY,
    PROJECT_TICKET,
    ROUTE_TICKET,
    ArchiveInput,
    ArchiveResult,
    DuplicateQuery,
    DuplicateResult,
    NotifyInput,
    ProjectInput,
    RouteInput,
)
from domain.models import RoutingDecision
from readmodel.db import Database
from readmodel.reference import routing_store
from readmodel.tickets import archive_chain, projection, queries

# The wrapper class logging_setup.py configures (and structlog's default).
log: FilteringBoundLogger = structlog.get_logger("gridflow.activities")


def _bound(ticket_id: str) -> FilteringBoundLogger:
    info = activity.info()
    return log.bind(
        ticket_id=ticket_id,
        workflow_id=info.workflow_id,
        activity=info.activity_type,
        attempt=info.attempt,
    )


class TicketActivities:
    """Activities share one database; registered as bound methods."""

    def __init__(self, *, db: Database, publisher: NoticePublisher | None = None) -> None:
        self.db = db
        self.publisher = publisher or NoticePublisher(db=db, calendars=None, wake=None)

    @activity.defn(name=ROUTE_TICKET)
    async def route_ticket(self, input: RouteInput) -> RoutingDecision:
        """Find the department from the routing rules in force on the day routing was scheduled
        (Asia/Shanghai; the server's clock, so a retry decides as the first attempt would)."""
        on = activity.info().scheduled_time.astimezone(SHANGHAI).date()
        async with self.db.session() as session:
            decision = await routing_store.decide(
                session=session, category=input.category, grid=input.grid, on=on
            )
        _bound(input.ticket_id).info(
            "routed",
            department=decision.department,
            rule_id=decision.rule_id,
            rule_version=decision.rule_version,
        )
        return decision

    @activity.defn(name=PROJECT_TICKET)
    async def project_ticket(self, input: ProjectInput) -> None:
        """Write the ticket row and its new timeline events; older writes lose to newer ones."""
        async with self.db.session() as session:
            await projection.project_ticket(
                session=session, snapshot=input.snapshot, events=input.events
            )
        metrics.projected(input.events)
        _bound(input.snapshot.ticket_id).debug(
            "projected", seq=input.snapshot.seq, status=input.snapshot.status.value
        )

    @activity.defn(name=ARCHIVE_TICKET)
    async def archive_ticket(self, input: ArchiveInput) -> ArchiveResult:
        """Write the immutable archive record with the full timeline, deadlines and breaches, at
        the head of the archive's hash chain."""
        async with self.db.session() as session:
            record = await archive_chain.append(
                session=session, snapshot=input.snapshot, archived_at=input.snapshot.updated_at
            )
        _bound(input.snapshot.ticket_id).info(
            "archived",
            content_sha256=record.content_sha256,
            position=record.position,
            chain_sha256=record.chain_sha256,
        )
        return ArchiveResult(content_sha256=record.content_sha256)

    @activity.defn(name=FIND_DUPLICATES)
    async def find_duplicates(self, input: DuplicateQuery) -> DuplicateResult:
        """Open tickets of the same category within the category's radius and time window."""
        async with self.db.session() as session:
            candidates = await queries.probable_duplicates(
                session=session,
                ticket_id=input.ticket_id,
                category=input.category,
                lat=input.lat,
                lon=input.lon,
                submitted_at=input.submitted_at,
            )
        _bound(input.ticket_id).info("duplicates checked", found=len(candidates))
        return DuplicateResult(candidates=candidates)

    @activity.defn(name=NOTIFY)
    async def notify(self, input: NotifyInput) -> None:
        """Publish the notices (activities/notices.py): once per (event, kind, target) however
        often retried, fanned out to the subscribed people and channels."""
        # The moment the workflow asked (the server's clock, which time-skipping tests move).
        events = await self.publisher.ticket_events(
            ticket_id=input.ticket_id,
            seq=input.seq,
            notices=input.notices,
            now=activity.info().scheduled_time,
        )
        pending = await self.publisher.publish(events)
        for notice in input.notices:
            _bound(input.ticket_id).info(
                "notified", kind=notice.kind, target=notice.target, level=notice.level
            )
        if pending:
            _bound(input.ticket_id).info("deliveries queued", pending=pending)

    def all(self) -> list[Callable[..., Awaitable[object]]]:
        return [
            self.route_ticket,
            self.project_ticket,
            self.archive_ticket,
            self.notify,
            self.find_duplicates,
        ]
