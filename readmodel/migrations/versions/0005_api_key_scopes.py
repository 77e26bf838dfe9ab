"""API keys carry their own scopes and the role they were made for (issue 12: a key acted with its
owner's current role, so an owner's promotion to admin reached every old key).

Existing keys act as their owner did until now, narrowed: a sensor's keys report (sensor_intake,
open311_report); anyone else's only read (read_only), with the owner's role today. A key whose
owner is an admin now was made before the promotion (admins could never own keys): it is
revoked, since the role it was made for is not known.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SENSOR = ["sensor_intake", "open311_report"]  # api/key_scopes.KeyScope values, frozen here
READ_ONLY = ["read_only"]


def upgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scopes", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("role", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.execute(
        sa.text(
            'UPDATE api_key SET role = COALESCE((SELECT "user".role FROM "user" '
            "WHERE \"user\".user_id = api_key.user_id), 'sensor')"
        )
    )
    op.execute(
        sa.text("UPDATE api_key SET scopes = :scopes WHERE role = 'sensor'").bindparams(
            sa.bindparam("scopes", SENSOR, type_=sa.JSON())
        )
    )
    op.execute(
        sa.text("UPDATE api_key SET scopes = :scopes WHERE role <> 'sensor'").bindparams(
            sa.bindparam("scopes", READ_ONLY, type_=sa.JSON())
        )
    )
    op.execute(
        sa.text(
            "UPDATE api_key SET revoked_at = :now WHERE role = 'admin' AND revoked_at IS NULL"
        ).bindparams(
            sa.bindparam("now", datetime.now(UTC), type_=sqlmodel.sql.sqltypes.UTCDateTime())
        )
    )
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.alter_column("scopes", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column(
            "role", existing_type=sqlmodel.sql.sqltypes.AutoString(), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_column("role")
        batch_op.drop_column("scopes")
