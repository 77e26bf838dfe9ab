"""Section 6: open tickets held on their deadlines — memory, disk per ticket, worker restart,
the overdue question asked of Temporal visibility, and breach lag while the backlog is held.

The backlog: N reports through the API (closed loop), each routed to cgj and waiting to be
claimed within a working day. The probes: urgent reports of the probe category, whose claim
deadline the run's policy sets to a few seconds or minutes (bench/stack.probe_policy); breach
lag is when a breach was recorded minus when it was due, in the workflow (the breach event's
time) and in the read model (when the row first read overdue, polled every POLL s).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.client import Client

from bench.client import Api
from bench.stack import Stack
from bench.stats import percentile, say, summary_ms
from readmodel.db import Database
from readmodel.tickets.queries import OverdueFilter, overdue_tickets

POLL = 0.1


def _rows(db_path: Path, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


async def _count(stack: Stack, where: str) -> int:
    rows = await asyncio.to_thread(
        _rows, stack.readmodel_db, f"SELECT count(*) FROM ticket WHERE {where}"
    )
    return int(rows[0][0])


def memory(stack: Stack) -> dict[str, int | None]:
    return {name: stack.rss(name) for name in ("worker", "temporal", "api")}


async def create(api: Api, stack: Stack, n: int, concurrency: int) -> dict[str, Any]:
    """N reports, `concurrency` at a time; then until every one is routed in the read model."""
    counter = iter(range(n))
    ids: list[str] = []
    errors: list[str] = []
    t0 = time.perf_counter()

    async def driver() -> None:
        for _ in counter:
            try:
                response = await api.submit()
                response.raise_for_status()
                ids.append(response.json()["ticket_id"])
            except Exception as err:
                errors.append(f"{type(err).__name__}: {err}"[:200])

    await asyncio.gather(*(driver() for _ in range(concurrency)))
    submitted = time.perf_counter() - t0
    waiting = list(ids)
    while waiting and time.perf_counter() - t0 < 3600 + n:
        stack.check_alive()
        done: set[str] = set()
        for start in range(0, len(waiting), 500):
            chunk = waiting[start : start + 500]
            rows = await asyncio.to_thread(
                _rows,
                stack.readmodel_db,
                "SELECT ticket_id FROM ticket WHERE status = "
                f"'dispatched' AND ticket_id IN ({','.join('?' * len(chunk))})",
                tuple(chunk),
            )
            done.update(r[0] for r in rows)
        waiting = [t for t in waiting if t not in done]
        if waiting:
            await asyncio.sleep(0.5)
    routed = time.perf_counter() - t0
    say(f"   {n:,} reports acknowledged in {submitted:.0f} s, all routed after {routed:.0f} s")
    return {
        "tickets": n,
        "concurrency": concurrency,
        "errors": len(errors),
        "error_sample": errors[:3],
        "not_routed": len(waiting),
        "submit_seconds": round(submitted, 1),
        "routed_seconds": round(routed, 1),
        "routed_per_second": len(ids) / routed,
    }


async def visibility(stack: Stack, client: Client, runs: int) -> dict[str, Any]:
    """The overdue view's question (open, overdue or past due; first page of 50 and the count)
    of the live read model and of Temporal visibility, which cannot sort by due date."""
    now = datetime.now(UTC)
    read_model, temporal = [], []
    db = Database(stack.database_url)
    query = (
        "WorkflowType = 'TicketWorkflow' AND ExecutionStatus = 'Running' AND "
        f"(TicketOverdue = true OR TicketDueAt < '{now.isoformat()}')"
    )
    total_rm = total_t = 0
    try:
        async with db.session() as session:
            for i in range(runs + 2):
                t0 = time.perf_counter()
                page = await overdue_tickets(
                    session=session, now=now, where=OverdueFilter(), limit=50, offset=0
                )
                if i >= 2:
                    read_model.append(time.perf_counter() - t0)
                total_rm = page.total
        for i in range(runs + 2):
            t0 = time.perf_counter()
            total_t = (await client.count_workflows(query)).count
            listed = 0
            async for _ in client.list_workflows(query, page_size=50):
                listed += 1
                if listed >= 50:
                    break
            if i >= 2:
                temporal.append(time.perf_counter() - t0)
    finally:
        await db.dispose()
    open_rows = await _count(stack, "is_open")
    return {
        "open_tickets": open_rows,
        "read_model": {**summary_ms(read_model), "total": total_rm},
        "temporal_visibility": {**summary_ms(temporal), "total": total_t},
        "query": query,
    }


async def probes(api: Api, stack: Stack, *, count: int, spread: float) -> dict[str, Any]:
    """`count` urgent probe reports spread over `spread` s; breach lag once all have breached."""
    ids: list[str] = []
    for _i in range(count):
        response = await api.submit(urgency="urgent")
        response.raise_for_status()
        ids.append(response.json()["ticket_id"])
        await asyncio.sleep(spread / count)
    seen: dict[str, float] = {}
    wait = stack.probe_seconds + spread + 180
    end = time.perf_counter() + wait
    marks = ",".join("?" * len(ids))
    while len(seen) < len(ids) and time.perf_counter() < end:
        rows = await asyncio.to_thread(
            _rows,
            stack.readmodel_db,
            f"SELECT ticket_id FROM ticket WHERE overdue AND ticket_id IN ({marks})",
            tuple(ids),
        )
        now = time.time()
        for (ticket_id,) in rows:
            seen.setdefault(ticket_id, now)
        await asyncio.sleep(POLL)
    snapshots = await asyncio.to_thread(
        _rows,
        stack.readmodel_db,
        f"SELECT ticket_id, snapshot FROM ticket WHERE ticket_id IN ({marks})",
        tuple(ids),
    )
    in_workflow, in_read_model = [], []
    for ticket_id, snapshot in snapshots:
        breach = next(
            (b for b in json.loads(snapshot).get("breach_log", []) if b["stage"] == "claim"), None
        )
        if breach is None:
            continue
        due = datetime.fromisoformat(breach["due_at"].replace("Z", "+00:00")).timestamp()
        at = datetime.fromisoformat(breach["breached_at"].replace("Z", "+00:00")).timestamp()
        in_workflow.append(at - due)
        if ticket_id in seen:
            in_read_model.append(seen[ticket_id] - due)
    return {
        "probes": count,
        "deadline_seconds": stack.probe_seconds,
        "spread_seconds": spread,
        "breached": len(in_workflow),
        "poll_seconds": POLL,
        "lag_workflow_ms": summary_ms(in_workflow),
        "lag_read_model_ms": summary_ms(in_read_model),
    }


async def restart(api: Api, stack: Stack) -> dict[str, Any]:
    """Stop the ticket worker with the backlog open and start it again: until it polls, and
    until a new report is routed."""
    stopped = stack.stop_worker()
    started = stack.start_worker()
    t0 = time.perf_counter()
    response = await api.submit()
    response.raise_for_status()
    await api.wait_status(response.json()["ticket_id"], "dispatched", timeout=300)
    return {
        "stop_seconds": round(stopped, 2),
        "start_seconds": round(started, 2),
        "first_report_routed_seconds": round(time.perf_counter() - t0, 2),
    }


async def measure(
    *,
    api: Api,
    client: Client,
    stack: Stack,
    sizes: list[int],
    concurrency: int,
    probe_count: int,
    probe_spread: float,
    visibility_runs: int,
) -> list[dict[str, Any]]:
    """For each backlog size (cumulative: 10k, then up to 100k), everything above."""
    results = []
    have = 0
    base_disk = stack.disk()
    base_memory = memory(stack)
    for size in sizes:
        say(f"   backlog to {size:,} open tickets")
        created = await create(api, stack, size - have, concurrency)
        have = size
        peak: dict[str, int] = {}
        stop = asyncio.Event()

        async def sample() -> None:
            while not stop.is_set():  # noqa: B023  (awaited in this iteration)
                for name, rss in memory(stack).items():
                    if rss:
                        peak[name] = max(peak.get(name, 0), rss)  # noqa: B023  (awaited in this iteration)
                await asyncio.sleep(1)

        sampler = asyncio.create_task(sample())
        held = memory(stack)
        disk = stack.disk()
        lag = await probes(api, stack, count=probe_count, spread=probe_spread)
        say(
            f"   breach lag p99: workflow {lag['lag_workflow_ms']['p99']} ms, read model "
            f"{lag['lag_read_model_ms']['p99']} ms ({lag['breached']}/{probe_count} breached)"
        )
        stop.set()
        await sampler
        seen = await visibility(stack, client, visibility_runs)  # the probes are overdue now
        again = await restart(api, stack)
        say(f"   worker restart: {again}")
        results.append(
            {
                "open_target": size,
                "created": created,
                "memory_before": base_memory,
                "memory_held": held,
                "memory_peak_during_probes": peak,
                "memory_after_restart": memory(stack),
                "disk": disk,
                "disk_per_ticket": {k: (disk[k] - base_disk[k]) / size for k in disk},
                "visibility": seen,
                "breach": lag,
                "restart": again,
            }
        )
    return results


__all__ = ["measure", "percentile"]
