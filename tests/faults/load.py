"""The load test: simulated grid workers report and write off, simulated department staff work
their inboxes (claim → start verification → verify → rectified), all over real HTTP.

Each simulated person is a user of their own, added by the demo admin over
`POST /api/v1/admin/users` and logged in with a password: grid workers with wang's or li's
grids by turns, staff spread over the departments the reports route to. Where that route does
not exist (404), they share the demo users' logins instead. Intake limits are raised for the
load stack (Stack's intake_per_minute); the client still honours 429 + Retry-After and counts
them apart.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from domain import demo_city
from tests.faults.checks import rows
from tests.faults.client import Api
from tests.faults.stack import Stack
from tests.faults.tickets import STAFF, Report, new_report, next_step, submit

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
    people: str = ""

    def summary(self) -> str:
        p = self.plan
        return (
            f"== load: {p.grid_workers} grid workers, {p.staff} staff ({self.people}) for "
            f"{self.load_s:.0f} s "
            f"(+{self.drain_s:.0f} s to finish): {len(self.reports)} reports "
            f"({len(self.reports) / max(self.load_s, 1):.1f}/s), "
            f"{len(self.archived)} tickets completed (archived), actions {dict(self.actions)}"
        )


@dataclass
class Person:
    user_id: str
    like: str  # the demo user whose grids (grid workers) or department (staff) they have
    department: str | None = None


def _grids_of(demo_user: str) -> list[str]:
    return next(u[4] for u in demo_city.USERS if u[0] == demo_user)


async def hire(api: Api, plan: LoadPlan) -> tuple[list[Person], list[Person]]:
    """The simulated people: users of their own where the admin API exists, else demo users."""
    # Round the departments first, so that even a few staff cover every one of them.
    pool = [d for _, d in sorted((k, d) for d, share in STAFF_SHARE.items() for k in range(share))]
    workers = [
        Person(f"load-worker-{i}", "wang" if i % 2 else "li") for i in range(plan.grid_workers)
    ]
    staff = [
        Person(f"load-staff-{j}", STAFF[pool[j % len(pool)]], pool[j % len(pool)])
        for j in range(plan.staff)
    ]
    for person in workers + staff:
        password = f"load-test-password-{person.user_id}"
        grid_worker = person.department is None
        body = {
            "user_id": person.user_id,
            "name": person.user_id,
            "password": password,
            "role": "grid_worker" if grid_worker else "department_staff",
            "department": person.department,
            "grids": _grids_of(person.like) if grid_worker else [],
        }
        response = await api.call("POST", "/admin/users", "admin", json=body, timeout=30)
        if response.status_code == 404:  # no admin API: the demo users, shared
            return (
                [Person(p.like, p.like) for p in workers],
                [Person(p.like, p.like, p.department) for p in staff],
            )
        assert response.status_code in (201, 409), f"adding {person.user_id}: {response.text}"
        api.passwords[person.user_id] = password
    return workers, staff


async def run_load(stack: Stack, api: Api, plan: LoadPlan) -> LoadResult:
    result = LoadResult(plan=plan)
    mine: dict[str, Report] = {}  # ticket id → report: the simulated people act on these only
    workers, staff_members = await hire(api, plan)  # before the clock starts
    result.people = f"{len({p.user_id for p in workers + staff_members})} logins"
    reporting_until = time.monotonic() + plan.seconds
    hard_deadline = reporting_until + plan.drain
    done = asyncio.Event()

    async def grid_worker(person: Person, seed: int) -> None:
        rng = random.Random(seed)
        await asyncio.sleep(rng.uniform(0, plan.report_every))  # not all at the same second
        while not done.is_set():
            if time.monotonic() < reporting_until:
                report = new_report(person.user_id, rng=rng, like=person.like)
                result.reports.append(report)
                ticket_id = await submit(
                    api, stack, report, deadline=hard_deadline, timeouts=[15.0]
                )
                mine[ticket_id] = report
            page = await _get(api, "/my/write-off-checks", person.user_id)
            checks = [t for t in page if t["ticket_id"] in mine and t["status"] == "resolved"]
            if checks:
                await act(rng.choice(checks[:10]), person.user_id, "write-off")
            await asyncio.sleep(rng.uniform(0.5, 1.5) * plan.report_every)

    async def staff(person: Person, seed: int) -> None:
        rng = random.Random(seed)
        while not done.is_set():
            inbox = [
                t
                for t in await _get(api, "/inbox", person.user_id)
                if t["ticket_id"] in mine and t["status"] in WORKABLE
            ]
            if inbox:
                await act(rng.choice(inbox[:10]), person.user_id, "staff")
                await asyncio.sleep(rng.uniform(1.0, 3.0))  # a person reads before the next
            else:
                await asyncio.sleep(3.0)

    async def act(ticket: dict[str, Any], user: str, who: str) -> None:
        todo = next_step(ticket, mine[ticket["ticket_id"]].path)
        if todo is None or (todo[0] == "write-off") != (who == "write-off"):
            return
        action, _, body = todo
        try:
            response = await api.call(
                "POST", f"/tickets/{ticket['ticket_id']}/{action}", user, json=body, timeout=40
            )
        except (httpx.TimeoutException, httpx.TransportError):
            return  # the next look at the inbox tells whether it happened
        if response.status_code == 200:
            result.actions[action] += 1
        # 409: a colleague got there first (or the inbox page was older than the ticket). 5xx
        # are counted in the figures, and the test fails on them once the load is over.
        assert response.status_code in (200, 409) or response.status_code >= 500, (
            f"{action} as {user}: {response.status_code} {response.text[:300]}"
        )

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
        for i, person in enumerate(workers):
            group.create_task(grid_worker(person, i))
        for j, person in enumerate(staff_members):
            group.create_task(staff(person, 1000 + j))
    result.load_s = min(plan.seconds, time.monotonic() - started)
    result.drain_s = time.monotonic() - started - result.load_s
    return result


async def _get(api: Api, path: str, user: str, *, pages: int = 10) -> list[dict[str, Any]]:
    """Every item of a list, page by page: the earlier fault tests leave hundreds of open
    tickets in the same departments, ahead of the load's own (soonest deadline first)."""
    items: list[dict[str, Any]] = []
    for page in range(pages):
        try:
            response = await api.call(
                "GET", path, user, timeout=30, params={"limit": 200, "offset": 200 * page}
            )
        except (httpx.TimeoutException, httpx.TransportError):
            return items
        if response.status_code >= 500:
            return items  # in the figures; the test fails on it after the load
        assert response.status_code == 200, f"GET {path} as {user}: {response.status_code}"
        body = response.json()
        items += body["items"]
        if len(items) >= body["total"] or not body["items"]:
            break
    return items
