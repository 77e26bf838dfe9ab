"""The audit keeps a sensor's report (signal-with-start) and a subject's re-check (update-with-start)
whatever happens to their final row: each call's intent is written before Temporal is asked, and
the workflow's own record settles it — the reading found in the ticket's history by the call's id,
the re-check by its update's id, in whichever run of the subject's workflow holds it."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client
from temporalio.service import RetryConfig

from api.routes import subjects as subject_routes
from domain import demo_city
from domain.subjects import Colour, SubjectState
from readmodel.access import audit
from readmodel.db import Database
from readmodel.reference.tables import SubjectRow
from readmodel.tickets import queries
from settings import Settings
from tests.api_fixtures import (  # noqa: F401
    ADMIN,
    SENSOR,
    SUPERVISOR,
    WANG,
    Gridflow,
    gf,
    running_app,
)
from tests.factories import LAT, LON, MANHOLE
from tests.test_api_lifecycle import wait_for_status
from tests.test_audit_log import accept_audit_rows, refuse_audit_rows, rows, settle, the_row
from worker import build_worker

INCIDENTS = "/api/v1/incidents"


async def sensor(gf: Gridflow, device: str) -> httpx.Response:
    return await gf.call(
        "POST",
        "/incidents",
        SENSOR,
        json={
            "category": MANHOLE,
            "lat": LAT,
            "lon": LON,
            "description": "井盖位移报警",
            "device_id": device,
        },
    )


async def readings(gf: Gridflow, ticket_id: str, expected: int) -> None:
    """Wait until the ticket's workflow has taken `expected` readings."""
    for _ in range(200):
        if (await gf.ticket(ticket_id))["sensor_readings"] == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{ticket_id} never took {expected} readings")


@asynccontextmanager
async def cuttable_link(target: str) -> AsyncIterator[tuple[str, Callable[[], Awaitable[None]]]]:
    """A TCP link to Temporal that the test cuts: (its address, cut). After the cut, a client
    connected through it finds Temporal unreachable."""
    host, port = target.rsplit(":", 1)
    open_links: list[asyncio.StreamWriter] = []

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def link(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        open_links.extend((writer, up_writer))
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(link, "127.0.0.1", 0)

    async def cut() -> None:
        server.close()
        for writer in open_links:
            writer.close()
        await server.wait_closed()

    try:
        yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}", cut
    finally:
        await cut()


def ended(found: list[dict], response: httpx.Response) -> dict:
    [row] = [
        r for r in found if r["request_id"] == response.headers["x-request-id"] and r["settled"]
    ]
    return row


async def test_sensor_reports_whose_final_row_is_lost_are_settled_from_the_history(
    gf: Gridflow,
) -> None:
    gf.config.sensor_repeat_quiet_seconds = 0  # every repeat goes to the workflow
    device = f"MH-{uuid.uuid4().hex[:8]}"
    await gf.headers(SENSOR)
    await refuse_audit_rows(gf, when="NEW.outcome <> 'pending'")  # intents still go in
    first = await sensor(gf, device)
    assert first.status_code == 201, first.text
    ticket_id = first.json()["ticket_id"]
    repeat = await sensor(gf, device)
    assert (repeat.status_code, repeat.json()["ticket_id"]) == (200, ticket_id)
    await accept_audit_rows(gf)
    await readings(gf, ticket_id, 2)

    # Each report's intent named the ticket and the signal before Temporal was asked.
    intents = await rows(gf, ticket_id=ticket_id, outcome="pending")
    assert [(r["call"], r["route"], r["actor_id"]) for r in intents] == [
        ("signal", INCIDENTS, "gateway")
    ] * 2
    assert await settle(gf) == 2
    found = await rows(gf, ticket_id=ticket_id)
    for response in (first, repeat):
        row = ended(found, response)
        assert (row["outcome"], row["call"], row["ticket_id"]) == ("ok", "signal", ticket_id)
        assert "received the reading" in row["error"]
    assert await settle(gf) == 0  # settled once

    # A repeat within the quiet period sends nothing: its one row says it was acknowledged.
    gf.config.sensor_repeat_quiet_seconds = 3600
    folded = await sensor(gf, device)
    assert folded.status_code == 200
    [row] = [r for r in await rows(gf) if r["request_id"] == folded.headers["x-request-id"]]
    assert (row["outcome"], row["status"], row["ticket_id"], row["call"]) == (
        "ok",
        200,
        ticket_id,
        None,
    )


