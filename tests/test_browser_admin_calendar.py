"""The admin's calendar page in a real browser: the admin's home warns that next year is
provisional and how many open tickets it dates; the calendar page lists the years, dry-runs a
notice pasted in (the ticket it would move, the cross-check) and loads it, after which the
ticket is re-dated and the warning is gone. Field errors come back in the page's language."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from tests.api_fixtures import ADMIN
from tests.browser import *  # noqa: F403  (fixtures)
from tests.browser import Live, desktop_context, errors_of, screenshot, sign_in, wait_for
from tests.factories import GARBAGE
from tests.test_api_calendar_notice import (
    notice_with_a_march_holiday,
    unpublish_next_year,
    working_days_until,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser


async def test_an_admin_loads_next_years_notice_from_the_page(live: Live, browser: Browser) -> None:
    year = await unpublish_next_year(live.api)
    amount = await working_days_until(live.api, date(year, 6, 30))
    rule = {"stage": "claim", "amount": amount, "unit": "working_days", "category": GARBAGE}
    created = await live.api.call("POST", "/admin/deadline-rules", ADMIN, json=rule)
    assert created.status_code == 201, created.text
    ticket_id = await live.api.new_ticket()

    async def provisional() -> bool:
        ticket = await live.api.ticket(ticket_id)
        return any(d["stage"] == "claim" and d["provisional"] for d in ticket["deadlines"])

    await wait_for(provisional, timeout=30)

    context = await desktop_context(browser)
    page = await context.new_page()
    await sign_in(page, live, ADMIN)
    await page.wait_for_url("**/app/admin")
    warning = page.locator(f'#admin-warnings li[data-warning="provisional"][data-year="{year}"]')
    await warning.wait_for()
    assert f"{year} 年放假安排尚未录入" in await warning.inner_text()
    assert "1 张在办工单" in await warning.inner_text()
    await screenshot(page, "admin-home")

    await warning.locator("a").click()
    await page.wait_for_url("**/app/admin/calendar")
    await page.locator(f'#years tr[data-year="{year}"][data-state="provisional"]').wait_for()
    assert await page.locator("#notice-year").input_value() == str(year)

    # A date of another year is refused with the field named in Chinese.
    await page.fill("#notice-holidays", f"{year - 1}-12-31")
    await page.fill("#notice-source", "国务院办公厅通知（测试）")
    await page.click("#notice-dry-run")
    error = page.locator('#notice-error [data-field="holidays"]')
    await error.wait_for()
    assert (await error.inner_text()).startswith("放假日期：")

    extra, days_off = notice_with_a_march_holiday(year)
    await page.fill("#notice-holidays", "\n".join(d.isoformat() for d in days_off))
    await page.click("#notice-dry-run")
    row = page.locator(f'#preview-tickets tr[data-ticket="{ticket_id}"][data-stage="claim"]')
    await row.wait_for()
    assert "+1 天" in await row.inner_text()
    assert "1 张在办工单的时限需调整" in await page.locator("#preview-summary").inner_text()
    rules = page.locator('#cross-check li[data-reference="holidays"]')
    assert extra.isoformat() in await rules.inner_text()  # off in the notice, not by the rules
    await screenshot(page, "admin-calendar-dry-run")

    await page.click("#notice-apply")
    await page.locator('#apply-status[data-done="true"]').wait_for(timeout=30_000)
    assert "已调整 1 单" in await page.locator("#apply-status").inner_text()
    await page.locator(f'#years tr[data-year="{year}"][data-state="official"]').wait_for()

    # The warning is gone: the next provisional year is two years away.
    async def no_warning() -> bool:
        return await page.locator('#admin-warnings li[data-warning="provisional"]').count() == 0

    await wait_for(no_warning, timeout=10)
    ticket = await live.api.ticket(ticket_id)
    claim = next(d for d in ticket["deadlines"] if d["stage"] == "claim")
    assert claim["provisional"] is False
    assert [e["action"] for e in ticket["timeline"]].count("redate") == 1
    # The refusals the test asked for are the only failed loads; no script error.
    assert [e for e in errors_of(context) if "status of 422" not in e] == []
    await context.close()
