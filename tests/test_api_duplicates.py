"""Probable duplicates are flagged for a supervisor to merge or keep; sensors repeat themselves
onto the open ticket. Against the demo city as shipped (duplicate detection on, 50 m, 72 h)."""

import asyncio
import math
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from shapely.geometry import Point
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from domain import demo_city
from readmodel.access import audit
from readmodel.db import Database
from tests.api_fixtures import CGJ, LI, SUPERVISOR, WANG, Gridflow, gridflow_on
from tests.factories import LAT, LON, MANHOLE, OTHER, STREETLIGHT
from tests.test_api_lifecycle import wait_for_status

SENSOR = "demo-sensor-gateway"
METRE = 1 / 111_000  # degrees of latitude


def across_the_edge(metres: float) -> tuple[dict[str, float], dict[str, float]]:
    """Two spots `metres` either side of the edge between wang's GRIDS[1] and li's GRIDS[2]:
    each reports in their own grid (a grid worker reports only there)."""
    a, b = demo_city.GRIDS[1], demo_city.GRIDS[2]
    edge = a.polygon.intersection(b.polygon)
    mid = edge.interpolate(0.5, normalized=True)
    p, q = edge.interpolate(0.49, normalized=True), edge.interpolate(0.51, normalized=True)
    k = math.cos(math.radians(mid.y))  # metres per degree of longitude, relative
    dx, dy = (q.x - p.x) * k, q.y - p.y
    nx, ny = -dy / math.hypot(dx, dy), dx / math.hypot(dx, dy)
    spots = [
        Point(mid.x + s * nx * metres * METRE / k, mid.y + s * ny * metres * METRE) for s in (1, -1)
    ]
    if not a.polygon.contains(spots[0]):
        spots.reverse()
    assert a.polygon.contains(spots[0]) and b.polygon.contains(spots[1])
    return ({"lat": spots[0].y, "lon": spots[0].x}, {"lat": spots[1].y, "lon": spots[1].x})


@pytest.fixture
async def city(dev_env: WorkflowEnvironment, demo_db: Database) -> AsyncIterator[Gridflow]:
    async with gridflow_on(dev_env.client, demo_db) as running:
        yield running


async def test_a_report_near_an_open_one_waits_for_a_supervisor_then_merges(city: Gridflow) -> None:
    wangs, lis = across_the_edge(10)
    first = await city.new_ticket(**wangs)
    await wait_for_status(city, first, "dispatched")
    second = await city.new_ticket(token=LI, description="又有垃圾", **lis)
    flagged = await wait_for_status(city, second, "duplicate_review")
    assert [c["ticket_id"] for c in flagged["duplicate_candidates"]] == [first]
    assert 15 < flagged["duplicate_candidates"][0]["distance_m"] < 25
    assert flagged["department"] is None  # no work of its own yet
    queue = (await city.call("GET", "/duplicates", SUPERVISOR)).json()
    assert [t["ticket_id"] for t in queue["items"]] == [second]
    assert (await city.call("GET", "/duplicates", CGJ)).status_code == 403
    assert (await city.call("GET", f"/tickets/{first}", LI)).status_code == 403

    assert (await city.act(second, "merge", CGJ, {"into": first})).status_code == 403
    itself = await city.act(second, "merge", SUPERVISOR, {"into": second})
    assert itself.status_code in (409, 422)
    merged = await city.act(second, "merge", SUPERVISOR, {"into": first, "note": "同一堆"})
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "merged" and merged.json()["merged_into"] == first
    done = await wait_for_status(city, second, "archived")
    assert [e["action"] for e in done["timeline"]] == [
        "submit",
        "flag_duplicate",
        "merge",
        "archive",
    ]
    survivor = await city.ticket(first, token=LI)  # li follows the surviving ticket now
    assert [r["ticket_id"] for r in survivor["merged_reports"]] == [second]
    assert survivor["timeline"][-1]["action"] == "merged_report"
    assert survivor["status"] == "dispatched"


