"""The admin's rules page in a real browser: a routing rule naming an unknown department is
refused with the field named in Chinese; a rule for one grid wins the preview, and ending it
gives the report back to the rule before; a deadline rule shows in the policy preview."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.api_fixtures import ADMIN
from tests.browser import *  # noqa: F403  (fixtures)
from tests.browser import Live, desktop_context, errors_of, screenshot, sign_in

if TYPE_CHECKING:
    from playwright.async_api import Browser

ADS = "E0201"  # 违法小广告, routed to cgj in the demo city
GRID = "33010600100101"


async def test_an_admin_changes_routing_and_deadline_rules_from_the_page(
    live: Live, browser: Browser
) -> None:
    context = await desktop_context(browser)
    page = await context.new_page()
    await sign_in(page, live, ADMIN)
    await page.wait_for_url("**/app/admin")
    await page.click('a[href="/app/admin/rules"]')
    await page.wait_for_url("**/app/admin/rules")
    await page.locator("#routing-rules tbody tr").first.wait_for()

    preview = page.locator("#routing-preview-form")
    await preview.locator('input[name="category"]').fill(ADS)
    await preview.locator('input[name="grid"]').fill(GRID)
    await page.click("#routing-preview")
    answer = page.locator("#routing-answer")
    await page.locator("#routing-answer[data-department]").wait_for()
    before = await answer.get_attribute("data-department")
    assert before and before != "zjj"

    form = page.locator("#routing-form")
    await form.locator('input[name="category"]').fill(ADS)
    await form.locator('input[name="area"]').fill(GRID)
    await form.locator('input[name="department"]').fill("no-such-department")
    await page.click("#routing-add")
    refused = page.locator('#routing-errors [data-field="department"]')
    await refused.wait_for()
    assert (await refused.inner_text()).startswith("部门：须为已有部门的代码")

    await form.locator('input[name="department"]').fill("zjj")
    await page.click("#routing-add")
    made = page.locator(f'#routing-rules tr[data-rule="R-{ADS}-{GRID}"][data-status="in_force"]')
    await made.wait_for()
    await page.click("#routing-preview")
    await page.locator('#routing-answer[data-department="zjj"]').wait_for()
    assert "派给 zjj" in await answer.inner_text()

    await made.locator("button.end").click()
    await page.locator(f'#routing-rules tr[data-rule="R-{ADS}-{GRID}"]').wait_for(state="detached")
    await page.click("#routing-preview")
    await page.locator(f'#routing-answer[data-department="{before}"]').wait_for()

    rule = page.locator("#deadline-form")
    await rule.locator('select[name="stage"]').select_option("handle")
    await rule.locator('input[name="amount"]').fill("3")
    await rule.locator('input[name="category"]').fill(ADS)
    await page.click("#deadline-add")
    await page.locator(f'#deadline-rules tr[data-stage="handle"][data-category="{ADS}"]').wait_for()
    check = page.locator("#deadline-preview-form")
    await check.locator('input[name="category"]').fill(ADS)
    await page.click("#deadline-preview")
    handle = page.locator('#deadline-answer tr[data-stage="handle"]')
    await handle.wait_for()
    assert "3 个工作日 · 规则表" in await handle.inner_text()
    await screenshot(page, "admin-rules")
    assert [e for e in errors_of(context) if "status of 422" not in e] == []
    await context.close()
