"""Supervisors ask what is overdue: deadlines pass on the time-skipping server, the list answers."""

from datetime import datetime, timedelta
from typing import Any

from domain import demo_city
from tests.api_fixtures import CGJ, SUPERVISOR, WANG, ZJJ, Gridflow, gridflow_on
from tests.factories import GARBAGE, ILLEGAL_CONSTRUCTION, MANHOLE, STREETLIGHT
from tests.test_api_lifecycle import wait_for_status


async def overdue(gf: Gridflow, **params: Any) -> dict[str, Any]:
    response = await gf.call("GET", "/tickets/overdue", SUPERVISOR, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_overdue_list_filters_sorts_and_pages(ts_env, db) -> None:
    async with gridflow_on(ts_env.client, db) as gf:
        other_grid = demo_city.GRIDS[3].inside  # li's
        a = await gf.new_ticket(category=GARBAGE)  # cgj, claim deadline first
        await wait_for_status(gf, a, "dispatched")
        await ts_env.sleep(timedelta(hours=2))
        b = await gf.new_ticket(category=ILLEGAL_CONSTRUCTION)  # zjj, two hours later
        c = await gf.new_ticket(
            category=STREETLIGHT, token="demo-worker-li", lon=other_grid.lon, lat=other_grid.lat
        )
        on_time = await gf.new_ticket(category=MANHOLE)
        for t in (b, c, on_time):
            await wait_for_status(gf, t, "dispatched")
        assert (await overdue(gf))["total"] == 0

        # Sleep just past the last claim deadline; verification (3 working days) is still running.
        last_claim_due = datetime.fromisoformat(
            (await gf.ticket(on_time))["current_deadline"]["due_at"]
        )
        await ts_env.sleep(last_claim_due - await ts_env.get_current_time() + timedelta(minutes=1))
        assert (await gf.act(on_time, "claim", CGJ)).status_code == 200
        await ts_env.sleep(timedelta(minutes=1))
        everything = await overdue(gf)
        ids = [t["ticket_id"] for t in everything["items"]]
        assert set(ids) >= {a, b, c}
        assert ids.index(a) < ids.index(b)  # most overdue first
        assert all(t["overdue"] for t in everything["items"])
        ticket = await gf.ticket(a)
        assert ticket["overdue"] and ticket["breaches"][0]["stage"] == "claim"
        assert any(e["action"] == "deadline_breached" for e in ticket["timeline"])

        assert [t["ticket_id"] for t in (await overdue(gf, department="zjj"))["items"]] == [b]
        assert [
            t["ticket_id"] for t in (await overdue(gf, grid=demo_city.GRIDS[3].code))["items"]
        ] == [c]
        assert [t["ticket_id"] for t in (await overdue(gf, category=STREETLIGHT))["items"]] == [c]
        first = await overdue(gf, limit=1)
        second = await overdue(gf, limit=1, offset=1)
        assert first["total"] == everything["total"] and len(first["items"]) == 1
        assert (
            first["items"][0]["ticket_id"] == ids[0] and second["items"][0]["ticket_id"] == ids[1]
        )
        bad = await gf.call("GET", "/tickets/overdue", SUPERVISOR, params={"limit": 0})
        assert bad.status_code == 422

        # Claiming late stops the claim clock; the ticket is not overdue until verification is.
        assert (await gf.act(b, "claim", ZJJ)).status_code == 200
        assert b not in [t["ticket_id"] for t in (await overdue(gf))["items"]]
        inbox = (await gf.call("GET", "/inbox", CGJ)).json()["items"]
        dues = [t["current_due_at"] for t in inbox]
        assert dues == sorted(dues)
        assert (await gf.call("GET", f"/tickets/{a}", WANG)).json()["overdue"] is True


async def test_overdue_view_by_street_community_escalation_and_at_risk(ts_env, db) -> None:
    async with gridflow_on(ts_env.client, db) as gf:
        beishan = demo_city.GRIDS[1]  # street 330106001
        xixi = next(g for g in demo_city.GRIDS if g.street == "330106002")
        late = await gf.new_ticket(lon=beishan.inside.lon, lat=beishan.inside.lat)
        await wait_for_status(gf, late, "dispatched")
        claim_due = datetime.fromisoformat((await gf.ticket(late))["current_deadline"]["due_at"])
        # Past the claim deadline and four more hours: escalated from the grid to the community.
        await ts_env.sleep(
            claim_due - await ts_env.get_current_time() + timedelta(hours=4, minutes=1)
        )
        # No grid worker of the demo city works xixi; the gateway's lamp sensor reports there.
        soon = await gf.new_ticket(
            category=STREETLIGHT,
            token="demo-sensor-gateway",
            device_id="lamp-xixi-1",
            lon=xixi.inside.lon,
            lat=xixi.inside.lat,
        )
        await wait_for_status(gf, soon, "dispatched")

        ticket = await gf.ticket(late)
        assert ticket["escalation_level"] == 2
        assert [e["data"]["level"] for e in ticket["timeline"] if e["action"] == "escalate"] == [
            "grid",
            "community",
        ]
        assert [t["ticket_id"] for t in (await overdue(gf, street=beishan.street))["items"]] == [
            late
        ]
        assert (await overdue(gf, street=xixi.street))["items"] == []
        assert [
            t["ticket_id"] for t in (await overdue(gf, community=beishan.community))["items"]
        ] == [late]
        assert [t["ticket_id"] for t in (await overdue(gf, escalation_level=2))["items"]] == [late]
        assert (await overdue(gf, escalation_level=3))["items"] == []
        row = (await overdue(gf))["items"][0]
        assert row["escalation_level"] == 2 and row["street"] == beishan.street
        # At risk: not late yet, but due within the window (wide: a holiday week may lie ahead).
        at_risk = await overdue(gf, due_within_hours=24 * 30)
        assert {t["ticket_id"] for t in at_risk["items"]} == {late, soon}
        assert [t["ticket_id"] for t in at_risk["items"]][0] == late  # the late one first
        assert (
            await gf.call("GET", "/tickets/overdue", SUPERVISOR, params={"escalation_level": 9})
        ).status_code == 422
        assert (
            await gf.call("GET", "/tickets/overdue", SUPERVISOR, params={"due_within_hours": -1})
        ).status_code == 422
