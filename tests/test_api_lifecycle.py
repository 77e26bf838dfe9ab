"""The whole lifecycle through HTTP against a real Temporal dev server and worker."""

import asyncio

from temporalio.client import WorkflowExecutionStatus

from domain import demo_city
from tests.api_fixtures import BS, CGJ, SUPERVISOR, WANG, ZJJ, Gridflow, gf  # noqa: F401
from tests.factories import GARBAGE, GARBAGE_GRID_RULE, GARBAGE_RULE, GRID, MANHOLE, OTHER


async def wait_for_status(gf: Gridflow, ticket_id: str, status: str, timeout: float = 20) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        ticket = await gf.ticket(ticket_id)
        if ticket["status"] == status:
            return ticket
        assert asyncio.get_running_loop().time() < deadline, f"still {ticket['status']}"
        await asyncio.sleep(0.1)


def actions(ticket: dict) -> list[str]:
    return [e["action"] for e in ticket["timeline"]]


async def test_report_to_archive(gf: Gridflow) -> None:
    response = await gf.submit()
    assert response.status_code == 201
    submitted = response.json()
    assert submitted["grid"] == GRID.code and not submitted["replayed"]
    ticket_id = submitted["ticket_id"]

    # Readable the moment it is acknowledged, from the projection or the workflow itself.
    first = await gf.ticket(ticket_id, token=WANG)
    assert first["ticket_id"] == ticket_id and first["category"] == GARBAGE
    ticket = await wait_for_status(gf, ticket_id, "dispatched")
    assert ticket["department"] == "cgj"
    assert ticket["routing"]["rule_id"] == GARBAGE_RULE
    assert ticket["current_deadline"]["stage"] == "claim"
    assert not ticket["overdue"]

    inbox = (await gf.call("GET", "/inbox", CGJ)).json()
    assert ticket_id in [t["ticket_id"] for t in inbox["items"]]

    claimed = await gf.act(ticket_id, "claim", CGJ)
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["status"] == "claimed" and claimed.json()["claimed_by"] == "zhao"
    assert (await gf.act(ticket_id, "start-verification", CGJ)).json()["status"] == "verifying"
    finding = {
        "outcome": "needs_rectification",
        "severity": "yellow",
        "rectify_working_days": 2,
        "note": "垃圾需清运 needs a truck",
    }
    verified = await gf.act(ticket_id, "verify", CGJ, finding)
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["status"] == "rectifying"
    assert body["finding"]["severity"] == "yellow"
    assert body["current_deadline"]["stage"] == "rectify"
    assert body["finding"]["rectify_due_at"] == body["current_deadline"]["due_at"]

    # The list read after an action shows the action.
    inbox = (await gf.call("GET", "/inbox", CGJ)).json()
    row = next(t for t in inbox["items"] if t["ticket_id"] == ticket_id)
    assert row["status"] == "rectifying"

    assert (await gf.act(ticket_id, "rectified", CGJ)).json()["status"] == "resolved"
    written = await gf.act(ticket_id, "write-off", WANG, {"note": "现场已清理 checked on site"})
    assert written.status_code == 200, written.text
    assert written.json()["status"] == "written_off"

    archived = await wait_for_status(gf, ticket_id, "archived")
    assert actions(archived) == [
        "submit",
        "route",
        "dispatch",
        "claim",
        "start_verification",
        "verify",
        "rectified",
        "write_off",
        "archive",
    ]
    seqs = [e["seq"] for e in archived["timeline"]]
    assert seqs == list(range(1, len(seqs) + 1))
    assert (
        archived["archive"]["content_sha256"] == archived["timeline"][-1]["data"]["content_sha256"]
    )
    assert archived["current_deadline"] is None
    assert ticket_id not in [
        t["ticket_id"] for t in (await gf.call("GET", "/inbox", CGJ)).json()["items"]
    ]
    # The archived ticket stays readable after its workflow has completed.
    handle = gf.client.get_workflow_handle(ticket_id)
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    assert (await gf.ticket(ticket_id, token=WANG))["status"] == "archived"


async def test_return_goes_to_the_queue_and_a_supervisor_dispatches(gf: Gridflow) -> None:
    ticket_id = await gf.new_ticket(category=MANHOLE)
    await wait_for_status(gf, ticket_id, "dispatched")
    no_reason = await gf.act(ticket_id, "return", CGJ, {"reason": ""})
    assert no_reason.status_code == 422
    returned = await gf.act(
        ticket_id, "return", CGJ, {"reason": "井盖属于燃气公司 gas company's cover"}
    )
    assert returned.status_code == 200, returned.text
    body = returned.json()
    assert body["status"] == "manual_dispatch" and body["department"] is None
    assert body["return_count"] == 1
    assert body["current_deadline"]["stage"] == "dispatch"

    queue = (await gf.call("GET", "/dispatch-queue", SUPERVISOR)).json()
    assert ticket_id in [t["ticket_id"] for t in queue["items"]]
    assert ticket_id not in [
        t["ticket_id"] for t in (await gf.call("GET", "/inbox", CGJ)).json()["items"]
    ]

    dispatched = await gf.act(ticket_id, "dispatch", SUPERVISOR, {"department": "zjj"})
    assert dispatched.status_code == 200, dispatched.text
    assert dispatched.json()["department"] == "zjj"
    assert (await gf.act(ticket_id, "claim", CGJ)).status_code == 403  # no longer theirs
    assert (await gf.act(ticket_id, "claim", ZJJ)).status_code == 200
    queue = (await gf.call("GET", "/dispatch-queue", SUPERVISOR)).json()
    assert ticket_id not in [t["ticket_id"] for t in queue["items"]]
    # The department that returned it can still read what it handled.
    assert (await gf.call("GET", f"/tickets/{ticket_id}", CGJ)).status_code == 200


