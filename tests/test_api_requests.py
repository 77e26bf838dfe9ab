"""The supervisors' lists of pending extension and parking requests."""

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api_fixtures import CGJ, SUPERVISOR, Gridflow, gf  # noqa: F401
from tests.test_api_holds import dispatched


async def pending(gf: Gridflow, kind: str, **params: str) -> list[dict[str, Any]]:
    response = await gf.call("GET", f"/{kind}-requests", SUPERVISOR, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["ticket"]["ticket_id"] for i in items]


async def test_pending_extension_requests_until_decided(gf: Gridflow) -> None:
    asked, other = await dispatched(gf), await dispatched(gf)
    assert (await gf.call("GET", "/extension-requests", CGJ)).status_code == 403
    assert (
        await gf.act(asked, "request-extension", CGJ, {"working_days": 2, "reason": "需要封路审批"})
    ).status_code == 200
    items = [
        i for i in await pending(gf, "extension") if i["ticket"]["ticket_id"] in (asked, other)
    ]
    assert [i["ticket"]["ticket_id"] for i in items] == [asked]
    request = items[0]["extension_request"]
    assert request["working_days"] == 2 and request["reason"] == "需要封路审批"
    assert request["stage"] == "claim" and request["requested_by"] == "zhao"
    assert asked in ids(await pending(gf, "extension", department="cgj"))
    assert asked not in ids(await pending(gf, "extension", department="zjj"))
    assert (await gf.act(asked, "approve-extension", SUPERVISOR)).status_code == 200
    assert asked not in [i["ticket"]["ticket_id"] for i in await pending(gf, "extension")]


async def test_pending_parking_requests_until_decided(gf: Gridflow) -> None:
    ticket_id = await dispatched(gf)
    review = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    assert (
        await gf.act(ticket_id, "request-parking", CGJ, {"reason": "冬季停工", "review_at": review})
    ).status_code == 200
    item = next(i for i in await pending(gf, "parking") if i["ticket"]["ticket_id"] == ticket_id)
    assert item["parking_request"]["reason"] == "冬季停工"
    assert (await gf.act(ticket_id, "refuse-parking", SUPERVISOR)).status_code == 200
    assert ticket_id not in [i["ticket"]["ticket_id"] for i in await pending(gf, "parking")]
