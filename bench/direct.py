"""A ticket lifecycle driven straight through the Temporal client: the same TicketWorkflow,
start and updates the API sends, without HTTP (no token check, input checks, audit row or JSON).

Between the bare ceiling and the lifecycle through the API, it states the two costs apart:
bare → direct is the domain's (routing, deadlines, projections, notices, the archive), direct →
API is the HTTP layer's. It waits for "dispatched" as the API's client does, by reading the read
model (here the SQLite file, read-only), and for the archive by the workflow's result.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from bench.client import SPOT
from domain import demo_city
from domain.actions import ClaimInput, StartVerificationInput, VerifyInput, WriteOffInput
from domain.contracts import TicketInput
from domain.models import Actor, Incident
from domain.states import FindingOutcome, Role, Urgency
from workflows.ticket import TicketWorkflow

POLL = 0.05  # as the API's client polls GET /tickets/{id}
GRID = demo_city.GRIDS[1].code  # SPOT's grid: garbage there is routed to cgj
WANG = Actor(user_id="wang", role=Role.GRID_WORKER, grids=[demo_city.GRIDS[0].code, GRID])
ZHAO = Actor(user_id="zhao", role=Role.DEPARTMENT_STAFF, department="cgj")


def _status(readmodel_db: Path, ticket_id: str) -> str | None:
    con = sqlite3.connect(f"file:{readmodel_db}?mode=ro", uri=True, timeout=30)
    try:
        row = con.execute("SELECT status FROM ticket WHERE ticket_id = ?", (ticket_id,)).fetchone()
    finally:
        con.close()
    return row[0] if row else None


async def wait_status(
    readmodel_db: Path, ticket_id: str, status: str, *, timeout: float = 120
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (seen := await asyncio.to_thread(_status, readmodel_db, ticket_id)) != status:
        if loop.time() > deadline:
            raise TimeoutError(f"{ticket_id} still {seen}, not {status}")
        await asyncio.sleep(POLL)


async def lifecycle(client: Client, *, task_queue: str, readmodel_db: Path) -> str:
    """One ticket from report to archive through the Temporal client; its id."""
    ticket_id = f"GF-D{uuid.uuid4().hex[:11].upper()}"
    incident = Incident(
        ticket_id=ticket_id,
        category="E0101",
        lat=SPOT.lat,
        lon=SPOT.lon,
        grid=GRID,
        description="巷口垃圾堆积 benchmark report",
        reporter=WANG,
        submitted_at=datetime.now(UTC),
        urgency=Urgency.NORMAL,
    )
    handle = await client.start_workflow(
        TicketWorkflow.run,
        TicketInput(incident=incident),
        id=ticket_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        memo={"request_sha256": uuid.uuid4().hex},
        static_summary=f"ticket {ticket_id}: E0101 in grid {GRID}",
    )
    await wait_status(readmodel_db, ticket_id, "dispatched")
    await handle.execute_update(TicketWorkflow.claim, ClaimInput(actor=ZHAO))
    await handle.execute_update(
        TicketWorkflow.start_verification, StartVerificationInput(actor=ZHAO)
    )
    await handle.execute_update(
        TicketWorkflow.verify,
        VerifyInput(
            actor=ZHAO, outcome=FindingOutcome.FIXED_ON_SITE, note="现场已清理 cleaned on site"
        ),
    )
    await handle.execute_update(TicketWorkflow.write_off, WriteOffInput(actor=WANG))
    await handle.result()  # archived: the workflow ends after the archive is written
    return ticket_id
