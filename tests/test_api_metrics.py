"""GET /metrics and /metrics.csv: supervisors only, the period checked, CSV that parses back."""

import csv
import io
import random
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from readmodel.tickets.metrics import CSV_COLUMNS, period_bounds
from tests.api_fixtures import CGJ, SUPERVISOR, WANG, Gridflow, gf  # noqa: F401
from tests.test_api_lifecycle import wait_for_status
from tests.test_readmodel_metrics import rows_for


async def known_week(gf: Gridflow) -> tuple[date, date]:
    """The hand-computed data set of test_readmodel_metrics, in a week of its own."""
    monday = date(2040, 1, 2) + timedelta(weeks=random.randrange(2000))
    tickets, events = rows_for(uuid.uuid4().hex[:8], period_bounds(monday, monday)[0])
    async with gf.db.session() as session:
        session.add_all(tickets)
        await session.flush()
        session.add_all(events)
        await session.commit()
    return monday, monday + timedelta(days=7)


def params(date_from: date | str, date_to: date | str, group_by: str = "department") -> dict:
    return {"group_by": group_by, "from": str(date_from), "to": str(date_to)}


async def test_only_supervisors(gf: Gridflow) -> None:
    for url in ("/metrics", "/metrics.csv"):
        assert (
            await gf.call("GET", url, None, params=params("2026-03-01", "2026-04-01"))
        ).status_code == 401
        for token in (WANG, CGJ):
            response = await gf.call("GET", url, token, params=params("2026-03-01", "2026-04-01"))
            assert response.status_code == 403, (url, token)
            assert response.json()["error"]["code"] == "forbidden"
            assert "supervisor" in response.json()["error"]["message"]


async def test_422_names_the_field(gf: Gridflow) -> None:
    cases = [
        (params("2026-04-02", "2026-04-01"), "from"),  # from after to
        (params("2025-01-01", "2026-01-03"), "to"),  # 367 days
        (params("2026-13-01", "2026-04-01"), "from"),  # not a date
        (params("2026-03-01", "tomorrow"), "to"),
        (params("2026-03-01", "2026-04-01", "grid"), "group_by"),
        ({"to": "2026-04-01"}, "from"),  # missing
    ]
    for url in ("/metrics", "/metrics.csv"):
        for query, field in cases:
            response = await gf.call("GET", url, SUPERVISOR, params=query)
            assert response.status_code == 422, (url, query, response.text)
            error = response.json()["error"]
            assert error["code"] == "invalid"
            assert field in [f["field"] for f in error["fields"]], (query, error)
    # 366 days is allowed; an empty period (from == to) too.
    for query in (params("2025-01-01", "2026-01-02"), params("2026-03-01", "2026-03-01")):
        assert (await gf.call("GET", "/metrics", SUPERVISOR, params=query)).status_code == 200


async def test_json_figures(gf: Gridflow) -> None:
    date_from, date_to = await known_week(gf)
    response = await gf.call("GET", "/metrics", SUPERVISOR, params=params(date_from, date_to))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["group_by"], body["date_from"], body["date_to"]) == (
        "department",
        str(date_from),
        str(date_to),
    )
    rows = {r["group"]: r for r in body["rows"]}
    assert list(rows) == ["cgj", "zjj", "unassigned"]
    cgj = rows["cgj"]
    assert "城管局" in cgj["name"]
    assert (cgj["tickets"], cgj["closed"], cgj["close_rate"], cgj["on_time_close_rate"]) == (
        2,
        2,
        1.0,
        0.5,
    )
    assert cgj["stages"]["write_off"] == {"count": 2, "mean_hours": 13.0, "p90_hours": 24.0}
    assert rows["unassigned"]["rework_rate"] is None
    assert body["total"]["tickets"] == 6 and body["total"]["extension_rate"] == 0.1667
    by_street = (
        await gf.call("GET", "/metrics", SUPERVISOR, params=params(date_from, date_to, "street"))
    ).json()
    assert [r["group"] for r in by_street["rows"]] == ["330106001", "330106002"]


async def test_csv(gf: Gridflow) -> None:
    date_from, date_to = await known_week(gf)
    response = await gf.call("GET", "/metrics.csv", SUPERVISOR, params=params(date_from, date_to))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    reader = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    assert reader.fieldnames == CSV_COLUMNS
    assert "close_rate" in CSV_COLUMNS and "rectify_p90_hours" in CSV_COLUMNS
    rows = {r["group"]: r for r in reader}
    assert list(rows) == ["cgj", "zjj", "unassigned", "total"]
    cgj = rows["cgj"]
    assert "城管局" in cgj["name"]
    assert (int(cgj["tickets"]), int(cgj["closed"]), int(cgj["closed_on_time"])) == (2, 2, 1)
    assert (float(cgj["close_rate"]), float(cgj["on_time_close_rate"])) == (1.0, 0.5)
    assert (float(cgj["claim_mean_hours"]), float(cgj["claim_p90_hours"])) == (5.0, 8.0)
    assert rows["unassigned"]["rework_rate"] == ""  # null: nothing closed
    assert rows["unassigned"]["dispatch_mean_hours"] == ""
    assert float(rows["zjj"]["extension_rate"]) == 0.3333
    assert int(rows["total"]["tickets"]) == 6


async def test_a_ticket_reported_today_counts(gf: Gridflow) -> None:
    ticket_id = await gf.new_ticket()
    ticket = await wait_for_status(gf, ticket_id, "dispatched")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    body = (
        await gf.call(
            "GET", "/metrics", SUPERVISOR, params=params(today, today + timedelta(days=1))
        )
    ).json()
    rows = {r["group"]: r for r in body["rows"]}
    assert rows[ticket["department"]]["tickets"] >= 1
    assert rows[ticket["department"]]["stages"]["dispatch"]["count"] >= 1
