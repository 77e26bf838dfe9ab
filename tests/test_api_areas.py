"""A supervisor's lists and aggregates keep to their area: wu (北山街道, one street) sees his
street's tickets only, chen (the command centre, the district) all of them; a supervisor with no
area sees nothing. Tickets in another street are reported by a grid worker the admin adds there."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import col, update

from domain import demo_city
from domain.alarms import Notice
from domain.demo_city import DISTRICT, STREETS
from readmodel.reference.tables import Category
from readmodel.tickets.metrics import TZ
from readmodel.tickets.projection import add_notifications
from readmodel.tickets.queries import in_area
from tests.api_fixtures import CGJ, SUPERVISOR, WANG, Gridflow, gf  # noqa: F401
from tests.factories import OTHER, STREETLIGHT
from tests.test_api_lifecycle import wait_for_status

WU, ADMIN = "demo-supervisor-wu", "demo-admin"
HOME = demo_city.GRIDS[1]  # wang's grid in wu's street
FAR = next(g for g in demo_city.GRIDS if g.street == DISTRICT + "002")
WU_STREET = HOME.street


async def person(gf: Gridflow, **fields: Any) -> str:
    """A user the admin adds; their access token (gf.call sends an unknown token as it is)."""
    user_id, password = f"u{uuid.uuid4().hex[:8]}", "a-long-enough-password"
    created = await gf.call(
        "POST",
        "/admin/users",
        ADMIN,
        json={"user_id": user_id, "name": "测试用户", "password": password, **fields},
    )
    assert created.status_code == 201, created.text
    login = await gf.http.post(
        "/api/v1/auth/token", data={"username": user_id, "password": password}
    )
    assert login.status_code == 200, login.text
    return login.json()["access_token"]


async def report(
    gf: Gridflow, token: str, cell: Any, status: str = "dispatched", **body: Any
) -> str:
    ticket_id = await gf.new_ticket(token=token, lat=cell.inside.lat, lon=cell.inside.lon, **body)
    await wait_for_status(gf, ticket_id, status)
    return ticket_id


async def ids(gf: Gridflow, url: str, token: str, **params: Any) -> set[str]:
    response = await gf.call("GET", url, token, params=params)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    return {i["ticket"]["ticket_id"] if "ticket" in i else i["ticket_id"] for i in items}


async def test_lists_and_aggregates_keep_to_the_supervisors_area(gf: Gridflow) -> None:
    async with gf.db.session() as session:  # street lights flag probable duplicates
        await session.exec(
            update(Category)
            .where(col(Category.code) == STREETLIGHT)
            .values(duplicate_radius_m=50, duplicate_window_hours=72)
        )
        await session.commit()
    zheng = await person(gf, role="grid_worker", grids=[FAR.code])  # xixi's grid worker
    near, far = await report(gf, WANG, HOME), await report(gf, zheng, FAR)
    near_manual = await report(gf, WANG, HOME, "manual_dispatch", category=OTHER)
    far_manual = await report(gf, zheng, FAR, "manual_dispatch", category=OTHER)
    near_lamp = await report(gf, WANG, HOME, category=STREETLIGHT)
    far_lamp = await report(gf, zheng, FAR, category=STREETLIGHT)
    near_dup = await report(gf, WANG, HOME, "duplicate_review", category=STREETLIGHT)
    far_dup = await report(gf, zheng, FAR, "duplicate_review", category=STREETLIGHT)
    for ticket_id in (near, far):
        asked = await gf.act(
            ticket_id, "request-extension", CGJ, {"working_days": 1, "reason": "busy"}
        )
        assert asked.status_code == 200, asked.text
    near_park, far_park = await report(gf, WANG, HOME), await report(gf, zheng, FAR)
    review = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    for ticket_id in (near_park, far_park):
        asked = await gf.act(
            ticket_id, "request-parking", CGJ, {"reason": "later", "review_at": review}
        )
        assert asked.status_code == 200, asked.text
    async with gf.db.session() as session:
        for ticket_id in (near, far):
            await add_notifications(
                session=session,
                ticket_id=ticket_id,
                seq=90,
                notices=[Notice(kind="breach", target="cgj")],
            )

    in_wus_street = {near, near_manual, near_lamp, near_dup, near_park}
    everything = in_wus_street | {far, far_manual, far_lamp, far_dup, far_park}
    day = datetime.now(TZ).date()
    period = {"from": str(day), "to": str(day + timedelta(days=1))}
    due_soon = {"due_within_hours": 24 * 30, "limit": 200}  # on time, at risk within a month
    centre_overdue = await ids(gf, "/tickets/overdue", SUPERVISOR, **due_soon)
    assert {near, far} <= centre_overdue <= everything
    for token, street_only in ((SUPERVISOR, False), (WU, True)):

        def mine(*tickets: str) -> set[str]:
            return {t for t in tickets if t in in_wus_street or not street_only}  # noqa: B023  (awaited in this iteration)

        assert await ids(gf, "/tickets/overdue", token, **due_soon) == mine(*centre_overdue)
        assert await ids(gf, "/dispatch-queue", token) == mine(near_manual, far_manual)
        assert await ids(gf, "/duplicates", token) == mine(near_dup, far_dup)
        assert await ids(gf, "/extension-requests", token) == mine(near, far)
        assert await ids(gf, "/parking-requests", token) == mine(near_park, far_park)
        notes = (await gf.call("GET", "/notifications", token)).json()["items"]
        assert {n["ticket_id"] for n in notes} <= mine(*everything)  # the workflows' own too
        assert {n["ticket_id"] for n in notes if n["kind"] == "breach"} == mine(near, far)
        battle = (await gf.call("GET", "/map/tickets", token)).json()
        assert {t["ticket_id"] for t in battle["tickets"]} == mine(*everything)
        assert sum(battle["counts"].values()) == len(mine(*everything))
        grids = (await gf.call("GET", "/map/grid-counts", token)).json()
        assert {code[:9] for code in grids} == (
            {WU_STREET} if street_only else {DISTRICT + s for s in STREETS}
        ), token
        assert grids[HOME.code] == 5 and grids.get(FAR.code, 5) == 5

        by_street = (
            await gf.call("GET", "/metrics", token, params=period | {"group_by": "street"})
        ).json()
        assert [r["group"] for r in by_street["rows"]] == (
            [WU_STREET] if street_only else sorted([WU_STREET, FAR.street])
        )
        assert by_street["total"]["tickets"] == len(mine(*everything))
        csv = (await gf.call("GET", "/metrics.csv", token, params=period)).text
        assert csv.splitlines()[-1].split(",")[:3] == ["total", "", str(len(mine(*everything)))]
        daily = (await gf.call("GET", "/metrics/daily", token, params=period)).json()
        assert daily[0]["submitted"] == len(mine(*everything))


async def test_a_supervisor_without_an_area_sees_nothing(gf: Gridflow) -> None:
    ticket_id = await report(gf, WANG, HOME)
    nobody = await person(gf, role="supervisor")
    for url in (
        "/tickets/overdue",
        "/dispatch-queue",
        "/duplicates",
        "/extension-requests",
        "/map/tickets",
        "/map/grid-counts",
        "/notifications",
        f"/tickets/{ticket_id}",
    ):
        response = await gf.call("GET", url, nobody)
        assert response.status_code == 403, (url, response.text)
    cancel = await gf.act(ticket_id, "cancel", nobody, {"reason": "x", "kind": "invalid"})
    assert cancel.status_code == 403 and "outside your area" in cancel.json()["error"]["message"]


async def test_a_street_supervisor_is_refused_naming_the_street(gf: Gridflow) -> None:
    zheng = await person(gf, role="grid_worker", grids=[FAR.code])
    far = await report(gf, zheng, FAR)
    refused = await gf.act(far, "cancel", WU, {"reason": "x", "kind": "invalid"})
    assert refused.status_code == 403, refused.text
    err = refused.json()["error"]
    assert err["code"] == "outside_area" and FAR.street in err["message"]
    assert WU_STREET in err["message"] and err["details"] == {"grid": FAR.code}
    assert (await gf.call("GET", f"/tickets/{far}", WU)).status_code == 403
    assert (await gf.call("GET", f"/tickets/{far}", SUPERVISOR)).status_code == 200


def test_area_conditions_use_the_level_columns() -> None:
    assert in_area(None) == []
    (street,) = in_area(WU_STREET)
    (community,) = in_area(HOME.community)
    (district,) = in_area(demo_city.DISTRICT)
    assert "street" in str(street) and "community" in str(community)
    assert "grid LIKE" in str(district)
