"""What the holiday section watches: the reports routed and dated, a trickle of submissions
timed, the read model, the outbox, the deliveries and the receiver followed from T, the
overdue view asked around T, and (optionally) py-spy on the worker and the API."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.client import Api
from bench.holiday_setup import CHANNEL, WARNINGS, Morning
from bench.stack import BIN, Stack
from bench.stats import say, summary_ms

POLL = 0.5  # s: how often the read model and the receiver's log are looked at from T


def _rows(db: Path, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


async def rows(stack: Stack, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    return await asyncio.to_thread(_rows, stack.readmodel_db, sql, args)


def instant(text: str | None) -> float | None:
    """A timestamp as the read model or a snapshot stores it, in Unix seconds."""
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


async def until_routed(stack: Stack, ids: list[str], *, give_up_at: float) -> float:
    """When every report reads dispatched in the read model (or give_up_at)."""
    waiting = set(ids)
    while waiting and time.time() < give_up_at:
        stack.check_alive()
        found = await rows(stack, "SELECT ticket_id FROM ticket WHERE status = 'dispatched'")
        waiting -= {r[0] for r in found}
        if waiting:
            await asyncio.sleep(0.5)
    if waiting:
        say(f"   {len(waiting)} reports not routed before T0: left out of the morning")
    return time.time()


async def cohort(stack: Stack, ids: list[str], due: datetime) -> set[str]:
    """The reports whose claim deadline falls at T: those filed and dated before T0."""
    found = await rows(
        stack,
        "SELECT ticket_id, current_stage, current_due_at FROM ticket WHERE urgency = 'normal'",
    )
    wanted = set(ids)
    return {
        ticket_id
        for ticket_id, stage, due_at in found
        if ticket_id in wanted and stage == "claim" and instant(due_at) == due.timestamp()
    }


class Trickle:
    """Urgent reports at a fixed rate (open loop), each timed from when it was due to go: until
    acknowledged, and until its row reads dispatched (its department's inbox)."""

    def __init__(self, api: Api, stack: Stack, rate: float) -> None:
        self.api, self.stack, self.rate = api, stack, rate
        self.samples: list[tuple[float, float | None]] = []  # (due, wall clock; latency or None)
        self.filed: dict[str, float] = {}  # ticket id → when it was due to be sent (wall clock)
        self.routed: dict[str, float] = {}  # ticket id → first seen dispatched (wall clock)
        self.errors: list[str] = []
        self.began = 0.0
        self._stop = asyncio.Event()
        self._sent: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self.began = time.time()
        self._task = asyncio.create_task(self._run())
        self._watch = asyncio.create_task(self._look())

    async def _run(self) -> None:
        start, i = time.perf_counter(), 0
        while not self._stop.is_set():
            due = start + i / self.rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            task = asyncio.create_task(self._one(due, self.began + i / self.rate))
            self._sent.add(task)
            task.add_done_callback(self._sent.discard)
            i += 1

    async def _one(self, due: float, wall: float) -> None:
        try:
            response = await self.api.submit(urgency="urgent")
            response.raise_for_status()
        except Exception as err:
            self.samples.append((wall, None))
            self.errors.append(f"{type(err).__name__}: {err}"[:200])
            return
        self.samples.append((wall, time.perf_counter() - due))
        self.filed[response.json()["ticket_id"]] = wall

    async def _look(self, until: float = float("inf")) -> None:
        while time.time() < until and (
            not self._stop.is_set() or self.filed.keys() - self.routed.keys()
        ):
            found = await rows(
                self.stack,
                "SELECT ticket_id FROM ticket WHERE urgency = 'urgent' AND status = 'dispatched'",
            )
            now = time.time()
            for (ticket_id,) in found:
                self.routed.setdefault(ticket_id, now)
            await asyncio.sleep(POLL / 2)

    async def stop(self) -> None:
        """No more reports; then until every one sent is routed (at most two minutes)."""
        self._stop.set()
        await self._task
        await asyncio.gather(*self._sent)
        self._watch.cancel()
        await self._look(until=time.time() + 120)

    def summary(self, start: float, end: float) -> dict[str, Any]:
        """Submissions due in [start, end): acknowledgement latency, and how many failed;
        until in the inbox, and how many never got there."""
        inside = [lat for at, lat in self.samples if start <= at < end]
        ok = [lat for lat in inside if lat is not None]
        filed = {t: at for t, at in self.filed.items() if start <= at < end}
        inbox = [self.routed[t] - at for t, at in filed.items() if t in self.routed]
        return {
            **summary_ms(ok),
            "errors": len(inside) - len(ok),
            "seconds": round(end - start),
            "inbox_ms": {**summary_ms(inbox), "never": len(filed) - len(inbox)},
        }


class Spy:
    """py-spy on the worker and the API from `at` (wall clock) until stopped."""

    def __init__(self, stack: Stack, *, at: float) -> None:
        self.stack, self.out = stack, stack.data_dir / "profile"
        self.out.mkdir(exist_ok=True)
        self.spies: dict[str, subprocess.Popen[bytes]] = {}
        self._task = asyncio.create_task(self._start(at))

    async def _start(self, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.time()))
        for name in ("worker", "api"):
            self.spies[name] = subprocess.Popen(
                [str(BIN / "py-spy"), "record", "--pid", str(self.stack.children[name].proc.pid)]
                + ["--format", "raw", "--rate", "50", "--nonblocking"]
                + ["--output", str(self.out / f"{name}.txt")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    async def stop(self) -> None:
        self._task.cancel()
        for spy in self.spies.values():
            spy.send_signal(2)
            await asyncio.to_thread(spy.wait, 60)

    def top(self) -> dict[str, list[str]]:
        from bench.profile import top

        return {
            n: top(self.out / f"{n}.txt", 30)
            for n in self.spies
            if (self.out / f"{n}.txt").exists()
        }


async def overdue_views(api: Api, t: float) -> list[dict[str, Any]]:
    """GET /tickets/overdue (the command centre) just before T and just after: it reads due
    dates, so it counts every report of the morning as soon as T has passed."""
    answers = []
    for offset in (-1.0, 0.1, 1.0, 10.0):
        await asyncio.sleep(max(0.0, t + offset - time.time()))
        sent = time.perf_counter()
        response = await api._send("GET", "/api/v1/tickets/overdue?limit=1", "chen")
        response.raise_for_status()
        answers.append(
            {
                "after_t_seconds": offset,
                "total": response.json()["total"],
                "ms": round((time.perf_counter() - sent) * 1000, 1),
            }
        )
    return answers


class Receiver:
    """The receiver's log, read as it grows: when each breach's notice first arrived."""

    def __init__(self, path: Path, wanted: set[str]) -> None:
        self.path, self.wanted, self.offset = path, wanted, 0
        self.first: dict[str, float] = {}  # event id → first arrival (breaches of the morning)
        self.posts = self.unsigned = 0

    def read(self) -> None:
        if not self.path.exists():
            return
        with self.path.open() as f:
            f.seek(self.offset)
            chunk = f.read()
        complete = chunk[: chunk.rfind("\n") + 1]
        self.offset += len(complete.encode())
        for line in complete.splitlines():
            at, event_id, kind, ticket_id, ok = line.split("\t")
            self.posts += 1
            self.unsigned += ok != "1"
            if kind == "breach" and ticket_id in self.wanted:
                self.first.setdefault(event_id, float(at))


async def follow(
    stack: Stack, cohort: set[str], received: Path, morning: Morning
) -> dict[str, Any]:
    """Until every breach of the morning is in the read model and its notice delivered (or
    give up): first sight of each, counts over time, CPU by process during the burst."""
    t = morning.due.timestamp()
    receiver = Receiver(received, cohort)
    overdue: dict[str, float] = {}
    series: list[list[float]] = []
    cpu_at_t: dict[str, float] | None = None
    limit = t + max(600.0, min(3600.0, 0.18 * len(cohort)))  # 10 min is the target
    peak = 0
    done_at = None
    while time.time() < limit:
        stack.check_alive()
        now = time.time()
        peak = max(peak, stack.rss("worker") or 0)
        if cpu_at_t is None and now >= t:
            cpu_at_t = stack.cpu()
        late = await rows(
            stack, "SELECT ticket_id FROM ticket WHERE urgency = 'normal' AND overdue"
        )
        for (ticket_id,) in late:
            if ticket_id in cohort:
                overdue.setdefault(ticket_id, now)
        receiver.read()
        sent = dict(
            await rows(
                stack,
                "SELECT d.channel_id, count(*) FROM notification_delivery d JOIN notification n "
                "ON n.event_id = d.event_id WHERE n.kind = 'breach' AND d.status = 'sent' "
                "GROUP BY d.channel_id",
            )
        )
        series.append([round(now - t, 1), len(overdue), len(receiver.first), sent.get("in-app", 0)])
        if now >= t and len(overdue) == len(cohort) and len(receiver.first) >= len(cohort):
            if sent.get(CHANNEL, 0) >= len(cohort):
                done_at = now
                break
        await asyncio.sleep(POLL)
    cpu_done = stack.cpu()
    return {
        "done_at": done_at,
        "finished": done_at is not None,
        "breaches_in_read_model": len(overdue),
        "read_model_all_seconds": _last(overdue.values(), t, len(cohort)),
        "read_model_lag_ms": summary_ms([s - t for s in overdue.values()]),
        "webhook": {
            "breach_notices": len(receiver.first),
            "posts": receiver.posts,
            "bad_signatures": receiver.unsigned,
            "all_seconds": _last(receiver.first.values(), t, len(cohort)),
            "lag_ms": summary_ms([s - t for s in receiver.first.values()]),
        },
        **await _outbox(stack, t, morning),
        "cpu_seconds_burst": {
            k: round(v - (cpu_at_t or {}).get(k, 0.0), 1) for k, v in cpu_done.items()
        }
        if cpu_at_t
        else {},
        "series": series[:: max(1, len(series) // 400)],
        "worker_peak_rss": peak,
    }


def _last(moments: Any, t: float, want: int) -> float | None:
    moments = list(moments)
    return round(max(moments) - t, 1) if moments and len(moments) >= want else None


async def _outbox(stack: Stack, t: float, morning: Morning) -> dict[str, Any]:
    """From the read model's own timestamps: when each kind of event was published (a ticket's
    first warning is its WARNINGS[0] one, its second its WARNINGS[1] one), and the breach deliveries by
    channel and status (sent_at: when the relay recorded them)."""
    events = await rows(
        stack,
        "SELECT kind, ticket_id, created_at FROM notification WHERE ticket_id IS NOT NULL "
        "ORDER BY seq",
    )
    published: dict[str, list[float]] = {}
    warned: dict[str, list[float]] = {}
    for kind, ticket_id, created in events:
        published.setdefault(kind, []).append(instant(created) or 0.0)
        if kind == "warning":
            warned.setdefault(ticket_id, []).append(instant(created) or 0.0)
    t0, x = morning.t0.timestamp(), morning.deadline_seconds
    bursts = {
        f"{round(f * 100)}%": (t0 + f * x, [w[i] for w in warned.values() if len(w) > i])
        for i, f in enumerate(WARNINGS)
    }
    deliveries = await rows(
        stack,
        "SELECT d.channel_id, d.status, count(*), max(d.sent_at) FROM notification_delivery d "
        "JOIN notification n ON n.event_id = d.event_id WHERE n.kind = 'breach' "
        "GROUP BY d.channel_id, d.status",
    )
    return {
        "published": {k: len(v) for k, v in published.items()},
        "breach_published_all_seconds": round(max(published.get("breach", [t])) - t, 1),
        "warning_bursts": {
            k: {"events": len(v), "all_seconds": round(max(v) - at, 1) if v else None}
            for k, (at, v) in bursts.items()
        },
        "breach_deliveries": [
            {
                "channel": channel,
                "status": status,
                "count": count,
                "last_sent_seconds": None if sent is None else round(sent - t, 1),
            }
            for channel, status, count, sent in ((c, s, n, instant(x)) for c, s, n, x in deliveries)
        ],
    }


async def workflow_lag(stack: Stack, cohort: set[str]) -> list[float]:
    """Seconds from each claim deadline's due to its breach, as the workflow recorded it."""
    import json

    found = await rows(stack, "SELECT ticket_id, snapshot FROM ticket WHERE urgency = 'normal'")
    lag = []
    for ticket_id, snapshot in found:
        if ticket_id not in cohort:
            continue
        for breach in json.loads(snapshot).get("breach_log", []):
            if breach["stage"] == "claim":
                lag.append(
                    (instant(breach["breached_at"]) or 0.0) - (instant(breach["due_at"]) or 0.0)
                )
    return lag
