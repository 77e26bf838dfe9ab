"""The overdue list's count reads one index range: ticket.late_from and its six partial indexes.

Backfilled from the columns the projection derives it from (readmodel/tickets/projection.late_from):
1970-01-01 for a ticket marked overdue, else its current deadline.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 01:55:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# readmodel/tickets/projection.LATE_ALREADY, frozen here
LATE_ALREADY = datetime(1970, 1, 1, tzinfo=UTC)
INDEXES = {
    "ix_ticket_open_late": [],
    "ix_ticket_open_department_late": ["department"],
    "ix_ticket_open_street_late": ["street"],
    "ix_ticket_open_community_late": ["community"],
    "ix_ticket_open_grid_late": ["grid"],
    "ix_ticket_open_category_late": ["category"],
}


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("late_from", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    op.execute(
        sa.text(
            "UPDATE ticket SET late_from = CASE WHEN overdue THEN :late ELSE current_due_at END"
        ).bindparams(sa.bindparam("late", LATE_ALREADY, type_=sqlmodel.sql.sqltypes.UTCDateTime()))
    )
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        for name, leading in INDEXES.items():
            batch_op.create_index(
                name,
                [*leading, "is_open", "late_from", "escalation_level"],
                unique=False,
                sqlite_where=sa.text("is_open = 1"),
                postgresql_where=sa.text("is_open"),
            )


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(
                name, sqlite_where=sa.text("is_open = 1"), postgresql_where=sa.text("is_open")
            )
        batch_op.drop_column("late_from")
