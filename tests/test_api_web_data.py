"""The web pages' data: a grid worker's reports, the battle map and grid counts, tickets per day."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from domain import demo_city
from readmodel.tickets.battle_map import today_bounds
from tests.api_fixtures import CGJ, LI, SUPERVISOR, WANG, Gridflow, gf  # noqa: F401
from tests.factories import MANHOLE
from tests.test_api_lifecycle import wait_for_status
from tests.test_readmodel_battle_map import event, row


def error(response: httpx.Response) -> dict[str, Any]:
    return response.json()["error"]


async def test_my_tickets_newest_first_paged(gf: Gridflow) -> None:
    older = await gf.new_ticket()
    newer = await gf.new_ticket(category=MANHOLE)
    lis = demo_city.GRIDS[2].inside  # li reports in his own grid
    theirs = await gf.new_ticket(token=LI, lat=lis.lat, lon=lis.lon)
    for ticket_id in (older, newer, theirs):
        await wait_for_status(gf, ticket_id, "dispatched")
    page = (await gf.call("GET", "/my/tickets", WANG)).json()
    assert [t["ticket_id"] for t in page["items"]] == [newer, older]
    assert page["total"] == 2 and page["limit"] == 50 and page["offset"] == 0
    first = page["items"][0]
    assert first["status"] == "dispatched" and first["category"] == MANHOLE
    assert first["current_stage"] == "claim" and first["current_due_at"]
    assert first["overdue"] is False and first["grid"] and first["updated_at"]
    second_page = await gf.call("GET", "/my/tickets", WANG, params={"limit": 1, "offset": 1})
    assert [t["ticket_id"] for t in second_page.json()["items"]] == [older]
    # Li sees only his own; staff and supervisors have no reports of their own here.
    assert [t["ticket_id"] for t in (await gf.call("GET", "/my/tickets", LI)).json()["items"]] == [
        theirs
    ]
    for token in (CGJ, SUPERVISOR):
        assert (await gf.call("GET", "/my/tickets", token)).status_code == 403
    assert (await gf.call("GET", "/my/tickets", WANG, params={"limit": 0})).status_code == 422


async def test_battle_map_and_grid_counts(gf: Gridflow) -> None:
    live = await gf.new_ticket()
    ticket = await wait_for_status(gf, live, "dispatched")
    now = datetime.now(UTC)
    day, start, _ = today_bounds(now)
    here = ticket["grid"]
    # Projected rows as a worker would have left them, for the colours a day cannot show here.
    async with gf.db.session() as session:
        session.add_all(
            [
                row(
                    "T-RED", "claimed", submitted=start, grid=here, overdue=True, escalation_level=1
                ),
                row(
                    "T-YELLOW",
                    "claimed",
                    submitted=start,
                    grid=here,
                    warned=True,
                    current_due_at=now + timedelta(hours=3),
                ),
                row("T-BLACK", "rectifying", submitted=start, grid=here, escalation_level=4),
                row("T-GREEN", "archived", submitted=start, grid=here, closed=start),
                row("T-CANCELLED", "archived", submitted=start, grid=here, closed=start),
            ]
        )
        await session.flush()
        session.add_all(
            [event("T-GREEN", 2, "write_off", start), event("T-CANCELLED", 2, "cancel", start)]
        )
        await session.commit()

    response = await gf.call("GET", "/map/tickets", SUPERVISOR)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["day"] == day.isoformat()
    by_id = {t["ticket_id"]: t for t in body["tickets"]}
    assert {k: t["colour"] for k, t in by_id.items()} == {
        live: "blue",
        "T-RED": "red",
        "T-YELLOW": "yellow",
        "T-BLACK": "black",
        "T-GREEN": "green",
    }
    dot = by_id[live]
    assert (dot["lat"], dot["lon"]) == (ticket["lat"], ticket["lon"])
    assert dot["category"] == ticket["category"] and dot["status"] == "dispatched"
    assert dot["grid"] == ticket["grid"] and dot["department"] == "cgj"
    assert body["counts"] == {"green": 1, "black": 1, "red": 1, "yellow": 1, "blue": 1}

    counts = (await gf.call("GET", "/map/grid-counts", SUPERVISOR)).json()
    assert counts[ticket["grid"]] == 4  # the live ticket and the red, yellow, black rows
    assert len(counts) >= 71 and sum(counts.values()) == 4 and 0 in counts.values()

    for token in (WANG, CGJ):
        assert (await gf.call("GET", "/map/tickets", token)).status_code == 403
        assert (await gf.call("GET", "/map/grid-counts", token)).status_code == 403
    assert (await gf.call("GET", "/map/tickets")).status_code == 401


async def test_tickets_per_day(gf: Gridflow) -> None:
    ticket_id = await gf.new_ticket()
    await wait_for_status(gf, ticket_id, "dispatched")
    now = datetime.now(UTC)
    day, start, _ = today_bounds(now)
    async with gf.db.session() as session:
        session.add_all(
            [
                row(
                    "T-Y1",
                    "archived",
                    submitted=start - timedelta(hours=20),
                    closed=start - timedelta(hours=1),
                ),
                row("T-Y2", "claimed", submitted=start - timedelta(hours=1)),
                row("T-BEFORE", "claimed", submitted=start - timedelta(days=1, seconds=1)),
            ]
        )
        await session.flush()
        session.add(event("T-Y1", 2, "write_off", start - timedelta(hours=1)))
        await session.commit()
    yesterday = day - timedelta(days=1)
    params = {"from": yesterday.isoformat(), "to": (day + timedelta(days=2)).isoformat()}
    response = await gf.call("GET", "/metrics/daily", SUPERVISOR, params=params)
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"day": yesterday.isoformat(), "submitted": 2, "written_off": 1},
        {"day": day.isoformat(), "submitted": 1, "written_off": 0},
        {"day": (day + timedelta(days=1)).isoformat(), "submitted": 0, "written_off": 0},
    ]
    assert (
        await gf.call(
            "GET",
            "/metrics/daily",
            SUPERVISOR,
            params={"from": day.isoformat(), "to": day.isoformat()},
        )
    ).json() == []

    for bad, field in (
        ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
        ({"from": "2026-01-01", "to": "2027-06-01"}, "to"),
        ({"from": "yesterday", "to": "2026-01-01"}, "from"),
        ({"to": "2026-01-01"}, "from"),
    ):
        refused = await gf.call("GET", "/metrics/daily", SUPERVISOR, params=bad)
        assert refused.status_code == 422, bad
        assert error(refused)["fields"][0]["field"] == field, (bad, error(refused))
    for token in (WANG, CGJ):
        assert (await gf.call("GET", "/metrics/daily", token, params=params)).status_code == 403
