"""Schema migrations of the read model (Alembic scripts in readmodel/migrations/versions/); the
command is `python -m gridflow_admin migrate` (gridflow_admin/migrate.py).

`autogenerate` compares the tables in code with a scratch SQLite database upgraded to head (not
with your data), so it always diffs the code against the migration chain.

A database made before migrations existed (tables but no alembic_version, as `create_all`
left data/gridflow.db) is adopted: if its tables and columns are those of the first revision
it is stamped there and upgraded; otherwise upgrading stops with LegacySchema saying what
differs and what to do.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, inspect, text

from readmodel.db import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"  # the schema `create_all` made before migrations existed


class LegacySchema(RuntimeError):
    """A pre-migration database whose tables are not those of the baseline revision."""


def alembic_config(connection: Connection | None = None) -> Config:
    """The Alembic configuration, built in code (there is no alembic.ini)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _columns(conn: Connection) -> dict[str, set[str]]:
    inspector = inspect(conn)
    return {
        t: {c["name"] for c in inspector.get_columns(t)}
        for t in inspector.get_table_names()
        if t != "alembic_version"
    }


def _baseline_columns() -> dict[str, set[str]]:
    """Tables and columns of the baseline revision, from a scratch in-memory SQLite database."""
    scratch = create_engine("sqlite://")
    try:
        with scratch.begin() as conn:
            command.upgrade(alembic_config(conn), BASELINE)
            return _columns(conn)
    finally:
        scratch.dispose()


def _adopt(conn: Connection) -> None:
    """Stamp a pre-migration database at the baseline if it has exactly the baseline's columns."""
    have = _columns(conn)
    if "warned" not in have.get("ticket", {"warned"}):  # the one column added before migrations
        conn.execute(text("ALTER TABLE ticket ADD COLUMN warned BOOLEAN NOT NULL DEFAULT false"))
        have["ticket"].add("warned")
    want = _baseline_columns()
    differences = [f"table {t} missing" for t in sorted(want.keys() - have.keys())]
    differences += [
        f"table {t} not in the first revision" for t in sorted(have.keys() - want.keys())
    ]
    for table in sorted(want.keys() & have.keys()):
        differences += [f"{table}.{c} missing" for c in sorted(want[table] - have[table])]
        differences += [f"{table}.{c} unexpected" for c in sorted(have[table] - want[table])]
    if differences:
        raise LegacySchema(
            "this read-model database predates migrations and does not match their first "
            f"revision ({'; '.join(differences)}). Move it aside (e.g. mv data/gridflow.db "
            "data/gridflow.db.old), start again, then rebuild the tickets from Temporal with "
            "`python -m gridflow_admin reconcile --repair` (docs/operations.md)."
        )
    command.stamp(alembic_config(conn), BASELINE)


def _upgrade(conn: Connection, revision: str) -> None:
    tables = set(inspect(conn).get_table_names())
    if tables and "alembic_version" not in tables:
        _adopt(conn)
    command.upgrade(alembic_config(conn), revision)


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (adopting a pre-migration one first)."""
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade, revision)
    finally:
        await engine.dispose()


async def downgrade(url: str, revision: str = "base") -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.downgrade(alembic_config(c), revision))
    finally:
        await engine.dispose()


async def current(url: str) -> str | None:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(current_revision)
    finally:
        await engine.dispose()


class SchemaBehind(RuntimeError):
    """A read model at another revision than the code that wants to use it (or at none)."""


async def require_head(url: str) -> None:
    """Refuse to start a worker, an API or an admin tool on a read model that is not at this
    code's revision: its projections or requests would fail on every write until it is. Nothing
    but the migrations makes tables, so an empty or pre-migration database is refused too."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            have = await conn.run_sync(current_revision)
    finally:
        await engine.dispose()
    want = head()
    if have != want:
        where = f"at revision {have}" if have else "not migrated"
        raise SchemaBehind(
            f"the read model is {where}, this code needs {want}: run "
            "`python -m gridflow_admin migrate` first (deploy/README.md)"
        )


def _next_rev_id() -> str:
    numbers = [
        int(m.group(1))
        for p in (MIGRATIONS / "versions").glob("*.py")
        if (m := re.match(r"(\d{4})_", p.name))
    ]
    return f"{max(numbers, default=0) + 1:04d}"


async def autogenerate(message: str, url: str | None = None) -> str | None:
    """Write the next revision: the difference between the tables in code and head's schema
    (None: no difference, nothing written)."""
    with tempfile.TemporaryDirectory(prefix="gridflow-migrate-") as scratch:
        url = url or f"sqlite+aiosqlite:///{scratch}/head.db"
        await upgrade(url)
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                script = await conn.run_sync(
                    lambda c: command.revision(
                        alembic_config(c), message=message, autogenerate=True, rev_id=_next_rev_id()
                    )
                )
        finally:
            await engine.dispose()
    if not script:  # [] when there was no difference (migrations/env.py drops the revision)
        return None
    assert not isinstance(script, list)  # one head, one revision
    return str(script.path)
