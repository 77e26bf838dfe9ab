"""How fast is the overdue view at a million tickets? A script, not a test.

    .venv/bin/python bench/overdue_bench.py                       # SQLite, 1,000,000 tickets
    .venv/bin/python bench/overdue_bench.py --pg postgresql+asyncpg://user@host/db
    .venv/bin/python bench/overdue_bench.py --tickets 100000 --runs 10 --pg-cluster

Fills the `ticket` table (schema and indexes from readmodel/tables.py) with N synthetic tickets —
8 grids, 6 departments, 9 categories, submitted over two years, ~12% open, ~5% overdue, escalated
ones among them — then times `readmodel.queries.overdue_tickets` itself (its COUNT and its page,
through the async session, as the API calls it) for a set of cases, and prints p50/p95 in ms and
the query plans (EXPLAIN QUERY PLAN / EXPLAIN) showing which indexes are used.

A filled database is reused when it already holds N tickets (`--refill` forces a new fill).
SQLite is filled with executemany in one transaction, PostgreSQL with COPY; indexes are built
after the fill. `--pg-cluster` starts a throwaway local PostgreSQL (tests/pg.py) for the run.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, inspect, text  # noqa: E402

from domain import demo_city  # noqa: E402
from readmodel.db import Database, create_schema  # noqa: E402
from readmodel.queries import OverdueFilter, overdue_tickets  # noqa: E402
from readmodel.tables import TicketRow  # noqa: E402

# 8 grid cells: 2 streets x 2 communities x 2 cells (codes as in the demo city), 6 departments,
# 9 categories; fixed here so that the data stays the same when the demo city grows.
GRIDS = [f"330106{street}{community}{cell}" for street in ("001", "002")
         for community in ("001", "002") for cell in ("01", "02")]
DEPARTMENTS = ["cgj", "zjj", "scjg", "xfj", "jtj", "bs-street"]
DEPT_WEIGHTS = [40, 15, 10, 10, 15, 10]  # 城管 takes the most
CATEGORIES = list(demo_city.CATEGORIES)[:9]
STAGES = ["dispatch", "claim", "verify", "rectify", "write_off", "handle"]
OPEN_STATUSES = ["dispatched", "claimed", "verifying", "rectifying", "resolved"]
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # fixed, so a filled database can be reused
COLUMNS = [c.name for c in TicketRow.__table__.columns]
# Columns the generator does not know (added to the table since) get their model default.
DEFAULTS = {c.name: c.default.arg if c.default is not None and not callable(c.default.arg)
            else None for c in TicketRow.__table__.columns}


# --- the data ---------------------------------------------------------------------------------


def snapshot_of(ticket_id: str, grid: str, category: str, status: str) -> str:
    """A snapshot about the size of a real one (~1 KB): the rows are not unrealistically thin."""
    return json.dumps({
        "ticket_id": ticket_id, "status": status, "category": category, "grid": grid,
        "description": "巷口垃圾堆积，影响通行 garbage piled at the lane entrance",
        "routing": {"department": None, "rule_id": "R-garbage", "rule_version": 1,
                    "reason": "category rule"},
        "deadlines": [{"stage": s, "started_at": "2026-03-02T01:00:00Z",
                       "due_at": "2026-03-03T01:00:00Z", "unit": "working_days", "amount": 1,
                       "warnings": [], "met_at": "2026-03-02T05:00:00Z"} for s in STAGES[:4]],
        "alarm_policy": {"escalation_delays": ["PT4H", "P1D", "P2D"], "reminder_interval": "P1D"},
    }, ensure_ascii=False)


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
            "ticket_id": ticket_id, "seq": rnd.randrange(3, 15), "status": status,
            "is_open": is_open, "category": category, "grid": grid,
            "lat": 30.25 + rnd.random() * 0.02, "lon": 120.10 + rnd.random() * 0.04,
            "description": "巷口垃圾堆积 garbage at the lane entrance",
            "reporter_id": rnd.choice(["wang", "li"]), "department": department,
            "claimed_by": None, "routing_rule_id": "R-" + category,
            "return_count": int(rnd.random() < 0.03), "rework_count": int(rnd.random() < 0.05),
            "overdue": overdue, "urgency": "urgent" if rnd.random() < 0.02 else "normal",
            "street": grid[:9], "community": grid[:12], "escalation_level": escalation,
            "extension_count": int(rnd.random() < 0.04), "breach_count": int(overdue),
            "parked": False, "closed_at": closed_at,
            "current_stage": rnd.choice(STAGES) if due else None, "current_due_at": due,
            "submitted_at": submitted, "updated_at": submitted + timedelta(hours=1),
            "snapshot": snapshot_of(ticket_id, grid, category, status),
        }


def _naive(value: Any) -> Any:
    """Datetimes as the app stores them: naive UTC (sqlmodel's UTCDateTime)."""
    return value.astimezone(UTC).replace(tzinfo=None) if isinstance(value, datetime) else value


# --- filling ----------------------------------------------------------------------------------


async def _drop_ticket_indexes(db: Database) -> None:
    async with db.engine.begin() as conn:
        for index in TicketRow.__table__.indexes:
            await conn.execute(text(f"DROP INDEX IF EXISTS {index.name}"))


async def _create_ticket_indexes(db: Database) -> None:
    """The indexes readmodel/tables.py declares on `ticket` that the database lacks."""
    async with db.engine.begin() as conn:
        have = set(await conn.run_sync(
            lambda c: [i["name"] for i in inspect(c).get_indexes("ticket")]))
        for index in sorted(TicketRow.__table__.indexes, key=lambda i: i.name or ""):
            if index.name in have:
                continue
            t0 = time.perf_counter()
            await conn.run_sync(index.create)
            print(f"  index {index.name}: {time.perf_counter() - t0:.1f} s", flush=True)


async def _drop_stale_indexes(db: Database) -> None:
    """Indexes on `ticket` that readmodel/tables.py no longer declares, or declares otherwise."""
    declared = {i.name: [c.name for c in i.columns] for i in TicketRow.__table__.indexes}
    async with db.engine.begin() as conn:
        found = await conn.run_sync(lambda c: inspect(c).get_indexes("ticket"))
        for index in found:
            if declared.get(index["name"]) != index["column_names"]:
                await conn.execute(text(f"DROP INDEX {index['name']}"))
                print(f"  dropped index {index['name']}", flush=True)


async def _count(db: Database) -> int:
    async with db.engine.connect() as conn:
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
        elif (await conn.execute(text(
                "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"))).first():
            await conn.execute(text("DELETE FROM sqlite_stat1"))


async def fill(db: Database, n: int, refill: bool) -> None:
    await create_schema(db.engine)
    have = await _count(db)
    if have == n and not refill:
        print(f"{db.engine.dialect.name}: reusing {n:,} tickets", flush=True)
        await _drop_stale_indexes(db)  # the indexes may have changed since the fill
        await _create_ticket_indexes(db)
        return
    print(f"{db.engine.dialect.name}: filling {n:,} tickets", flush=True)
    t0 = time.perf_counter()
    async with db.engine.begin() as conn:
        await conn.execute(text("DROP TABLE ticket"))
    await create_schema(db.engine)
    await _drop_ticket_indexes(db)  # built after the fill: faster
    if db.engine.dialect.name == "sqlite":
        _fill_sqlite(db.url.split("///", 1)[1], n)
    else:
        await _fill_pg(db.url, n)
    print(f"  rows: {time.perf_counter() - t0:.1f} s", flush=True)
    await _create_ticket_indexes(db)
    print(f"  filled in {time.perf_counter() - t0:.1f} s", flush=True)


def _fill_sqlite(path: str, n: int) -> None:
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    sql = f"INSERT INTO ticket ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    fmt = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's SQLite DATETIME storage format
    batch: list[tuple[Any, ...]] = []
    with con:
        for row in tickets(n):
            batch.append(tuple(
                v.astimezone(UTC).strftime(fmt) if isinstance(v, datetime) else v
                for v in (row.get(c, DEFAULTS[c]) for c in COLUMNS)))
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


# --- timing -----------------------------------------------------------------------------------

CASES: list[tuple[str, OverdueFilter, int]] = [
    ("first page", OverdueFilter(), 0),
    ("department=cgj", OverdueFilter(department="cgj"), 0),
    (f"street={GRIDS[0][:9]}", OverdueFilter(street=GRIDS[0][:9]), 0),
    ("due_within_hours=24", OverdueFilter(due_within_hours=24), 0),
    ("deep page (offset 20000)", OverdueFilter(), 20_000),
    (f"community={GRIDS[2][:12]}, escalation>=3",
     OverdueFilter(community=GRIDS[2][:12], escalation_level=3), 0),
    ("department=zjj, due_within_hours=72", OverdueFilter(department="zjj", due_within_hours=72), 0),
]


def _short(line: str, width: int = 150) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"


async def explain(db: Database, statements: list[tuple[str, Any]]) -> list[str]:
    lines: list[str] = []
    sqlite = db.engine.dialect.name == "sqlite"
    async with db.engine.connect() as conn:
        for statement, params in statements:
            low = statement.lower()
            kind = ("COUNT" if "count(" in low else "PAGE KEYS" if "order by" in low
                    else "PAGE ROWS")
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            result = await conn.exec_driver_sql(prefix + statement, params)
            rows = result.fetchall()
            lines.append(f"    [{kind}]")
            lines += [f"      {_short(str(r[-1]))}" for r in rows]
    return lines


async def bench(db: Database, runs: int, limit: int) -> None:
    captured: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        captured.append((statement, parameters))

    print(f"\n{db.engine.dialect.name}: {runs} runs per case (+2 warm-up), limit {limit}",
          flush=True)
    for name, where, offset in CASES:
        timings: list[float] = []
        total = 0
        async with db.session() as session:
            for i in range(runs + 2):
                t0 = time.perf_counter()
                page = await overdue_tickets(session=session, now=NOW, where=where, limit=limit,
                                             offset=offset)
                elapsed = (time.perf_counter() - t0) * 1000
                if i >= 2:
                    timings.append(elapsed)
                total = page.total
            event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
            captured.clear()
            await overdue_tickets(session=session, now=NOW, where=where, limit=limit,
                                  offset=offset)
            event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
        timings.sort()
        p50 = statistics.median(timings)
        p95 = timings[max(0, -(-95 * len(timings) // 100) - 1)]
        print(f"  {name:<40} total {total:>7,}  p50 {p50:8.1f} ms  p95 {p95:8.1f} ms", flush=True)
        for line in await explain(db, list(captured)):
            print(line)


async def run(url: str, n: int, runs: int, limit: int, refill: bool,
              analyze: bool = False) -> None:
    db = Database(url)
    try:
        await fill(db, n, refill)
        await statistics_for_planner(db, analyze)
    finally:
        await db.dispose()
    db = Database(url)  # fresh connections: SQLite reads sqlite_stat1 when it opens
    try:
        await bench(db, runs, limit)
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--sqlite", default="data/bench/overdue.db",
                        help="SQLite file ('' to skip SQLite)")
    parser.add_argument("--pg", default=None, help="a postgresql+asyncpg:// URL to fill and time")
    parser.add_argument("--pg-cluster", action="store_true",
                        help="start a throwaway PostgreSQL (tests/pg.py) and use it")
    parser.add_argument("--sqlite-analyze", action="store_true",
                        help="run ANALYZE on SQLite too (the app does not)")
    parser.add_argument("--refill", action="store_true", help="fill again even if N rows are there")
    args = parser.parse_args()
    print(f"now = {NOW.isoformat()}  tickets = {args.tickets:,}")
    if args.sqlite:
        Path(args.sqlite).parent.mkdir(parents=True, exist_ok=True)
        asyncio.run(run(f"sqlite+aiosqlite:///{args.sqlite}", args.tickets, args.runs,
                        args.limit, args.refill, args.sqlite_analyze))
    if args.pg:
        asyncio.run(run(args.pg, args.tickets, args.runs, args.limit, args.refill))
    if args.pg_cluster:
        from tests.pg import PgCluster

        with PgCluster() as cluster:
            asyncio.run(run(cluster.url(), args.tickets, args.runs, args.limit, True))


if __name__ == "__main__":
    main()
