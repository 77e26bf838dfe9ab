"""Section 5: the supervisors' overdue view (readmodel.tickets.queries.overdue_tickets, its
COUNT and its page, through the async session as GET /tickets/overdue calls it) at N rows of
synthetic tickets (bench/overdue_data.py), on SQLite and, where PostgreSQL binaries exist,
PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

from bench import overdue_data
from bench.overdue_data import GRIDS, NOW
from bench.stats import percentile, say
from domain.areas import community_of, street_of
from readmodel.db import Database
from readmodel.tickets.queries import OverdueFilter, overdue_tickets

CASES: list[tuple[str, OverdueFilter, int]] = [
    ("first page", OverdueFilter(), 0),
    ("department=cgj", OverdueFilter(department="cgj"), 0),
    (f"street={street_of(GRIDS[0])}", OverdueFilter(street=street_of(GRIDS[0])), 0),
    ("due_within_hours=24", OverdueFilter(due_within_hours=24), 0),
    ("deep page (offset 20000)", OverdueFilter(), 20_000),
    (
        "community, escalation>=3",
        OverdueFilter(community=community_of(GRIDS[2]), escalation_level=3),
        0,
    ),
    (
        "department=zjj, due_within_hours=72",
        OverdueFilter(department="zjj", due_within_hours=72),
        0,
    ),
]


async def time_view(
    db: Database, *, runs: int, limit: int = 50
) -> dict[str, dict[str, float | None]]:
    """p50/p99 in ms per case, after 2 warm-up runs each."""
    out: dict[str, dict[str, float | None]] = {}
    async with db.session() as session:
        for name, where, offset in CASES:
            timings: list[float] = []
            total = 0
            for i in range(runs + 2):
                t0 = time.perf_counter()
                page = await overdue_tickets(
                    session=session, now=NOW, where=where, limit=limit, offset=offset
                )
                if i >= 2:
                    timings.append((time.perf_counter() - t0) * 1000)
                total = page.total
            out[name] = {
                "p50": percentile(timings, 50),
                "p99": percentile(timings, 99),
                "matches": total,
            }
    return out


async def one(url: str, n: int, runs: int) -> dict[str, object]:
    db = Database(url)
    try:
        fill_s = await overdue_data.fill(db, n, refill=False)
        await overdue_data.statistics_for_planner(db, analyze=False)
    finally:
        await db.dispose()
    db = Database(url)  # fresh connections, as the app would have
    try:
        cases = await time_view(db, runs=runs)
    finally:
        await db.dispose()
    first = cases["first page"]
    worst = max(cases.values(), key=lambda c: c["p99"] or 0)
    worst_name = next(k for k, v in cases.items() if v is worst)
    say(
        f"   {db.engine.dialect.name} {n:,}: first page p50 {first['p50']:.1f} ms "
        f"p99 {first['p99']:.1f} ms; slowest case {worst_name} p99 {worst['p99']:.1f} ms"
    )
    return {
        "engine": db.engine.dialect.name,
        "rows": n,
        "fill_seconds": round(fill_s, 1),
        "first_page": first,
        "slowest_case": worst_name,
        "slowest_p99": worst["p99"],
        "cases": cases,
    }


async def measure(
    *, sizes: list[int], runs: int, cache_dir: Path, postgres: bool
) -> dict[str, object]:
    """Every size on SQLite (files kept in cache_dir and reused), then on a throwaway
    PostgreSQL cluster when its binaries are there."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in sizes:
        rows.append(await one(f"sqlite+aiosqlite:///{cache_dir}/overdue-{n}.db", n, runs))
    pg_note = "not asked for"
    if postgres:
        from tests.pg import PgCluster, PostgresUnavailable

        try:
            with PgCluster() as cluster:
                for n in sizes:
                    rows.append(await one(cluster.url(), n, runs))
            pg_note = "throwaway local cluster (tests/pg.py)"
        except PostgresUnavailable as err:
            pg_note = f"unavailable: {err}"
        except Exception as err:
            pg_note = f"failed: {type(err).__name__}: {err}"[:300]
    return {"runs": runs, "limit": 50, "now": NOW.isoformat(), "rows": rows, "postgres": pg_note}