async def test_a_sensor_report_temporal_never_got_is_settled_failed(gf: Gridflow) -> None:
    """The API asks and Temporal cannot be reached: the row says unknown, the history has no such
    reading (an open ticket without it; a new ticket never started): the call settles failed."""
    gf.config.sensor_repeat_quiet_seconds = 0
    device = f"MH-{uuid.uuid4().hex[:8]}"
    first = await sensor(gf, device)
    assert first.status_code == 201, first.text
    ticket_id = first.json()["ticket_id"]
    await wait_for_status(gf, ticket_id, "dispatched")
    await gf.headers(SENSOR)
    target = gf.client.service_client.config.target_host
    async with cuttable_link(target) as (address, cut):
        away = await Client.connect(
            address,
            namespace=gf.client.namespace,
            retry_config=RetryConfig(max_retries=1, initial_interval_millis=10),
            data_converter=gf.client.data_converter,
        )
        async with running_app(away, gf.db, gf.config) as http:
            cut_off = Gridflow(http=http, db=gf.db, config=gf.config, client=away)
            await cut()
            lost = [await sensor(cut_off, d) for d in (device, f"MH-{uuid.uuid4().hex[:8]}")]
    assert [r.status_code for r in lost] == [503, 503], [r.text for r in lost]
    found = await rows(gf)
    repeat_rows, new_rows = (
        [r for r in found if r["request_id"] == response.headers["x-request-id"]]
        for response in lost
    )
    for mine in (repeat_rows, new_rows):
        assert [(r["outcome"], r["call"]) for r in mine] == [
            ("pending", "signal"),
            ("unknown", "signal"),
        ]
    assert repeat_rows[0]["ticket_id"] == ticket_id and new_rows[0]["ticket_id"] != ticket_id
    assert await settle(gf) == 2
    found = await rows(gf)
    repeat, new = (ended(found, r) for r in lost)
    assert (repeat["outcome"], repeat["ticket_id"], repeat["status"]) == ("failed", ticket_id, 503)
    assert "no record of the reading" in repeat["error"]
    assert (new["outcome"], new["status"]) == ("failed", 503)
    assert "never started" in new["error"]
    assert (await gf.ticket(ticket_id))["sensor_readings"] == 1


