"""A prompt writer (readmodel/db.py Database(prompt=True)) polls for SQLite's write lock instead
of sleeping in SQLite's busy handler: it must still wait for a held lock, not fail, and give up
only after its budget, having written nothing."""

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel.ext.asyncio.session import AsyncSession

from readmodel.db import PROMPT_BUSY_MS, Database

pytestmark = pytest.mark.asyncio


def _table(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE note (body TEXT NOT NULL)")


def _bodies(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT body FROM note ORDER BY rowid")]


async def _add(session: AsyncSession, body: str) -> None:
    await session.exec(text("INSERT INTO note (body) VALUES (:body)").bindparams(body=body))  # type: ignore[call-overload]
    await session.commit()


async def test_a_prompt_write_waits_out_a_lock_held_far_longer_than_its_busy_wait(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rm.db"
    _table(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO note (body) VALUES ('the worker''s projection')")
    db = Database(f"sqlite+aiosqlite:///{path}", prompt=True)
    try:
        writing = asyncio.create_task(db.write(lambda s: _add(s, "the report's audit row")))
        await asyncio.sleep(100 * PROMPT_BUSY_MS / 1000)  # fifty times its busy wait
        assert not writing.done(), "the prompt write went through a held write lock"
        holder.execute("COMMIT")
        await asyncio.wait_for(writing, timeout=10)
    finally:
        holder.close()
        await db.dispose()
    assert _bodies(path) == ["the worker's projection", "the report's audit row"]


async def test_a_prompt_write_gives_up_after_its_budget_and_writes_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rm.db"
    _table(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    db = Database(f"sqlite+aiosqlite:///{path}", prompt=True)
    try:
        with pytest.raises(OperationalError, match="locked"):
            await db.write(lambda s: _add(s, "never"), budget_s=0.3)
        holder.execute("ROLLBACK")
    finally:
        holder.close()
        await db.dispose()
    assert _bodies(path) == []


async def test_a_write_that_fails_for_another_reason_is_not_retried(tmp_path: Path) -> None:
    path = tmp_path / "rm.db"
    _table(path)
    db = Database(f"sqlite+aiosqlite:///{path}", prompt=True)
    calls = 0

    async def wrong(session: AsyncSession) -> None:
        nonlocal calls
        calls += 1
        await session.exec(text("INSERT INTO missing_table VALUES (1)"))  # type: ignore[call-overload]

    try:
        with pytest.raises(OperationalError, match="no such table"):
            await db.write(wrong)
    finally:
        await db.dispose()
    assert calls == 1
