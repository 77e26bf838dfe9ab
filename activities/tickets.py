"""Ticket activities: route, plan deadlines, project to the read model, archive. All the I/O."""
import structlog
from sqlmodel import select
from temporalio import activity

from domain.contracts import (
    ARCHIVE_TICKET,
    NOTIFY,
    PROJECT_TICKET,
    ROUTE_TICKET,
    ArchiveInput,
    ArchiveResult,
    NotifyInput,
    ProjectInput,
    RouteInput,
)
from domain.models import RoutingDecision
from domain.routing import RoutingRule, route
from readmodel import projection
from readmodel.db import Database
from readmodel.tables import RoutingRuleRow

log = structlog.get_logger("gridflow.activities")


def _bound(ticket_id: str) -> structlog.stdlib.BoundLogger:
    info = activity.info()
    return log.bind(ticket_id=ticket_id, workflow_id=info.workflow_id, activity=info.activity_type,
                    attempt=info.attempt)


class TicketActivities:
    """Activities share one database; registered as bound methods."""

    def __init__(self, *, db: Database) -> None:
        self.db = db

    @activity.defn(name=ROUTE_TICKET)
    async def route_ticket(self, input: RouteInput) -> RoutingDecision:
        """Find the department for this category and grid from the routing table."""
        async with self.db.session() as session:
            rows = (await session.exec(
                select(RoutingRuleRow).where(RoutingRuleRow.category == input.category)
            )).all()
        rules = [RoutingRule.model_validate(r, from_attributes=True) for r in rows]
        decision = route(rules=rules, category=input.category, grid=input.grid)
        _bound(input.ticket_id).info("routed", department=decision.department,
                                     rule_id=decision.rule_id)
        return decision

    @activity.defn(name=PROJECT_TICKET)
    async def project_ticket(self, input: ProjectInput) -> None:
        """Write the ticket row and its new timeline events; older writes lose to newer ones."""
        async with self.db.session() as session:
            await projection.project_ticket(session=session, snapshot=input.snapshot,
                                            events=input.events)
        _bound(input.snapshot.ticket_id).debug("projected", seq=input.snapshot.seq,
                                               status=input.snapshot.status.value)

    @activity.defn(name=ARCHIVE_TICKET)
    async def archive_ticket(self, input: ArchiveInput) -> ArchiveResult:
        """Write the immutable archive record with the full timeline, deadlines and breaches."""
        async with self.db.session() as session:
            digest = await projection.archive_ticket(
                session=session, snapshot=input.snapshot, archived_at=input.snapshot.updated_at
            )
        _bound(input.snapshot.ticket_id).info("archived", content_sha256=digest)
        return ArchiveResult(content_sha256=digest)

    @activity.defn(name=NOTIFY)
    async def notify(self, input: NotifyInput) -> None:
        """Put notices in the outbox, once per (event, kind, target) however often retried."""
        async with self.db.session() as session:
            await projection.add_notifications(session=session, ticket_id=input.ticket_id,
                                               seq=input.seq, notices=input.notices)
        for notice in input.notices:
            _bound(input.ticket_id).info("notified", kind=notice.kind, target=notice.target,
                                         level=notice.level)

    def all(self) -> list:  # type: ignore[type-arg]
        return [self.route_ticket, self.project_ticket, self.archive_ticket, self.notify]
