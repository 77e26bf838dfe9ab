"""Every refusal is a clear JSON error and changes nothing."""

from typing import Any

import httpx
import pytest

from tests.api_fixtures import CGJ, LI, SUPERVISOR, WANG, ZJJ, Gridflow, gf  # noqa: F401
from tests.factories import GARBAGE
from tests.test_api_lifecycle import wait_for_status


def error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


async def test_401_without_or_with_an_unknown_token(gf: Gridflow) -> None:
    for token in (None, "not-a-token"):
        for method, url in (
            ("GET", "/inbox"),
            ("GET", "/tickets/GF-000000000000"),
            ("POST", "/tickets/GF-000000000000/claim"),
        ):
            response = await gf.call(method, url, token)
            assert response.status_code == 401, (method, url, token)
            assert error(response)["code"] == "unauthorized"
    response = await gf.submit(token="not-a-token")
    assert response.status_code == 401
    assert "token" in error(response)["message"]


async def test_403_wrong_role_or_department(gf: Gridflow) -> None:
    ticket_id = await gf.new_ticket()
    await wait_for_status(gf, ticket_id, "dispatched")
    before = await gf.ticket(ticket_id)
    cases = [
        ("claim", WANG, None, "department staff"),
        ("claim", ZJJ, None, "not assigned to your department"),
        ("claim", SUPERVISOR, None, "department staff"),
        ("dispatch", CGJ, {"department": "zjj"}, "supervisor"),
        ("cancel", WANG, {"kind": "invalid", "reason": "x"}, "supervisor"),
        ("return", ZJJ, {"reason": "not ours"}, "not assigned to your department"),
    ]
    for action, token, body, words in cases:
        response = await gf.act(ticket_id, action, token, body)
        assert response.status_code == 403, (action, token, response.text)
        assert words in error(response)["message"], (action, token)
    staff_submits = await gf.submit(token=CGJ)
    assert staff_submits.status_code == 403
    assert (await gf.call("GET", "/inbox", WANG)).status_code == 403
    assert (await gf.call("GET", "/tickets/overdue", CGJ)).status_code == 403
    assert (await gf.call("GET", "/dispatch-queue", CGJ)).status_code == 403
    # Another grid's worker and another department cannot read the ticket.
    assert (await gf.call("GET", f"/tickets/{ticket_id}", LI)).status_code == 403
    assert (await gf.call("GET", f"/tickets/{ticket_id}", ZJJ)).status_code == 403
    after = await gf.ticket(ticket_id)
    assert after["timeline"] == before["timeline"] and after["status"] == "dispatched"


async def test_403_write_off_outside_your_grids(gf: Gridflow) -> None:
    ticket_id = await gf.new_ticket()
    await wait_for_status(gf, ticket_id, "dispatched")
    await gf.act(ticket_id, "claim", CGJ)
    await gf.act(ticket_id, "verify", CGJ, {"outcome": "not_found"})
    response = await gf.act(ticket_id, "write-off", LI)
    assert response.status_code == 403 and "not in your grids" in error(response)["message"]
    assert (await gf.ticket(ticket_id))["status"] == "resolved"


async def test_404_unknown_ticket(gf: Gridflow) -> None:
    assert (
        error(await gf.call("GET", "/tickets/GF-DOESNOTEXIST", SUPERVISOR))["code"] == "not_found"
    )
    response = await gf.act("GF-DOESNOTEXIST", "claim", CGJ)
    assert response.status_code == 404
    assert "GF-DOESNOTEXIST" in error(response)["message"]


async def test_409_names_the_current_state(gf: Gridflow) -> None:
    ticket_id = await gf.new_ticket()
    await wait_for_status(gf, ticket_id, "dispatched")
    early = await gf.act(ticket_id, "write-off", WANG)
    assert early.status_code == 409
    err = error(early)
    assert err["details"]["state"] == "dispatched" and "'dispatched'" in err["message"]
    assert err["details"]["allowed_states"] == ["resolved"]
    await gf.act(ticket_id, "claim", CGJ)
    twice = await gf.act(ticket_id, "claim", CGJ)
    assert twice.status_code == 409 and error(twice)["details"]["state"] == "claimed"
    queue = await gf.act(ticket_id, "dispatch", SUPERVISOR, {"department": "zjj"})
    assert queue.status_code == 409
    ticket = await gf.ticket(ticket_id)
    assert (
        ticket["status"] == "claimed" and [e["action"] for e in ticket["timeline"]][-1] == "claim"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lat": 91}, "lat"),
        ({"lat": -90.5}, "lat"),
        ({"lon": 181}, "lon"),
        ({"lon": False}, "lon"),
        ({"lat": "30.1"}, "lat"),
        ({"category": "no-such-thing"}, "category"),
        ({"category": ""}, "category"),
        ({"description": ""}, "description"),
        ({"description": "x" * 4001}, "description"),
        ({"lat": 31.5, "lon": 121.5}, "lat"),  # on the map of China, outside every grid
        ({"colour": "red"}, "colour"),
    ],
)
async def test_422_names_the_field(gf: Gridflow, body: dict, field: str) -> None:
    response = await gf.submit(**body)
    assert response.status_code == 422, response.text
    err = error(response)
    assert field in [f["field"] for f in err["fields"]], err
    assert (await gf.call("GET", "/tickets/overdue", SUPERVISOR)).status_code == 200


async def test_422_idempotency_key_is_required_and_well_formed(gf: Gridflow) -> None:
    payload = {"category": GARBAGE, "lat": 30.255, "lon": 120.115, "description": "x"}
    missing = await gf.call("POST", "/incidents", WANG, json=payload)
    assert missing.status_code == 422
    assert error(missing)["fields"][0]["field"] == "Idempotency-Key"
    short = await gf.submit(key="abc")
    assert short.status_code == 422 and error(short)["fields"][0]["field"] == "Idempotency-Key"


async def test_422_bad_finding_changes_nothing(gf: Gridflow) -> None:
    ticket_id = await gf.new_ticket()
    await wait_for_status(gf, ticket_id, "dispatched")
    await gf.act(ticket_id, "claim", CGJ)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"outcome": "needs_rectification", "rectify_working_days": 2}, "severity"),
        ({"outcome": "needs_rectification", "severity": "red"}, "rectify_due_at"),
        (
            {
                "outcome": "needs_rectification",
                "severity": "red",
                "rectify_due_at": "2020-01-01T00:00:00Z",
            },
            "rectify_due_at",
        ),
        ({"outcome": "not_found", "severity": "red"}, "outcome"),
        ({"outcome": "maybe"}, "outcome"),
        (
            {"outcome": "needs_rectification", "severity": "red", "rectify_working_days": 0},
            "rectify_working_days",
        ),
    ]
    for body, field in cases:
        response = await gf.act(ticket_id, "verify", CGJ, body)
        assert response.status_code == 422, (body, response.text)
        err = error(response)
        named = [f["field"] for f in err.get("fields", [])] + [err.get("details", {}).get("field")]
        assert field in named, (body, err)
    bad_department = await gf.act(ticket_id, "dispatch", SUPERVISOR, {"department": "nope"})
    assert bad_department.status_code == 422
    ticket = await gf.ticket(ticket_id)
    assert ticket["status"] == "claimed" and ticket["finding"] is None


async def test_malformed_json_is_a_clear_4xx(gf: Gridflow) -> None:
    response = await gf.call(
        "POST",
        "/incidents",
        WANG,
        content=b"{not json",
        headers={"Idempotency-Key": "k-12345678", "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert error(response)["code"] == "invalid"
