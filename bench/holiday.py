"""Section 8: the holiday morning. N reports filed outside working time share their first
working moment T0, so their claim deadlines fall due at one instant T = T0 + X (their 50 % and
80 % warnings too, at one instant each): bench/holiday_setup.py makes that morning with the
product's configuration and data, on a stack of its own.

Measured from T: until every breach is in the read model (ticket.overdue), until every breach
notice reached the webhook receiver (unique X-Gridflow-Event-Id; bench/receiver.py, its own
process) and every breach delivery row reads sent; the overdue view (GET /tickets/overdue) just
before T and just after; and the acknowledgement of a steady trickle of urgent reports through
the API, quiet (before the warnings) against during the burst.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import holiday_watch as watch
from bench.client import Api
from bench.holiday_setup import WARNINGS, Morning, configure, plan, policy_env
from bench.receiver import SECRET_ENV
from bench.stack import PROBE_CATEGORY, Stack, free_port, probe_policy
from bench.stats import say, summary_ms
from devstack import Child, wait_until

STARTUP_SECONDS = 30.0  # allowance for the worker and the API to start before filing begins
MARGIN = 20.0  # no report is filed later than this before T0
DAY = 86_400.0  # the trickle's urgent claim deadline: never due during the run


def lead_for(tickets: int) -> float:
    """Seconds from the start of filing to T0: 10 reports/s routed (19/s on the quiet machine,
    docs/benchmarks.md section 6), plus a minute; the time left over is the quiet window."""
    return 60.0 + tickets / 10


def run(
    data_dir: Path,
    config: dict[str, Any],
    *,
    worker_env: dict[str, str],
    temporal_args: list[str],
    api_args: list[str],
    profile: bool = False,
) -> dict[str, Any]:
    """The section on its own stack (in data_dir/holiday), started and stopped here."""
    tickets, deadline = int(config["holiday"]), float(config["holiday_deadline"])
    lead = float(config["holiday_lead"]) or lead_for(tickets)
    port = free_port()
    stack = Stack(
        data_dir / "holiday",
        probe_seconds=DAY,
        worker_env={
            **worker_env,
            **policy_env(probe_policy(DAY)),
            SECRET_ENV: secrets.token_urlsafe(24),
        },
        temporal_args=temporal_args,
        api_args=api_args,
    )
    received = stack.data_dir / "received.tsv"
    receiver = Child(
        "receiver",
        [sys.executable, "-m", "bench.receiver", str(port), str(received)],
        env=stack.env,
        log_dir=stack.log_dir,
    )
    mornings: list[Morning] = []

    def the_morning() -> dict[str, str]:
        """Dated once the read model is ready, before the worker and the API start."""
        now = datetime.now(UTC)
        morning = plan(now, lead_seconds=STARTUP_SECONDS + lead, deadline_seconds=deadline)
        asyncio.run(
            configure(
                stack.database_url,
                morning,
                category=PROBE_CATEGORY,
                receiver_url=f"http://127.0.0.1:{port}/hook",
            )
        )
        say(
            f"   T0 {morning.t0:%H:%M:%S} UTC, every claim deadline due at T "
            f"{morning.due:%H:%M:%S} UTC; {tickets:,} reports to file"
        )
        mornings.append(morning)
        return morning.env()

    try:
        wait_until("receiver", lambda: "listening" in receiver.output(), receiver, 30)
        stack.start(before_children=the_morning)
        morning = mornings[0]
        result = asyncio.run(
            measure(
                stack,
                morning,
                received=received,
                tickets=tickets,
                concurrency=int(config["backlog_concurrency"]),
                rate=float(config["holiday_rate"]),
                profile=profile,
            )
        )
    finally:
        stack.stop()
        receiver.stop()
    return {
        **result,
        "config": {
            "tickets": tickets,
            "deadline_seconds": deadline,
            "lead_seconds": lead,
            "trickle_per_second": config["holiday_rate"],
            "working_hours": morning.env()["GRIDFLOW_WORKING_HOURS"],
            "worker_env": worker_env,  # --env: the worker's tuning in this run
            "warning_fractions": WARNINGS,
            "t0": morning.t0.isoformat(),
            "t": morning.due.isoformat(),
        },
    }


async def file_reports(
    api: Api, stack: Stack, n: int, concurrency: int, stop_at: float
) -> list[str]:
    """N normal reports, `concurrency` at a time; no more once those filed would not all be
    routed (and so dated) by stop_at at the rate they are being routed."""
    counter = iter(range(n))
    ids: list[str] = []
    errors: list[str] = []
    started = time.time()
    late = False

    async def pace() -> None:
        """At the routing rate of the last 30 s (the first reports wait for a cold worker)."""
        nonlocal late
        seen: list[tuple[float, int]] = []
        while not late and len(ids) + len(errors) < n:
            await asyncio.sleep(2)
            [(routed,)] = await watch.rows(
                stack, "SELECT count(*) FROM ticket WHERE status = 'dispatched'"
            )
            now = time.time()
            seen.append((now, routed))
            then, before = next((t, r) for t, r in seen if t >= now - 30)
            if routed > before and now - started > 30:
                rate = (routed - before) / (now - then)
                late = now + (len(ids) - routed) / rate > stop_at

    async def driver() -> None:
        for _ in counter:
            if late or time.time() > stop_at:
                return
            try:
                response = await api.submit()
                response.raise_for_status()
                ids.append(response.json()["ticket_id"])
            except Exception as err:
                errors.append(f"{type(err).__name__}: {err}"[:200])

    pacer = asyncio.create_task(pace())
    await asyncio.gather(*(driver() for _ in range(concurrency)))
    late = True
    await pacer
    if errors:
        say(f"   {len(errors)} reports failed, e.g. {errors[0]}")
    if len(ids) + len(errors) < n:
        say(f"   filing stopped at {len(ids):,}: the rest would be routed after T0")
    return ids


async def measure(
    stack: Stack,
    morning: Morning,
    *,
    received: Path,
    tickets: int,
    concurrency: int,
    rate: float,
    profile: bool,
) -> dict[str, Any]:
    t0, t = morning.t0.timestamp(), morning.due.timestamp()
    api = Api(stack.api_url)
    await api.login("wang", "chen")
    try:
        started = time.time()
        ids = await file_reports(api, stack, tickets, concurrency, t0 - MARGIN)
        filed = time.time()
        say(f"   {len(ids):,} reports acknowledged in {filed - started:.0f} s")
        routed = await watch.until_routed(stack, ids, give_up_at=t0 - MARGIN / 2)
        say(f"   routed after {routed - started:.0f} s, {t0 - routed:.0f} s before T0")
        trickle = watch.Trickle(api, stack, rate)
        trickle.start()
        await asyncio.sleep(max(0.0, t0 + 1 - time.time()))  # all routed before T0 are dated
        cohort = await watch.cohort(stack, ids, morning.due)
        say(f"   {len(cohort):,} claim deadlines at T, {t - time.time():.0f} s from now")
        spy = watch.Spy(stack, at=t - 1) if profile else None
        views = asyncio.create_task(watch.overdue_views(api, t))
        seen = await watch.follow(stack, cohort, received, morning)
        await trickle.stop()
        if spy is not None:
            await spy.stop()
        lag = await watch.workflow_lag(stack, cohort)
        view = await views
    finally:
        await api.close()
    windows = {
        "quiet": (trickle.began, t0 + WARNINGS[0] * morning.deadline_seconds),
        "warnings": (t0 + WARNINGS[0] * morning.deadline_seconds, t),
        "burst": (t, seen["done_at"] or time.time()),
    }
    acks = {name: trickle.summary(a, b) for name, (a, b) in windows.items()}
    quiet, burst = acks["quiet"]["p99"], acks["burst"]["p99"]
    return {
        "filed": len(ids),
        "cohort": len(cohort),
        "file_seconds": round(filed - started, 1),
        "routed_seconds": round(routed - started, 1),
        "routed_before_t0_seconds": round(t0 - routed, 1),
        **{k: v for k, v in seen.items() if k != "done_at"},
        "overdue_view": view,
        "workflow_lag_ms": summary_ms(lag),
        "submit": acks,
        "submit_p99_ratio": burst / quiet if quiet and burst else None,
        "submit_errors": trickle.errors[:5],
        "profile": spy.top() if spy is not None else [],
    }
