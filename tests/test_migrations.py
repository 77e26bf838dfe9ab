"""Migrations: from an empty database to exactly the tables in code, back to nothing, the
adoption of a database made before migrations existed, and no process starting on a database
not at head; on SQLite and PostgreSQL."""

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlmodel import SQLModel

from gridflow_admin.cli import main as admin
from readmodel import migrate
from readmodel.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
Found = TypeVar("Found")


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A URL to a database with nothing in it."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/gridflow.db"
        return
    from tests.pg import create_database, drop_database

    url = await create_database(request.getfixturevalue("pg_url"))
    yield url
    await drop_database(url)


async def on(url: str, work: Callable[[Connection], Found]) -> Found:
    """Run a synchronous inspection on a connection to `url`."""
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(work)
    finally:
        await engine.dispose()


def drift(conn: Connection) -> list[Any]:
    """What autogenerate would write: the differences between the database and the code."""
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return compare_metadata(context, SQLModel.metadata)


def tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names()) - {"alembic_version"}


def index_sql(conn: Connection) -> dict[str, str]:
    if conn.dialect.name == "sqlite":
        rows = conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        )
    else:
        rows = conn.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        )
    return {name: sql for name, sql in rows}


async def test_upgrade_from_empty_gives_exactly_the_tables_in_code(empty_url: str) -> None:
    await migrate.upgrade(empty_url)
    assert await on(empty_url, drift) == []
    assert await migrate.current(empty_url) == migrate.head()
    assert await on(empty_url, tables) == set(SQLModel.metadata.tables)


async def test_the_open_ticket_indexes_are_partial(empty_url: str) -> None:
    await migrate.upgrade(empty_url)
    indexes = await on(empty_url, index_sql)
    dialect = "sqlite" if empty_url.startswith("sqlite") else "postgresql"
    partial = [
        ix
        for table in SQLModel.metadata.tables.values()
        for ix in table.indexes
        if ix.dialect_options[dialect]["where"] is not None
    ]
    assert len(partial) >= 6
    for index in partial:
        assert index.name is not None  # every index in the tables is named
        where = str(index.dialect_options[dialect]["where"])
        assert f"WHERE {where}" in indexes[index.name].replace("(", "").replace(")", ""), (
            index.name,
            indexes[index.name],
        )


async def test_downgrade_to_base_removes_everything_and_upgrade_again(empty_url: str) -> None:
    await migrate.upgrade(empty_url)
    await migrate.downgrade(empty_url, "base")
    assert await on(empty_url, tables) == set()
    assert await migrate.current(empty_url) is None
    await migrate.upgrade(empty_url)
    assert await on(empty_url, drift) == []


async def test_a_database_from_before_migrations_is_adopted_with_its_rows(empty_url: str) -> None:
    # As create_all left it before `warned` existed: the baseline's tables, no alembic_version.
    await migrate.upgrade(empty_url, migrate.BASELINE)

    def make_legacy(conn: Connection) -> None:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text("ALTER TABLE ticket DROP COLUMN warned"))
        conn.execute(text("INSERT INTO department (code, name) VALUES ('cgj', '城管局')"))
        conn.execute(
            text(
                'INSERT INTO "user" (user_id, name, role, grids, token_hash) '
                "VALUES ('wang', '王', 'grid_worker', '[]', 'abc')"
            )
        )

    await on(empty_url, make_legacy)
    await migrate.upgrade(empty_url)
    assert await migrate.current(empty_url) == migrate.head()
    assert await on(empty_url, drift) == []
    rows = await on(empty_url, lambda c: c.execute(text("SELECT code FROM department")).all())
    assert rows == [("cgj",)]
    users = await on(
        empty_url,
        lambda c: c.execute(
            text('SELECT user_id, active, token_version, password_hash FROM "user"')
        ).all(),
    )
    assert users == [("wang", True, 0, None)]  # a password once the seed runs
    # And back down with the rows in place.
    await migrate.downgrade(empty_url, migrate.BASELINE)
    assert await on(empty_url, lambda c: c.execute(text('SELECT user_id FROM "user"')).all()) == [
        ("wang",)
    ]


