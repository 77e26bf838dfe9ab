"""Open-loop arrivals: requests sent on a fixed schedule (rate per second), whether or not
earlier ones have been answered, so a slow answer cannot hold the next request back.

Latency is counted from the moment a request was due to be sent, so a client that falls
behind its schedule shows up as latency rather than as a lower rate.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from temporalio.client import Client

from bench import bare
from bench.client import Api
from bench.stats import say, summary_ms

POLL = 0.05  # how often the read model is looked at for submissions reaching the inbox

Answer = TypeVar("Answer")


async def open_loop(
    send: Callable[[int], Awaitable[Answer]],
    *,
    rate: float,
    seconds: float,
    on_done: Callable[[int, Answer, float], None] | None = None,
) -> dict[str, Any]:
    """Send rate × seconds requests at fixed times; latency from due time to answer."""
    n = max(1, round(rate * seconds))
    latencies: list[float] = []
    errors: list[str] = []
    t0 = time.perf_counter() + 0.05

    async def one(i: int) -> None:
        due = t0 + i / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        try:
            result = await send(i)
        except Exception as err:
            errors.append(f"{type(err).__name__}: {err}"[:200])
            return
        latencies.append(time.perf_counter() - due)
        if on_done is not None:
            on_done(i, result, due)

    await asyncio.gather(*(one(i) for i in range(n)))
    achieved = n / (time.perf_counter() - t0)
    return {
        "rate": rate,
        "sent": n,
        "errors": len(errors),
        "error_sample": errors[:3],
        "achieved_per_second": achieved,
        **summary_ms(latencies),
    }


class InboxWatch:
    """Notes when each submitted ticket first shows in its department's inbox: the read-model
    row (what GET /inbox reads) routed to a department and dispatched."""

    def __init__(self, readmodel_db: Path) -> None:
        self.db = readmodel_db
        self.due: dict[str, float] = {}  # ticket id → when its submission was due to be sent
        self.seen: dict[str, float] = {}

    def add(self, ticket_id: str, due: float) -> None:
        self.due[ticket_id] = due

    def _look(self, ids: list[str]) -> list[str]:
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            marks = ",".join("?" * len(ids))
            rows = con.execute(
                f"SELECT ticket_id FROM ticket WHERE ticket_id IN ({marks}) AND "
                "status = 'dispatched' AND department IS NOT NULL",
                ids,
            ).fetchall()
        finally:
            con.close()
        return [r[0] for r in rows]

    async def until_all(self, timeout: float) -> None:
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            await self.step()
            if len(self.seen) == len(self.due):
                return
            await asyncio.sleep(POLL)

    async def step(self) -> None:
        waiting = [t for t in self.due if t not in self.seen]
        for start in range(0, len(waiting), 500):
            found = await asyncio.to_thread(self._look, waiting[start : start + 500])
            now = time.perf_counter()
            for ticket_id in found:
                self.seen[ticket_id] = now

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.step()
            await asyncio.sleep(POLL)

    def latencies(self) -> dict[str, Any]:
        result = summary_ms([self.seen[t] - self.due[t] for t in self.seen])
        return {**result, "missing": len(self.due) - len(self.seen)}


async def measure(
    *,
    api: Api,
    client: Client,
    readmodel_db: Path,
    rates: list[float],
    seconds: float,
    plan: list[str],
) -> list[dict[str, Any]]:
    """Sections 3 and 4: at each rate, bare starts, then reports through the API with the time
    each reached its inbox. The bare workflow started is the lifecycle's shape without the
    people: the activities before and after, no updates."""
    rows = []
    start_plan = [plan[0], plan[-1]]
    for rate in rates:
        run = uuid.uuid4().hex[:8]
        say(f"   {rate:g}/s for {seconds:.0f} s: bare start_workflow")
        starts = await open_loop(
            lambda i: bare.start(client, start_plan, f"start-{run}-{i}"),  # noqa: B023  (awaited in this iteration)
            rate=rate,
            seconds=seconds,
        )
        await asyncio.sleep(min(10.0, seconds))  # let the bare workflows finish their activities
        say(f"   {rate:g}/s for {seconds:.0f} s: POST /api/v1/incidents")
        inbox = InboxWatch(readmodel_db)
        stop = asyncio.Event()
        watcher = asyncio.create_task(inbox.watch(stop))

        async def send(_i: int) -> str:
            response = await api.submit()
            response.raise_for_status()
            return str(response.json()["ticket_id"])

        submits = await open_loop(
            send,
            rate=rate,
            seconds=seconds,
            on_done=lambda _i, ticket_id, due: inbox.add(ticket_id, due),  # noqa: B023  (awaited in this iteration)
        )
        stop.set()
        await watcher
        await inbox.until_all(timeout=120)
        row: dict[str, Any] = {
            "rate": rate,
            "bare_start": starts,
            "submit": submits,
            "inbox": inbox.latencies(),
        }
        for key in ("p50", "p99"):
            b, s = starts[key], submits[key]
            row[f"submit_over_start_{key}"] = s / b if b and s else None
        say(
            f"   → start p99 {starts['p99'] or 0:.0f} ms, submit p99 {submits['p99'] or 0:.0f} ms, "
            f"inbox p99 {row['inbox']['p99'] or 0:.0f} ms"
        )
        rows.append(row)
    return rows
