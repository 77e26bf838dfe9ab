"""催办 and 督办 in a real browser: the supervisor urges a ticket's department and opens an order
from the ticket page; the department's staff see the urge on the ticket and answer the order on
their orders page; the supervisor closes it. Every text from the API is shown as text."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from tests.api_fixtures import CGJ, SUPERVISOR, WANG
from tests.browser import *  # noqa: F403  (fixtures)
from tests.browser import Live, desktop_context, screenshot, sign_in_fast, wait_for
from tests.factories import GARBAGE, LAT, LON

if TYPE_CHECKING:
    from playwright.async_api import Browser


async def test_urge_and_a_supervision_order_through_the_desk(live: Live, browser: Browser) -> None:
    ticket_id = await live.api.new_ticket(
        token=WANG, category=GARBAGE, lat=LAT, lon=LON, description="巷口垃圾 garbage in the lane"
    )

    async def dispatched() -> bool:
        return (await live.api.ticket(ticket_id))["status"] == "dispatched"

    await wait_for(dispatched, timeout=20)

    context = await desktop_context(browser)
    chen = await context.new_page()
    await sign_in_fast(chen, live, SUPERVISOR, path=f"/app/supervisor/tickets/{ticket_id}")
    await chen.locator(f'#ticket-view[data-ticket-id="{ticket_id}"]').wait_for()
    await chen.fill("#urge-message", "<b>今天</b>必须清运 today")
    await chen.click("#act-urge-submit")
    await chen.locator("#ticket-urge-count").wait_for()
    assert await chen.locator("#ticket-urge-count").inner_text() == "1"
    urged = chen.locator('#ticket-timeline li[data-action="urge"]')
    assert "<b>今天</b>必须清运 today" in await urged.inner_text()  # as text, not HTML
    assert await urged.locator("b").count() == 0

    await chen.fill("#order-instruction", "三日内清运并回复 clear it and report")
    await chen.fill("#order-reply-days", "3")
    await chen.click("#act-supervise-submit")
    await chen.wait_for_url("**/app/supervisor/orders#DB-*")
    order_id = chen.url.rsplit("#", 1)[1]
    await chen.locator(f'#order-view[data-order-id="{order_id}"][data-status="open"]').wait_for()
    assert await chen.locator(f'#orders tr[data-order-id="{order_id}"]').count() == 1
    await screenshot(chen, "desk-supervisor-order")

    staff = await desktop_context(browser)  # a context of its own: its own token
    zhao = await staff.new_page()
    await sign_in_fast(zhao, live, CGJ, path="/app/department/orders")
    row = zhao.locator(f'#orders tr[data-order-id="{order_id}"]')
    await row.wait_for()
    await row.click()
    await zhao.locator(f'#order-view[data-order-id="{order_id}"]').wait_for()
    assert await zhao.locator("#act-close").count() == 0  # closing is a supervisor's
    assert await zhao.locator("#order-tickets a").inner_text() == ticket_id
    await zhao.fill("#answer-done", "已清运 cleared")
    await zhao.fill("#answer-finish-by", str(date.today() + timedelta(days=4)))
    await zhao.click("#act-answer-submit")
    await zhao.locator('#order-view[data-status="answered"]').wait_for()
    assert await zhao.locator("#order-answer").inner_text() == "已清运 cleared"
    await screenshot(zhao, "desk-department-order-answered")

    await chen.reload()
    await chen.locator('#order-view[data-status="answered"]').wait_for()
    await chen.fill("#close-note", "已落实")
    await chen.click("#act-close-submit")
    await chen.locator('#order-view[data-status="closed"]').wait_for()
    order = await live.api.call("GET", f"/orders/{order_id}", SUPERVISOR)
    assert (order.json()["status"], order.json()["close_note"]) == ("closed", "已落实")
    await context.close()
    await staff.close()
