"""The notification centre in a real browser: the bell in the top bar counts a person's unread
notices, its panel lists them newest first with links to their tickets, and marking one read,
opening one, or marking all read lowers the count. On the desk and on the worker's phone alike;
never on the login page. Nothing leaves 127.0.0.1, and the CSP refuses nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.notices import EventKind
from tests.api_fixtures import ADMIN, CGJ, WANG
from tests.browser import *  # noqa: F403  (fixtures)
from tests.browser import (
    Live,
    assert_all_local,
    desktop_context,
    errors_of,
    phone_context,
    screenshot,
    sign_in,
    sign_in_fast,
    wait_for,
)
from tests.factories import GARBAGE, LAT, LON
from tests.notice_helpers import (
    HOME_GRID,
    failed_delivery,
    notice,
    publish,
)
from tests.relay_receiver import receiving

if TYPE_CHECKING:
    from playwright.async_api import Browser


async def unread(live: Live, token: str) -> int:
    response = await live.api.call("GET", "/my/notices/unread-count", token)
    assert response.status_code == 200, response.text
    return int(response.json()["unread"])


async def test_the_bell_counts_lists_and_marks_notices_read(live: Live, browser: Browser) -> None:
    ticket_id = await live.api.new_ticket(
        token=WANG, category=GARBAGE, lat=LAT, lon=LON, description="巷口垃圾 notice test"
    )

    async def dispatched() -> bool:
        return (await live.api.ticket(ticket_id))["status"] == "dispatched"

    await wait_for(dispatched, timeout=20)
    warning = notice(EventKind.WARNING, ticket_id=ticket_id)
    breach = notice(EventKind.BREACH, ticket_id=ticket_id, data={"message": "<b>请尽快签收</b>"})
    await publish(live.db, warning)
    await publish(live.db, breach)

    context = await desktop_context(browser)
    page = await context.new_page()
    await page.goto(live.url("/login"))
    assert await page.locator("#gf-bell").count() == 0  # nobody is signed in here
    await sign_in_fast(page, live, CGJ)
    await page.wait_for_url("**/app/department")
    count = page.locator("#bell-count")
    await page.locator('#bell-count:not([hidden]):text-is("2")').wait_for()

    await page.click("#bell-button")
    items = page.locator("#bell-list li.bell-item")
    await items.nth(1).wait_for()
    assert await items.count() == 2
    first, second = items.nth(0), items.nth(1)
    assert await first.get_attribute("data-kind") == "breach"  # newest first
    assert await first.locator(".bell-title").inner_text() == "超期告警"
    assert await first.locator(".bell-message").inner_text() == "<b>请尽快签收</b>"  # as text
    assert await first.locator(".bell-message b").count() == 0
    assert ticket_id in await first.inner_text()
    assert await second.locator(".bell-title").inner_text() == "临期预警"
    await screenshot(page, "bell-open")

    await first.locator(".bell-mark-read").click()
    await page.locator('#bell-count:text-is("1")').wait_for()
    assert await first.get_attribute("data-read") == "true"
    assert await unread(live, CGJ) == 1

    # Opening a notice reads it and shows its ticket.
    await second.locator("a.bell-link").click()
    await page.wait_for_url(f"**/app/department#{ticket_id}")
    await page.locator(f'#ticket-view[data-ticket-id="{ticket_id}"]').wait_for()
    assert await unread(live, CGJ) == 0
    await page.locator("#gf-bell:not([hidden])").wait_for()
    assert await count.is_hidden()

    # A new notice shows when the panel is opened; "mark all read" clears it.
    await publish(live.db, notice(EventKind.REMIND, ticket_id=ticket_id))
    await page.click("#bell-button")
    await page.locator('#bell-count:text-is("1")').wait_for()
    await page.locator("#bell-list li.unread").wait_for()
    await page.click("#bell-read-all")
    await page.locator("#bell-list li.unread").wait_for(state="detached")
    await page.locator("#bell-count[hidden]").wait_for(state="attached")
    assert await unread(live, CGJ) == 0

    # English strings through the shell's language switch.
    await page.goto(live.url("/app/department?lang=en"))
    await page.click("#bell-button")
    assert await page.locator("#bell-read-all").inner_text() == "Mark all read"
    assert errors_of(context) == []
    assert_all_local(context)
    await context.close()


async def test_the_grid_workers_phone_has_the_bell_too(live: Live, browser: Browser) -> None:
    # A subject's re-check goes to the grid's workers: wang's grid.
    recheck = notice(
        EventKind.RECHECK,
        target=HOME_GRID,
        ticket_id=None,
        department=None,
        stage=None,
        due_at=None,
        data={"message": "复查 重点对象"},
    )
    await publish(live.db, recheck)
    context = await phone_context(browser)
    page = await context.new_page()
    await sign_in_fast(page, live, WANG)
    await page.wait_for_url("**/app/worker")
    await page.locator('#bell-count:text-is("1")').wait_for()
    await page.click("#bell-button")
    item = page.locator("#bell-list li.unread")
    await item.wait_for()
    assert await item.locator(".bell-title").inner_text() == "重点对象复查"
    await screenshot(page, "bell-phone")
    await item.locator(".bell-mark-read").click()
    await page.locator("#bell-count[hidden]").wait_for(state="attached")
    assert await unread(live, WANG) == 0
    assert errors_of(context) == []
    assert_all_local(context)
    await context.close()


async def test_an_admin_retries_a_failed_delivery_from_the_page(
    live: Live, browser: Browser
) -> None:
    secret = "page-test-robot-key-5d1c"
    async with receiving() as receiver:
        made = await live.api.call(
            "POST",
            "/admin/channels",
            ADMIN,
            json={
                "channel_id": "page-hook",
                "kind": "webhook",
                "name": "城管局 system",
                "url": receiver.url,
                "secret": secret,
            },
        )
        assert made.status_code == 201, made.text
        event = notice(EventKind.BREACH)
        failed = await failed_delivery(live.db, "page-hook", event)

        context = await desktop_context(browser)
        page = await context.new_page()
        await sign_in(page, live, ADMIN)
        await page.wait_for_url("**/app/admin")  # the admin's home: its link to this page
        await page.click('a[href="/app/admin/notifications"]')
        await page.wait_for_url("**/app/admin/notifications")
        row = page.locator(f'#failed tr[data-id="{failed}"]')
        await row.wait_for()
        shown = await row.inner_text()
        assert "410" in shown and str(event.ticket_id) in shown
        hook = page.locator('#channels tr[data-channel="page-hook"]')
        await hook.wait_for()
        assert "已加密保存" in await hook.inner_text()
        assert secret not in await page.content()
        assert await page.locator("#subscriptions tbody tr").count() >= 19  # the defaults
        await screenshot(page, "admin-notifications")

        await row.locator("button.retry").click()
        await page.locator(f'#failed tr[data-id="{failed}"][data-status="pending"]').wait_for()

        async def sent() -> bool:
            response = await live.api.call(
                "GET", "/admin/deliveries", ADMIN, params={"event_id": event.event_id}
            )
            return response.json()["items"][0]["status"] == "sent"

        await wait_for(sent, timeout=20)
        assert receiver.event_ids() == [event.event_id]
        assert errors_of(context) == []
        assert_all_local(context)
        await context.close()
