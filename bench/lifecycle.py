"""Ticket lifecycles per second through the HTTP API, side by side with the bare ceiling.

A lifecycle: submit (wang) → routed to cgj → claim → start verification → verify (fixed on
site) → write off (wang) → archived. Closed loop: `concurrency` drivers each run lifecycles
back to back for `seconds`; the rate is lifecycles completed over the whole elapsed time.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench import bare
from bench.client import Api
from bench.stats import say, summary_ms

LOCAL_ACTIVITY_MARKER = "core_local_activity"  # the SDK's marker for a local activity's result

FINDING = {"outcome": "fixed_on_site", "note": "现场已清理 cleaned on site"}


async def http_lifecycle(api: Api) -> str:
    """One ticket from report to archive through the API; its id."""
    response = await api.submit()
    response.raise_for_status()
    ticket_id = response.json()["ticket_id"]
    await api.wait_status(ticket_id, "dispatched")
    for action, user, body in (
        ("claim", "zhao", None),
        ("start-verification", "zhao", None),
        ("verify", "zhao", FINDING),
        ("write-off", "wang", None),
    ):
        answer = await api.act(ticket_id, action, user, body)
        if answer.status_code != 200:
            raise RuntimeError(f"{action} on {ticket_id}: {answer.status_code} {answer.text}")
    await api.wait_status(ticket_id, "archived")
    return ticket_id


async def shape_of(client: Client, workflow_id: str) -> dict[str, Any]:
    """A finished workflow's shape: activities before the first update, inside each update,
    after the last; its number of updates and history events."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    plan, open_updates, events = [""], 0, 0
    for event in history.events:
        events += 1
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            open_updates += 1
            plan.append("")
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            open_updates -= 1
            if open_updates == 0:
                plan.append("")  # what follows belongs to the next update, or to the end
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            plan[-1] += bare.REMOTE
        elif (
            event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
            and event.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER
        ):
            plan[-1] += bare.LOCAL
    # plan = [before, u1, between, u2, between, ..., un, after]: activities between updates run
    # in the workflow body; the bare workflow runs them at the start of the next update instead.
    outside, inside = plan[0::2], plan[1::2]
    n = len(inside)
    before, after = outside[0], outside[-1] if n else ""
    updates = [inside[k] + (outside[k + 1] if k + 1 < n else "") for k in range(n)]
    return {
        "plan": [before, *updates, after],
        "updates": len(updates),
        "activities": len(before + "".join(updates) + after),
        "history_events": events,
    }


