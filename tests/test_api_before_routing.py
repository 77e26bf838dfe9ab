"""An action that arrives while the ticket is still being routed (the first few hundred ms after
its 201) is told to retry: 409 with Retry-After, never 403 "not assigned to your department"."""

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from activities.tickets import TicketActivities
from domain.contracts import PROJECT_TICKET, ProjectInput
from domain.states import TicketStatus
from readmodel.db import Database
from settings import Settings
from tests.api_fixtures import CGJ, SUPERVISOR, WANG, ZJJ, Gridflow, gridflow_on, running_app
from tests.factories import OTHER
from tests.test_api_lifecycle import wait_for_status
from worker import activities_for
from workflows.subject import SubjectWorkflow
from workflows.ticket import TicketWorkflow


@asynccontextmanager
async def routing_held(
    client: Client,
    db: Database,
) -> AsyncIterator[tuple[Gridflow, asyncio.Event, asyncio.Event]]:
    """gridflow whose tickets wait before routing: the projection of the submission (after
    which the workflow routes) holds, once entered (`holding`), until `release` is set. Updates
    meanwhile meet the ticket as submitted, as they do in the moments after a 201."""
    holding, release = asyncio.Event(), asyncio.Event()
    real = TicketActivities(db=db)

    @activity.defn(name=PROJECT_TICKET)
    async def project_ticket(input: ProjectInput) -> None:
        if input.snapshot.status == TicketStatus.SUBMITTED:
            holding.set()
            await release.wait()
        await real.project_ticket(input)

    with tempfile.TemporaryDirectory(prefix="gridflow-data-") as data_dir:
        config = Settings(
            task_queue=f"held-{uuid.uuid4()}", database_url=db.url, data_dir=Path(data_dir)
        )
        activities = [
            a
            for a in activities_for(client, db=db, config=config)
            if getattr(a, "__name__", "") != "project_ticket"
        ]
        async with Worker(
            client,
            task_queue=config.task_queue,
            workflows=[TicketWorkflow, SubjectWorkflow],
            activities=[*activities, project_ticket],
        ):
            async with running_app(client, db, config) as http:
                yield Gridflow(http=http, db=db, config=config, client=client), holding, release


async def test_acting_while_the_ticket_is_routed_is_409_retry_after_then_works(
    temporal_client: Client, db: Database
) -> None:
    async with routing_held(temporal_client, db) as (gf, holding, release):
        ticket_id = await gf.new_ticket()
        await asyncio.wait_for(holding.wait(), 30)  # the 201 is in; routing has not begun
        for token, action, body in (
            (CGJ, "claim", None),
            (ZJJ, "claim", None),
            (CGJ, "return", {"reason": "not ours"}),
            (SUPERVISOR, "dispatch", {"department": "cgj"}),
        ):
            early = await gf.act(ticket_id, action, token, body)
            assert early.status_code == 409, (token, action, early.text)
            assert early.headers["Retry-After"] == "1"
            error = early.json()["error"]
            assert error["code"] == "not_routed_yet" and "still being routed" in error["message"]
            assert error["details"]["state"] == "submitted"
        assert (await gf.act(ticket_id, "claim", WANG)).status_code == 403  # never a worker's
        release.set()
        await wait_for_status(gf, ticket_id, "dispatched")
        claimed = await gf.act(ticket_id, "claim", CGJ)
        assert claimed.status_code == 200, claimed.text
        assert claimed.json()["status"] == "claimed"
        timeline = [e["action"] for e in (await gf.ticket(ticket_id))["timeline"]]
        assert timeline == ["submit", "route", "dispatch", "claim"]  # the refusals left no trace


async def test_a_client_that_follows_retry_after_gets_its_action_done(
    temporal_client: Client, db: Database
) -> None:
    """Without holding anything: act the moment the 201 arrives, as a desk app would, and wait
    as Retry-After says when told to."""
    async with gridflow_on(temporal_client, db) as gf:
        for category, token, action, body in (
            (None, CGJ, "claim", None),
            (OTHER, SUPERVISOR, "dispatch", {"department": "cgj"}),
        ):  # the manual queue
            ticket_id = await gf.new_ticket(**({"category": category} if category else {}))
            for _ in range(20):
                response = await gf.act(ticket_id, action, token, body)
                if response.status_code != 409:
                    break
                assert response.json()["error"]["code"] == "not_routed_yet", response.text
                await asyncio.sleep(float(response.headers["Retry-After"]))
            assert response.status_code == 200, (action, response.text)
