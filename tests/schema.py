"""Test databases get their tables the one way the product does: the migrations to head.

An upgrade of a fresh SQLite file takes about half a second and the tests make hundreds of
databases, so a new SQLite file is a copy of one file this process upgraded once (the upgrade's
own result, copied byte for byte). Anything else (PostgreSQL, an existing file) is upgraded.
"""

import atexit
import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

from readmodel import migrate

_upgraded: Path | None = None  # this process's SQLite file at head


def _sqlite_path(url: str) -> Path | None:
    path = url.split("///", 1)[-1] if url.startswith("sqlite") else ""
    return Path(path) if path and path != ":memory:" else None


async def _head_file() -> Path:
    global _upgraded
    if _upgraded is None:
        scratch = Path(tempfile.mkdtemp(prefix="gridflow-head-"))
        atexit.register(shutil.rmtree, scratch, ignore_errors=True)
        path = scratch / "head.db"
        await migrate.upgrade(f"sqlite+aiosqlite:///{path}")
        with closing(sqlite3.connect(path)) as conn:  # fold the WAL in: the file alone is all
            conn.execute("PRAGMA journal_mode=DELETE")
        _upgraded = path
    return _upgraded


async def migrate_to_head(url: str) -> None:
    """Bring the database at `url`, empty or not there yet, to the migrations' head."""
    path = _sqlite_path(url)
    if path is not None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(await _head_file(), path)
        return
    await migrate.upgrade(url)
