"""Open311's GET requests lists by when a report came in (start_date/end_date, newest first):
an index on ticket.submitted_at, so that the last 90 days do not scan every ticket.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 04:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_submitted_at", ["submitted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_submitted_at")
