"""A supervisor keeps a probable duplicate separate in the instant it is flagged: the keep-separate
queues for the ticket while the workflow still holds it (telling the centre, projecting the flag).
The ticket must still be routed at once, not sit `submitted` until its next alarm (13 h)."""

import asyncio
import uuid
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.tickets import TicketActivities
from domain.actions import CancelInput, KeepSeparateInput
from domain.contracts import NOTIFY, NotifyInput
from domain.states import CancelKind, TicketStatus
from readmodel.db import Database
from settings import Settings
from tests.api_fixtures import SUPERVISOR, Gridflow, gridflow_on
from tests.factories import CHEN, LAT, incident_input
from tests.test_api_lifecycle import wait_for_status
from tests.test_replay import patches
from tests.test_workflow_races import save_history
from tests.workflow_helpers import routed
from worker import activities_for
from workflows.core import REVIEW_RECHECK_PATCH
from workflows.ticket import TicketWorkflow

METRE = 1 / 111_000  # degrees of latitude
ROUTED = {"dispatched", "manual_dispatch"}


async def test_a_keep_separate_queued_while_the_flag_is_recorded_routes_the_ticket(
    dev_env: WorkflowEnvironment, demo_db: Database
) -> None:
    """Deterministic: the centre's duplicate notice is held until the supervisor's keep-separate
    has been accepted (so it waits for the ticket behind the flag); the ticket is then routed
    within seconds."""
    config = Settings(task_queue=f"race-{uuid.uuid4()}", database_url=demo_db.url)
    real = TicketActivities(db=demo_db)
    holding, release = asyncio.Event(), asyncio.Event()

    @activity.defn(name=NOTIFY)
    async def notify(input: NotifyInput) -> None:
        if any(n.kind == "duplicate" for n in input.notices):
            holding.set()
            await release.wait()
        await real.notify(input)

    activities = [
        a
        for a in activities_for(dev_env.client, db=demo_db, config=config)
        if getattr(a, "__name__", "") != "notify"
    ]
    async with Worker(
        dev_env.client,
        task_queue=config.task_queue,
        workflows=[TicketWorkflow],
        activities=[*activities, notify],
    ):
        first = incident_input()
        first_handle = await dev_env.client.start_workflow(
            TicketWorkflow.run, first, id=first.incident.ticket_id, task_queue=config.task_queue
        )
        assert (await routed(first_handle)).status == TicketStatus.DISPATCHED
        near = incident_input()
        handle = await dev_env.client.start_workflow(
            TicketWorkflow.run, near, id=near.incident.ticket_id, task_queue=config.task_queue
        )
        await asyncio.wait_for(holding.wait(), 30)
        kept = await handle.start_update(
            TicketWorkflow.keep_separate,
            KeepSeparateInput(actor=CHEN, note="两处不同"),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )
        release.set()
        await asyncio.wait_for(kept.result(), 30)
        ticket = await routed(handle, timeout=10)
        assert ticket.status == TicketStatus.DISPATCHED
        assert [e.to_status for e in ticket.events][:4] == [
            TicketStatus.SUBMITTED,
            TicketStatus.DUPLICATE_REVIEW,
            TicketStatus.SUBMITTED,
            TicketStatus.ROUTED,
        ]
        for h in (handle, first_handle):
            await h.execute_update(
                TicketWorkflow.cancel,
                CancelInput(actor=CHEN, kind=CancelKind.INVALID, reason="test over"),
            )
            await asyncio.wait_for(h.result(), 30)
        history = await handle.fetch_history()
        assert REVIEW_RECHECK_PATCH in patches(history)
    save_history(history, "v6_kept_separate_while_flagged.json")


async def test_keep_separate_at_the_instant_of_flagging_never_leaves_a_ticket_unrouted(
    dev_env: WorkflowEnvironment, demo_db: Database
) -> None:
    """Through the API, many times: a report lands next to an open one while a supervisor
    presses keep-separate as fast as the API answers; the first press that is accepted comes
    as the ticket is flagged. Each report must end dispatched within seconds."""
    async with gridflow_on(dev_env.client, demo_db) as city:
        first = await city.new_ticket()
        await wait_for_status(city, first, "dispatched")
        for i in range(25):
            near = await city.new_ticket(lat=LAT + (i % 5) * METRE)
            await keep_separate_as_soon_as_flagged(city, near)
            ticket = await routed_within(city, near, seconds=8)
            assert ticket["status"] in ROUTED, (i, ticket["status"])
            assert "keep_separate" in [e["action"] for e in ticket["timeline"]]


async def keep_separate_as_soon_as_flagged(city: Gridflow, ticket_id: str) -> None:
    loop = asyncio.get_running_loop()
    give_up = loop.time() + 20
    while True:
        kept = await city.act(ticket_id, "keep-separate", SUPERVISOR)
        if kept.status_code == 200:
            return
        assert kept.status_code == 409, kept.text  # not flagged yet
        assert loop.time() < give_up, kept.text


async def routed_within(city: Gridflow, ticket_id: str, *, seconds: float) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    give_up = loop.time() + seconds
    while True:
        ticket = await city.ticket(ticket_id)
        if ticket["status"] in ROUTED or loop.time() > give_up:
            return ticket
        await asyncio.sleep(0.05)
