"""Actions that arrive while the workflow itself holds the ticket (recording the report)."""
import asyncio
import os
import uuid
from pathlib import Path

from temporalio import activity
from temporalio.client import WorkflowUpdateStage
from temporalio.worker import Worker

from activities.tickets import FIND_DUPLICATES, ROUTE_TICKET, TicketActivities
from domain.actions import CancelInput, CancelKind
from domain.contracts import DuplicateQuery, DuplicateResult, RouteInput
from domain.models import RoutingDecision
from domain.states import TicketStatus
from settings import Settings
from tests.factories import CHEN, incident_input
from tests.test_replay import patches
from worker import activities_for
from workflows.core import FINISHED_RECHECK_PATCH, ROUTE_RECHECK_PATCH
from workflows.ticket import TicketWorkflow


async def test_a_cancel_waiting_while_the_report_is_recorded_is_not_overwritten_by_routing(
        dev_env, db) -> None:  # type: ignore[no-untyped-def]
    """A supervisor cancels a report in the instant the workflow is still recording it: the
    cancel waits for the ticket, and routing (which used to run next regardless) must not
    dispatch the cancelled ticket; it is archived as cancelled."""
    config = Settings(task_queue=f"race-{uuid.uuid4()}", database_url=db.url)
    checking, release = asyncio.Event(), asyncio.Event()
    real = TicketActivities(db=db)

    @activity.defn(name=FIND_DUPLICATES)
    async def held_duplicate_check(input: DuplicateQuery) -> DuplicateResult:
        checking.set()
        await release.wait()  # the cancel is queued for the ticket meanwhile
        return await real.find_duplicates(input)

    # The real worker, but its duplicate check holds the ticket until the cancel is queued.
    activities = [a for a in activities_for(dev_env.client, db=db, config=config)
                  if getattr(a, "__name__", "") != "find_duplicates"]
    inp = incident_input()
    async with Worker(dev_env.client, task_queue=config.task_queue, workflows=[TicketWorkflow],
                      activities=[*activities, held_duplicate_check]):
        handle = await dev_env.client.start_workflow(
            TicketWorkflow.run, inp, id=inp.incident.ticket_id, task_queue=config.task_queue)
        await asyncio.wait_for(checking.wait(), 30)
        cancel = await handle.start_update(
            TicketWorkflow.cancel,
            CancelInput(actor=CHEN, kind=CancelKind.INVALID, reason="not a real report"),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED)
        release.set()
        await asyncio.wait_for(cancel.result(), 30)
        result = await asyncio.wait_for(handle.result(), 60)
        snapshot = await handle.query(TicketWorkflow.snapshot)

    assert result.final_status == TicketStatus.CANCELLED
    assert [e.to_status for e in snapshot.events] == [
        TicketStatus.SUBMITTED, TicketStatus.CANCELLED, TicketStatus.ARCHIVED]
    assert snapshot.department is None  # never dispatched
    history = await handle.fetch_history()
    assert ROUTE_RECHECK_PATCH in patches(history)  # what gates it for tickets started before
    if os.environ.get("GRIDFLOW_RECORD_RACE_HISTORY"):  # tests/histories/v4_*: replayed forever
        (Path(__file__).parent / "histories" / "v4_cancel_queued_before_routing.json").write_text(
            history.to_json())


async def test_a_cancel_waiting_while_the_ticket_is_routed_ends_it_and_it_is_archived(
        dev_env, db) -> None:  # type: ignore[no-untyped-def]
    """The cancel queues while routing holds the ticket: routing dispatches it, the cancel then
    ends it, and the clock, which had queued behind the cancel, must see that it is finished
    (it used to wait forever for a change that never came: cancelled, never archived)."""
    config = Settings(task_queue=f"race-{uuid.uuid4()}", database_url=db.url)
    routing, release = asyncio.Event(), asyncio.Event()
    real = TicketActivities(db=db)

    @activity.defn(name=ROUTE_TICKET)
    async def held_routing(input: RouteInput) -> RoutingDecision:
        routing.set()
        await release.wait()  # the cancel is queued for the ticket meanwhile
        return await real.route_ticket(input)

    activities = [a for a in activities_for(dev_env.client, db=db, config=config)
                  if getattr(a, "__name__", "") != "route_ticket"]
    inp = incident_input()
    async with Worker(dev_env.client, task_queue=config.task_queue, workflows=[TicketWorkflow],
                      activities=[*activities, held_routing]):
        handle = await dev_env.client.start_workflow(
            TicketWorkflow.run, inp, id=inp.incident.ticket_id, task_queue=config.task_queue)
        await asyncio.wait_for(routing.wait(), 30)
        cancel = await handle.start_update(
            TicketWorkflow.cancel,
            CancelInput(actor=CHEN, kind=CancelKind.INVALID, reason="not a real report"),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED)
        release.set()
        await asyncio.wait_for(cancel.result(), 30)
        result = await asyncio.wait_for(handle.result(), 60)
        snapshot = await handle.query(TicketWorkflow.snapshot)

    assert result.final_status == TicketStatus.CANCELLED
    assert [e.to_status for e in snapshot.events][-2:] == [
        TicketStatus.CANCELLED, TicketStatus.ARCHIVED]
    history = await handle.fetch_history()
    assert FINISHED_RECHECK_PATCH in patches(history)
    if os.environ.get("GRIDFLOW_RECORD_RACE_HISTORY"):
        (Path(__file__).parent / "histories" / "v4_cancel_queued_during_routing.json").write_text(
            history.to_json())
