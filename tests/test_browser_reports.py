"""The reports' pages in a real browser: the command centre finds the week's report in the list,
opens it, reads its figures, its chart and the most overdue, and downloads its CSV and XLSX,
which parse back to the report's own rows. Nothing leaves 127.0.0.1."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import load_workbook

from readmodel.reports.export import CSV_COLUMNS
from tests.api_fixtures import SUPERVISOR
from tests.browser import *  # noqa: F403  (fixtures)
from tests.browser import (
    Live,
    assert_all_local,
    desktop_context,
    errors_of,
    screenshot,
    sign_in_fast,
)
from tests.test_api_reports import known_week, weekly

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page


async def download(page: Page, button: str) -> tuple[str, bytes]:
    async with page.expect_download() as started:
        await page.click(button)
    saved = await started.value
    path = await saved.path()
    return saved.suggested_filename, Path(path).read_bytes()


async def test_the_command_centre_reads_and_downloads_a_report(
    live: Live, browser: Browser
) -> None:
    now = datetime.now(UTC)
    monday, ids = await known_week(live.api, now)
    report_id = await weekly(live.api, monday, now)
    report = (await live.api.call("GET", f"/reports/{report_id}", SUPERVISOR)).json()

    context = await desktop_context(browser, accept_downloads=True)
    page = await context.new_page()
    await sign_in_fast(page, live, SUPERVISOR)
    await page.click("#nav-reports")
    await page.wait_for_url("**/app/reports")
    row = page.locator(f'#reports tr[data-report-id="{report_id}"]')
    await row.wait_for()
    assert report["title"] in await row.inner_text()
    await page.select_option("#reports-kind", "daily")
    await row.wait_for(state="detached")
    await page.select_option("#reports-kind", "weekly")
    await row.wait_for()
    await screenshot(page, "reports-list")

    await row.click()
    await page.wait_for_url(f"**/app/reports/{report_id}")
    await page.locator('body[data-ready="1"]').wait_for()
    assert await page.locator("#report-heading").inner_text() == report["title"]
    written_off = page.locator('#report-figures [data-figure="written_off"] dd')
    assert await written_off.inner_text() == "4"
    assert await page.locator('#report-figures [data-figure="overdue"] dd').inner_text() == "2"
    overdue = page.locator("#report-overdue tr[data-ticket-id]")
    assert [await r.get_attribute("data-ticket-id") for r in await overdue.all()] == [
        ids["T4"],
        ids["T7"],
    ]
    assert "3.1" in await overdue.first.inner_text()
    assert await page.locator('#report-departments tr[data-group="cgj"]').count() == 1
    unassigned = page.locator('#report-departments tr[data-group="unassigned"]')
    assert (await unassigned.inner_text()).startswith("未派单")  # T7 returned, T8 never routed
    assert await page.locator("#report-streets tr[data-group]").count() == len(report["streets"])
    assert await page.evaluate("() => Object.keys(Chart.instances).length") == 1
    await screenshot(page, "report-weekly")

    name, body = await download(page, "#report-csv")
    assert name == f"gridflow-{report_id}.csv"
    lines = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(lines[0]) == CSV_COLUMNS
    district = next(r for r in lines if r["section"] == "district")
    assert (district["written_off"], district["overdue"]) == ("4", "2")
    name, body = await download(page, "#report-xlsx")
    assert name == f"gridflow-{report_id}.xlsx"
    book = load_workbook(io.BytesIO(body), read_only=True)
    assert [r[0] for r in list(book["most_overdue"].iter_rows(values_only=True))[1:]] == [
        ids["T4"],
        ids["T7"],
    ]
    assert errors_of(context) == []
    assert_all_local(context)
    await context.close()
