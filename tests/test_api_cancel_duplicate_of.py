"""Cancelling a report as a duplicate names an existing ticket other than itself; anything else
is a 422 naming `duplicate_of`, and the ticket is unchanged."""

import httpx

from tests.api_fixtures import CGJ, SUPERVISOR, Gridflow, gf  # noqa: F401
from tests.test_api_lifecycle import wait_for_status


async def test_a_duplicate_must_name_an_existing_other_ticket(gf: Gridflow) -> None:
    ticket_id = await gf.new_ticket()
    await wait_for_status(gf, ticket_id, "dispatched")
    before = await gf.ticket(ticket_id)
    wrong = {
        "a ticket that does not exist": "GF-000000000000",
        "a subject's workflow": "subject-SS-0001",
        "not a ticket id": "T-0123",
        "itself": ticket_id,
        "missing": None,
    }
    for what, other in wrong.items():
        body = {"kind": "duplicate", "reason": "same pile"} | (
            {"duplicate_of": other} if other else {}
        )
        response = await gf.act(ticket_id, "cancel", SUPERVISOR, body)
        assert response.status_code == 422, (what, response.text)
        assert named(response) == "duplicate_of", what
    also_invalid = await gf.act(
        ticket_id,
        "cancel",
        SUPERVISOR,
        {"kind": "invalid", "reason": "test", "duplicate_of": "GF-000000000000"},
    )
    assert also_invalid.status_code == 422
    assert named(also_invalid) == "duplicate_of"
    staff = await gf.act(
        ticket_id,
        "cancel",
        CGJ,
        {"kind": "duplicate", "reason": "same", "duplicate_of": "GF-000000000000"},
    )
    assert staff.status_code == 403  # who first: staff never cancel
    after = await gf.ticket(ticket_id)
    assert after["status"] == "dispatched" and after["timeline"] == before["timeline"]

    just_reported = await gf.new_ticket()  # exists from its 201 on, projected or not
    cancelled = await gf.act(
        ticket_id,
        "cancel",
        SUPERVISOR,
        {"kind": "duplicate", "reason": "same pile", "duplicate_of": just_reported},
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"


def named(response: httpx.Response) -> str:
    """The field a 4xx names: in `fields` (the API's checks) or `details.field` (the workflow's)."""
    error = response.json()["error"]
    return (error.get("fields") or [error.get("details", {})])[0]["field"]
