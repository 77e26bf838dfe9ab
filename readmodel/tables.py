"""The read model: tables written by activities (tickets) or by the seeding tools (reference data)."""
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
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


class TicketRow(SQLModel, table=True):
    __tablename__ = "ticket"
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
