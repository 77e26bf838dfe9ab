"""supervision (issue 14): 督办单 orders, and the ticket's count of supervisors' 催办.

`supervision_order` is the projection of each order's workflow (workflows/supervision.py);
`ticket.urge_count` counts supervisors' 催办 apart from the clock's reminders (0 for every
ticket before it).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supervision_order",
        sa.Column("order_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("opened_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("opened_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("tickets", sa.JSON(), nullable=False),
        sa.Column("instruction", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reply_due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("promised_finish", sa.Date(), nullable=True),
        sa.Column("answered_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("closed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
    )
    with op.batch_alter_table("supervision_order", schema=None) as batch_op:
        for column in ("department", "opened_at", "place", "status"):
            batch_op.create_index(
                batch_op.f(f"ix_supervision_order_{column}"), [column], unique=False
            )
    # Kept as the column's default: dropping it would make SQLite rebuild the ticket table.
    op.add_column(
        "ticket", sa.Column("urge_count", sa.Integer(), nullable=False, server_default="0")
    )


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("urge_count")
    with op.batch_alter_table("supervision_order", schema=None) as batch_op:
        for column in ("status", "place", "opened_at", "department"):
            batch_op.drop_index(batch_op.f(f"ix_supervision_order_{column}"))
    op.drop_table("supervision_order")
