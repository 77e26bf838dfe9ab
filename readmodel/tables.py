"""The read model: tables written by activities (tickets) or by the seeding tools (reference data)."""
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class Department(SQLModel, table=True):
    code: str = Field(primary_key=True)
    name: str


class Category(SQLModel, table=True):
    code: str = Field(primary_key=True)
    name_zh: str
    name_en: str


class Grid(SQLModel, table=True):
    code: str = Field(primary_key=True)
    name: str
    community: str
    street: str
    district: str
    ring: list[Any] = Field(sa_column=Column(JSON, nullable=False))


class RoutingRuleRow(SQLModel, table=True):
    __tablename__ = "routing_rule"
    rule_id: str = Field(primary_key=True)
    version: int = 1
    category: str = Field(index=True)
    grid: str | None = None
    department: str


class User(SQLModel, table=True):
    user_id: str = Field(primary_key=True)
    name: str
    role: str
    department: str | None = None
    grids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    token_hash: str = Field(unique=True, index=True)


def _open_tickets_index(name: str, *leading: str) -> Index:
    """(leading…, is_open, current_due_at, submitted_at, overdue, escalation_level, ticket_id)
    of the open tickets only.

    The overdue list walks one of these in its ORDER BY (current_due_at NULLS LAST, submitted_at)
    and stops after a page; its COUNT and the page's keys read only the index (overdue,
    escalation_level and ticket_id are in it), so a deep page costs index entries, not rows.
    Partial: closed tickets (most of the table) are not indexed. is_open is also a key column so
    that SQLite, which has no planner statistics here, prefers these over ix_ticket_is_open. The
    SQLite predicate is spelled as SQLAlchemy renders the filter (`is_open = 1`), or SQLite would
    not see that the query implies it.
    """
    return Index(name, *leading, "is_open", "current_due_at", "submitted_at", "overdue",
                 "escalation_level", "ticket_id", sqlite_where=text("is_open = 1"),
                 postgresql_where=text("is_open"))


class TicketRow(SQLModel, table=True):
    __tablename__ = "ticket"
    __table_args__ = (
        _open_tickets_index("ix_ticket_open_due"),
        _open_tickets_index("ix_ticket_open_department_due", "department"),
        _open_tickets_index("ix_ticket_open_street_due", "street"),
        _open_tickets_index("ix_ticket_open_community_due", "community"),
        _open_tickets_index("ix_ticket_open_grid_due", "grid"),
        _open_tickets_index("ix_ticket_open_category_due", "category"),
    )
    ticket_id: str = Field(primary_key=True)
    seq: int
    status: str = Field(index=True)
    is_open: bool = Field(index=True)
    category: str = Field(index=True)
    grid: str = Field(index=True)
    lat: float
    lon: float
    description: str
    reporter_id: str = Field(index=True)
    department: str | None = Field(default=None, index=True)
    claimed_by: str | None = None
    routing_rule_id: str | None = None
    return_count: int = 0
    rework_count: int = 0
    overdue: bool = Field(default=False, index=True)
    urgency: str = "normal"
    street: str = Field(default="", index=True)
    community: str = Field(default="", index=True)
    escalation_level: int = Field(default=0, index=True)
    extension_count: int = 0
    breach_count: int = 0
    parked: bool = False
    closed_at: datetime | None = Field(default=None, index=True)
    current_stage: str | None = None
    current_due_at: datetime | None = Field(default=None, index=True)
    submitted_at: datetime
    updated_at: datetime
    snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class TicketEventRow(SQLModel, table=True):
    __tablename__ = "ticket_event"
    __table_args__ = (UniqueConstraint("ticket_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: str = Field(index=True)
    seq: int
    at: datetime
    actor_id: str
    actor_role: str
    action: str
    from_status: str | None = None
    to_status: str
    reason: str | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ArchiveRecord(SQLModel, table=True):
    """Written once when a ticket is archived; never updated."""

    __tablename__ = "ticket_archive"
    ticket_id: str = Field(primary_key=True)
    archived_at: datetime
    final_status: str
    record: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    content_sha256: str


class DeadlineRuleRow(SQLModel, table=True):
    """Deadline policy rows an admin changes without a redeploy; they win over the defaults."""

    __tablename__ = "deadline_rule"
    id: int | None = Field(default=None, primary_key=True)
    stage: str
    amount: float
    unit: str
    category: str | None = Field(default=None, index=True)
    urgency: str | None = None


class Notification(SQLModel, table=True):
    """The outbox of who must hear about a ticket; a delivery channel reads it."""

    __table_args__ = (UniqueConstraint("ticket_id", "seq", "kind", "target"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: str = Field(index=True)
    seq: int
    kind: str
    target: str = Field(index=True)
    level: int | None = None
    stage: str | None = None
    due_at: datetime | None = None
    created_at: datetime


class SubjectRow(SQLModel, table=True):
    """A shop, school or building tickets may concern; its colour is projected by its workflow."""

    __tablename__ = "subject"
    code: str = Field(primary_key=True)  # the "sunshine code" posted at the door
    name: str
    kind: str  # shop / school / building / …
    grid: str = Field(index=True)
    colour: str = Field(default="white", index=True)
    open_problems: int = 0
    observation_until: datetime | None = None
    recheck_due: bool = False
    seq: int = 0
    state: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
