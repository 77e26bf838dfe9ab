"""The worker's own Prometheus metrics (docs/observability.md), beside the Temporal SDK's.

Counters are counted when their activity runs: a retried projection may count its breach or
escalation again, so alert on rates, not exact totals. Ticket counts by status are the read
model's, refreshed every GRIDFLOW_TICKET_COUNT_EVERY_SECONDS."""

import asyncio
from datetime import UTC, datetime
from wsgiref.simple_server import WSGIServer

import structlog
from prometheus_client import Counter, Gauge, Histogram, start_http_server
from sqlalchemy import func
from sqlmodel import select

from domain.models import TicketEvent
from domain.states import Action, TicketStatus
from readmodel.db import Database
from readmodel.tickets.tables import TicketRow

BREACHES = Counter("gridflow_deadline_breaches", "Ticket deadlines breached, as projected")
ESCALATIONS = Counter("gridflow_escalations", "Overdue tickets escalated a level, as projected")
NOTIFICATIONS = Counter(
    "gridflow_notifications",
    "Notification deliveries ended: delivered, retrying (a try failed) or failed (given up)",
    ["outcome"],
)
PROJECTION_LAG = Histogram(
    "gridflow_projection_lag_seconds",
    "From a ticket event to its row in the read model",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
)
TICKETS = Gauge("gridflow_tickets", "Tickets in the read model by status", ["status"])

log = structlog.get_logger("gridflow.metrics")


def projected(events: list[TicketEvent]) -> None:
    now = datetime.now(UTC)
    for event in events:
        if event.action == Action.DEADLINE_BREACHED:
            BREACHES.inc()
        elif event.action == Action.ESCALATE:
            ESCALATIONS.inc()
    if events:
        PROJECTION_LAG.observe(max(0.0, (now - max(e.at for e in events)).total_seconds()))


async def count_tickets(db: Database) -> None:
    async with db.session() as session:
        rows = (
            await session.exec(select(TicketRow.status, func.count()).group_by(TicketRow.status))
        ).all()
    counts: dict[str, int] = {status: count for status, count in rows}
    for status in {*counts, *TicketStatus}:  # every status, 0 when none is in it
        TICKETS.labels(str(status)).set(counts.get(status, 0))


async def keep_counting_tickets(db: Database, every: float) -> None:
    while True:
        try:
            await count_tickets(db)
        except Exception as err:  # the next round tries again; the worker keeps working
            log.warning("ticket_count_failed", error=type(err).__name__)
        await asyncio.sleep(every)


def serve_metrics(address: str) -> WSGIServer:
    """prometheus_client's /metrics at host:port, in a thread of its own."""
    host, _, port = address.rpartition(":")
    server, _thread = start_http_server(int(port), addr=host or "0.0.0.0")
    return server
