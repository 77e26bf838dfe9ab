"""The ticket projection's tables: ticket, ticket_event (the timeline), ticket_archive,
notification (the outbox) and photo; written by the ticket activities (photos: by the API)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel


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
    return Index(
        name,
        *leading,
        "is_open",
        "current_due_at",
        "submitted_at",
        "overdue",
        "escalation_level",
        "ticket_id",
        sqlite_where=text("is_open = 1"),
        postgresql_where=text("is_open"),
    )


def _late_tickets_index(name: str, *leading: str) -> Index:
    """(leading…, is_open, late_from, escalation_level) of the open tickets only: the overdue
    list's COUNT is one range of it (late_from before now, or before the horizon asked for), so
    it reads the late tickets' entries and not every open ticket's (docs/benchmarks.md)."""
    return Index(
        name,
        *leading,
        "is_open",
        "late_from",
        "escalation_level",
        sqlite_where=text("is_open = 1"),
        postgresql_where=text("is_open"),
    )


class TicketRow(SQLModel, table=True):
    __tablename__ = "ticket"
    __table_args__ = (
        _open_tickets_index("ix_ticket_open_due"),
        _open_tickets_index("ix_ticket_open_department_due", "department"),
        _open_tickets_index("ix_ticket_open_street_due", "street"),
        _open_tickets_index("ix_ticket_open_community_due", "community"),
        _open_tickets_index("ix_ticket_open_grid_due", "grid"),
        _open_tickets_index("ix_ticket_open_category_due", "category"),
        _late_tickets_index("ix_ticket_open_late"),
        _late_tickets_index("ix_ticket_open_department_late", "department"),
        _late_tickets_index("ix_ticket_open_street_late", "street"),
        _late_tickets_index("ix_ticket_open_community_late", "community"),
        _late_tickets_index("ix_ticket_open_grid_late", "grid"),
        _late_tickets_index("ix_ticket_open_category_late", "category"),
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
    device_id: str | None = Field(default=None, index=True)
    street: str = Field(default="", index=True)
    community: str = Field(default="", index=True)
    escalation_level: int = Field(default=0, index=True)
    warned: bool = False  # a warning fired on a deadline still running, not breached (battle map)
    extension_count: int = 0
    breach_count: int = 0
    urge_count: int = 0  # supervisors' 催办 (the clock's reminders are not counted here)
    # An open deadline dated on a provisional year (the statutory rules, before the notice):
    # the tickets a loaded notice may re-date (docs/deadlines.md).
    provisional_due: bool = False
    parked: bool = False
    closed_at: datetime | None = Field(default=None, index=True)
    current_stage: str | None = None
    current_due_at: datetime | None = Field(default=None, index=True)
    # From when the overdue list counts the ticket as late: a breached deadline still open makes
    # it late already (1970-01-01, projection.LATE_ALREADY), else once current_due_at passes.
    # Late at `now` <=> overdue OR current_due_at < now <=> late_from < now (projection.late_from).
    late_from: datetime | None = None
    submitted_at: datetime = Field(index=True)  # Open311 lists by it (newest first)
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
    # The hash chain (readmodel/tickets/archive_chain.py): one unique position per record, so two
    # archives at once cannot both extend the same head.
    __table_args__ = (UniqueConstraint("position", name="uq_ticket_archive_position"),)
    ticket_id: str = Field(primary_key=True)
    archived_at: datetime
    final_status: str
    record: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    content_sha256: str
    position: int | None = None  # 1, 2, 3, … in archiving order; None: not chained (yet)
    prev_sha256: str | None = None  # the previous record's chain_sha256 (64 zeros for the first)
    chain_sha256: str | None = None  # of this record's position, fields, digest and prev_sha256


class Notification(SQLModel, table=True):
    """The outbox of events somebody must hear about (domain/notices.py): a ticket's, or a
    report's; deliveries (readmodel/notices) fan each out to people and channels."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, index=True)  # domain.notices.event_id: receivers de-dup
    ticket_id: str | None = Field(default=None, index=True)  # None: not a ticket's (a report)
    seq: int
    kind: str
    target: str = Field(index=True)
    level: int | None = None
    stage: str | None = None
    due_at: datetime | None = None
    urgent: bool = False
    department: str | None = None
    grid: str | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime


class Photo(SQLModel, table=True):
    """An uploaded photo (readmodel/tickets/photo_store.py): the re-encoded JPEG is a file under
    data_dir/photos; attached to one ticket once the report or action naming it succeeded."""

    __tablename__ = "photo"
    photo_id: str = Field(primary_key=True)  # 32 hex digits, random: the file name
    kind: str  # report / rectification / write_off
    uploader_id: str = Field(index=True)
    ticket_id: str | None = Field(default=None, index=True)  # None: not attached yet
    width: int
    height: int
    size_bytes: int
    sha256: str  # of the stored JPEG
    source_type: str  # the sniffed type of what was uploaded: image/jpeg, image/png, image/heic
    created_at: datetime
    attached_at: datetime | None = None