async def test_a_reading_that_moved_to_the_next_ticket_is_settled_where_it_went(
    gf: Gridflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read model still lists a closed ticket as open: the reading is refused there and
    starts the device's next ticket. The call's latest intent names where it went."""
    gf.config.sensor_repeat_quiet_seconds = 0
    device = f"MH-{uuid.uuid4().hex[:8]}"
    closed = (await sensor(gf, device)).json()["ticket_id"]
    await wait_for_status(gf, closed, "dispatched")
    await gf.act(closed, "cancel", SUPERVISOR, {"kind": "invalid", "reason": "test"})
    await wait_for_status(gf, closed, "archived")
    await gf.client.get_workflow_handle(closed).result()

    async def lagging(**_kw: object) -> tuple[str, datetime]:
        return closed, datetime.now(UTC) - timedelta(hours=1)

    monkeypatch.setattr(queries, "open_sensor_ticket", lagging)
    await gf.headers(SENSOR)
    await refuse_audit_rows(gf, when="NEW.outcome <> 'pending'")
    moved = await sensor(gf, device)
    await accept_audit_rows(gf)
    assert moved.status_code == 201, moved.text
    ticket_id = moved.json()["ticket_id"]
    assert ticket_id != closed
    intents = [
        r
        for r in await rows(gf, outcome="pending")
        if r["request_id"] == moved.headers["x-request-id"]
    ]
    assert [r["ticket_id"] for r in intents] == [closed, ticket_id]
    assert len({r["call_id"] for r in intents}) == 1
    async with gf.db.session() as session:  # asked of the ticket its latest intent names
        open_calls = await audit.open_calls(session=session, asked_before=audit.now())
    assert [i.ticket_id for i, _ in open_calls if i.call_id == intents[0]["call_id"]] == [ticket_id]
    assert await settle(gf) == 1
    row = ended(await rows(gf), moved)
    assert (row["outcome"], row["ticket_id"]) == ("ok", ticket_id)


async def subject_due_for_recheck(gf: Gridflow) -> str:
    """A subject in wang's grid whose observation is over (the dev server's clock does not skip:
    the read model's state, from which its workflow starts, says the re-check is due)."""
    code = f"AU-{uuid.uuid4().hex[:8]}"
    created = await gf.call(
        "POST",
        "/admin/subjects",
        ADMIN,
        json={"code": code, "name": "审计测试店", "kind": "shop", "grid": demo_city.GRIDS[0].code},
    )
    assert created.status_code == 201, created.text
    async with gf.db.session() as session:
        row = await session.get(SubjectRow, code)
        assert row is not None
        row.state = SubjectState(
            code=code,
            name="审计测试店",
            colour=Colour.YELLOW,
            watch_colour=Colour.YELLOW,
            recheck_due=True,
        ).model_dump(mode="json")
        session.add(row)
        await session.commit()
    return code


async def test_subject_rechecks_whose_final_row_is_lost_are_settled_from_the_workflow(
    gf: Gridflow,
) -> None:
    code = await subject_due_for_recheck(gf)
    await gf.headers(WANG)
    await refuse_audit_rows(gf, when="NEW.outcome <> 'pending'")
    clean = await gf.call("POST", f"/subjects/{code}/recheck", WANG, json={"clean": True})
    assert clean.status_code == 200, clean.text
    assert clean.json()["colour"] == "white"  # nothing open: its workflow rests
    handle = gf.client.get_workflow_handle(f"subject-{code}")
    await handle.result()
    # Again: the workflow starts anew from the read model, whose re-check is no longer due.
    again = await gf.call("POST", f"/subjects/{code}/recheck", WANG, json={"clean": True})
    assert again.status_code == 409, again.text
    await accept_audit_rows(gf)

    intents = await rows(gf, ticket_id=f"subject-{code}", outcome="pending")
    assert [(r["call"], r["route"], r["actor_id"]) for r in intents] == [
        ("update", "/api/v1/subjects/{code}/recheck", "wang")
    ] * 2
    assert await settle(gf) == 2
    found = await rows(gf)
    applied = ended(found, clean)  # its update sits in the run before the latest
    assert (applied["outcome"], applied["ticket_id"]) == ("ok", f"subject-{code}")
    assert "applied, by the subject's workflow" in applied["error"]
    refused = ended(found, again)  # refused by the validator: nothing applied
    assert (refused["outcome"], refused["seq"]) == ("failed", None)
    assert "not applied" in refused["error"]
    assert await settle(gf) == 0


async def test_a_subject_recheck_answered_503_that_the_workflow_applied_is_settled_applied(
    temporal_client: Client, db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = Settings(task_queue=f"tq-{uuid.uuid4()}", database_url=db.url, data_dir=tmp_path)
    async with running_app(temporal_client, db, config) as http:
        gf = Gridflow(http=http, db=db, config=config, client=temporal_client)
        code = await subject_due_for_recheck(gf)
        # No worker: Temporal takes the update and holds it; the API stops waiting first.
        monkeypatch.setattr(subject_routes, "UPDATE_TIMEOUT", timedelta(seconds=1))
        failed = await gf.call("POST", f"/subjects/{code}/recheck", WANG, json={"clean": False})
        assert failed.status_code == 503, failed.text
        row = await the_row(gf, failed)
        assert (row["outcome"], row["ticket_id"], row["settled"]) == (
            "unknown",
            f"subject-{code}",
            None,
        )
        assert await settle(gf) == 0  # under way: not settled while the workflow cannot tell
        async with build_worker(temporal_client, db=db, config=config):
            for _ in range(100):
                if await settle(gf):
                    break
                await asyncio.sleep(0.1)
            detail = (await gf.call("GET", f"/subjects/{code}", WANG)).json()
    assert [e["kind"] for e in detail["state"]["history"]] == ["recheck_failed"]
    calls = await rows(gf, call_id=row["call_id"])
    assert [(r["outcome"], r["status"]) for r in calls] == [
        ("pending", 0),
        ("unknown", 503),
        ("ok", 503),
    ]
