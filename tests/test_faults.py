"""Nothing lost, nothing twice: the real stack as separate processes (tests/faults/stack.py),
broken on purpose while tickets are under way. Select with `-m faults`; `bash scripts/faults.sh`
runs them with longer defaults. Sizes from the environment (GRIDFLOW_FAULTS_*, see there)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

import devstack
from readmodel.tickets.reconcile import reconcile
from tests.factories import MANHOLE
from tests.faults import checks
from tests.faults.client import Api
from tests.faults.load import LoadPlan, run_load
from tests.faults.stack import Stack, wait_for
from tests.faults.tickets import (
    FIXED_ON_SITE,
    RECTIFY,
    RETURNED_TWICE,
    Report,
    bounded,
    drive,
    new_report,
    submit,
)

pytestmark = pytest.mark.faults

TICKETS = int(os.environ.get("GRIDFLOW_FAULTS_TICKETS", "200"))
OUTAGE = float(os.environ.get("GRIDFLOW_FAULTS_OUTAGE_SECONDS", "30"))
LOAD_SECONDS = float(os.environ.get("GRIDFLOW_FAULTS_LOAD_SECONDS", "120"))
DISPATCHED = ["submit", "route", "dispatch"]
# People acting at once in the fault scenarios (the load test has its own): below the API's
# database pool (5 + 10), which each audited request needs two connections of at the end.
PEOPLE = 10


@pytest.fixture(scope="module")
async def stack(pg_url: str) -> AsyncIterator[Stack]:
    """One stack for the module, read model in a fresh database of the session's PostgreSQL."""
    name = f"faults_{uuid.uuid4().hex[:10]}"
    server = pg_url.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0]
    conn = await asyncpg.connect(f"{server}/postgres", timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    with tempfile.TemporaryDirectory(prefix="gridflow-faults-") as root:
        running = Stack(root=Path(root), pg_url=f"{pg_url.rsplit('/', 1)[0]}/{name}")
        await running.start()
        try:
            yield running
        finally:
            await running.close()


@pytest.fixture
async def api(stack: Stack) -> AsyncIterator[Api]:
    client = Api(stack.base_url)
    yield client
    print(client.figures.report("HTTP"))
    await client.close()


def reporters(n: int) -> list[str]:
    return ["wang" if i % 2 else "li" for i in range(n)]


def actions_done(api: Api) -> int:
    return sum(
        n
        for e, c in api.figures.by_endpoint.items()
        if e.startswith("POST /tickets/")
        for s, n in c.items()
        if s == 200
    )


@pytest.mark.timeout(1200)
async def test_worker_killed_mid_lifecycle_loses_and_repeats_nothing(stack: Stack, api: Api):
    deadline = time.monotonic() + 900
    reports = [new_report(r) for r in reporters(TICKETS)]
    for report in reports[::20]:  # these escalate to the command centre on the way
        report.returned, report.body["category"] = True, MANHOLE
    await bounded(PEOPLE, [submit(api, stack, r, deadline=deadline) for r in reports])
    # All tickets move at once, PEOPLE requests at a time: the kill finds them spread out.
    gate = asyncio.Semaphore(PEOPLE)
    drivers = asyncio.ensure_future(
        bounded(TICKETS, [drive(api, r, deadline=deadline, gate=gate) for r in reports])
    )
    try:
        # Mid-lifecycle: about a third of all the people's actions taken.
        await wait_for("a third of the actions", lambda: actions_done(api) >= TICKETS * 1.5, 400)
        in_flight = Counter(
            r.status for r in (await checks.rows(stack, [r.ticket for r in reports])).values()
        )
        stack.kill_worker()
        print(f"worker killed with tickets at {dict(in_flight)}")
        between = ("claimed", "verifying", "rectifying", "resolved", "written_off")
        assert sum(in_flight[s] for s in between) >= TICKETS // 4, in_flight
        await asyncio.sleep(2)
        await stack.start_worker()
        finished = await drivers
    finally:
        drivers.cancel()
    paths = {r.ticket: r.path for r in reports}
    assert [f["ticket_id"] for f in finished] == list(paths)
    assert {tuple(p) for p in paths.values()} == {
        tuple(RECTIFY),
        tuple(FIXED_ON_SITE),
        tuple(RETURNED_TWICE),
    }
    await checks.all_finished(stack, list(paths))
    await checks.workflows_match_ledger(stack)
    await checks.each_workflow_started(stack, list(paths))
    await checks.projection_converged(stack, {t: "archived" for t in paths})
    await checks.timelines_exact(stack, paths)
    await checks.row_count_matches_ledger(stack)
    # The escalation's notice: in the outbox once, whatever the worker went through.
    escalated = [r.ticket for r in reports if r.returned]
    outbox = await checks.notices(stack, escalated)
    assert {t: outbox[t] for t in escalated} == {
        t: [("return", "command-centre")] for t in escalated
    }


@pytest.mark.timeout(600)
async def test_temporal_restarted_mid_load_keeps_every_acknowledged_report(stack: Stack, api: Api):
    deadline = time.monotonic() + 400
    reports = [new_report(r) for r in reporters(120)]
    acknowledged: list[str] = []

    async def reporter(share: list[Report]) -> None:
        for report in share:
            acknowledged.append(
                await submit(api, stack, report, deadline=deadline, timeouts=[10.0])
            )
            await asyncio.sleep(0.1)

    load = asyncio.ensure_future(
        bounded(PEOPLE, [reporter(reports[i::PEOPLE]) for i in range(PEOPLE)])
    )
    try:
        await wait_for("a third acknowledged", lambda: len(acknowledged) >= 40, 200)
        down = time.monotonic()
        await stack.stop_temporal()
        await asyncio.sleep(3)
        await stack.start_temporal()
        up = time.monotonic()
        await load
    finally:
        load.cancel()
    # Reports sent while Temporal was down: answered once it was back (the API's client retries
    # the start), or refused and retried by the phone with the same key.
    met = [r for r in reports if r.sent_at < up and r.acked_at > down]
    refused = [r for r in reports if any(s not in (200, 201) for s in r.statuses)]
    print(
        f"Temporal down {up - down:.1f} s: {len(met)} reports were in flight or sent meanwhile, "
        f"{len(refused)} of all saw an error and were retried with their key"
    )
    assert len(met) >= PEOPLE // 2, "the restart did not happen under load"
    tickets = [r.ticket for r in reports]
    assert len(set(tickets)) == len(reports)
    await checks.workflows_match_ledger(stack)
    await checks.each_workflow_started(stack, tickets)
    await checks.projection_converged(stack, {t: "dispatched" for t in tickets})
    await checks.timelines_exact(stack, {t: DISPATCHED for t in tickets})
    await checks.row_count_matches_ledger(stack)


@pytest.mark.timeout(700)
async def test_read_model_outage_retries_converges_and_reconciles(stack: Stack, api: Api):
    deadline = time.monotonic() + OUTAGE + 400
    idle = [new_report("wang") for _ in range(3)]
    driven = [new_report(r) for r in reporters(20)]
    await bounded(PEOPLE, [submit(api, stack, r, deadline=deadline) for r in idle + driven])
    await checks.projection_converged(stack, {r.ticket: "dispatched" for r in idle + driven})
    drivers = asyncio.ensure_future(
        bounded(PEOPLE, [drive(api, r, deadline=deadline) for r in driven])
    )
    late = [new_report(r) for r in reporters(6)]
    try:
        await wait_for("the first actions", lambda: actions_done(api) >= 15, 200)
        stack.cut_database()
        cut_at = time.monotonic()
        # The row of a quiet ticket goes while the database is away from the stack.
        lost = idle[0].ticket
        await _delete_ticket_row(stack, lost)
        # Reports made during the outage: refused or slow, never hanging, kept after it.
        during = asyncio.ensure_future(
            bounded(3, [submit(api, stack, r, deadline=deadline, timeouts=[15.0]) for r in late])
        )
        await asyncio.sleep(max(0.0, OUTAGE - (time.monotonic() - cut_at)))
        stack.restore_database()
        restored_at = time.monotonic()
        await during
        await drivers
    finally:
        drivers.cancel()
    print("answers to reports made during the outage:", [r.statuses for r in late])
    stack.check_alive()
    ids = [r.ticket for r in driven + late]
    await checks.projection_converged(
        stack,
        {r.ticket: "archived" for r in driven} | {r.ticket: "dispatched" for r in late},
        timeout=240,
    )
    print(
        f"read model down {restored_at - cut_at:.0f} s; converged "
        f"{time.monotonic() - restored_at:.0f} s after it came back"
    )
    await checks.timelines_exact(
        stack, {r.ticket: r.path for r in driven} | {r.ticket: DISPATCHED for r in late}
    )
    assert await _max_activity_attempt(stack, [r.ticket for r in driven]) >= 2, (
        "no activity was retried: the outage did not reach the worker"
    )
    # The lost row is drift nothing else would repair; reconciliation finds and repairs it.
    everyone = ids + [r.ticket for r in idle]
    assert await checks.drift(stack, everyone) == [
        f"{lost}: no row (workflow at seq 3, dispatched)"
    ]
    queue = stack.config.task_queue
    assert stack.client is not None
    found = await reconcile(client=stack.client, db=stack.db, repair=True, task_queue=queue)
    assert {d.ticket_id for d in found.drifts} == {lost}, [str(d) for d in found.drifts]
    assert found.repaired == [lost]
    await checks.timelines_exact(stack, {lost: DISPATCHED})
    # The command an operator runs reports zero drift now (exit 0).
    command = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "gridflow_admin", "reconcile"],
        cwd=devstack.ROOT,
        env=stack.env | {"GRIDFLOW_DATABASE_URL": stack.pg_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert command.returncode == 0, f"reconcile reports drift:\n{command.stdout}{command.stderr}"
    print("python -m gridflow_admin reconcile:", command.stdout.strip())
    assert await checks.drift(stack, everyone) == []
    await checks.row_count_matches_ledger(stack)


@pytest.mark.timeout(500)
async def test_client_retrying_on_timeouts_gets_one_ticket_per_key(stack: Stack, api: Api):
    deadline = time.monotonic() + 300
    reports = [new_report(r) for r in reporters(60)]
    # Impatient first tries: most time out after the server got them, some before.
    timeouts = [0.02, 0.05, 0.2, 1.0, 5.0, 30.0]
    # Fewer clients than elsewhere: the server keeps working on every abandoned try.
    clients = PEOPLE // 2

    async def client(share: list[Report]) -> None:
        for report in share:
            await submit(api, stack, report, deadline=deadline, timeouts=timeouts)

    await bounded(clients, [client(reports[i::clients]) for i in range(clients)])
    retried = [r for r in reports if any(isinstance(s, str) for s in r.statuses)]
    replayed = [r for r in retried if r.statuses[-1] == 200]
    print(
        f"{len(retried)} keys retried after a client timeout, {len(replayed)} answered "
        "200 (the ticket their lost attempt had started)"
    )
    assert retried and replayed
    tickets = [r.ticket for r in reports]
    await checks.workflows_match_ledger(stack)
    await checks.each_workflow_started(stack, tickets)
    await checks.projection_converged(stack, {t: "dispatched" for t in tickets})
    await checks.timelines_exact(stack, {t: DISPATCHED for t in tickets})
    await checks.row_count_matches_ledger(stack)
    # The same key with a different report is refused, never a second ticket.
    other = reports[0]
    changed = await api.call(
        "POST",
        "/incidents",
        other.reporter,
        json=other.body | {"description": "另一件事 something else"},
        headers={"Idempotency-Key": other.key},
    )
    assert changed.status_code == 409, changed.text
    assert changed.json()["error"]["details"]["ticket_id"] == other.ticket_id


@pytest.mark.timeout(LOAD_SECONDS + 600)
async def test_load_loses_and_repeats_nothing(stack: Stack, api: Api):
    plan = LoadPlan(seconds=LOAD_SECONDS)
    result = await run_load(stack, api, plan)
    print(result.summary())
    artifacts = devstack.ROOT / "test-artifacts" / "faults"
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / "load.txt").write_text(result.summary() + "\n" + api.figures.report("HTTP"))
    assert not api.figures.server_errors(), f"5xx under load: {api.figures.server_errors()}"
    assert result.reports, "no report was made"
    tickets = [r.ticket for r in result.reports]
    assert result.archived == set(tickets), f"{len(set(tickets) - result.archived)} not archived"
    await checks.workflows_match_ledger(stack)
    await checks.each_workflow_started(stack, tickets)
    await checks.all_finished(stack, tickets)
    await checks.projection_converged(stack, {t: "archived" for t in tickets})
    await checks.timelines_exact(stack, {r.ticket: r.path for r in result.reports})
    await checks.row_count_matches_ledger(stack)


async def _delete_ticket_row(stack: Stack, ticket_id: str) -> None:
    from sqlmodel import col, delete

    from readmodel.tickets.tables import TicketEventRow, TicketRow

    async with stack.db.session() as session:
        await session.exec(delete(TicketEventRow).where(col(TicketEventRow.ticket_id) == ticket_id))
        await session.exec(delete(TicketRow).where(col(TicketRow.ticket_id) == ticket_id))
        await session.commit()


async def _max_activity_attempt(stack: Stack, ticket_ids: list[str]) -> int:
    assert stack.client is not None
    most = 1
    for ticket_id in ticket_ids:
        async for event in stack.client.get_workflow_handle(ticket_id).fetch_history_events():
            if event.HasField("activity_task_started_event_attributes"):
                most = max(most, event.activity_task_started_event_attributes.attempt)
    return most