async def test_keep_separate_routes_it_and_far_or_other_reports_are_not_flagged(
    city: Gridflow,
) -> None:
    first = await city.new_ticket()
    await wait_for_status(city, first, "dispatched")
    near = await city.new_ticket(lat=LAT + 10 * METRE)
    await wait_for_status(city, near, "duplicate_review")
    kept = await city.act(near, "keep-separate", SUPERVISOR, {"note": "两处不同"})
    assert kept.status_code == 200, kept.text
    ticket = await wait_for_status(city, near, "dispatched")
    assert "keep_separate" in [e["action"] for e in ticket["timeline"]]
    far = await city.new_ticket(lat=LAT + 80 * METRE)
    other = await city.new_ticket(category=MANHOLE)
    for ticket_id in (far, other):
        assert (await wait_for_status(city, ticket_id, "dispatched"))["duplicate_candidates"] == []
    again = await city.act(near, "keep-separate", SUPERVISOR)
    assert again.status_code == 409


async def settled(city: Gridflow, ticket_id: str, timeout: float = 20) -> dict:
    """The ticket once the duplicate check has decided: routed on, or held for review."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (ticket := await city.ticket(ticket_id))["status"] == "submitted":
        assert asyncio.get_running_loop().time() < deadline, ticket_id
        await asyncio.sleep(0.1)
    return ticket


async def test_other_reports_are_never_duplicates_but_a_category_with_a_radius_is(
    city: Gridflow,
) -> None:
    """E0699 其他 has duplicate detection off (the catalogue's radius None, stored as NULL):
    "other" reports at one spot are different problems, each waits for a supervisor."""
    for n in range(4):
        ticket = await settled(
            city, await city.new_ticket(category=OTHER, description=f"其他问题 {n}")
        )
        assert ticket["status"] == "manual_dispatch", ticket["timeline"]
        assert ticket["duplicate_candidates"] == []
    first = await city.new_ticket(category=STREETLIGHT)
    await wait_for_status(city, first, "dispatched")
    again = await settled(city, await city.new_ticket(category=STREETLIGHT))
    assert again["status"] == "duplicate_review"
    assert [c["ticket_id"] for c in again["duplicate_candidates"]] == [first]


async def test_merging_into_a_closed_ticket_is_refused(city: Gridflow) -> None:
    first = await city.new_ticket()
    await wait_for_status(city, first, "dispatched")
    second = await city.new_ticket(lat=LAT + 5 * METRE)
    await wait_for_status(city, second, "duplicate_review")
    await city.act(first, "cancel", SUPERVISOR, {"kind": "invalid", "reason": "test"})
    await wait_for_status(city, first, "archived")
    refused = await city.act(second, "merge", SUPERVISOR, {"into": first})
    assert refused.status_code == 409
    unknown = await city.act(second, "merge", SUPERVISOR, {"into": "GF-NOSUCHTICKET"})
    assert unknown.status_code == 422
    assert (await city.ticket(second))["status"] == "duplicate_review"


async def sensor(city: Gridflow, device: str, **body: Any) -> httpx.Response:
    payload = {
        "category": MANHOLE,
        "lat": LAT,
        "lon": LON,
        "description": "井盖位移报警",
        "device_id": device,
    } | body
    return await city.call("POST", "/incidents", SENSOR, json=payload)


async def sensor_repeats_audited(city: Gridflow, ticket_id: str, expected: int) -> int:
    """The acknowledged repeats (200) on the ticket in the audit log; its rows land just after
    each answer, so wait a little for `expected`."""
    for _ in range(50):
        async with city.db.session() as session:
            rows, _total = await audit.search(
                session=session, where=audit.AuditFilter(ticket_id=ticket_id), limit=100, offset=0
            )
        found = sum(1 for r in rows if r.route == "/api/v1/incidents" and r.status == 200)
        if found >= expected:
            return found
        await asyncio.sleep(0.05)
    return found


def sent(history: WorkflowHistory) -> int:
    """Signals and updates the ticket's history holds (its own workflow tasks, which may still be
    completing when the read model says dispatched, are not what a sensor sends)."""
    return sum(
        1
        for e in history.events
        if e.HasField("workflow_execution_signaled_event_attributes")
        or e.HasField("workflow_execution_update_accepted_event_attributes")
    )


async def test_a_stuck_sensor_is_folded_into_its_ticket_not_its_history(city: Gridflow) -> None:
    """Repeats within the quiet period are acknowledged and audited, not signalled: a device
    alarming every second must not fill the ticket's Temporal history."""
    device = f"MH-{uuid.uuid4().hex[:8]}"
    first = await sensor(city, device)
    ticket_id = first.json()["ticket_id"]
    await wait_for_status(city, ticket_id, "dispatched")
    handle = city.client.get_workflow_handle(ticket_id)
    sent_before = sent(await handle.fetch_history())

    repeats = [await sensor(city, device) for _ in range(5)]
    assert all(
        r.status_code == 200 and r.json() == {**r.json(), "ticket_id": ticket_id, "replayed": True}
        for r in repeats
    )
    await asyncio.sleep(0.5)
    assert sent(await handle.fetch_history()) == sent_before  # nothing was sent
    ticket = await city.ticket(ticket_id)
    assert ticket["sensor_readings"] == 1
    assert not [e for e in ticket["timeline"] if e["action"] == "sensor_repeat"]
    assert await sensor_repeats_audited(city, ticket_id, 5) == 5  # each one is on record

    # Once the quiet period has passed since the last recorded reading, the next one is sent.
    city.config.sensor_repeat_quiet_seconds = 0.2
    await asyncio.sleep(0.3)
    assert (await sensor(city, device)).json()["ticket_id"] == ticket_id
    for _ in range(100):
        ticket = await city.ticket(ticket_id)
        if ticket["sensor_readings"] == 2:
            break
        await asyncio.sleep(0.05)
    assert [
        e["data"]["readings"] for e in ticket["timeline"] if e["action"] == "sensor_repeat"
    ] == [2]
    # ... and the quiet period counts from that repeat, not from the submission.
    city.config.sensor_repeat_quiet_seconds = 60
    assert (await sensor(city, device)).status_code == 200
    await asyncio.sleep(0.5)
    assert (await city.ticket(ticket_id))["sensor_readings"] == 2


