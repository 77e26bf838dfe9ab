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

from temporalio.api.enums.v1 import EventType

from bench import bare
from bench.client import Api
from bench.stats import say, summary_ms

FINDING = {"outcome": "fixed_on_site", "note": "现场已清理 cleaned on site"}


async def http_lifecycle(api: Api) -> str:
    """One ticket from report to archive through the API; its id."""
    response = await api.submit()
    response.raise_for_status()
    ticket_id = response.json()["ticket_id"]
    await api.wait_status(ticket_id, "dispatched")
    for action, user, body in (("claim", "zhao", None), ("start-verification", "zhao", None),
                               ("verify", "zhao", FINDING), ("write-off", "wang", None)):
        answer = await api.act(ticket_id, action, user, body)
        if answer.status_code != 200:
            raise RuntimeError(f"{action} on {ticket_id}: {answer.status_code} {answer.text}")
    await api.wait_status(ticket_id, "archived")
    return ticket_id


async def shape_of(client, workflow_id: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """A finished workflow's shape: activities before the first update, inside each update,
    after the last; its number of updates and history events."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    plan, open_updates, events = [0], 0, 0
    for event in history.events:
        events += 1
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            open_updates += 1
            plan.append(0)
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            open_updates -= 1
            if open_updates == 0:
                plan.append(0)  # what follows belongs to the next update, or to the end
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            plan[-1] += 1
    # plan = [before, u1, between, u2, between, ..., un, after]: activities between updates run
    # in the workflow body; the bare workflow runs them at the start of the next update instead.
    outside, inside = plan[0::2], plan[1::2]
    n = len(inside)
    before, after = outside[0], outside[-1] if n else 0
    updates = [inside[k] + (outside[k + 1] if k + 1 < n else 0) for k in range(n)]
    return {"plan": [before, *updates, after], "updates": len(updates),
            "activities": before + sum(updates) + after, "history_events": events}


async def closed_loop(one: Callable[[int], Awaitable[object]], *, concurrency: int,
                      seconds: float) -> dict[str, object]:
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
            except Exception as err:  # noqa: BLE001 (counted and reported, never hidden)
                errors.append(f"{type(err).__name__}: {err}"[:200])

    await asyncio.gather(*(driver() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    return {"completed": len(durations), "errors": len(errors), "error_sample": errors[:3],
            "seconds": round(elapsed, 1), "per_second": len(durations) / elapsed,
            "concurrency": concurrency, "latency_ms": summary_ms(durations)}


async def measure(*, api: Api, client, concurrency: int, seconds: float) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Section 1 (ceiling) and 2 (lifecycles): the shape from one real lifecycle, then the bare
    workflow and the real one, each closed-loop at the same concurrency."""
    first = await http_lifecycle(api)  # also warms the worker, the API and the caches
    shape = await shape_of(client, first)
    plan = shape["plan"]
    say(f"   lifecycle shape: {shape}")
    await bare.lifecycle(client, plan, f"bare-warm-{uuid.uuid4().hex[:8]}")
    run = uuid.uuid4().hex[:8]
    say(f"   bare lifecycles, {concurrency} at a time, {seconds:.0f} s")
    ceiling = await closed_loop(lambda i: bare.lifecycle(client, plan, f"bare-{run}-{i}"),
                                concurrency=concurrency, seconds=seconds)
    say(f"   → {ceiling['per_second']:.2f}/s")
    say(f"   ticket lifecycles through the API, {concurrency} at a time, {seconds:.0f} s")
    tickets = await closed_loop(lambda _i: http_lifecycle(api), concurrency=concurrency,
                                seconds=seconds)
    say(f"   → {tickets['per_second']:.2f}/s")
    bare_shape = await shape_of(client, f"bare-{run}-0")
    return {"shape": shape, "bare_shape": bare_shape, "bare": ceiling, "tickets": tickets,
            "ratio": tickets["per_second"] / ceiling["per_second"] if ceiling["per_second"]
            else None}
