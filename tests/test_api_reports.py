"""The periodic reports through the API, on the hand-computed data set of test_readmodel_metrics:
their figures agree with GET /metrics, /metrics/daily and /tickets/overdue; listed, read, and
downloaded as CSV and XLSX that parse back; e-mail carries the CSV; an admin runs one now."""

import asyncio
import csv
import io
import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from openpyxl import load_workbook
from sqlmodel import col, select

from activities.notice_messages import attachments_for
from domain.calendar import SHANGHAI, ChinaWorkingCalendar
from domain.notices import COMMAND_CENTRE, EventKind, NoticeEvent, event_id
from domain.reports import ReportKind, plan
from readmodel.reports import store
from readmodel.reports.compile import compile_report
from readmodel.reports.export import CSV_COLUMNS, OVERDUE_COLUMNS
from readmodel.tickets.metrics import period_bounds
from readmodel.tickets.projection import LATE_ALREADY
from readmodel.tickets.tables import Notification
from tests.api_fixtures import ADMIN, SUPERVISOR, Gridflow, gf  # noqa: F401
from tests.test_readmodel_metrics import rows_for

NO_CALENDAR = ChinaWorkingCalendar(days={}, known_years=[])


async def known_week(gf: Gridflow, now: datetime) -> tuple[date, dict[str, str]]:
    """The data set in a week of its own, closed_at set at each write-off; T4 late since 3 days
    2 hours, T7 breached (late already, its deadline a day ago): the two overdue tickets, T4 the
    more overdue."""
    monday = date(2040, 1, 2) + timedelta(weeks=random.randrange(2000))
    suffix = uuid.uuid4().hex[:8]
    tickets, events = rows_for(suffix, period_bounds(monday, monday)[0])
    written_off = {e.ticket_id: e.at for e in events if e.action == "write_off"}
    for t in tickets:
        t.closed_at = written_off.get(t.ticket_id)  # as the projection sets it
        if t.ticket_id.startswith("T4-"):
            t.current_due_at = t.late_from = now - timedelta(days=3, hours=2)
        if t.ticket_id.startswith("T7-"):
            t.current_due_at, t.late_from, t.overdue = now - timedelta(days=1), LATE_ALREADY, True
    async with gf.db.session() as session:
        session.add_all(tickets)
        await session.flush()
        session.add_all(events)
        await session.commit()
    return monday, {t.ticket_id.split("-")[0]: t.ticket_id for t in tickets}


async def weekly(gf: Gridflow, monday: date, now: datetime) -> str:
    """The weekly report of the week starting `monday`, compiled as its run would."""
    issued = datetime.combine(monday + timedelta(days=7), time(8, 30), SHANGHAI)
    decided = plan(ReportKind.WEEKLY, issued, NO_CALENDAR)
    async with gf.db.session() as session:
        content = await compile_report(session=session, plan=decided, now=now)
        await store.save(session=session, content=content)
        await session.commit()
    return decided.report_id


