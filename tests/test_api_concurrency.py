"""Many reports in flight at once: every one is acknowledged and audited, none waits on the pool.

The API's database pool holds 5 + 10 connections. Requests used to keep theirs through the
Temporal round trip while the audit log took a second one, so 15+ concurrent reports waited for
each other until the pool timed out (30 s) and their audit rows were lost."""

import asyncio
import uuid

from sqlalchemy import text
from structlog.testing import capture_logs

from domain import demo_city
from tests.api_fixtures import LI, WANG, Gridflow, gf  # noqa: F401

PER_WORKER = 15  # under the intake burst; 30 in flight, twice the pool


async def test_thirty_concurrent_reports_are_all_acknowledged_and_audited(gf: Gridflow) -> None:
    li_lon, li_lat = demo_city.GRIDS[2].inside
    keys = {
        WANG: [str(uuid.uuid4()) for _ in range(PER_WORKER)],
        LI: [str(uuid.uuid4()) for _ in range(PER_WORKER)],
    }
    for token in keys:
        await gf.headers(token)  # log in first: the reports, not the logins, go at once
    with capture_logs() as logs:
        responses = await asyncio.gather(
            *[gf.submit(token=WANG, key=k) for k in keys[WANG]],
            *[gf.submit(token=LI, key=k, lat=li_lat, lon=li_lon) for k in keys[LI]],
        )
    assert [r.status_code for r in responses] == [201] * 2 * PER_WORKER, [
        r.text for r in responses if r.status_code != 201
    ][:3]
    assert not [e for e in logs if e.get("event") == "audit write failed"]
    tickets = {r.json()["ticket_id"] for r in responses}
    async with gf.db.engine.connect() as conn:
        audited = {
            row[0]
            for row in await conn.execute(
                text(
                    "SELECT ticket_id FROM audit_log WHERE route = '/api/v1/incidents' AND status = 201"
                )
            )
        }
    assert audited == tickets
