"""Production beyond one machine, proven with the same binaries as processes: nginx in front of
two APIs, two workers on one task queue, the read model on PostgreSQL and the Temporal dev
server (tests/faults/stack.py with apis=2, workers=2). Under reports and actions, one worker and
one API are killed with kill -9 and stay dead: nothing is lost, nothing happens twice, every
ticket finishes, and reconciliation finds no drift. Select with `-m faults`."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from readmodel.tickets.reconcile import reconcile
from tests.faults import checks
from tests.faults.client import Api
from tests.faults.stack import Stack, wait_for
from tests.faults.tickets import Report, bounded, drive, new_report, submit

pytestmark = pytest.mark.faults

TICKETS = int(os.environ.get("GRIDFLOW_FAULTS_CLUSTER_TICKETS", "40"))
PEOPLE = 10  # requests at once through nginx


@pytest.fixture
async def cluster(pg_url: str) -> AsyncIterator[Stack]:
    name = f"faults_cluster_{uuid.uuid4().hex[:10]}"
    server = pg_url.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0]
    conn = await asyncpg.connect(f"{server}/postgres", timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    with tempfile.TemporaryDirectory(prefix="gridflow-faults-cluster-") as root:
        running = Stack(
            root=Path(root), pg_url=f"{pg_url.rsplit('/', 1)[0]}/{name}", apis=2, workers=2
        )
        await running.start()
        try:
            yield running
        finally:
            await running.close()


def actions_done(api: Api) -> int:
    return sum(
        n
        for e, c in api.figures.by_endpoint.items()
        if e.startswith("POST /tickets/")
        for s, n in c.items()
        if s == 200
    )


@pytest.mark.timeout(400)
async def test_worker_and_api_killed_behind_nginx_lose_and_repeat_nothing(cluster: Stack):
    api = Api(cluster.base_url)  # every request through nginx
    started = time.monotonic()
    deadline = time.monotonic() + 240
    reports = [new_report("wang" if i % 2 else "li") for i in range(TICKETS)]
    early, late = reports[: TICKETS // 2], reports[TICKETS // 2 :]
    gate = asyncio.Semaphore(PEOPLE)

    async def report_and_work(report: Report) -> None:
        async with gate:
            await submit(api, cluster, report, deadline=deadline, timeouts=[15.0])
        await drive(api, report, deadline=deadline, gate=gate)

    async def reporting_on(share: list[Report]) -> None:
        # The late reports keep coming, one every 0.3 s, through the kill.
        async with asyncio.TaskGroup() as group:
            for report in share:
                group.create_task(report_and_work(report))
                await asyncio.sleep(0.3)

    try:
        await bounded(PEOPLE, [submit(api, cluster, r, deadline=deadline) for r in early])
        load = asyncio.ensure_future(
            asyncio.gather(
                *(drive(api, r, deadline=deadline, gate=gate) for r in early), reporting_on(late)
            )
        )
        await wait_for("the first actions", lambda: actions_done(api) >= TICKETS, 120)
        in_flight = Counter(
            r.status for r in (await checks.rows(cluster, [r.ticket for r in early])).values()
        )
        cluster.kill("worker-2")
        cluster.kill("api-2")
        print(f"worker-2 and api-2 killed with the early tickets at {dict(in_flight)}")
        between = ("claimed", "verifying", "rectifying", "resolved", "written_off")
        assert sum(in_flight[s] for s in between) >= len(early) // 4, in_flight
        killed = time.monotonic()
        await load
        print(
            f"load {killed - started:.0f} s before the kill, {time.monotonic() - killed:.0f} s after"
        )
    finally:
        print(api.figures.report("HTTP through nginx"))
        await api.close()
    for name in ("worker", "api", "nginx", "temporal"):
        assert cluster.children[name].alive, f"{name} died: {cluster.children[name].tail()}"
    tickets = [r.ticket for r in reports]
    assert len(set(tickets)) == TICKETS
    await checks.all_finished(cluster, tickets, timeout=120)
    await checks.workflows_match_ledger(cluster)
    await checks.each_workflow_started(cluster, tickets)
    await checks.projection_converged(cluster, {t: "archived" for t in tickets}, timeout=60)
    await checks.timelines_exact(cluster, {r.ticket: r.path for r in reports})
    await checks.row_count_matches_ledger(cluster)
    assert cluster.client is not None
    found = await reconcile(
        client=cluster.client, db=cluster.db, repair=False, task_queue=cluster.config.task_queue
    )
    assert found.checked == TICKETS and found.clean, [str(d) for d in found.drifts]
