"""Extensions and parking through HTTP: asked by the department, decided by a supervisor."""

from datetime import UTC, datetime, timedelta

from tests.api_fixtures import CGJ, SUPERVISOR, WANG, ZJJ, Gridflow, gf  # noqa: F401
from tests.test_api_lifecycle import wait_for_status


async def dispatched(gf: Gridflow) -> str:
    ticket_id = await gf.new_ticket()
    await wait_for_status(gf, ticket_id, "dispatched")
    return ticket_id


async def test_extension_request_and_approval(gf: Gridflow) -> None:
    ticket_id = await dispatched(gf)
    before = (await gf.ticket(ticket_id))["current_deadline"]
    assert (
        await gf.act(ticket_id, "request-extension", WANG, {"working_days": 2, "reason": "x"})
    ).status_code == 403
    assert (
        await gf.act(ticket_id, "request-extension", ZJJ, {"working_days": 2, "reason": "x"})
    ).status_code == 403
    bad = await gf.act(ticket_id, "request-extension", CGJ, {"working_days": 0, "reason": "x"})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "working_days"
    over = await gf.act(ticket_id, "request-extension", CGJ, {"working_days": 11, "reason": "x"})
    assert over.status_code == 422 and "cap is 10" in over.json()["error"]["message"]

    asked = await gf.act(
        ticket_id,
        "request-extension",
        CGJ,
        {"working_days": 2, "reason": "需要封路审批 road closure permit"},
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["extension_request"]["stage"] == before["stage"] == "claim"
    assert (await gf.act(ticket_id, "approve-extension", CGJ)).status_code == 403
    approved = await gf.act(ticket_id, "approve-extension", SUPERVISOR, {"reason": "同意"})
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["extension_request"] is None and body["extension_count"] == 1
    claim = next(d for d in body["deadlines"] if d["stage"] == "claim")
    assert claim["extended_working_days"] == 2 and claim["due_at"] > before["due_at"]
    again = await gf.act(ticket_id, "approve-extension", SUPERVISOR)
    assert again.status_code == 409 and "no extension request" in again.json()["error"]["message"]
    row = next(
        t
        for t in (await gf.call("GET", "/inbox", CGJ)).json()["items"]
        if t["ticket_id"] == ticket_id
    )
    assert row["current_due_at"] == body["current_deadline"]["due_at"]


async def test_refused_extension_leaves_the_deadline(gf: Gridflow) -> None:
    ticket_id = await dispatched(gf)
    before = (await gf.ticket(ticket_id))["current_deadline"]["due_at"]
    await gf.act(ticket_id, "request-extension", CGJ, {"working_days": 1, "reason": "busy"})
    refused = await gf.act(ticket_id, "refuse-extension", SUPERVISOR, {"reason": "先处理"})
    assert refused.status_code == 200
    assert refused.json()["current_deadline"]["due_at"] == before
    assert refused.json()["timeline"][-1]["action"] == "refuse_extension"


async def test_parking_and_unparking(gf: Gridflow) -> None:
    ticket_id = await dispatched(gf)
    review = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    naive = await gf.act(
        ticket_id, "request-parking", CGJ, {"reason": "x", "review_at": "2099-01-01T00:00:00"}
    )
    assert naive.status_code == 422
    asked = await gf.act(
        ticket_id, "request-parking", CGJ, {"reason": "冬季停工 winter stop", "review_at": review}
    )
    assert asked.status_code == 200, asked.text
    assert (await gf.act(ticket_id, "approve-parking", CGJ)).status_code == 403
    parked = await gf.act(ticket_id, "approve-parking", SUPERVISOR)
    assert (
        parked.status_code == 200 and parked.json()["parking"]["reason"] == "冬季停工 winter stop"
    )
    refused = await gf.act(ticket_id, "claim", CGJ)
    assert refused.status_code == 409 and "parked until" in refused.json()["error"]["message"]
    row = next(
        t
        for t in (await gf.call("GET", "/inbox", CGJ)).json()["items"]
        if t["ticket_id"] == ticket_id
    )
    assert row["parked"] is True
    back = await gf.act(ticket_id, "unpark", SUPERVISOR, {"note": "提前复工"})
    assert back.status_code == 200 and back.json()["parking"] is None
    assert (await gf.act(ticket_id, "claim", CGJ)).status_code == 200
    assert (await gf.act(ticket_id, "unpark", SUPERVISOR)).status_code == 409
