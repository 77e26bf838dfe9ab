"""Alembic environment: run by readmodel/migrate.py, which hands over an open connection.

The target is SQLModel's metadata with every read-model table registered (readmodel.db imports
the table modules). Batch mode lets SQLite alter tables (it rebuilds them).
"""

from alembic import context
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import readmodel.db  # noqa: F401  (registers every read-model table on SQLModel.metadata)

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with `python -m gridflow_admin migrate`, not the alembic CLI")


def _no_empty_revision(
    _context: MigrationContext, _revision: object, directives: list[MigrationScript]
) -> None:
    """Autogenerate writes nothing when the tables in code match head."""
    ops = directives[0].upgrade_ops if directives else None
    if ops is not None and ops.is_empty():
        directives[:] = []


context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,
    compare_type=True,
    process_revision_directives=_no_empty_revision,
)
with context.begin_transaction():
    context.run_migrations()
