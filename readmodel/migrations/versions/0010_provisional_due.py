"""provisional deadlines (issue 16): `ticket.provisional_due` marks a ticket with an open
deadline dated on a provisional year (the statutory rules standing in for a holiday notice not
loaded yet); false for every ticket before it, as none was dated so. And the field's default
for the new `redate` notice (a deadline moved by a year's notice): in-app, to whoever answers for
the stage (domain/notices.py DEFAULT_SUBSCRIPTIONS).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 01:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Kept as the column's default: dropping it would make SQLite rebuild the ticket table.
    op.add_column(
        "ticket",
        sa.Column("provisional_due", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.bulk_insert(
        sa.table(
            "notification_subscription",
            sa.column("kind", sa.String),
            sa.column("audience", sa.String),
            sa.column("channel_id", sa.String),
            sa.column("active", sa.Boolean),
            sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
        ),
        [
            {
                "kind": "redate",
                "audience": "target",
                "channel_id": "in-app",
                "active": True,
                "created_at": datetime.now(UTC),
            }
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM notification_subscription WHERE kind = 'redate'")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("provisional_due")
