"""The overdue view's data: N synthetic tickets in the read model's `ticket` table.

8 grids, 6 departments, 9 categories, submitted over two years, ~12% open, ~5% overdue,
escalated ones among them, each with a ~1 KB snapshot. A filled database is reused when it
already holds N tickets. SQLite is filled with executemany in one transaction, PostgreSQL with
COPY; indexes are built after the fill. `now` is fixed (NOW) so a filled database can be reused.
bench/overdue.py times the view on it.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from bench.stats import say
from domain import demo_city
from domain.areas import community_of, street_of
from readmodel import migrate
from readmodel.db import Database
from readmodel.tickets.projection import late_from_of
from readmodel.tickets.tables import TicketRow

# 8 grid cells: 2 streets x 2 communities x 2 cells (codes as in the demo city), 6 departments,
# 9 categories; fixed here so that the data stays the same when the demo city grows.
GRIDS = [
    f"330106{street}{community}{cell}"
    for street in ("001", "002")
    for community in ("001", "002")
    for cell in ("01", "02")
]
DEPARTMENTS = ["cgj", "zjj", "scjg", "xfj", "jtj", "bs-street"]
DEPT_WEIGHTS = [40, 15, 10, 10, 15, 10]  # 城管 takes the most
CATEGORIES = list(demo_city.CATEGORIES)[:9]
STAGES = ["dispatch", "claim", "verify", "rectify", "write_off", "handle"]
OPEN_STATUSES = ["dispatched", "claimed", "verifying", "rectifying", "resolved"]
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # fixed, so a filled database can be reused
TICKET = TicketRow.metadata.tables[TicketRow.__tablename__]
COLUMNS = [c.name for c in TICKET.columns]
# Columns the generator does not know (added to the table since) get their model default.
DEFAULTS = {
    c.name: c.default.arg if isinstance(c.default, ScalarElementColumnDefault) else None
    for c in TICKET.columns
}


# --- the data ---------------------------------------------------------------------------------


def snapshot_of(ticket_id: str, grid: str, category: str, status: str) -> str:
    """A snapshot about the size of a real one (~1 KB): the rows are not unrealistically thin."""
    return json.dumps(
        {
            "ticket_id": ticket_id,
            "status": status,
            "category": category,
            "grid": grid,
            "description": "巷口垃圾堆积，影响通行 garbage piled at the lane entrance",
            "routing": {
                "department": None,
                "rule_id": "R-garbage",
                "rule_version": 1,
                "reason": "category rule",
            },
            "deadlines": [
                {
                    "stage": s,
                    "started_at": "2026-03-02T01:00:00Z",
                    "due_at": "2026-03-03T01:00:00Z",
                    "unit": "working_days",
                    "amount": 1,
                    "warnings": [],
                    "met_at": "2026-03-02T05:00:00Z",
                }
                for s in STAGES[:4]
            ],
            "alarm_policy": {
                "escalation_delays": ["PT4H", "P1D", "P2D"],
                "reminder_interval": "P1D",
            },
        },
        ensure_ascii=False,
    )


def tickets(n: int, seed: int = 20260301) -> Iterator[dict[str, Any]]:
    """N tickets: ~88% closed, ~5% overdue (escalated 0-4), ~7% open and on time, a few with
    no deadline running (manual dispatch) or due but not yet marked overdue (timer lag)."""
    rnd = random.Random(seed)
    for i in range(n):
        grid = GRIDS[i % len(GRIDS)] if i % 7 else rnd.choice(GRIDS)
        category = rnd.choice(CATEGORIES)
        department: str | None = rnd.choices(DEPARTMENTS, DEPT_WEIGHTS)[0]
        submitted = NOW - timedelta(seconds=rnd.randrange(730 * 86400))
        r = rnd.random()
        overdue, escalation, due, closed_at = False, 0, None, None
        if r < 0.05:  # overdue: a breached deadline still open
            status, is_open, overdue = rnd.choice(OPEN_STATUSES), True, True
            due = NOW - timedelta(seconds=int(rnd.expovariate(1 / (3 * 86400))) + 60)
            escalation = min(4, int(rnd.expovariate(1.0)))
        elif r < 0.051:  # due, breach not recorded yet
            status, is_open = rnd.choice(OPEN_STATUSES), True
            due = NOW - timedelta(seconds=rnd.randrange(1, 600))
        elif r < 0.053:  # waiting for manual dispatch, no deadline running
            status, is_open, department = "manual_dispatch", True, None
        elif r < 0.12:  # open, due later
            status, is_open = rnd.choice(OPEN_STATUSES), True
            due = NOW + timedelta(seconds=rnd.randrange(60, 10 * 86400))
        else:
            status, is_open = rnd.choice(["archived", "archived", "written_off"]), False
            closed_at = submitted + timedelta(hours=rnd.randrange(2, 200))
        if is_open and submitted > NOW - timedelta(days=1):
            submitted -= timedelta(days=1)
        ticket_id = f"GF-{i:012x}"
        yield {
            "ticket_id": ticket_id,
            "seq": rnd.randrange(3, 15),
            "status": status,
            "is_open": is_open,
            "category": category,
            "grid": grid,
            "lat": 30.25 + rnd.random() * 0.02,
            "lon": 120.10 + rnd.random() * 0.04,
            "description": "巷口垃圾堆积 garbage at the lane entrance",
            "reporter_id": rnd.choice(["wang", "li"]),
            "department": department,
            "claimed_by": None,
            "routing_rule_id": "R-" + category,
            "return_count": int(rnd.random() < 0.03),
            "rework_count": int(rnd.random() < 0.05),
            "overdue": overdue,
            "urgency": "urgent" if rnd.random() < 0.02 else "normal",
            "street": street_of(grid),
            "community": community_of(grid),
            "escalation_level": escalation,
            "extension_count": int(rnd.random() < 0.04),
            "breach_count": int(overdue),
            "parked": False,
            "closed_at": closed_at,
            "current_stage": rnd.choice(STAGES) if due else None,
            "current_due_at": due,
            "late_from": late_from_of(overdue=overdue, current_due_at=due),
            "submitted_at": submitted,
            "updated_at": submitted + timedelta(hours=1),
            "snapshot": snapshot_of(ticket_id, grid, category, status),
        }


def _naive(value: Any) -> Any:
    """Datetimes as the app stores them: naive UTC (sqlmodel's UTCDateTime)."""
    return value.astimezone(UTC).replace(tzinfo=None) if isinstance(value, datetime) else value


# --- filling ----------------------------------------------------------------------------------


async def _drop_ticket_indexes(db: Database) -> None:
    async with db.engine.begin() as conn:
        for index in TICKET.indexes:
            await conn.execute(text(f"DROP INDEX IF EXISTS {index.name}"))


async def _create_ticket_indexes(db: Database) -> None:
    """The indexes readmodel/tickets/tables.py declares on `ticket` that the database lacks."""
    async with db.engine.begin() as conn:
        have = set(
            await conn.run_sync(lambda c: [i["name"] for i in inspect(c).get_indexes("ticket")])
        )
        for index in sorted(TICKET.indexes, key=lambda i: i.name or ""):
            if index.name in have:
                continue
            t0 = time.perf_counter()
            await conn.run_sync(index.create)
            say(f"  index {index.name}: {time.perf_counter() - t0:.1f} s")


async def _drop_stale_indexes(db: Database) -> None:
    """Indexes on `ticket` readmodel/tickets/tables.py no longer declares, or declares otherwise."""
    declared: dict[str | None, list[str]] = {
        i.name: [c.name for c in i.columns] for i in TICKET.indexes
    }
    async with db.engine.begin() as conn:
        found = await conn.run_sync(lambda c: inspect(c).get_indexes("ticket"))
        for index in found:
            if declared.get(index["name"]) != index["column_names"]:
                await conn.execute(text(f"DROP INDEX {index['name']}"))
                say(f"  dropped index {index['name']}")


async def _count(db: Database) -> int:
    """Tickets in a filled table of today's columns (-1: its columns differ, refill it)."""
    async with db.engine.connect() as conn:
        have = set(
            await conn.run_sync(lambda c: [col["name"] for col in inspect(c).get_columns("ticket")])
        )
        if have != set(COLUMNS):
            return -1
        return int((await conn.execute(text("SELECT count(*) FROM ticket"))).scalar_one())


async def statistics_for_planner(db: Database, analyze: bool) -> None:
    """PostgreSQL: VACUUM ANALYZE (autovacuum does it in production: statistics, and the
    visibility map index-only scans need). SQLite: no statistics by default, as the app never
    runs ANALYZE there; --sqlite-analyze to compare."""
    if db.engine.dialect.name != "sqlite":
        async with db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE ticket"))  # and the visibility map
        return
    async with db.engine.begin() as conn:
        if analyze:
            await conn.execute(text("ANALYZE"))
        elif (
            await conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"))
        ).first():
            await conn.execute(text("DELETE FROM sqlite_stat1"))


async def _migrated(db: Database) -> None:
    """The read model's tables, made by the migrations; a SQLite file filled before they existed
    (no alembic_version) is a stale cache: it starts afresh."""
    try:
        await migrate.upgrade(db.url)
    except migrate.LegacySchema:
        if db.engine.dialect.name != "sqlite":
            raise
        await db.dispose()
        path = Path(db.url.split("///", 1)[1])
        for stale in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
            stale.unlink(missing_ok=True)
        await migrate.upgrade(db.url)


async def fill(db: Database, n: int, refill: bool) -> float:
    """N tickets in `ticket` (reused when already there); the seconds the fill took."""
    await _migrated(db)
    have = await _count(db)
    if have == n and not refill:
        say(f"{db.engine.dialect.name}: reusing {n:,} tickets")
        await _drop_stale_indexes(db)  # the indexes may have changed since the fill
        await _create_ticket_indexes(db)
        return 0.0
    say(f"{db.engine.dialect.name}: filling {n:,} tickets")
    t0 = time.perf_counter()
    await _drop_ticket_indexes(db)  # built after the fill: faster
    async with db.engine.begin() as conn:
        await conn.execute(text("DELETE FROM ticket"))
    if db.engine.dialect.name == "sqlite":
        _fill_sqlite(db.url.split("///", 1)[1], n)
    else:
        await _fill_pg(db.url, n)
    say(f"  rows: {time.perf_counter() - t0:.1f} s")
    await _create_ticket_indexes(db)
    elapsed = time.perf_counter() - t0
    say(f"  filled in {elapsed:.1f} s")
    return elapsed


def _fill_sqlite(path: str, n: int) -> None:
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    sql = f"INSERT INTO ticket ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    fmt = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's SQLite DATETIME storage format
    batch: list[tuple[Any, ...]] = []
    with con:
        for row in tickets(n):
            batch.append(
                tuple(
                    v.astimezone(UTC).strftime(fmt) if isinstance(v, datetime) else v
                    for v in (row.get(c, DEFAULTS[c]) for c in COLUMNS)
                )
            )
            if len(batch) == 50_000:
                con.executemany(sql, batch)
                batch.clear()
        con.executemany(sql, batch)
    con.close()


async def _fill_pg(url: str, n: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        batch: list[tuple[Any, ...]] = []
        for row in tickets(n):
            batch.append(tuple(_naive(row.get(c, DEFAULTS[c])) for c in COLUMNS))
            if len(batch) == 50_000:
                await conn.copy_records_to_table("ticket", records=batch, columns=COLUMNS)
                batch.clear()
        await conn.copy_records_to_table("ticket", records=batch, columns=COLUMNS)
    finally:
        await conn.close()
