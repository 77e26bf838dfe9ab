"""Running one ticket on the time-skipping server with the real worker, activities and read model."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.contracts import TicketResult
from domain.models import Deadline, TicketSnapshot
from domain.policy import DEFAULT_RULES, DeadlinePolicy, PolicyRule
from domain.states import DeadlineStage, TicketStatus, Unit
from readmodel.db import Database
from readmodel.tickets.tables import Notification
from settings import Settings
from tests.factories import incident_input
from worker import build_worker
from workflows.ticket import TicketWorkflow

Stage = DeadlineStage

# Only the claim deadline is short, so one clock at a time can be watched.
CLAIM_ONLY = DeadlinePolicy(
    rules=[
        *DEFAULT_RULES,
        PolicyRule(stage=Stage.VERIFY, amount=40, unit=Unit.WORKING_DAYS),
        PolicyRule(stage=Stage.HANDLE, amount=40, unit=Unit.WORKING_DAYS),
    ]
)


def config_for(db: Database, policy: DeadlinePolicy | None = None) -> Settings:
    return Settings(
        task_queue=f"q-{uuid.uuid4()}",
        database_url=db.url,
        deadline_policy=policy or DeadlinePolicy(),
    )


@asynccontextmanager
async def ticket_running(
    env: WorkflowEnvironment, db: Database, *, policy: DeadlinePolicy | None = None, **kwargs: Any
) -> AsyncIterator[WorkflowHandle[TicketWorkflow, TicketResult]]:
    config = config_for(db, policy)
    async with build_worker(env.client, db=db, config=config):
        inp = incident_input(now=await env.get_current_time(), **kwargs)
        handle = await env.client.start_workflow(
            TicketWorkflow.run, inp, id=inp.incident.ticket_id, task_queue=config.task_queue
        )
        yield handle


async def snapshot(handle: WorkflowHandle) -> TicketSnapshot:
    return await handle.query(TicketWorkflow.snapshot)


def deadline(t: TicketSnapshot, stage: DeadlineStage) -> Deadline:
    return next(d for d in t.deadlines if d.stage == stage and d.voided_at is None)


async def sleep_until(
    env: WorkflowEnvironment, moment: datetime, after: timedelta = timedelta(minutes=1)
) -> None:
    left = moment + after - await env.get_current_time()
    if left > timedelta(0):
        await env.sleep(left)


def actions(t: TicketSnapshot) -> list[str]:
    return [e.action.value for e in t.events]


async def notifications(db: Database, ticket_id: str) -> list[Notification]:
    async with db.session() as session:
        rows = await session.exec(
            select(Notification)
            .where(Notification.ticket_id == ticket_id)
            .order_by(col(Notification.seq))
        )
        return list(rows.all())


async def routed(handle: WorkflowHandle, timeout: float = 15.0) -> TicketSnapshot:
    """Wait (in real time, the test clock standing still) until routing has placed the ticket
    and, if dispatched, its deadlines are dated (the status shows before the scheduling activity
    that dates them has answered)."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while True:
        t = await snapshot(handle)
        dated = {d.stage for d in t.deadlines} | {u.stage for u in t.unplanned}
        if t.status not in (TicketStatus.SUBMITTED, TicketStatus.ROUTED) and (
            t.status != TicketStatus.DISPATCHED or DeadlineStage.CLAIM in dated
        ):
            return t
        assert loop.time() < give_up, f"ticket still {t.status}"
        await asyncio.sleep(0.05)
