"""The browser harness itself: chromium reaches the live stack over HTTP on 127.0.0.1."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser import *  # noqa: F403
from tests.browser import Live, assert_all_local, phone_context, requests_of, screenshot

if TYPE_CHECKING:
    from playwright.async_api import Browser


async def test_the_browser_talks_to_the_live_stack(live: Live, browser: Browser) -> None:
    context = await phone_context(browser)
    page = await context.new_page()
    response = await page.goto(live.url("/healthz"))
    assert response is not None and response.status == 200
    assert "ok" in await page.content()
    ticket_id = await live.api.new_ticket()
    assert (await live.api.ticket(ticket_id))["ticket_id"] == ticket_id
    await screenshot(page, "harness-healthz")
    assert requests_of(context) == [live.url("/healthz")]
    assert_all_local(context)
    await context.close()
