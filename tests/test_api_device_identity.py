"""A sensor device is (owner, device id): two gateways both naming a device "pump-1" get a ticket
each, on /api/v1/incidents and Open311 alike, and each reads its own (issue 12); a ticket opened
under the id derived before the owner counted keeps its repeats."""

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from domain.contracts import TicketInput
from domain.models import Actor, Incident, SensorReading
from domain.states import Role
from readmodel.tickets.tables import TicketRow
from tests.api_fixtures import ADMIN, SENSOR, Gridflow, gf  # noqa: F401
from tests.factories import GRID, LAT, LON, MANHOLE
from workflows.ticket import TicketWorkflow


async def second_gateway(gf: Gridflow) -> str:
    """Another machine client's key, able to report on both paths and read its reports."""
    user_id = f"gw{uuid.uuid4().hex[:8]}"
    made = await gf.call(
        "POST",
        "/admin/users",
        ADMIN,
        json={
            "user_id": user_id,
            "name": "另一网关 another gateway",
            "role": "sensor",
            "password": "a-long-enough-password",
        },
    )
    assert made.status_code == 201, made.text
    key = await gf.call(
        "POST",
        "/admin/api-keys",
        ADMIN,
        json={
            "user_id": user_id,
            "label": "second gateway",
            "scopes": ["sensor_intake", "open311_report"],
        },
    )
    assert key.status_code == 201, key.text
    return key.json()["key"]


def device() -> str:
    return f"pump-{uuid.uuid4().hex[:6]}"


async def incidents(gf: Gridflow, key: str, device_id: str) -> httpx.Response:
    return await gf.http.post(
        "/api/v1/incidents",
        headers={"X-API-Key": key},
        json={
            "category": MANHOLE,
            "lat": LAT,
            "lon": LON,
            "description": "井盖松动 loose cover",
            "device_id": device_id,
        },
    )


async def open311(gf: Gridflow, key: str, device_id: str) -> tuple[int, str]:
    sent = await gf.http.post(
        "/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": MANHOLE,
            "lat": str(LAT),
            "long": str(LON),
            "device_id": device_id,
        },
    )
    assert sent.status_code in (200, 201), sent.text
    return sent.status_code, sent.json()[0]["service_request_id"]


async def read(gf: Gridflow, key: str, ticket_id: str) -> httpx.Response:
    return await gf.http.get(f"/api/v1/tickets/{ticket_id}", headers={"X-API-Key": key})


async def test_two_owners_of_one_device_id_get_a_ticket_each_on_incidents(gf: Gridflow) -> None:
    other, pump = await second_gateway(gf), device()
    first = await incidents(gf, SENSOR, pump)
    second = await incidents(gf, other, pump)
    assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
    mine, theirs = first.json()["ticket_id"], second.json()["ticket_id"]
    assert mine != theirs
    assert (await read(gf, SENSOR, mine)).status_code == 200
    seen = await read(gf, other, theirs)
    assert seen.status_code == 200, seen.text
    assert seen.json()["device_id"] == pump and seen.json()["reporter_id"] != "gateway"
    assert (await read(gf, other, mine)).status_code in (403, 404)  # not its device's ticket
    # Each owner's repeat finds its own ticket again.
    again, again_other = await incidents(gf, SENSOR, pump), await incidents(gf, other, pump)
    assert (again.status_code, again.json()["ticket_id"], again.json()["replayed"]) == (
        200,
        mine,
        True,
    )
    assert (again_other.status_code, again_other.json()["ticket_id"]) == (200, theirs)


async def test_two_owners_of_one_device_id_get_a_ticket_each_on_open311(gf: Gridflow) -> None:
    other, pump = await second_gateway(gf), device()
    first, second = await open311(gf, SENSOR, pump), await open311(gf, other, pump)
    assert (first[0], second[0]) == (201, 201)
    assert first[1] != second[1]
    assert (await read(gf, SENSOR, first[1])).status_code == 200
    assert (await read(gf, other, second[1])).status_code == 200
    assert await open311(gf, SENSOR, pump) == (200, first[1])
    assert await open311(gf, other, pump) == (200, second[1])
    # The two intakes are one device identity: /incidents finds the Open311 ticket again.
    assert (await incidents(gf, other, pump)).json()["ticket_id"] == second[1]


def id_before_owners(device_id: str, category: str, episode: int) -> str:
    """The sensor ticket id as derived before issue 12 (device, fault, episode): workflows
    started then run under it."""
    digest = hashlib.sha256(f"{device_id}\x00{category}\x00{episode}".encode()).hexdigest()
    return f"GF-S{digest[:11].upper()}"


async def wait_for(gf: Gridflow, ticket_id: str, check: Any, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with gf.db.session() as session:
            row = await session.get(TicketRow, ticket_id)
            if row is not None and check(row):
                return
        assert asyncio.get_running_loop().time() < deadline, ticket_id
        await asyncio.sleep(0.1)


async def test_a_ticket_opened_under_the_old_id_keeps_its_owners_repeats(gf: Gridflow) -> None:
    pump, now = device(), datetime.now(UTC)
    legacy = id_before_owners(pump, MANHOLE, 0)
    incident = Incident(
        ticket_id=legacy,
        category=MANHOLE,
        lat=LAT,
        lon=LON,
        grid=GRID.code,
        description="井盖松动 loose cover",
        submitted_at=now,
        reporter=Actor(user_id="gateway", role=Role.SENSOR),
        device_id=pump,
    )
    await gf.client.start_workflow(
        TicketWorkflow.run,
        TicketInput(incident=incident),
        id=legacy,
        task_queue=gf.config.task_queue,
        start_signal="sensor_reading",
        start_signal_args=[SensorReading(device_id=pump, at=now)],
        memo={"reading_at": now.isoformat()},
    )
    await wait_for(gf, legacy, lambda row: row.is_open)
    gf.config.sensor_repeat_quiet_seconds = 0  # the repeat goes to the workflow
    repeat = await incidents(gf, SENSOR, pump)
    assert (repeat.status_code, repeat.json()["ticket_id"]) == (200, legacy), repeat.text
    await wait_for(gf, legacy, lambda row: row.snapshot["sensor_readings"] == 2)
    # Another owner's device of the same name is not that ticket.
    other = await incidents(gf, await second_gateway(gf), pump)
    assert other.status_code == 201 and other.json()["ticket_id"] != legacy