async def test_a_sensor_repeating_its_fault_attaches_to_the_open_ticket(city: Gridflow) -> None:
    city.config.sensor_repeat_quiet_seconds = 0  # every repeat goes to the workflow
    device = f"MH-{uuid.uuid4().hex[:8]}"
    first = await sensor(city, device)
    assert first.status_code == 201 and first.json()["replayed"] is False
    ticket_id = first.json()["ticket_id"]
    await wait_for_status(city, ticket_id, "dispatched")
    repeats = await asyncio.gather(*(sensor(city, device) for _ in range(3)))
    assert {r.json()["ticket_id"] for r in repeats} == {ticket_id}
    assert all(r.status_code == 200 and r.json()["replayed"] for r in repeats)
    for _ in range(100):
        ticket = await city.ticket(ticket_id)
        if ticket["sensor_readings"] == 4:
            break
        await asyncio.sleep(0.05)
    assert ticket["sensor_readings"] == 4 and ticket["device_id"] == device
    assert [
        e["data"]["readings"] for e in ticket["timeline"] if e["action"] == "sensor_repeat"
    ] == [2, 3, 4]
    other_fault = await sensor(city, device, category=STREETLIGHT)
    assert other_fault.status_code == 201 and other_fault.json()["ticket_id"] != ticket_id

    await city.act(ticket_id, "cancel", SUPERVISOR, {"kind": "invalid", "reason": "test"})
    await wait_for_status(city, ticket_id, "archived")
    later = await sensor(city, device)
    assert later.status_code == 201 and later.json()["ticket_id"] != ticket_id


async def test_device_ids_belong_to_sensors(city: Gridflow) -> None:
    assert (await sensor(city, "")).status_code == 422
    missing = await city.call(
        "POST",
        "/incidents",
        SENSOR,
        json={"category": MANHOLE, "lat": LAT, "lon": LON, "description": "x"},
    )
    assert (
        missing.status_code == 422 and missing.json()["error"]["fields"][0]["field"] == "device_id"
    )
    worker = await city.submit(token=WANG, device_id="MH-1")
    assert worker.status_code == 422
