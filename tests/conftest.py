import base64
import os
import secrets
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import delete, update
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

# The tests sign tokens with a secret of their own, made before settings are first read; API
# processes they start inherit it (settings.py refuses to run without one: docs/auth.md).
os.environ.setdefault("GRIDFLOW_JWT_SECRET", secrets.token_urlsafe(48))
# And a key for channel secrets at rest (Fernet: 32 url-safe base64 bytes).
os.environ.setdefault(
    "GRIDFLOW_SECRETS_KEY", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
)
# And one for the payloads written to Temporal (docs/temporal-security.md): every test server and
# client of the tests encrypts, as production does.
os.environ.setdefault(
    "GRIDFLOW_PAYLOAD_KEYS", f'{{"tests": "{base64.b64encode(secrets.token_bytes(32)).decode()}"}}'
)

from domain.calendar import ChinaWorkingCalendar
from readmodel.db import Database
from readmodel.reference.calendar_store import load_calendar, load_year, year_schedule
from readmodel.reference.tables import Category, DeadlineRuleRow
from readmodel.seed import seed_demo_city
from settings import settings
from temporal_client import data_converter, register_search_attributes
from tests.schema import migrate_to_head
from workflows import search_attributes

BIN = Path(sys.executable).parent


@pytest.fixture
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh time-skipping test server per test: days of deadlines pass in milliseconds."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(settings),
        test_server_existing_path=str(BIN / "temporal-test-server"),
    )
    await register_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """One real Temporal dev server (SQLite persistence in memory) for the API tests."""
    env = await WorkflowEnvironment.start_local(
        data_converter=data_converter(settings),
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=search_attributes.ALL,
        dev_server_extra_args=["--namespace", PG_NAMESPACE],
    )
    yield env
    await env.shutdown()


# The PostgreSQL run of a test has a namespace of its own: ticket ids come from the reporter and
# the idempotency key (and subject workflows from the subject's code), so the SQLite run's
# workflows, whose worker is gone, would otherwise answer the second run's fixed keys.
PG_NAMESPACE = "gridflow-postgresql"
_clients: dict[str, Client] = {}


@pytest.fixture
async def temporal_client(dev_env: WorkflowEnvironment, backend: str) -> Client:
    """The dev server's client for this test's backend (its own namespace for PostgreSQL)."""
    if backend == "sqlite":
        return dev_env.client
    target = dev_env.client.service_client.config.target_host
    if target not in _clients:
        _clients[target] = await Client.connect(
            target, namespace=PG_NAMESPACE, data_converter=data_converter(settings)
        )
    return _clients[target]


BACKENDS, SQLITE_ONLY = ["sqlite", "postgresql"], ["sqlite"]


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The read model's database: "sqlite" or "postgresql" (pytest_generate_tests picks)."""
    return getattr(request, "param", "sqlite")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test on the demo city runs on both SQLite and PostgreSQL, unless its module says
    `BACKENDS = ["sqlite"]` (the time-skipping workflow tests: the database is not what they
    test, and a second run of each costs a time-skipping server)."""
    if "backend" in metafunc.fixturenames:
        default = (
            SQLITE_ONLY
            if metafunc.module.__name__.split(".")[-1].startswith("test_workflow_")
            else BACKENDS
        )
        metafunc.parametrize(
            "backend", getattr(metafunc.module, "BACKENDS", default), indirect=True
        )


async def seed_for_tests(database: Database) -> None:
    """The demo city exactly as `scripts/up.sh` migrates and seeds it, plus plain years ahead."""
    await migrate_to_head(database.url)
    async with database.session() as session:
        await seed_demo_city(session=session)
        await _plain_years_ahead(session)


@pytest.fixture
async def demo_db(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> AsyncIterator[Database]:
    """The demo city in a fresh database: a SQLite file, or a PostgreSQL database copied from
    the session's seeded template (CREATE DATABASE … TEMPLATE: a file copy, no seeding)."""
    if backend == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path}/gridflow.db")
        await seed_for_tests(database)
        yield database
        await database.dispose()
        return
    from tests.pg import create_database, drop_database

    template = await pg_demo_template(request.getfixturevalue("pg_url"))
    url = await create_database(template, template=True)
    database = Database(url)
    try:
        yield database
    finally:
        await database.dispose()
        await drop_database(url)


