"""The audit log records an action's call to Temporal (issue 12: rows were lost when the API died,
and actions answered 503 that the workflow had applied kept a row saying they failed).

call_id: the server-made id of the request's call (an update's own id in the ticket's history);
call: start (a report) or update (an action); seq: the ticket event the action recorded;
settled: true on the call's row that says how it ended, one per call (ux_audit_log_call_settled).
Existing rows made no recorded call: NULL.

Columns are added in place (ALTER TABLE ADD COLUMN), never by copying the table, which would
drop the append-only triggers on SQLite.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "audit_log", sa.Column("call_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
    )
    op.add_column("audit_log", sa.Column("call", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.add_column("audit_log", sa.Column("seq", sa.Integer(), nullable=True))
    op.add_column("audit_log", sa.Column("settled", sa.Boolean(), nullable=True))
    op.create_index("ix_audit_log_call_id", "audit_log", ["call_id"], unique=False)
    op.create_index("ux_audit_log_call_settled", "audit_log", ["call_id", "settled"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_audit_log_call_settled", table_name="audit_log")
    op.drop_index("ix_audit_log_call_id", table_name="audit_log")
    # SQLite ≥ 3.35 drops a column in place, as PostgreSQL does.
    op.drop_column("audit_log", "settled")
    op.drop_column("audit_log", "seq")
    op.drop_column("audit_log", "call")
    op.drop_column("audit_log", "call_id")
