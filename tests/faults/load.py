"""The load test: simulated grid workers report and write off, simulated department staff work
their inboxes (claim → start verification → verify → rectified), all over real HTTP.

The demo city has two grid workers and one staff member per department, and no way to add users
over HTTP yet, so the simulated people share the demo users' logins: 50 grid workers are wang and
li by turns, the 20 staff are spread over the five departments the reports route to. Intake
limits are raised for the load stack (Stack's intake_per_minute); the client still honours 429 +
Retry-After and counts them apart.
"""
from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from tests.faults.checks import rows
from tests.faults.client import Api
from tests.faults.stack import Stack
from tests.faults.tickets import Report, new_report, next_step, submit

# Staff per department in proportion to the reports they get (tickets.CATEGORIES, SPOTS).
STAFF_SHARE = {"cgj": 10, "bs-street": 4, "zjj": 3, "jtj": 3}
WORKABLE = ("dispatched", "claimed", "verifying", "rectifying")


def _env(name: str, default: float) -> float:
    return float(os.environ.get(f"GRIDFLOW_FAULTS_{name}", default))


@dataclass
class LoadPlan:
    seconds: float
    grid_workers: int = int(_env("GRID_WORKERS", 50))
    staff: int = int(_env("STAFF", 20))
    report_every: float = _env("REPORT_EVERY", 60.0)  # a grid worker's mean pause between reports
    drain: float = _env("DRAIN_SECONDS", 300.0)  # after the load: time to finish every ticket


@dataclass
class LoadResult:
    plan: LoadPlan
    reports: list[Report] = field(default_factory=list)
    archived: set[str] = field(default_factory=set)
    actions: Counter[str] = field(default_factory=Counter)
    load_s: float = 0.0
    drain_s: float = 0.0

    def summary(self) -> str:
        p = self.plan
        return (f"== load: {p.grid_workers} grid workers, {p.staff} staff for {self.load_s:.0f} s "
                f"(+{self.drain_s:.0f} s to finish): {len(self.reports)} reports "
                f"({len(self.reports) / max(self.load_s, 1):.1f}/s), "
                f"{len(self.archived)} tickets completed (archived), actions {dict(self.actions)}")


def staff_users(n: int) -> list[str]:
    from tests.faults.tickets import STAFF

    pool = [STAFF[d] for d, share in STAFF_SHARE.items() for _ in range(share)]
    return [pool[i % len(pool)] for i in range(n)]


async def run_load(stack: Stack, api: Api, plan: LoadPlan) -> LoadResult:
    result = LoadResult(plan=plan)
    mine: dict[str, Report] = {}  # ticket id → report: the simulated people act on these only
    reporting_until = time.monotonic() + plan.seconds
    hard_deadline = reporting_until + plan.drain
    done = asyncio.Event()

    async def grid_worker(i: int) -> None:
        user, rng = ("wang" if i % 2 else "li"), random.Random(i)
        await asyncio.sleep(rng.uniform(0, plan.report_every))  # not all at the same second
        while not done.is_set():
            if time.monotonic() < reporting_until:
                report = new_report(user, rng=rng)
                result.reports.append(report)
                await submit(api, stack, report, deadline=hard_deadline, timeouts=[15.0])
                mine[report.ticket_id] = report  # type: ignore[index]
            await write_off_one(user, rng)
            await asyncio.sleep(rng.uniform(0.5, 1.5) * plan.report_every)

    async def write_off_one(user: str, rng: random.Random) -> None:
        page = await _get(api, "/my/write-off-checks", user)
        checks = [t for t in page if t["ticket_id"] in mine]
        if checks:
            await act(rng.choice(checks[:10]), user)

    async def staff(user: str, seed: int) -> None:
        rng = random.Random(seed)
        while not done.is_set():
            inbox = [t for t in await _get(api, "/inbox", user)
                     if t["ticket_id"] in mine and t["status"] in WORKABLE]
            if inbox:
                await act(rng.choice(inbox[:10]), user)
                await asyncio.sleep(rng.uniform(1.0, 3.0))  # a person reads before the next
            else:
                await asyncio.sleep(3.0)

    async def act(ticket: dict, user: str) -> None:  # type: ignore[type-arg]
        todo = next_step(ticket, mine[ticket["ticket_id"]].path)
        if todo is None or todo[1] != user and todo[0] != "write-off":
            return
        action, _, body = todo
        try:
            response = await api.call("POST", f"/tickets/{ticket['ticket_id']}/{action}", user,
                                      json=body, timeout=40)
        except (httpx.TimeoutException, httpx.TransportError):
            return  # the next look at the inbox tells whether it happened
        if response.status_code == 200:
            result.actions[action] += 1
        # 409: another simulated colleague with the same login got there first.
        assert response.status_code in (200, 409), \
            f"{action} as {user}: {response.status_code} {response.text[:300]}"

    async def finished() -> None:
        await asyncio.sleep(plan.seconds)
        while time.monotonic() < hard_deadline:
            found = await rows(stack, list(mine))
            result.archived = {t for t, r in found.items() if r.status == "archived"}
            if len(result.archived) == len(result.reports) == len(mine):
                break
            await asyncio.sleep(2)
        done.set()

    started = time.monotonic()
    async with asyncio.TaskGroup() as group:
        group.create_task(finished())
        for i in range(plan.grid_workers):
            group.create_task(grid_worker(i))
        for j, user in enumerate(staff_users(plan.staff)):
            group.create_task(staff(user, 1000 + j))
    result.load_s = min(plan.seconds, time.monotonic() - started)
    result.drain_s = time.monotonic() - started - result.load_s
    return result


async def _get(api: Api, path: str, user: str) -> list[dict]:  # type: ignore[type-arg]
    try:
        response = await api.call("GET", path, user, params={"limit": 100}, timeout=30)
    except (httpx.TimeoutException, httpx.TransportError):
        return []
    assert response.status_code == 200, f"GET {path} as {user}: {response.status_code}"
    return response.json()["items"]
