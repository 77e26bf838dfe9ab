"""provisional deadlines (issue 16): `ticket.provisional_due` marks a ticket with an open
deadline dated on a provisional year (the statutory rules standing in for a holiday notice not
loaded yet); false for every ticket before it, as none was dated so.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
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


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("provisional_due")
