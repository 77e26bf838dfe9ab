"""Ticket routes take ticket ids only: a subject's workflow id, or any id that is not a ticket's,
answers 404 with a JSON body, and nothing reaches the workflow it names."""

import asyncio
import uuid

from fastapi.routing import APIRoute, iter_route_contexts
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from api.main import create_app
from api.tickets_service import ticket_id_for
from domain import demo_city
from domain.ticket_ids import is_ticket_id
from tests.api_fixtures import BS, CGJ, SUPERVISOR, WANG, Gridflow, gf  # noqa: F401
from tests.test_api_lifecycle import wait_for_status
from tests.test_api_subjects import ADMIN

KINDERGARTEN = "SS-0005"  # in GRIDS[0]: garbage there goes to the Beishan street office


def ticket_routes() -> list[tuple[str, str]]:
    """Every API route that names a ticket in its path, as (method, path template)."""
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(create_app().routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        assert context.path is not None and context.methods is not None  # an APIRoute has both
        if "{ticket_id}" in context.path and context.path.startswith("/api/"):
            found |= {(method, context.path) for method in context.methods}
    return sorted(found)


async def subject_under_rectification(gf: Gridflow) -> str:
    """A running subject workflow: a report about the kindergarten needing rectification."""
    lon, lat = demo_city.GRIDS[0].inside
    ticket_id = await gf.new_ticket(lat=lat, lon=lon, subject_code=KINDERGARTEN)
    await wait_for_status(gf, ticket_id, "dispatched")
    assert (await gf.act(ticket_id, "claim", BS)).status_code == 200
    verified = await gf.act(
        ticket_id,
        "verify",
        BS,
        {"outcome": "needs_rectification", "severity": "yellow", "rectify_working_days": 5},
    )
    assert verified.status_code == 200, verified.text
    workflow_id = f"subject-{KINDERGARTEN}"
    for _ in range(100):  # told by an activity, just after the update answered
        try:
            await gf.client.get_workflow_handle(workflow_id).describe()
            return workflow_id
        except RPCError:
            await asyncio.sleep(0.05)
    raise AssertionError("the subject's workflow never started")


async def test_every_ticket_route_answers_404_for_an_id_that_is_not_a_ticket(gf: Gridflow) -> None:
    routes = ticket_routes()
    assert ("GET", "/api/v1/tickets/{ticket_id}") in routes and len(routes) >= 18
    subject = await subject_under_rectification(gf)
    handle = gf.client.get_workflow_handle(subject)
    before = (await handle.fetch_history()).events
    others = [subject, f"x-{uuid.uuid4().hex}", "GF-0123", "gf-0123456789ab", "GF-0123456789ABC"]
    for token in (SUPERVISOR, CGJ, WANG, ADMIN):
        for method, path in routes:
            for other in others:
                url = path.replace("{ticket_id}", other)
                response = await gf.http.request(
                    method, url, headers=await gf.headers(token), json={}
                )
                assert response.status_code == 404, (token, method, url, response.text)
                error = response.json()["error"]
                assert error["code"] == "not_found" and other in error["message"], error
    after = (await handle.fetch_history()).events
    assert after == before  # no query, update or signal reached the subject's workflow
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING


def test_ticket_ids_have_the_shape_submission_gives_them() -> None:
    """(Sensor tickets' ids, GF-S…, are read through these routes in test_api_duplicates.)"""
    assert is_ticket_id(ticket_id_for(user_id="wang", idempotency_key=str(uuid.uuid4())))
    assert is_ticket_id("GF-S0123456789A")
    for other in (
        "subject-SS-0005",
        "GF-0123456789ab",
        "GF-0123456789AB\n",
        "GF-S0123456789",
        "",
        "T-0123456789",
    ):
        assert not is_ticket_id(other), other
