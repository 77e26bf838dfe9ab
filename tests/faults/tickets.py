"""Tickets driven over real HTTP like their people would: report, then claim → verify →
rectify → write off by the right demo users, whatever faults happen in between."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from domain import demo_city
from tests.factories import GARBAGE, ILLEGAL_CONSTRUCTION, MANHOLE, ROAD_DAMAGE
from tests.faults.client import Api
from tests.faults.stack import Stack

READER = "chen"  # the command centre's supervisor reads every ticket
# One staff member per department (the first demo user of it): who claims, verifies, rectifies.
STAFF: dict[str, str] = {}
for _user in demo_city.USERS:
    if _user[2] == "department_staff" and _user[3] is not None:
        STAFF.setdefault(_user[3], _user[0])
# Where each grid worker reports: a spot inside one of their grids.
SPOTS = {
    "wang": [demo_city.GRIDS[1].inside, demo_city.GRIDS[0].inside],
    "li": [demo_city.GRIDS[2].inside, demo_city.GRIDS[3].inside],
}
CATEGORIES = [GARBAGE, GARBAGE, MANHOLE, ILLEGAL_CONSTRUCTION, ROAD_DAMAGE]

RECTIFY = [
    "submit",
    "route",
    "dispatch",
    "claim",
    "start_verification",
    "verify",
    "rectified",
    "write_off",
    "archive",
]
FIXED_ON_SITE = [
    "submit",
    "route",
    "dispatch",
    "claim",
    "start_verification",
    "verify",
    "write_off",
    "archive",
]
# Returned by its department, dispatched elsewhere, returned again: escalated to the command
# centre (a notice in the outbox), then dispatched a third time and worked.
RETURNED_TWICE = [
    "submit",
    "route",
    "dispatch",
    "return",
    "dispatch",
    "return",
    "escalate",
    "dispatch",
    *RECTIFY[3:],
]
DISPATCH_AFTER_RETURN = {1: "zjj", 2: "jtj"}
RETRYABLE = (503, 500, 502, 504)


@dataclass
class Report:
    reporter: str
    key: str
    body: dict[str, Any]
    ticket_id: str | None = None
    statuses: list[int | str] = field(default_factory=list)  # every answer, in order
    sent_at: float = 0.0  # monotonic: the first try
    acked_at: float = 0.0  # monotonic: the 2xx
    returned: bool = False  # returned twice before it is worked

    @property
    def ticket(self) -> str:
        """The ticket id the API acknowledged the report with (once submit() has returned)."""
        assert self.ticket_id is not None, f"report {self.key} was never acknowledged"
        return self.ticket_id

    @property
    def path(self) -> list[str]:
        """Even keys get a rectification, odd ones are fixed on site at verification."""
        if self.returned:
            return RETURNED_TWICE
        return RECTIFY if int(self.key[-1], 16) % 2 == 0 else FIXED_ON_SITE


def new_report(
    reporter: str, *, rng: random.Random | None = None, like: str | None = None
) -> Report:
    """A report by `reporter` in the grids of demo grid worker `like` (default: their own)."""
    rng = rng or random.Random()
    spot = rng.choice(SPOTS[like or reporter])
    return Report(
        reporter=reporter,
        key=uuid.uuid4().hex,
        body={
            "category": rng.choice(CATEGORIES),
            "lat": spot.lat,
            "lon": spot.lon,
            "description": "故障测试 fault-test report",
        },
    )


async def submit(
    api: Api, stack: Stack, report: Report, *, deadline: float, timeouts: list[float] | None = None
) -> str:
    """Send the report until a 2xx, always with the same Idempotency-Key (client timeouts,
    connection errors and 5xx are retried after a pause); record the ticket it names."""
    timeouts = timeouts or [30.0]
    attempt = 0
    report.sent_at = report.sent_at or time.monotonic()
    while True:
        timeout = timeouts[min(attempt, len(timeouts) - 1)]
        attempt += 1
        try:
            response = await api.call(
                "POST",
                "/incidents",
                report.reporter,
                json=report.body,
                headers={"Idempotency-Key": report.key},
                timeout=timeout,
            )
            report.statuses.append(response.status_code)
            if response.status_code in (200, 201):
                ticket_id = response.json()["ticket_id"]
                assert report.ticket_id in (None, ticket_id), (
                    f"key {report.key} named {report.ticket_id}, then {ticket_id}"
                )
                report.ticket_id = ticket_id
                report.acked_at = time.monotonic()
                stack.ledger[(report.reporter, report.key)] = ticket_id
                return ticket_id
            assert response.status_code in RETRYABLE, (
                f"submission refused: {response.status_code} {response.text[:300]}"
            )
        except (httpx.TimeoutException, httpx.TransportError) as err:
            report.statuses.append(type(err).__name__)
        assert time.monotonic() < deadline, (
            f"report {report.key} never acknowledged; answers: {report.statuses}"
        )
        await asyncio.sleep(min(0.2 * attempt, 2.0))


def next_step(ticket: dict[str, Any], path: list[str]) -> tuple[str, str, dict | None] | None:
    """The action the ticket waits for and who takes it; None while the system moves it."""
    status, department = ticket["status"], ticket["department"]
    returns = ticket.get("return_count", 0)
    if status == "manual_dispatch" and returns in DISPATCH_AFTER_RETURN:
        return "dispatch", READER, {"department": DISPATCH_AFTER_RETURN[returns]}
    if status in ("dispatched", "claimed", "verifying", "rectifying"):
        staff = STAFF[department]
        if status == "dispatched" and returns < path.count("return"):
            return "return", staff, {"reason": "不归我们管 not ours"}
        if status == "dispatched":
            return "claim", staff, None
        if status == "claimed":
            return "start-verification", staff, None
        if status == "verifying":
            finding = (
                {
                    "outcome": "needs_rectification",
                    "severity": "yellow",
                    "rectify_working_days": 2,
                    "note": "需整改 needs work",
                }
                if "rectified" in path
                else {"outcome": "fixed_on_site"}
            )
            return "verify", staff, finding
        return "rectified", staff, None
    if status == "resolved":
        note = {"note": "现场已核查 checked on site"}
        return "write-off", ticket.get("reporter_id", ""), note
    if status in ("submitted", "written_off"):
        return None  # routing, archiving: the workflow's own steps
    raise AssertionError(f"ticket {ticket['ticket_id']} is '{status}', off the expected path")


async def read(api: Api, ticket_id: str) -> dict[str, Any] | None:
    try:
        response = await api.call("GET", f"/tickets/{ticket_id}", READER, timeout=10)
    except (httpx.TimeoutException, httpx.TransportError):
        return None
    if response.status_code in RETRYABLE:
        return None
    assert response.status_code == 200, f"read {ticket_id}: {response.status_code} {response.text}"
    return response.json()


async def step(api: Api, ticket: dict[str, Any], path: list[str]) -> dict[str, Any] | None:
    """Take the next action if there is one: the ticket as the action left it, or None when
    there was nothing to do yet or the answer does not say (a read must tell)."""
    todo = next_step(ticket, path)
    if todo is None:
        return None
    action, user, body = todo
    try:
        response = await api.call(
            "POST", f"/tickets/{ticket['ticket_id']}/{action}", user, json=body, timeout=40
        )
    except (httpx.TimeoutException, httpx.TransportError):
        return None  # it may or may not have happened: the next read tells
    # 409: someone (or our own earlier attempt) moved it already; 5xx: try again after a read.
    assert response.status_code in (200, 409, *RETRYABLE), (
        f"{action} on {ticket['ticket_id']} as {user}: {response.status_code} {response.text}"
    )
    return response.json() if response.status_code == 200 else None


async def drive(
    api: Api, report: Report, *, deadline: float, gate: asyncio.Semaphore | None = None
) -> dict[str, Any]:
    """Take the ticket through its people's actions up to the write-off (archiving is the
    workflow's own step); fail with where it stuck at the deadline. With a shared `gate`, each
    request waits its turn, so many tickets move forward together, a step at a time."""
    assert report.ticket_id is not None
    gate = gate or asyncio.Semaphore(1)
    ticket: dict[str, Any] | None = None
    while True:
        async with gate:
            ticket = await read(api, report.ticket_id) or ticket
        while ticket is not None and ticket["status"] not in ("written_off", "archived"):
            async with gate:
                moved = await step(api, ticket, report.path)
            if moved is None:
                break
            ticket = moved
        if ticket is not None and ticket["status"] in ("written_off", "archived"):
            return ticket
        assert time.monotonic() < deadline, (
            f"ticket {report.ticket_id} stuck in "
            f"{ticket['status'] if ticket else 'unreadable'} at the deadline"
        )
        await asyncio.sleep(0.5)


Done = TypeVar("Done")


async def bounded(concurrency: int, jobs: Iterable[Awaitable[Done]]) -> list[Done]:
    """Run coroutines with at most `concurrency` at a time; the first failure cancels the rest."""
    gate = asyncio.Semaphore(concurrency)

    async def one(job: Awaitable[Done]) -> Done:
        async with gate:
            return await job

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(j)) for j in jobs]
    return [t.result() for t in tasks]
