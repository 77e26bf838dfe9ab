"""Submission is idempotent and lossless: one key, one ticket, however often and however fast."""

import asyncio
import uuid

from sqlalchemy import func
from sqlmodel import select

from domain import demo_city
from readmodel.tickets.tables import TicketRow
from tests.api_fixtures import LI, WANG, Gridflow, gf  # noqa: F401
from tests.test_api_lifecycle import wait_for_status


async def workflows_with_id(gf: Gridflow, ticket_id: str) -> int:
    count = 0
    async for _ in gf.client.list_workflows(f"WorkflowId = '{ticket_id}'"):
        count += 1
    return count


async def test_ten_concurrent_identical_submissions_make_one_ticket(gf: Gridflow) -> None:
    key = str(uuid.uuid4())
    responses = await asyncio.gather(*(gf.submit(key=key) for _ in range(10)))
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses]
    ids = {r.json()["ticket_id"] for r in responses}
    assert len(ids) == 1
    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    assert sum(not r.json()["replayed"] for r in responses) == 1
    ticket_id = ids.pop()
    await wait_for_status(gf, ticket_id, "dispatched")
    async with gf.db.session() as session:
        rows = (await session.exec(select(func.count()).select_from(TicketRow))).one()
    assert rows == 1
    history = await gf.client.get_workflow_handle(ticket_id).fetch_history()
    starts = [
        e for e in history.events if e.HasField("workflow_execution_started_event_attributes")
    ]
    assert len(starts) == 1


async def test_sequential_retry_returns_the_same_ticket_with_its_state(gf: Gridflow) -> None:
    key = str(uuid.uuid4())
    first = await gf.submit(key=key)
    ticket_id = first.json()["ticket_id"]
    await wait_for_status(gf, ticket_id, "dispatched")
    again = await gf.submit(key=key)
    assert again.status_code == 200
    assert again.json() == {
        "ticket_id": ticket_id,
        "status": "dispatched",
        "grid": first.json()["grid"],
        "replayed": True,
    }


async def test_retry_after_archive_still_returns_the_same_ticket(gf: Gridflow) -> None:
    key = str(uuid.uuid4())
    ticket_id = (await gf.submit(key=key)).json()["ticket_id"]
    await wait_for_status(gf, ticket_id, "dispatched")
    await gf.act(ticket_id, "cancel", "demo-supervisor", {"kind": "invalid", "reason": "test"})
    await wait_for_status(gf, ticket_id, "archived")
    again = await gf.submit(key=key)
    assert again.status_code == 200 and again.json()["ticket_id"] == ticket_id
    assert again.json()["status"] == "archived"


async def test_same_key_with_a_different_report_is_refused(gf: Gridflow) -> None:
    key = str(uuid.uuid4())
    ticket_id = (await gf.submit(key=key)).json()["ticket_id"]
    other = await gf.submit(key=key, description="完全不同 something else")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert other.json()["error"]["details"]["ticket_id"] == ticket_id
    ticket = await gf.ticket(ticket_id)
    assert ticket["description"] != "完全不同 something else"


async def test_keys_are_scoped_per_reporter(gf: Gridflow) -> None:
    key = str(uuid.uuid4())
    mine = (await gf.submit(key=key, token=WANG)).json()["ticket_id"]
    lis = demo_city.GRIDS[2].inside  # li reports in his own grid
    theirs = await gf.submit(key=key, token=LI, lat=lis.lat, lon=lis.lon)
    assert theirs.status_code == 201 and theirs.json()["ticket_id"] != mine
