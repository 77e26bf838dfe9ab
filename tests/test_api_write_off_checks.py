"""GET /my/write-off-checks: resolved tickets in the grid worker's grids, whoever reported them."""

import asyncio

from tests.api_fixtures import CGJ, LI, WANG, Gridflow, gf  # noqa: F401

SENSOR = "demo-sensor-gateway"  # reports anywhere; a grid worker only in their own grids


async def resolved(gf: Gridflow, reporter: str, **body: str) -> str:
    ticket_id = await gf.new_ticket(token=reporter, **body)  # in wang's second grid, to cgj
    for _ in range(200):
        if (await gf.ticket(ticket_id))["status"] == "dispatched":
            break
        await asyncio.sleep(0.05)
    assert (await gf.act(ticket_id, "claim", CGJ)).status_code == 200
    fixed = await gf.act(ticket_id, "verify", CGJ, {"outcome": "fixed_on_site"})
    assert fixed.json()["status"] == "resolved", fixed.text
    return ticket_id


async def test_the_grid_worker_checks_resolved_tickets_in_their_grids(gf: Gridflow) -> None:
    by_sensor = await resolved(gf, SENSOR, device_id="bin-sensor-17")  # not wang's report
    by_wang = await resolved(gf, WANG)
    still_open = await gf.new_ticket(token=WANG)

    checks = (await gf.call("GET", "/my/write-off-checks", WANG)).json()
    ids = [t["ticket_id"] for t in checks["items"]]
    assert set(ids) == {by_sensor, by_wang} and checks["total"] == 2 and still_open not in ids
    assert all(
        t["status"] == "resolved" and t["current_stage"] == "write_off" for t in checks["items"]
    )
    assert (await gf.call("GET", "/my/write-off-checks", LI)).json()["total"] == 0  # not li's grids
    assert (await gf.call("GET", "/my/write-off-checks", CGJ)).status_code == 403

    assert (await gf.act(by_sensor, "write-off", WANG)).json()["status"] == "written_off"
    after = (await gf.call("GET", "/my/write-off-checks?limit=1", WANG)).json()
    assert [t["ticket_id"] for t in after["items"]] == [by_wang] and after["limit"] == 1
