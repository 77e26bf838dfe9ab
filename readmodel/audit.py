"""The audit log: one append-only row per action, kept in the read-model database.

Append-only is enforced by the database, not by convention: triggers refuse UPDATE and DELETE
(and TRUNCATE on PostgreSQL) on `audit_log`. They are created by a DDL event on every `Table`
named audit_log, so `create_schema` (create_all) and Alembic's `op.create_table` both get them.
"""
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, DDL, DateTime, Index, Table, event, func
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

TABLE = "audit_log"
OUTCOMES = ("ok", "refused", "failed")  # 2xx/3xx, 4xx, 5xx


class AuditEntry(SQLModel, table=True):
    """Who did what, when, through which route, on which ticket, and how it ended."""

    __tablename__ = TABLE
    __table_args__ = (Index("ix_audit_log_ticket_at", "ticket_id", "at"),
                      Index("ix_audit_log_actor_at", "actor_id", "at"))
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


def outcome_of(status: int) -> str:
    return "ok" if status < 400 else "refused" if status < 500 else "failed"


_REFUSAL = "audit_log is append-only"
_SQLITE = [
    DDL(f"CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}: UPDATE refused'); END"),
    DDL(f"CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}: DELETE refused'); END"),
]
_POSTGRESQL = [
    DDL("CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN RAISE EXCEPTION '{_REFUSAL}: %% refused', TG_OP; END $$"),
    DDL(f"CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()"),
    DDL(f"CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()"),
]


def append_only_triggers(connection) -> None:  # type: ignore[no-untyped-def]
    """Create the triggers on a connection (a migration that builds the table by hand calls it)."""
    dialect = connection.dialect.name
    for ddl in _POSTGRESQL if dialect == "postgresql" else _SQLITE if dialect == "sqlite" else []:
        connection.execute(ddl)


@event.listens_for(Table, "after_create")
def _after_create(target: Table, connection, **_kw) -> None:  # type: ignore[no-untyped-def]
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


def _where(query, f: AuditFilter):  # type: ignore[no-untyped-def]
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


async def search(*, session: AsyncSession, where: AuditFilter, limit: int,
                 offset: int) -> tuple[list[AuditEntry], int]:
    """A page of matching rows, the newest first, and how many match in all."""
    total = (await session.exec(_where(select(func.count()).select_from(AuditEntry), where))).one()
    rows = (await session.exec(
        _where(select(AuditEntry), where)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .offset(offset).limit(limit)
    )).all()
    return list(rows), int(total)


def now() -> datetime:
    return datetime.now(UTC)
