"""A subject's colour follows its tickets: yellow, red, observation for three months, re-check,
white; and black when shut down (time-skipping server: the three months pass in milliseconds)."""

import asyncio
from datetime import timedelta

from domain import demo_city
from domain.subjects import OBSERVATION, Colour, RecheckInput
from readmodel.reference import subject_store
from readmodel.reference.tables import SubjectRow
from tests.api_fixtures import WANG, Gridflow, gridflow_on
from tests.test_api_lifecycle import wait_for_status
from workflows.subject import SubjectWorkflow

SHOP = "SS-0001"  # in wang's grid, GRIDS[1]


async def subject_row(gf: Gridflow, colour: str | None = None, timeout: float = 15) -> SubjectRow:
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while True:
        async with gf.db.session() as session:
            row = await subject_store.get(session=session, code=SHOP)
        assert row is not None  # the demo city registers SHOP
        if colour is None or row.colour == colour:
            return row
        assert loop.time() < give_up, f"subject still {row.colour}"
        await asyncio.sleep(0.05)


async def finding(gf: Gridflow, severity: str) -> tuple[str, str]:
    ticket_id = await gf.new_ticket(subject_code=SHOP)
    await wait_for_status(gf, ticket_id, "dispatched")
    department = (await gf.ticket(ticket_id))["department"]
    token = next(u[5] for u in demo_city.USERS if u[3] == department)
    await gf.act(ticket_id, "claim", token)
    response = await gf.act(
        ticket_id,
        "verify",
        token,
        {"outcome": "needs_rectification", "severity": severity, "rectify_working_days": 5},
    )
    assert response.status_code == 200, response.text
    return ticket_id, token


async def test_the_colour_cycle(ts_env, db) -> None:
    async with gridflow_on(ts_env.client, db) as gf:
        public = await gf.call("GET", f"/public/subjects/{SHOP}")
        assert public.json() == {
            "code": SHOP,
            "name": "好味道小吃店",
            "colour": "white",
            "open_problems": 0,
        }
        yellow, token = await finding(gf, "yellow")
        await subject_row(gf, "yellow")
        red, _ = await finding(gf, "red")
        row = await subject_row(gf, "red")
        assert row.open_problems == 2

        for ticket_id in (yellow, red):
            await gf.act(ticket_id, "rectified", token)
            assert (await gf.act(ticket_id, "write-off", WANG)).status_code == 200
        row = await subject_row(gf)
        await asyncio.sleep(0.5)
        row = await subject_row(gf)
        assert row.open_problems == 0 and row.colour == "red"  # rectified, now under observation
        assert row.observation_until is not None

        handle = gf.client.get_workflow_handle_for(SubjectWorkflow.run, f"subject-{SHOP}")
        early = await gf.call("POST", f"/subjects/{SHOP}/recheck", WANG, json={"clean": True})
        assert early.status_code == 409
        await ts_env.sleep(OBSERVATION - timedelta(days=1))
        assert not (await handle.query(SubjectWorkflow.state)).recheck_due
        await ts_env.sleep(timedelta(days=1, minutes=1))
        state = await handle.query(SubjectWorkflow.state)
        assert state.recheck_due and state.colour == Colour.RED
        notices = (await gf.call("GET", "/notifications", WANG)).json()["items"]
        assert any(n["kind"] == "recheck" and n["ticket_id"] == f"subject:{SHOP}" for n in notices)

        failed = await handle.execute_update(
            SubjectWorkflow.recheck,
            RecheckInput(
                actor_id="wang", actor_role="grid_worker", actor_grids=[row.grid], clean=False
            ),
        )
        assert failed.colour == Colour.RED and failed.recheck_due
        outsider = await gf.call(
            "POST", f"/subjects/{SHOP}/recheck", "demo-worker-li", json={"clean": True}
        )
        assert outsider.status_code == 403
        clean = await handle.execute_update(
            SubjectWorkflow.recheck,
            RecheckInput(
                actor_id="wang", actor_role="grid_worker", actor_grids=[row.grid], clean=True
            ),
        )
        assert clean.colour == Colour.WHITE and not clean.recheck_due
        final = await handle.result()  # settled: the workflow rests
        assert [e.kind for e in final.history] == [
            "problem_found",
            "problem_found",
            "problem_rectified",
            "problem_rectified",
            "recheck_due",
            "recheck_failed",
            "recheck_clean",
        ]
        assert (await gf.call("GET", f"/public/subjects/{SHOP}")).json()["colour"] == "white"
