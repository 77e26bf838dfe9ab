"""A worker that dies mid-lifecycle loses nothing: a new worker carries every ticket on."""

import uuid

from settings import Settings
from tests.api_fixtures import CGJ, SUPERVISOR, WANG, Gridflow, running_app
from tests.test_api_lifecycle import wait_for_status
from worker import build_worker


async def test_tickets_finish_after_the_worker_is_replaced(dev_env, db) -> None:
    config = Settings(task_queue=f"tq-{uuid.uuid4()}", database_url=db.url)
    async with running_app(dev_env.client, db, config) as http:
        gf = Gridflow(http=http, db=db, config=config, client=dev_env.client)
        async with build_worker(dev_env.client, db=db, config=config):
            in_flight = await gf.new_ticket()
            await wait_for_status(gf, in_flight, "dispatched")
            assert (await gf.act(in_flight, "claim", CGJ)).status_code == 200
        # No worker now. Reports are still acknowledged, and readable at once.
        response = await gf.submit()
        assert response.status_code == 201
        waiting = response.json()["ticket_id"]
        early = await gf.ticket(waiting, token=WANG)
        assert early["status"] == "submitted" and early["source"] == "submission"
        assert (await gf.ticket(in_flight))["status"] == "claimed"

        async with build_worker(dev_env.client, db=db, config=config):
            await wait_for_status(gf, waiting, "dispatched")
            assert (
                await gf.act(in_flight, "verify", CGJ, {"outcome": "fixed_on_site"})
            ).status_code == 200
            assert (await gf.act(in_flight, "write-off", WANG)).status_code == 200
            done = await wait_for_status(gf, in_flight, "archived")
            assert [e["action"] for e in done["timeline"]] == [
                "submit",
                "route",
                "dispatch",
                "claim",
                "verify",
                "write_off",
                "archive",
            ]
            assert (
                await gf.act(waiting, "cancel", SUPERVISOR, {"kind": "invalid", "reason": "test"})
            ).status_code == 200
            await wait_for_status(gf, waiting, "archived")
