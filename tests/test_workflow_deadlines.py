"""Every deadline is a durable timer: on the time-skipping server days pass in milliseconds."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.actions import ClaimInput, RectifiedInput, VerifyInput
from domain.contracts import TicketResult
from domain.models import TicketSnapshot
from domain.states import DeadlineStage, FindingOutcome, Severity, TicketStatus
from readmodel.db import Database
from settings import settings
from tests.factories import CGJ, OTHER, incident_input
from tests.workflow_helpers import routed
from worker import build_worker
from workflows.ticket import TicketWorkflow


@asynccontextmanager
async def ticket_running(
    env: WorkflowEnvironment, db: Database, **kwargs: Any
) -> AsyncIterator[WorkflowHandle[TicketWorkflow, TicketResult]]:
    queue = f"q-{uuid.uuid4()}"
    async with build_worker(env.client, db=db, config=settings, task_queue=queue):
        inp = incident_input(now=await env.get_current_time(), **kwargs)
        handle = await env.client.start_workflow(
            TicketWorkflow.run, inp, id=inp.incident.ticket_id, task_queue=queue
        )
        yield handle


async def snapshot(handle: WorkflowHandle) -> TicketSnapshot:
    return await handle.query(TicketWorkflow.snapshot)


def breached(t: TicketSnapshot, stage: DeadlineStage) -> bool:
    return any(d.stage == stage and d.breached_at is not None for d in t.deadlines)


async def test_dispatch_deadline_breaches_after_one_working_day(ts_env, db, calendar) -> None:
    async with ticket_running(ts_env, db, category=OTHER) as handle:
        await routed(handle)
        await ts_env.sleep(timedelta(hours=1))
        t = await snapshot(handle)
        assert t.status == TicketStatus.MANUAL_DISPATCH and not t.overdue
        assert t.current_deadline is not None
        due = t.current_deadline.due_at
        assert due == calendar.add_working_days(t.submitted_at, 1)
        await ts_env.sleep(due - await ts_env.get_current_time() + timedelta(minutes=1))
        t = await snapshot(handle)
    assert t.overdue and breached(t, DeadlineStage.DISPATCH)
    breach = [e for e in t.events if e.action == "deadline_breached"]
    assert len(breach) == 1 and breach[0].data["stage"] == "dispatch"
    assert breach[0].at >= due


async def test_claim_and_verify_deadlines_run_from_dispatch(ts_env, db, calendar) -> None:
    async with ticket_running(ts_env, db) as handle:
        await routed(handle)
        t = await snapshot(handle)
        assert t.status == TicketStatus.DISPATCHED and t.department == "cgj"
        dispatched_at = next(e.at for e in t.events if e.action == "dispatch")
        dues = {d.stage: d.due_at for d in t.open_deadlines}
        assert dues[DeadlineStage.CLAIM] == calendar.add_working_days(dispatched_at, 1)
        assert dues[DeadlineStage.VERIFY] == calendar.add_working_days(dispatched_at, 3)
        await ts_env.sleep(
            dues[DeadlineStage.CLAIM] - await ts_env.get_current_time() + timedelta(minutes=1)
        )
        t = await snapshot(handle)
        assert t.overdue and breached(t, DeadlineStage.CLAIM)
        assert not breached(t, DeadlineStage.VERIFY)
        await handle.execute_update(TicketWorkflow.claim, ClaimInput(actor=CGJ))
        t = await snapshot(handle)
        assert t.status == TicketStatus.CLAIMED
        assert not breached(t, DeadlineStage.VERIFY)
        assert not t.overdue  # the claim deadline is met (late); verification is still on time
        await ts_env.sleep(
            dues[DeadlineStage.VERIFY] - await ts_env.get_current_time() + timedelta(minutes=1)
        )
        t = await snapshot(handle)
    assert t.overdue and breached(t, DeadlineStage.VERIFY)
    assert [e.data["stage"] for e in t.events if e.action == "deadline_breached"] == [
        "claim",
        "verify",
    ]


async def test_rectification_deadline_is_the_one_in_the_finding(ts_env, db, calendar) -> None:
    async with ticket_running(ts_env, db) as handle:
        await routed(handle)
        await handle.execute_update(TicketWorkflow.claim, ClaimInput(actor=CGJ))
        due = await ts_env.get_current_time() + timedelta(days=10)
        await handle.execute_update(
            TicketWorkflow.verify,
            VerifyInput(
                actor=CGJ,
                outcome=FindingOutcome.NEEDS_RECTIFICATION,
                severity=Severity.RED,
                rectify_due_at=due,
            ),
        )
        await ts_env.sleep(timedelta(days=9, hours=23))
        t = await snapshot(handle)
        assert t.status == TicketStatus.RECTIFYING and not t.overdue
        assert t.current_deadline is not None
        assert t.current_deadline.stage == DeadlineStage.RECTIFY
        assert t.current_deadline.due_at == due
        await ts_env.sleep(timedelta(hours=2))
        t = await snapshot(handle)
    assert t.overdue and breached(t, DeadlineStage.RECTIFY)


async def test_write_off_check_deadline_is_one_working_day(ts_env, db, calendar) -> None:
    async with ticket_running(ts_env, db) as handle:
        await routed(handle)
        await handle.execute_update(TicketWorkflow.claim, ClaimInput(actor=CGJ))
        await handle.execute_update(
            TicketWorkflow.verify,
            VerifyInput(
                actor=CGJ,
                outcome=FindingOutcome.NEEDS_RECTIFICATION,
                severity=Severity.YELLOW,
                rectify_working_days=2,
            ),
        )
        t = await handle.execute_update(TicketWorkflow.rectified, RectifiedInput(actor=CGJ))
        assert t.status == TicketStatus.RESOLVED
        resolved_at = t.events[-1].at
        assert t.current_deadline is not None
        assert t.current_deadline.stage == DeadlineStage.WRITE_OFF
        assert t.current_deadline.due_at == calendar.add_working_days(resolved_at, 1)
        await ts_env.sleep(
            t.current_deadline.due_at - await ts_env.get_current_time() + timedelta(minutes=1)
        )
        t = await snapshot(handle)
    assert t.overdue and breached(t, DeadlineStage.WRITE_OFF)
    assert not breached(t, DeadlineStage.RECTIFY)