async def test_unroutable_category_waits_in_the_queue(gf: Gridflow) -> None:
    ticket_id = await gf.new_ticket(category=OTHER)
    ticket = await wait_for_status(gf, ticket_id, "manual_dispatch")
    assert ticket["routing"]["rule_id"] is None
    assert "no routing rule" in ticket["routing"]["reason"]
    assert ticket["current_deadline"]["stage"] == "dispatch"


async def test_grid_specific_rule_routes_to_the_street_office(gf: Gridflow) -> None:
    cell = demo_city.GRIDS[0]
    ticket_id = await gf.new_ticket(lon=cell.inside.lon, lat=cell.inside.lat)
    ticket = await wait_for_status(gf, ticket_id, "dispatched")
    assert ticket["department"] == "bs-street" and ticket["routing"]["rule_id"] == GARBAGE_GRID_RULE
    assert (await gf.act(ticket_id, "claim", BS)).status_code == 200


async def test_rejected_write_off_sends_it_back_as_rework(gf: Gridflow) -> None:
    ticket_id = await gf.new_ticket()
    await wait_for_status(gf, ticket_id, "dispatched")
    await gf.act(ticket_id, "claim", CGJ)
    fixed = await gf.act(ticket_id, "verify", CGJ, {"outcome": "fixed_on_site"})
    assert fixed.json()["status"] == "resolved"
    assert fixed.json()["current_deadline"]["stage"] == "write_off"
    rejected = await gf.act(ticket_id, "reject", WANG, {"reason": "垃圾还在 still there"})
    assert rejected.status_code == 200, rejected.text
    body = rejected.json()
    assert body["status"] == "rectifying" and body["rework_count"] == 1
    assert body["current_deadline"]["stage"] == "rectify"
    assert (await gf.act(ticket_id, "rectified", CGJ)).json()["status"] == "resolved"
    assert (await gf.act(ticket_id, "write-off", SUPERVISOR)).json()["status"] == "written_off"
    archived = await wait_for_status(gf, ticket_id, "archived")
    assert actions(archived)[-5:] == ["verify", "reject", "rectified", "write_off", "archive"]


async def test_supervisor_cancels_a_duplicate(gf: Gridflow) -> None:
    original = await gf.new_ticket()
    ticket_id = await gf.new_ticket()
    await wait_for_status(gf, ticket_id, "dispatched")
    staff = await gf.act(ticket_id, "cancel", CGJ, {"kind": "duplicate", "reason": "same"})
    assert staff.status_code == 403
    cancelled = await gf.act(
        ticket_id,
        "cancel",
        SUPERVISOR,
        {"kind": "duplicate", "reason": "同一堆垃圾 same pile", "duplicate_of": original},
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    archived = await wait_for_status(gf, ticket_id, "archived")
    cancel_event = next(e for e in archived["timeline"] if e["action"] == "cancel")
    assert cancel_event["reason"] == "同一堆垃圾 same pile"
    assert cancel_event["data"]["duplicate_of"] == original
    assert cancel_event["actor_id"] == "chen"
    assert all(d["voided_at"] for d in archived["deadlines"] if not d["met_at"])
    again = await gf.act(ticket_id, "claim", CGJ)
    assert again.status_code == 409 and again.json()["error"]["details"]["state"] == "archived"


async def test_a_second_return_escalates_to_a_supervisor(gf: Gridflow) -> None:
    ticket_id = await gf.new_ticket()
    await wait_for_status(gf, ticket_id, "dispatched")
    assert (
        await gf.act(ticket_id, "return", CGJ, {"reason": "不归我们管 not ours"})
    ).status_code == 200
    assert (
        await gf.act(ticket_id, "dispatch", SUPERVISOR, {"department": "zjj"})
    ).status_code == 200
    again = await gf.act(ticket_id, "return", ZJJ, {"reason": "也不归我们 nor ours"})
    assert again.status_code == 200, again.text
    body = again.json()
    assert body["return_count"] == 2 and body["status"] == "manual_dispatch"
    escalation = body["timeline"][-1]
    assert escalation["action"] == "escalate" and escalation["data"]["to"] == "command-centre"
    notices = (
        await gf.call("GET", "/notifications", SUPERVISOR, params={"ticket_id": ticket_id})
    ).json()["items"]
    assert [n["kind"] for n in notices] == ["return"]
    queue = (await gf.call("GET", "/dispatch-queue", SUPERVISOR)).json()["items"]
    assert next(t for t in queue if t["ticket_id"] == ticket_id)["return_count"] == 2
