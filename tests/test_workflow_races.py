"""Actions that arrive while the workflow itself holds the ticket (recording the report)."""

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowHistory, WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.tickets import TicketActivities
from domain.actions import CancelInput
from domain.contracts import FIND_DUPLICATES, ROUTE_TICKET, TicketResult
from domain.models import TicketSnapshot
from domain.states import CancelKind, TicketStatus
from readmodel.db import Database
from settings import Settings
from tests.factories import CHEN, incident_input
from tests.test_replay import patches
from worker import activities_for
from workflows.core import FINISHED_RECHECK_PATCH, ROUTE_RECHECK_PATCH
from workflows.ticket import TicketWorkflow


async def cancel_while_held(
    dev_env: WorkflowEnvironment,
    db: Database,
    name: str,
    real_method: Callable[[Any], Awaitable[Any]],
) -> tuple[TicketResult, TicketSnapshot, WorkflowHistory]:
    """Run a ticket on the real worker, except that activity `name` holds the ticket until a
    supervisor's cancel has been accepted (and so queues for the ticket); return the ticket's
    result, final snapshot and history."""
    config = Settings(task_queue=f"race-{uuid.uuid4()}", database_url=db.url)
    holding, release = asyncio.Event(), asyncio.Event()

    async def held(input: Any) -> Any:
        holding.set()
        await release.wait()
        return await real_method(input)

    held.__annotations__ = dict(real_method.__annotations__)  # the real input and result types
    held_activity = activity.defn(name=name)(held)
    activities = [
        a
        for a in activities_for(dev_env.client, db=db, config=config)
        if getattr(a, "__name__", "") != real_method.__name__
    ]
    inp = incident_input()
    async with Worker(
        dev_env.client,
        task_queue=config.task_queue,
        workflows=[TicketWorkflow],
        activities=[*activities, held_activity],
    ):
        handle = await dev_env.client.start_workflow(
            TicketWorkflow.run, inp, id=inp.incident.ticket_id, task_queue=config.task_queue
        )
        await asyncio.wait_for(holding.wait(), 30)
        cancel = await handle.start_update(
            TicketWorkflow.cancel,
            CancelInput(actor=CHEN, kind=CancelKind.INVALID, reason="not a real report"),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )
        release.set()
        await asyncio.wait_for(cancel.result(), 30)
        result = await asyncio.wait_for(handle.result(), 60)
        snapshot = await handle.query(TicketWorkflow.snapshot)
    return result, snapshot, await handle.fetch_history()


def save_history(history: WorkflowHistory, name: str) -> None:
    if os.environ.get(
        "GRIDFLOW_RECORD_RACE_HISTORY"
    ):  # tests/histories/v4_*, v5_*: replayed forever
        (Path(__file__).parent / "histories" / name).write_text(history.to_json())


async def test_a_cancel_waiting_while_the_report_is_recorded_is_not_overwritten_by_routing(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    """A supervisor cancels a report in the instant the workflow is still recording it (its
    duplicate check held): the cancel waits for the ticket, and routing (which used to run next
    regardless) must not dispatch the cancelled ticket; it is archived as cancelled."""
    real = TicketActivities(db=db)
    result, snapshot, history = await cancel_while_held(
        dev_env, db, FIND_DUPLICATES, real.find_duplicates
    )
    assert result.final_status == TicketStatus.CANCELLED
    assert [e.to_status for e in snapshot.events] == [
        TicketStatus.SUBMITTED,
        TicketStatus.CANCELLED,
        TicketStatus.ARCHIVED,
    ]
    assert snapshot.department is None  # never dispatched
    assert ROUTE_RECHECK_PATCH in patches(history)  # what gates it for tickets started before
    save_history(history, "v5_cancel_queued_before_routing.json")


async def test_a_cancel_waiting_while_the_ticket_is_routed_ends_it_and_it_is_archived(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    """The cancel queues while routing holds the ticket: routing dispatches it, the cancel then
    ends it, and the clock, which had queued behind the cancel, must see that it is finished
    (it used to wait forever for a change that never came: cancelled, never archived)."""
    real = TicketActivities(db=db)
    result, snapshot, history = await cancel_while_held(
        dev_env, db, ROUTE_TICKET, real.route_ticket
    )
    assert result.final_status == TicketStatus.CANCELLED
    assert [e.to_status for e in snapshot.events][-2:] == [
        TicketStatus.CANCELLED,
        TicketStatus.ARCHIVED,
    ]
    assert FINISHED_RECHECK_PATCH in patches(history)
    save_history(history, "v5_cancel_queued_during_routing.json")