async def test_the_audit_log_is_append_only_after_migrations(empty_url: str) -> None:
    await migrate.upgrade(empty_url)
    await on(
        empty_url,
        lambda c: c.execute(
            text(
                "INSERT INTO audit_log (at, method, route, status, outcome, request_id) "
                "VALUES (CURRENT_TIMESTAMP, 'POST', '/x', 200, 'ok', 'r1')"
            )
        ),
    )
    with pytest.raises(Exception, match="append-only"):
        await on(empty_url, lambda c: c.execute(text("UPDATE audit_log SET status = 500")))


async def test_a_pre_migration_database_that_differs_is_refused_with_what_differs(
    empty_url: str,
) -> None:
    await migrate.upgrade(empty_url, migrate.BASELINE)

    def make_odd(conn: Connection) -> None:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text("DROP TABLE photo"))
        conn.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY)"))

    await on(empty_url, make_odd)
    with pytest.raises(migrate.LegacySchema) as refused:
        await migrate.upgrade(empty_url)
    assert "table photo missing" in str(refused.value)
    assert "table scratch not in the first revision" in str(refused.value)
    assert "reconcile --repair" in str(refused.value)
    assert await migrate.current(empty_url) is None


def test_the_command_upgrades_and_reports_the_revision(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/gridflow.db"

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "gridflow_admin", "migrate", "--database-url", url, *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert run() == f"read model at revision {migrate.head()}"
    assert run("--current") == migrate.head()


async def test_code_refuses_a_read_model_behind_its_revision(empty_url: str) -> None:
    """A worker or API started on a migrated database one revision behind would fail every write
    (a column it projects is missing): it refuses to start, saying what to run."""
    await migrate.upgrade(empty_url, "0002")
    with pytest.raises(
        migrate.SchemaBehind, match=r"revision 0002, this code needs .*gridflow_admin migrate"
    ):
        await migrate.require_head(empty_url)
    await migrate.upgrade(empty_url)
    await migrate.require_head(empty_url)  # at head: fine


async def test_nothing_but_the_migrations_makes_tables(empty_url: str) -> None:
    """The start-up check and the admin tools refuse a database never migrated, naming the
    command to run, and leave it as empty as they found it."""
    with pytest.raises(migrate.SchemaBehind, match=r"not migrated, .*gridflow_admin migrate"):
        await migrate.require_head(empty_url)
    for argv in (["calendar", "show-year", "2027"], ["routing", "list"]):
        with pytest.raises(migrate.SchemaBehind):
            await asyncio.to_thread(admin, [*argv, "--database-url", empty_url])
    assert await on(empty_url, tables) == set()


@pytest.mark.parametrize("revision", ["0002", None], ids=["behind", "never migrated"])
@pytest.mark.parametrize(
    "process",
    [["worker.py"], ["-m", "uvicorn", "api.main:app", "--port", "0"]],
    ids=["worker", "api"],
)
def test_the_worker_and_the_api_do_not_start_on_a_read_model_not_at_head(
    tmp_path: Path, revision: str | None, process: list[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/gridflow.db"
    if revision:
        asyncio.run(migrate.upgrade(url, revision))
    before = asyncio.run(on(url, tables))
    done = subprocess.run(
        [sys.executable, *process],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "GRIDFLOW_DATABASE_URL": url,
            "GRIDFLOW_TEMPORAL_ADDRESS": "127.0.0.1:1",
        },
    )
    assert done.returncode != 0
    assert "SchemaBehind" in done.stderr and "python -m gridflow_admin migrate" in done.stderr
    assert asyncio.run(on(url, tables)) == before  # no table made behind the migrations
