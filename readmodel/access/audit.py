"""The audit log: one append-only row per action, kept in the read-model database.

Append-only is enforced by the database, not by convention: triggers refuse UPDATE and DELETE
(and TRUNCATE on PostgreSQL) on `audit_log`. They are created by a DDL event on every `Table`
named audit_log, so Alembic's `op.create_table` (the one way tables are made) gets them.

A request that asks Temporal to act writes two rows, both appended: first its intent (`pending`,
with the call's id) before Temporal is asked, then how it ended. When the API cannot tell how it
ended (it answered 5xx, or died), the ending is read later from the workflow's own record
(readmodel/access/audit_resolve.py). docs/audit.md.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DDL, Column, Connection, DateTime, Index, Table, event, func
from sqlalchemy.orm import aliased
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from domain.models import TicketSnapshot

TABLE = "audit_log"
# ok: done (2xx/3xx); refused: 4xx, nothing done; failed: 5xx, or a call the workflow has no record
# of; pending: Temporal is about to be asked; unknown: answered 5xx after asking (not known yet
# whether it was done). pending and unknown are followed by a row with one of the first three.
OUTCOMES = ("ok", "refused", "failed", "pending", "unknown")
# A report starts its ticket's workflow; an action (a ticket's, a subject's) is an update; a
# sensor's report is a signal (signal-with-start) carrying the call's id in its reading.
CALLS = ("start", "update", "signal")


class AuditEntry(SQLModel, table=True):
    """Who did what, when, through which route, on which ticket, and how it ended."""

    __tablename__ = TABLE
    __table_args__ = (
        Index("ix_audit_log_ticket_at", "ticket_id", "at"),
        Index("ix_audit_log_actor_at", "actor_id", "at"),
        # One settled row per call: a resolver racing the request (or another resolver) loses.
        Index("ux_audit_log_call_settled", "call_id", "settled", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    actor_id: str | None = None  # None: the caller was not authenticated
    role: str | None = None
    auth: str | None = None  # jwt / api_key / token / password (a login) / None
    username: str | None = None  # the name a login tried (never the password)
    method: str
    route: str  # the route template, e.g. /api/v1/tickets/{ticket_id}/claim
    ticket_id: str | None = None
    status: int
    outcome: str = Field(index=True)
    error: str | None = None  # the refusal's message
    request_id: str = Field(index=True)
    # The request's call to Temporal (empty when it made none): a server-made id, sent as the
    # workflow update's id, so the ticket's history names it; `call` says which kind it was.
    call_id: str | None = Field(default=None, index=True)
    call: str | None = None
    seq: int | None = None  # the ticket event the action recorded (1: the report's submit)
    settled: bool | None = None  # true on the call's row that says how it ended; else empty


def outcome_of(status: int, *, asked_temporal: bool = False) -> str:
    if status >= 500 or status == 0:
        return "unknown" if asked_temporal else "failed"
    return "ok" if status < 400 else "refused"


def seq_of(snapshot: TicketSnapshot, actor_id: str) -> int | None:
    """The event an actor's action recorded: their last in the snapshot the update returned (an
    update records one event of its actor; what the system adds after it is the system's)."""
    return max((e.seq for e in snapshot.events if e.actor_id == actor_id), default=None)


_REFUSAL = "audit_log is append-only"
_SQLITE = [
    DDL(
        f"CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}: UPDATE refused'); END"
    ),
    DDL(
        f"CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}: DELETE refused'); END"
    ),
]
_POSTGRESQL = [
    DDL(
        "CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN RAISE EXCEPTION '{_REFUSAL}: %% refused', TG_OP; END $$"
    ),
    DDL(
        f"CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()"
    ),
    DDL(
        f"CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()"
    ),
]


def append_only_triggers(connection: Connection) -> None:
    """Create the triggers on a connection (a migration that builds the table by hand calls it)."""
    dialect = connection.dialect.name
    for ddl in _POSTGRESQL if dialect == "postgresql" else _SQLITE if dialect == "sqlite" else []:
        connection.execute(ddl)


@event.listens_for(Table, "after_create")
def _after_create(target: Table, connection: Connection, **_kw: Any) -> None:
    # Listening on the Table class, not AuditEntry.__table__: Alembic's op.create_table builds
    # its own Table object and fires the same event on it.
    if target.name == TABLE:
        append_only_triggers(connection)


async def append(*, session: AsyncSession, entry: AuditEntry) -> None:
    """Add one row and commit it."""
    session.add(entry)
    await session.commit()


@dataclass
class AuditFilter:
    ticket_id: str | None = None
    actor_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    outcome: str | None = None


_Found = TypeVar("_Found")


def _where(query: SelectOfScalar[_Found], f: AuditFilter) -> SelectOfScalar[_Found]:
    if f.ticket_id:
        query = query.where(AuditEntry.ticket_id == f.ticket_id)
    if f.actor_id:
        query = query.where(AuditEntry.actor_id == f.actor_id)
    if f.since:
        query = query.where(col(AuditEntry.at) >= f.since)
    if f.until:
        query = query.where(col(AuditEntry.at) < f.until)
    if f.outcome:
        query = query.where(AuditEntry.outcome == f.outcome)
    return query


async def search(
    *, session: AsyncSession, where: AuditFilter, limit: int, offset: int
) -> tuple[list[AuditEntry], int]:
    """A page of matching rows, the newest first, and how many match in all."""
    total = (await session.exec(_where(select(func.count()).select_from(AuditEntry), where))).one()
    rows = (
        await session.exec(
            _where(select(AuditEntry), where)
            .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
            .offset(offset)
            .limit(limit)
        )
    ).all()
    return list(rows), int(total)


async def open_calls(
    *, session: AsyncSession, asked_before: datetime, limit: int = 200
) -> list[tuple[AuditEntry, int]]:
    """Intents with no settled row yet, asked before the given moment, the oldest first; each
    with the status its request answered (its `unknown` row's), 0 when it never answered. A call
    with several intents (a sensor's reading tried on one ticket, then the next) is asked of the
    workflow its latest intent names: the ones before it refused the call."""
    settled = select(AuditEntry.id).where(
        AuditEntry.call_id == Intent.call_id, col(AuditEntry.settled).is_(True)
    )
    later = select(AuditEntry.id).where(
        AuditEntry.call_id == Intent.call_id,
        AuditEntry.outcome == "pending",
        col(AuditEntry.id) > col(Intent.id),
    )
    intents = (
        await session.exec(
            select(Intent)
            .where(
                Intent.outcome == "pending",
                col(Intent.at) < asked_before,
                ~settled.exists(),
                ~later.exists(),
            )
            .order_by(col(Intent.id))
            .limit(limit)
        )
    ).all()
    answered = dict(
        (
            await session.exec(
                select(AuditEntry.call_id, AuditEntry.status).where(
                    AuditEntry.outcome == "unknown",
                    col(AuditEntry.call_id).in_([i.call_id for i in intents]),
                )
            )
        ).all()
    )
    return [(i, answered.get(i.call_id, 0)) for i in intents]


Intent = aliased(AuditEntry, name="intent")


def now() -> datetime:
    return datetime.now(UTC)
