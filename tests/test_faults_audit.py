"""The audit log keeps what was acknowledged and what was applied when the API is killed: the real
stack as processes (tests/faults/stack.py), the API killed with kill -9 while people report and
act and a sensor gateway's devices alarm, then started again. Select with `-m faults` (scripts/faults.sh runs it too)."""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from temporalio.service import RPCError, RPCStatusCode

from domain import demo_city
from domain.models import SensorReading
from tests.factories import MANHOLE
from tests.faults import checks
from tests.faults.client import Api
from tests.faults.stack import Stack, wait_for
from tests.faults.tickets import Report, bounded, drive, new_report, submit

pytestmark = pytest.mark.faults

TICKETS = 24
PEOPLE = 12  # requests at once: most of them are waiting on Temporal when the API dies
DEVICES = 4  # a gateway's devices, each sending a reading every half second through the kill
INCIDENTS = "/api/v1/incidents"
# Calls older than this are settled from the workflows by the API (every 2 s): past any update
# the loaded stack is still working on, well short of the default 60 s the test would wait for.
SETTLE_AFTER = 10


@pytest.fixture
async def stack(pg_url: str) -> AsyncIterator[Stack]:
    name = f"faults_audit_{uuid.uuid4().hex[:10]}"
    server = pg_url.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0]
    conn = await asyncpg.connect(f"{server}/postgres", timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    with tempfile.TemporaryDirectory(prefix="gridflow-faults-audit-") as root:
        running = Stack(root=Path(root), pg_url=f"{pg_url.rsplit('/', 1)[0]}/{name}")
        running.env |= {
            "GRIDFLOW_AUDIT_RESOLVE_AFTER_SECONDS": str(SETTLE_AFTER),
            "GRIDFLOW_AUDIT_RESOLVE_EVERY_SECONDS": "2",
            "GRIDFLOW_SENSOR_REPEAT_QUIET_SECONDS": "0",
        }  # every reading is sent
        await running.start()
        try:
            yield running
        finally:
            await running.close()


def kill_api(stack: Stack) -> None:
    """kill -9 the API's process group: no shutdown, no row written after this instant."""
    child = stack.children["api"]
    os.killpg(child.proc.pid, signal.SIGKILL)
    child.proc.wait(10)
    child.stop()


async def audit_rows(stack: Stack) -> list[dict[str, Any]]:
    async with stack.db.engine.connect() as conn:
        found = await conn.execute(text("SELECT * FROM audit_log ORDER BY id"))
        return [dict(r) for r in found.mappings()]


async def human_events(stack: Stack, ticket_ids: list[str]) -> list[tuple[str, int, str, str]]:
    """(ticket, seq, actor, action) of every event a person recorded: the applied transitions."""
    async with stack.db.engine.connect() as conn:
        found = await conn.execute(
            text(
                "SELECT ticket_id, seq, actor_id, action FROM ticket_event "
                "WHERE ticket_id = ANY(:ids) AND actor_id <> 'system' ORDER BY ticket_id, seq"
            ),
            {"ids": ticket_ids},
        )
        return [tuple(r) for r in found]


def action_of(route: str) -> str:
    """'/api/v1/tickets/{ticket_id}/write-off' → 'write_off'; the report's route → 'submit'."""
    return "submit" if route == INCIDENTS else route.rsplit("/", 1)[-1].replace("-", "_")


async def applied_updates(stack: Stack, ticket_ids: list[str]) -> dict[str, str]:
    """update id → ticket, for every update the workflows' histories record as completed."""
    assert stack.client is not None
    done: dict[str, str] = {}
    for ticket_id in ticket_ids:
        async for event in stack.client.get_workflow_handle(ticket_id).fetch_history_events():
            if event.HasField("workflow_execution_update_completed_event_attributes"):
                completed = event.workflow_execution_update_completed_event_attributes
                if completed.outcome.HasField("success"):
                    done[completed.meta.update_id] = ticket_id
    return done


async def applied_readings(stack: Stack, ticket_ids: set[str]) -> dict[str | None, str]:
    """call id → ticket, for every sensor reading the workflows' histories hold."""
    assert stack.client is not None
    held: dict[str | None, str] = {}
    for ticket_id in ticket_ids:
        try:
            async for event in stack.client.get_workflow_handle(ticket_id).fetch_history_events():
                signalled = event.workflow_execution_signaled_event_attributes
                if (
                    event.HasField("workflow_execution_signaled_event_attributes")
                    and signalled.signal_name == "sensor_reading"
                ):
                    (reading,) = await stack.client.data_converter.decode(
                        signalled.input.payloads, [SensorReading]
                    )
                    held[reading.call_id] = ticket_id
        except RPCError as err:  # a reading tried on a ticket that never started
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
    return held


async def gateway(
    api: Api,
    sent: list[tuple[str, int | str, str | None]],
    restarted: asyncio.Event,
    *,
    deadline: float,
) -> None:
    """A sensor gateway's devices alarm until three rounds after the API came back; each reading
    once (a gateway does not retry an alarm), with a request id of its own: (id, answer, ticket)."""
    devices = [f"MH-FAULT-{uuid.uuid4().hex[:6]}" for _ in range(DEVICES)]
    spot = demo_city.GRIDS[0].inside
    after = 0

    async def reading(device: str) -> None:
        request_id = uuid.uuid4().hex
        try:
            response = await api.call(
                "POST",
                "/incidents",
                "gateway",
                timeout=15,
                headers={"X-Request-ID": request_id},
                json={
                    "category": MANHOLE,
                    "lat": spot.lat,
                    "lon": spot.lon,
                    "description": "井盖位移报警 fault-test",
                    "device_id": device,
                },
            )
        except (httpx.TimeoutException, httpx.TransportError) as err:
            sent.append((request_id, type(err).__name__, None))
            return
        ok = response.status_code < 300
        sent.append(
            (request_id, response.status_code, response.json()["ticket_id"] if ok else None)
        )

    while after < 3 and time.monotonic() < deadline:
        after += restarted.is_set()
        await asyncio.gather(*(reading(d) for d in devices), asyncio.sleep(0.5))


@pytest.mark.timeout(300)
async def test_api_killed_mid_load_loses_no_acknowledged_or_applied_row(stack: Stack) -> None:
    api = Api(stack.base_url, timeout=30)
    deadline = time.monotonic() + 180
    reports = [new_report("wang" if i % 2 else "li") for i in range(TICKETS)]
    gate = asyncio.Semaphore(PEOPLE)
    readings: list[tuple[str, int | str, str | None]] = []
    restarted = asyncio.Event()

    async def person(i: int, report: Report) -> None:
        await asyncio.sleep(i * 0.5)  # reports keep coming in while earlier tickets are worked
        async with gate:
            await submit(api, stack, report, deadline=deadline, timeouts=[15.0])
        await drive(api, report, deadline=deadline, gate=gate)

    async def kill_when_busy() -> None:
        await wait_for(
            "the first actions",
            lambda: (
                sum(
                    n
                    for e, c in api.figures.by_endpoint.items()
                    if e.startswith("POST /tickets/")
                    for s, n in c.items()
                    if s == 200
                )
                >= TICKETS // 3
            ),
            120,
        )
        kill_api(stack)
        await asyncio.sleep(1)
        await stack.start_api()
        restarted.set()

    try:
        await asyncio.gather(
            bounded(TICKETS, [person(i, r) for i, r in enumerate(reports)]),
            kill_when_busy(),
            gateway(api, readings, restarted, deadline=deadline),
        )
    finally:
        print(api.figures.report("HTTP, the API killed once"))
        await api.close()
    broken = sum(api.figures.transport_errors.values()) + sum(api.figures.timeouts.values())
    assert broken, "no request was cut off: the API did not die under load"
    tickets = [r.ticket for r in reports]
    assert all(tickets)

    # The projection has every applied transition; the API has settled every call it asked.
    async def converged() -> bool:
        return await checks.drift(stack, tickets) == []

    await wait_for("the read model caught up", converged, 60, every=1)

    async def settled() -> bool:
        rows = await audit_rows(stack)
        ended = {r["call_id"] for r in rows if r.get("settled")}
        return all(r["call_id"] in ended for r in rows if r["outcome"] == "pending")

    await wait_for("every call settled", settled, SETTLE_AFTER + 40, every=1)
    rows = await audit_rows(stack)

    # 1. Every acknowledged report has its row with the answer the reporter got.
    for report in reports:
        ack = report.statuses[-1]
        assert any(
            r["route"] == INCIDENTS
            and r["ticket_id"] == report.ticket_id
            and r["actor_id"] == report.reporter
            and r["status"] == ack
            and r["outcome"] == "ok"
            for r in rows
        ), f"{report.ticket_id} acknowledged {ack}, no such audit row ({report.statuses})"

    # 2. Every transition a person recorded has a row saying it was done, whatever the client
    #    saw (a 200, a 503, a reset connection), naming the event where the row knows it.
    done = defaultdict(list)
    for r in rows:
        if r["outcome"] == "ok" and r["ticket_id"]:
            done[r["ticket_id"], r["actor_id"], action_of(r["route"])].append(r)
    events = await human_events(stack, tickets)
    missing = [e for e in events if not done[e[0], e[2], e[3]]]
    assert not missing, (
        f"{len(missing)} of {len(events)} applied transitions have no audit "
        f"row saying so, e.g. {missing[:5]}"
    )
    for ticket_id, seq, actor, action in events:
        if action != "submit":
            assert seq in {r.get("seq") for r in done[ticket_id, actor, action]}, (
                ticket_id,
                seq,
                action,
                done[ticket_id, actor, action],
            )

    # 3. Against the workflows' own histories: each update they applied has its call's rows,
    #    settled ok; none of its rows says it failed.
    by_call = defaultdict(list)
    for r in rows:
        by_call[r.get("call_id")].append(r)
    applied = await applied_updates(stack, tickets)
    assert applied
    for update_id, ticket_id in applied.items():
        outcomes = [r["outcome"] for r in by_call[update_id]]
        assert "ok" in outcomes and "failed" not in outcomes and "refused" not in outcomes, (
            f"update {update_id} on {ticket_id} was applied; its audit rows say {outcomes}"
        )
    # 4. Sensors: every acknowledged reading has its row with the answer the gateway got; every
    #    reading a ticket's history holds has its call settled ok, and a call settled ok is one
    #    the history holds (the others, cut off before Temporal had them, are failed).
    for request_id, answer, ticket in readings:
        if isinstance(answer, int) and answer < 300:
            assert any(
                r["request_id"] == request_id
                and r["status"] == answer
                and r["outcome"] == "ok"
                and r["ticket_id"] == ticket
                for r in rows
            ), f"reading {request_id} acknowledged {answer}, no such audit row"
    held = await applied_readings(stack, {r["ticket_id"] for r in rows if r["call"] == "signal"})
    assert held and None not in held, "readings the histories hold carry no call id"
    assert any(not isinstance(a, int) for _i, a, _t in readings), "no reading was cut off"
    for call_id, ticket_id in held.items():
        outcomes = [r["outcome"] for r in by_call[call_id]]
        assert "ok" in outcomes and "failed" not in outcomes, (
            f"reading {call_id} on {ticket_id} was received; its audit rows say {outcomes}"
        )
    for r in rows:
        if r["call"] == "signal" and r["settled"]:
            assert (r["outcome"] == "ok") == (r["call_id"] in held), r

    resolved = [r for r in rows if r["settled"] and r["status"] in (0, 503)]
    print(
        f"{len(applied)} updates applied; {len(resolved)} calls settled from the workflows "
        f"after their API died or answered 503: "
        f"{sorted((r['outcome'], r['status']) for r in resolved)}"
    )
