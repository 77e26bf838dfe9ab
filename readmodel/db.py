"""Async engine and sessions for SQLite (default) or PostgreSQL, from one URL.

The tables are made by migrations only (readmodel/migrate.py); this module registers them on
SQLModel.metadata, which the migrations compare against.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection
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


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True)


class Database:
    """An engine plus a session factory; one per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