async def get(gf: Gridflow, url: str, **params: Any) -> Any:
    response = await gf.call("GET", url, SUPERVISOR, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_figures_agree_with_the_metrics_and_the_overdue_list(gf: Gridflow) -> None:
    now = datetime.now(UTC)
    monday, ids = await known_week(gf, now)
    report_id = await weekly(gf, monday, now)
    report = await get(gf, f"/reports/{report_id}")
    assert (report["period_start"], report["period_end"]) == (
        str(monday),
        str(monday + timedelta(days=7)),
    )
    period = {"from": str(monday), "to": str(monday + timedelta(days=7))}

    # of the week's reports, exactly as GET /metrics counts them
    for section, group_by in (("departments", "department"), ("streets", "street")):
        metrics = await get(gf, "/metrics", group_by=group_by, **period)
        rows = {r["group"]: r for r in report[section]}
        for m in metrics["rows"]:
            row = rows[m["group"]]
            assert (row["new"], row["closed_on_time"], row["on_time_close_rate"]) == (
                m["tickets"],
                m["closed_on_time"],
                m["on_time_close_rate"],
            ), (section, m["group"])
        others = [r for g, r in rows.items() if g not in {m["group"] for m in metrics["rows"]}]
        assert all(r["new"] == 0 for r in others)
    total = (await get(gf, "/metrics", **period))["total"]
    [district] = report["districts"]
    assert district["group"] == "330106" and district["name"]
    assert (district["new"], district["on_time_close_rate"]) == (6, total["on_time_close_rate"])
    assert total["tickets"] == 6

    # written off in the week, as GET /metrics/daily counts them: T1, T2, T3 and T9 (reported
    # a second before the week, written off in it); on time: all but T2 (breached twice)
    daily = await get(gf, "/metrics/daily", **period)
    assert district["written_off"] == sum(d["written_off"] for d in daily) == 4
    assert (district["written_off_on_time"], district["on_time_write_off_rate"]) == (3, 0.75)
    # dispatched: T1–T5, T7 and T9 (T10's dispatch is after the week); T3's reject is rework,
    # T7's return was zjj's
    assert (district["dispatched"], district["rework"], district["returned"]) == (7, 1, 1)
    departments = {r["group"]: r for r in report["departments"]}
    assert departments["zjj"]["returned"] == 1 and departments["zjj"]["rework"] == 1
    assert "城管局" in departments["cgj"]["name"]

    # open and overdue now, as the overdue list counts them; its first page is the most overdue
    overdue = await get(gf, "/tickets/overdue", limit=10)
    assert (district["open"], district["overdue"]) == (3, overdue["total"]) == (3, 2)
    assert [t["ticket_id"] for t in report["most_overdue"]] == [
        t["ticket_id"] for t in overdue["items"]
    ]
    assert [t["ticket_id"] for t in report["most_overdue"]] == [ids["T4"], ids["T7"]]
    worst = report["most_overdue"][0]
    assert (worst["department"], worst["days_late"]) == ("zjj", 3.1)
    assert report["days_late_unit"] == "natural_days"
    assert departments["unassigned"]["open"] == 2  # T7 returned and T8 never dispatched

    # the CSV: the same rows, parsing back
    response = await gf.call("GET", f"/reports/{report_id}.csv", SUPERVISOR)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert f'filename="gridflow-{report_id}.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(lines[0]) == CSV_COLUMNS
    assert [r["section"] for r in lines].count("district") == 1
    assert {r["group"] for r in lines if r["section"] == "department"} == set(departments)
    csv_district = next(r for r in lines if r["section"] == "district")
    assert (csv_district["written_off"], csv_district["on_time_write_off_rate"]) == ("4", "0.75")

    # the XLSX: the rows, the most overdue, what it is
    response = await gf.call("GET", f"/reports/{report_id}.xlsx", SUPERVISOR)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["figures", "most_overdue", "report"]
    figures = list(book["figures"].iter_rows(values_only=True))
    assert list(figures[0]) == CSV_COLUMNS and len(figures) == len(lines) + 1
    overdue_sheet = list(book["most_overdue"].iter_rows(values_only=True))
    assert list(overdue_sheet[0]) == OVERDUE_COLUMNS
    assert [r[0] for r in overdue_sheet[1:]] == [ids["T4"], ids["T7"]]
    about = {r[0]: r[1] for r in book["report"].iter_rows(values_only=True)}
    assert about["report_id"] == report_id and about["days_late_unit"] == "natural_days"

    # an e-mail of the report's notice carries the same CSV
    event = NoticeEvent(
        event_id=event_id("report", report_id),
        kind=EventKind.WEEKLY_REPORT,
        target=COMMAND_CENTRE,
        data={"report_id": report_id},
        created_at=now,
    )
    async with gf.db.session() as session:
        [attachment] = await attachments_for(session, event)
        assert attachment.filename == f"gridflow-{report_id}.csv"
        assert (
            attachment.content
            == (await gf.call("GET", f"/reports/{report_id}.csv", SUPERVISOR)).content
        )
        other = event.model_copy(update={"kind": EventKind.BREACH})
        assert await attachments_for(session, other) == []


async def test_listed_newest_first_by_kind_and_refused_ids(gf: Gridflow) -> None:
    now = datetime.now(UTC)
    first, _ = await known_week(gf, now)
    older = await weekly(gf, first - timedelta(weeks=1), now)
    newer = await weekly(gf, first, now)
    listed = await get(gf, "/reports", kind="weekly")
    assert [r["report_id"] for r in listed["items"]] == [newer, older]
    assert listed["total"] == 2 and listed["items"][0]["title"].startswith("每周通报")
    assert "content" not in listed["items"][0] and "districts" not in listed["items"][0]
    assert (await get(gf, "/reports", kind="daily"))["total"] == 0
    assert [r["report_id"] for r in (await get(gf, "/reports", limit=1, offset=1))["items"]] == [
        older
    ]
    # compiled again: the same row, replaced
    again = await weekly(gf, first, now + timedelta(minutes=5))
    assert again == newer
    assert (await get(gf, "/reports", kind="weekly"))["total"] == 2
    assert (await get(gf, f"/reports/{newer}"))["compiled_at"].startswith(
        (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    )

    for url, status, field in [
        ("/reports/daily-2031-01-01", 404, None),
        ("/reports/daily-2031-01-01.csv", 404, None),
        ("/reports/weekly-2031-W01.xlsx", 404, None),
        ("/reports/yearly-2031", 422, "report_id"),
        ("/reports/daily-2031-01-01.pdf", 422, "report_id"),
        ("/reports?kind=yearly", 422, "kind"),
        ("/reports?limit=0", 422, "limit"),
    ]:
        response = await gf.call("GET", url, SUPERVISOR)
        assert response.status_code == status, (url, response.text)
        error = response.json()["error"]
        if field:
            assert field in [f["field"] for f in error["fields"]], (url, error)
        else:
            assert "no report" in error["message"]
    response = await gf.call("POST", "/admin/reports/yearly/run", ADMIN)
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "kind"


async def test_an_admin_runs_todays_daily_report_once_told(gf: Gridflow) -> None:
    response = await gf.call("POST", "/admin/reports/daily/run", ADMIN)
    assert response.status_code == 202, response.text
    report_id = response.json()["report_id"]
    assert report_id == f"daily-{datetime.now(SHANGHAI).date().isoformat()}"

    async def compiled() -> dict[str, Any]:
        for _ in range(200):
            found = await gf.call("GET", f"/reports/{report_id}", SUPERVISOR)
            if found.status_code == 200:
                return found.json()
            await asyncio.sleep(0.1)
        raise AssertionError(f"{report_id} was not compiled")

    report = await compiled()
    assert report["kind"] == "daily" and report["title"] == f"每日销号通报 {report_id[6:]}"
    # run twice: compiled again, told once
    assert (await gf.call("POST", "/admin/reports/daily/run", ADMIN)).status_code == 202
    for _ in range(200):
        if (await compiled())["compiled_at"] != report["compiled_at"]:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the second run did not compile the report again")
    async with gf.db.session() as session:
        told = (
            await session.exec(
                select(Notification).where(col(Notification.kind) == EventKind.DAILY_REPORT.value)
            )
        ).all()
    assert [n.event_id for n in told] == [event_id("report", report_id)]
    assert told[0].ticket_id is None and told[0].target == COMMAND_CENTRE
    assert told[0].data["report_id"] == report_id
    assert told[0].data["link"].endswith(f"/app/reports/{report_id}")
    assert told[0].data["summary"][0].startswith("统计 ")