@pytest.fixture
async def db(demo_db: Database) -> Database:
    """The demo city without its per-category handling limits and duplicate detection, so that a
    test's clock runs on the stage defaults alone and its reports at one spot stay separate
    (tests/test_workflow_policy.py and tests/test_api_duplicates.py cover those)."""
    async with demo_db.session() as session:
        await session.exec(delete(DeadlineRuleRow))
        await session.exec(update(Category).values(duplicate_radius_m=None))
        await session.commit()
    return demo_db


async def _plain_years_ahead(session: AsyncSession) -> None:
    """Test-only: tickets opened today must be datable whatever today's date is, so years the
    official schedule does not cover yet get weekdays only (a real deployment loads the
    published schedule instead; see docs/deadlines.md, "Working calendar")."""
    this_year = datetime.now(UTC).year
    for year in (this_year, this_year + 1, this_year + 2):
        if await year_schedule(session=session, year=year) is None:
            await load_year(
                session=session, year=year, holidays=[], workdays=[], source="tests: weekdays only"
            )


@pytest.fixture
async def calendar(demo_db: Database) -> ChinaWorkingCalendar:
    """The working calendar the worker uses, as loaded from the test's read model."""
    async with demo_db.session() as session:
        return await load_calendar(session=session, working_hours=settings.working_hours)


# --- PostgreSQL (tests/pg.py) ---------------------------------------------------------------
from collections.abc import Iterator  # noqa: E402


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for the session: a `postgresql+asyncpg://` URL.

    GRIDFLOW_TEST_PG_URL points the tests at an existing server instead. Without PostgreSQL
    binaries the tests that need it fail (scripts/test.sh installs them): never skipped.
    """
    import os

    from tests.pg import PgCluster, PostgresUnavailable

    if os.environ.get("GRIDFLOW_TEST_PG_URL"):
        url = os.environ["GRIDFLOW_TEST_PG_URL"]
        yield url
        if url in _templates:  # a server we keep: leave no template behind
            import asyncio
            from concurrent.futures import ThreadPoolExecutor

            from tests.pg import drop_database

            with ThreadPoolExecutor(1) as pool:  # its own loop, away from the session's
                pool.submit(asyncio.run, drop_database(_templates.pop(url))).result()
        return
    try:
        cluster = PgCluster()
    except PostgresUnavailable as err:
        pytest.fail(f"{err} (run the tests with: bash scripts/test.sh)")
    cluster.start()
    try:
        yield cluster.url()
    finally:
        cluster.stop()


@pytest.fixture
async def database(db: Database) -> Database:
    """The read model for a read-model test: `db` (on both backends). A module may override it."""
    return db


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty read model (no demo city) of the test's own, on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/empty.db"
    else:
        from tests.pg import create_database

        url = await create_database(request.getfixturevalue("pg_url"))
    await migrate_to_head(url)
    database = Database(url)
    yield database
    await database.dispose()


_templates: dict[str, str] = {}  # the session's PostgreSQL URL → its seeded template's URL


async def pg_demo_template(pg_url: str) -> str:
    """The seeded demo city in a PostgreSQL database made once per session, copied per test."""
    if pg_url not in _templates:
        from tests.pg import create_database

        url = await create_database(pg_url, name=f"demo_template_{uuid.uuid4().hex[:8]}")
        database = Database(url)
        try:
            await seed_for_tests(database)
        finally:
            await database.dispose()  # a template must have no connections when it is copied
        _templates[pg_url] = url
    return _templates[pg_url]
