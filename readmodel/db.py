"""Async engine and sessions for SQLite (default) or PostgreSQL, from one URL.

The tables are made by migrations only (readmodel/migrate.py); this module registers them on
SQLModel.metadata, which the migrations compare against.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel.ext.asyncio.session import AsyncSession

# Importing a table module registers its tables on SQLModel.metadata.
from readmodel.access import audit  # noqa: F401  (audit_log and its append-only triggers)
from readmodel.access import tables as access_tables  # noqa: F401  (user, revoked_token, api_key)
from readmodel.notices import tables as notice_tables  # noqa: F401  (channels, deliveries)
from readmodel.reference import calendar_tables  # noqa: F401  (work_calendar_day, …_year)
from readmodel.reference import tables as reference_tables  # noqa: F401
from readmodel.reports import tables as report_tables  # noqa: F401  (report)
from readmodel.supervision import tables as supervision_tables  # noqa: F401  (督办单)
from readmodel.tickets import tables as ticket_tables  # noqa: F401

Written = TypeVar("Written")
BUSY_TIMEOUT_MS = 30_000
# A prompt writer's own wait in SQLite's busy handler, before it polls again (PROMPT_POLL_S).
PROMPT_BUSY_MS = 2
PROMPT_POLL_S = 0.001
PROMPT_BUDGET_S = 30.0


def make_engine(url: str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> AsyncEngine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cur.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True)


def _locked(err: OperationalError) -> bool:
    return "database is locked" in str(err.orig) or "database is busy" in str(err.orig)


class Database:
    """An engine plus a session factory; one per process.

    `prompt=True` (SQLite only; elsewhere it changes nothing) makes `write` take the write lock
    as soon as it is free. SQLite's busy handler sleeps in growing steps up to 100 ms between
    tries, so under the worker's stream of projections (a holiday morning's alarms) a waiting
    writer kept missing the moments the lock was free: a report's acknowledgement, which writes
    its audit rows before it answers, waited seconds (docs/benchmarks.md, section 8 findings).
    A prompt writer waits PROMPT_BUSY_MS in the handler and polls again every PROMPT_POLL_S."""

    def __init__(self, url: str, *, prompt: bool = False) -> None:
        self.url = url
        self.prompt = prompt and url.startswith("sqlite")
        self.engine = make_engine(
            url, busy_timeout_ms=PROMPT_BUSY_MS if self.prompt else BUSY_TIMEOUT_MS
        )
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def write(
        self,
        work: Callable[[AsyncSession], Awaitable[Written]],
        *,
        budget_s: float = PROMPT_BUDGET_S,
    ) -> Written:
        """Run `work` (which commits) in a session of its own; a prompt database runs it again,
        in a new session, while SQLite answers that the database is locked, for up to
        `budget_s`. `work` must build what it adds each time it is called."""
        give_up = time.monotonic() + budget_s
        while True:
            try:
                async with self.session() as session:
                    return await work(session)
            except OperationalError as err:
                if not (self.prompt and _locked(err)) or time.monotonic() >= give_up:
                    raise
            await asyncio.sleep(PROMPT_POLL_S)

    async def dispose(self) -> None:
        await self.engine.dispose()