async def closed_loop(
    one: Callable[[int], Awaitable[object]], *, concurrency: int, seconds: float
) -> dict[str, Any]:
    """`concurrency` drivers run `one` back to back for `seconds`; the completed rate."""
    durations: list[float] = []
    errors: list[str] = []
    counter = iter(range(10**9))
    t0 = time.perf_counter()
    end = t0 + seconds

    async def driver() -> None:
        while time.perf_counter() < end:
            started = time.perf_counter()
            try:
                await one(next(counter))
                durations.append(time.perf_counter() - started)
            except Exception as err:
                errors.append(f"{type(err).__name__}: {err}"[:200])

    await asyncio.gather(*(driver() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    return {
        "completed": len(durations),
        "errors": len(errors),
        "error_sample": errors[:3],
        "seconds": round(elapsed, 1),
        "per_second": len(durations) / elapsed,
        "concurrency": concurrency,
        "latency_ms": summary_ms(durations),
    }


def _merge(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Rounds of one closed loop added up: completed over the rounds' summed time."""
    completed = sum(r["completed"] for r in rounds)
    seconds = sum(r["seconds"] for r in rounds)
    return {
        "completed": completed,
        "errors": sum(r["errors"] for r in rounds),
        "error_sample": [e for r in rounds for e in r["error_sample"]][:3],
        "seconds": round(seconds, 1),
        "per_second": completed / seconds if seconds else 0.0,
        "concurrency": rounds[0]["concurrency"],
        # per-round percentiles: their median (max: the largest)
        "latency_ms": {
            "n": sum(r["latency_ms"]["n"] for r in rounds),
            "max": max(r["latency_ms"]["max"] or 0 for r in rounds),
            **{
                k: sorted(r["latency_ms"][k] or 0 for r in rounds)[len(rounds) // 2]
                for k in ("p50", "p99")
            },
        },
        "rounds": [round(r["per_second"], 3) for r in rounds],
    }


def _cpu_per_lifecycle(spent: dict[str, float], completed: int) -> dict[str, float]:
    return {
        name: round(1000 * seconds / completed, 1) for name, seconds in spent.items() if completed
    }


async def measure(
    *,
    api: Api,
    client: Client,
    concurrency: int,
    seconds: float,
    rounds: int = 3,
    cpu: Callable[[], dict[str, float]] | None = None,
    direct: Callable[[], Awaitable[object]] | None = None,
) -> dict[str, Any]:
    """Section 1 (ceiling) and 2 (lifecycles): the shape from one real lifecycle, then the bare
    workflow, the ticket through the Temporal client (`direct`, bench/direct.py) and the ticket
    through the API, each closed-loop at the same concurrency, alternating in `rounds` rounds
    of seconds/rounds each, so that a change in the machine's load hits all three."""
    first = await http_lifecycle(api)  # also warms the worker, the API and the caches
    shape = await shape_of(client, first)
    plan = shape["plan"]
    say(f"   lifecycle shape: {shape}")
    await bare.lifecycle(client, plan, f"bare-warm-{uuid.uuid4().hex[:8]}")
    run = uuid.uuid4().hex[:8]
    step = seconds / rounds
    bare_rounds: list[dict[str, Any]] = []
    direct_rounds: list[dict[str, Any]] = []
    ticket_rounds: list[dict[str, Any]] = []
    spent: dict[str, dict[str, float]] = {"bare": {}, "direct": {}, "tickets": {}}
    if direct:
        await direct()  # warm

    async def metered(kind: str, loop: Awaitable[dict[str, Any]]) -> dict[str, Any]:
        """The closed loop, with the CPU each process of the stack spent while it ran."""
        before = cpu() if cpu else {}
        result = await loop
        after = cpu() if cpu else {}
        for name in before.keys() & after.keys():
            spent[kind][name] = spent[kind].get(name, 0.0) + after[name] - before[name]
        return result

    def bare_in_round(k: int) -> Callable[[int], Awaitable[None]]:
        return lambda i: bare.lifecycle(client, plan, f"bare-{run}-{k}-{i}")

    for k in range(rounds):
        say(
            f"   round {k + 1}/{rounds}: bare, then tickets through the API, {concurrency} at a "
            f"time, {step:.0f} s each"
        )
        bare_rounds.append(
            await metered(
                "bare", closed_loop(bare_in_round(k), concurrency=concurrency, seconds=step)
            )
        )
        if direct:
            direct_rounds.append(
                await metered(
                    "direct",
                    closed_loop(lambda _i: direct(), concurrency=concurrency, seconds=step),
                )
            )
        ticket_rounds.append(
            await metered(
                "tickets",
                closed_loop(lambda _i: http_lifecycle(api), concurrency=concurrency, seconds=step),
            )
        )
        say(
            f"   → bare {bare_rounds[-1]['per_second']:.2f}/s, "
            + (f"direct {direct_rounds[-1]['per_second']:.2f}/s, " if direct else "")
            + f"tickets {ticket_rounds[-1]['per_second']:.2f}/s"
        )
    ceiling, tickets = _merge(bare_rounds), _merge(ticket_rounds)
    bare_shape = await shape_of(client, f"bare-{run}-0-0") if bare_rounds[0]["completed"] else {}
    ratios = [
        t["per_second"] / b["per_second"]
        for b, t in zip(bare_rounds, ticket_rounds, strict=False)
        if b["per_second"]
    ]
    # CPU ms per completed lifecycle, per process: where a ticket costs more than a bare one.
    ceiling["cpu_ms"] = _cpu_per_lifecycle(spent["bare"], int(ceiling["completed"]))
    tickets["cpu_ms"] = _cpu_per_lifecycle(spent["tickets"], int(tickets["completed"]))
    result = {
        "shape": shape,
        "bare_shape": bare_shape,
        "bare": ceiling,
        "tickets": tickets,
        "ratio": tickets["per_second"] / ceiling["per_second"] if ceiling["per_second"] else None,
        "round_ratios": [round(r, 2) for r in ratios],
    }
    if direct_rounds:
        through = _merge(direct_rounds)
        through["cpu_ms"] = _cpu_per_lifecycle(spent["direct"], int(through["completed"]))
        result["direct"] = through
        result["direct_ratio"] = (
            through["per_second"] / ceiling["per_second"] if ceiling["per_second"] else None
        )
    return result
