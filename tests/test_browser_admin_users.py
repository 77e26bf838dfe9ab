"""The admin's users and API keys page in a real browser: a refused user names its field in
Chinese; a user is created, deactivated (they can no longer log in) and given a new password; a
key is made for the sensor gateway, shown once, works, and stops working when revoked."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tests.api_fixtures import ADMIN
from tests.browser import *  # noqa: F403  (fixtures)
from tests.browser import Live, desktop_context, errors_of, screenshot, sign_in

if TYPE_CHECKING:
    from playwright.async_api import Browser


async def test_an_admin_manages_users_and_keys_from_the_page(live: Live, browser: Browser) -> None:
    context = await desktop_context(browser)
    page = await context.new_page()
    await sign_in(page, live, ADMIN)
    await page.wait_for_url("**/app/admin")
    await page.click('a[href="/app/admin/users"]')
    await page.wait_for_url("**/app/admin/users")
    await page.locator('#users tr[data-user="wang"]').wait_for()

    form = page.locator("#user-form")
    await form.locator('input[name="user_id"]').fill("有空格 的名字")
    await form.locator('input[name="name"]').fill("测试网格员")
    await form.locator('input[name="password"]').fill("short")
    await page.click("#user-create")
    bad_id = page.locator('#user-errors [data-field="user_id"]')
    await bad_id.wait_for()
    assert (await bad_id.inner_text()).startswith("用户名：必填，只能用字母")
    assert (await page.locator('#user-errors [data-field="password"]').inner_text()).startswith(
        "初始密码：至少 12 个字符"
    )

    user_id = f"zhang-{uuid.uuid4().hex[:6]}"
    password = "zhang-first-password"
    await form.locator('input[name="user_id"]').fill(user_id)
    await form.locator('input[name="password"]').fill(password)
    await form.locator('input[name="grids"]').fill("33010600100101")
    await page.click("#user-create")
    row = page.locator(f'#users tr[data-user="{user_id}"][data-active="true"]')
    await row.wait_for()
    assert "网格员" in await row.inner_text() and "33010600100101" in await row.inner_text()
    assert (await live.api.login(user_id, password)).status_code == 200

    page.once("dialog", lambda dialog: dialog.accept("zhang-second-password"))
    await row.locator("button.reset").click()
    await page.locator(f'#users tr[data-user="{user_id}"]').wait_for()

    async def can_log_in(secret: str) -> bool:
        return (await live.api.login(user_id, secret)).status_code == 200

    for _ in range(50):
        if await can_log_in("zhang-second-password"):
            break
        await page.wait_for_timeout(100)
    assert await can_log_in("zhang-second-password") and not await can_log_in(password)

    await page.locator(f'#users tr[data-user="{user_id}"] button.deactivate').click()
    await page.locator(f'#users tr[data-user="{user_id}"][data-active="false"]').wait_for()
    assert not await can_log_in("zhang-second-password")
    await screenshot(page, "admin-users")

    keys = page.locator("#key-form")
    await keys.locator('input[name="user_id"]').fill("gateway")
    await page.click("#key-create")
    await page.locator('#key-errors [data-field="label"]').wait_for()
    await keys.locator('input[name="label"]').fill("东门网关 east gate")
    await keys.locator('input[value="read_only"]').check()
    await page.click("#key-create")
    secret = page.locator("#key-secret code")
    await secret.wait_for()
    key = await secret.inner_text()
    assert len(key) > 20
    reads = await live.api.http.get("/api/v1/me", headers={"X-API-Key": key})
    assert reads.status_code == 200, reads.text
    made = page.locator('#keys tr[data-revoked="false"]', has_text="东门网关 east gate")
    await made.locator("button.revoke").click()
    await page.locator('#keys tr[data-revoked="true"]', has_text="东门网关 east gate").wait_for()
    refused = await live.api.http.get("/api/v1/me", headers={"X-API-Key": key})
    assert refused.status_code == 401
    await page.reload()
    assert key not in await page.content()  # shown once
    # The refusals the test asked for are the only failed loads; no script error.
    assert [e for e in errors_of(context) if "status of 422" not in e] == []
    await context.close()
