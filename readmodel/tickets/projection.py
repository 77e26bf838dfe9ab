"""Idempotent projection writes: a stale or retried write never overwrites a newer one."""

from datetime import UTC, datetime

from sqlalchemy import Table, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.alarms import Notice
from domain.models import TicketEvent, TicketSnapshot
from domain.notices import event_id
from domain.states import OPEN_STATUSES
from readmodel.tickets.tables import Notification, TicketEventRow, TicketRow


def _table(model: type[SQLModel]) -> Table:
    # SQLModel's types do not declare a table model's __table__; its mapper holds the same Table.
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table


def _insert(session: AsyncSession, table: Table) -> postgresql.Insert | sqlite.Insert:
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def warned(snapshot: TicketSnapshot) -> bool:
    """A warning (50 %/80 %) fired on a deadline still running and not breached yet."""
    return any(
        d.breached_at is None and any(w.fired_at is not None for w in d.warnings)
        for d in snapshot.open_deadlines
    )


# Before any `now` the overdue view is asked at (tests ask at fixed instants, too).
LATE_ALREADY = datetime(1970, 1, 1, tzinfo=UTC)


def late_from_of(*, overdue: bool, current_due_at: datetime | None) -> datetime | None:
    """See TicketRow.late_from: LATE_ALREADY while a breached deadline is open, else the current
    deadline (None: no deadline running, so never late)."""
    return LATE_ALREADY if overdue else current_due_at


def late_from(snapshot: TicketSnapshot) -> datetime | None:
    current = snapshot.current_deadline
    return late_from_of(
        overdue=snapshot.overdue, current_due_at=current.due_at if current else None
    )


def ticket_values(snapshot: TicketSnapshot) -> dict:
    current = snapshot.current_deadline
    return {
        "ticket_id": snapshot.ticket_id,
        "seq": snapshot.seq,
        "status": snapshot.status.value,
        "is_open": snapshot.status in OPEN_STATUSES,
        "category": snapshot.category,
        "grid": snapshot.grid,
        "lat": snapshot.lat,
        "lon": snapshot.lon,
        "description": snapshot.description,
        "reporter_id": snapshot.reporter_id,
        "department": snapshot.department,
        "claimed_by": snapshot.claimed_by,
        "routing_rule_id": snapshot.routing.rule_id if snapshot.routing else None,
        "return_count": snapshot.return_count,
        "rework_count": snapshot.rework_count,
        "overdue": snapshot.overdue,
        "urgency": snapshot.urgency.value,
        "device_id": snapshot.device_id,
        "street": snapshot.street,
        "community": snapshot.community,
        "escalation_level": snapshot.escalation_level,
        "warned": warned(snapshot),
        "extension_count": snapshot.extension_count,
        "breach_count": len(snapshot.breaches),
        "urge_count": snapshot.urge_count,
        "provisional_due": any(d.provisional for d in snapshot.open_deadlines),
        "parked": snapshot.parking is not None,
        "closed_at": snapshot.closed_at,
        "current_stage": current.stage.value if current else None,
        "current_due_at": current.due_at if current else None,
        "late_from": late_from(snapshot),
        "submitted_at": snapshot.submitted_at,
        "updated_at": snapshot.updated_at,
        "snapshot": snapshot.model_dump(mode="json", exclude={"events"}),
    }


async def project_ticket(
    *, session: AsyncSession, snapshot: TicketSnapshot, events: list[TicketEvent]
) -> None:
    """Upsert the ticket row if this snapshot is newer, and add any timeline events not yet there."""
    table = _table(TicketRow)
    values = ticket_values(snapshot)
    stmt = _insert(session, table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.ticket_id],
        set_={k: stmt.excluded[k] for k in values if k != "ticket_id"},
        where=table.c.seq < stmt.excluded.seq,
    )
    await session.exec(stmt)
    if events:
        rows = [
            {
                "ticket_id": snapshot.ticket_id,
                **e.model_dump(mode="python", include=set(TicketEventRow.model_fields) - {"id"}),
            }
            for e in events
        ]
        ev = _insert(session, _table(TicketEventRow)).values(rows)
        await session.exec(ev.on_conflict_do_nothing(index_elements=["ticket_id", "seq"]))
    await session.commit()


async def add_notifications(
    *, session: AsyncSession, ticket_id: str, seq: int, notices: list[Notice]
) -> None:
    """The outbox rows alone, without deliveries (activities/notices.py publishes both)."""
    rows: list[dict[str, object]] = [
        {
            "event_id": event_id(ticket_id, seq, n.kind, n.target),
            "ticket_id": ticket_id,
            "seq": seq,
            "kind": n.kind,
            "target": n.target,
            "level": int(n.level) if n.level is not None else None,
            "stage": n.stage.value if n.stage else None,
            "due_at": n.due_at,
            "data": {},
            "created_at": datetime.now(UTC),
        }
        for n in notices
    ]
    if rows:
        stmt = _insert(session, _table(Notification)).values(rows)
        await session.exec(stmt.on_conflict_do_nothing(index_elements=["event_id"]))
        await session.commit()
