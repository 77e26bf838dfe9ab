"""Pages cannot be framed by another site, and run under a Content-Security-Policy that admits
only gridflow's own scripts — every page still works under it (docs/auth.md, "Promises and the
tests that guard them")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.api_fixtures import CGJ, SUPERVISOR, WANG
from tests.browser import *  # noqa: F403  (fixtures)
from tests.browser import Live, desktop_context, errors_of, phone_context, sign_in_fast, wait_for
from tests.factories import GARBAGE, LAT, LON

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

# Every CSP refusal a page meets is kept where the test can read it.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
    (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
"""
HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


async def watched(context: BrowserContext) -> BrowserContext:
    await context.add_init_script(WATCH)
    return context


async def visit(page: Page, live: Live, path: str, *, ready: str | None) -> None:
    response = await page.goto(live.url(path))
    assert response is not None and response.status == 200, path
    headers = response.headers
    for name, value in HEADERS.items():
        assert headers.get(name) == value, (path, name)
    policy = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, path
    assert "unsafe-inline" not in policy, path
    if ready:
        await page.locator(ready).wait_for(timeout=20_000)
    else:
        await page.wait_for_load_state("networkidle")
    assert await page.evaluate("window.__csp.slice(0, 5)") == [], path


async def test_every_page_works_under_its_policy(live: Live, browser: Browser) -> None:
    ticket_id = await live.api.new_ticket(
        token=WANG, category=GARBAGE, lat=LAT, lon=LON, description="CSP 检查 garbage"
    )

    async def dispatched() -> bool:
        return (await live.api.ticket(ticket_id))["status"] == "dispatched"

    await wait_for(dispatched, timeout=30)

    phone = await watched(await phone_context(browser))
    page = await phone.new_page()
    await visit(page, live, "/login", ready="#login-form")
    await sign_in_fast(page, live, WANG)
    for path in (
        "/app/worker",
        "/app/worker/tickets",
        f"/app/worker/ticket?id={ticket_id}",
        "/app/worker/checks",
    ):
        await visit(page, live, path, ready=None)
    assert errors_of(phone) == []
    await phone.close()

    for token, paths in (
        (CGJ, ["/app/department", f"/app/department/tickets/{ticket_id}"]),
        (
            SUPERVISOR,
            [
                "/app/supervisor",
                f"/app/supervisor/tickets/{ticket_id}",
                "/app/supervisor/map",
                "/app/supervisor/charts",
            ],
        ),
    ):
        desk = await watched(await desktop_context(browser))
        page = await desk.new_page()
        await sign_in_fast(page, live, token)
        for path in paths:
            await visit(page, live, path, ready='body[data-ready="1"]')
        assert errors_of(desk) == []
        await desk.close()


async def test_another_site_cannot_frame_the_pages(live: Live, browser: Browser) -> None:
    context = await desktop_context(browser)
    page = await context.new_page()
    # A page of another origin (answered by the browser itself: nothing leaves the machine).
    hostile = "http://elsewhere.test/"
    await page.route(
        hostile,
        lambda route: route.fulfill(
            content_type="text/html",
            body=f'<iframe id="f" src="{live.url("/login")}" width="600" height="400"></iframe>',
        ),
    )
    await page.goto(hostile)
    await page.wait_for_timeout(1500)
    framed = [f for f in page.frames if f != page.main_frame]
    assert framed, "the iframe was never made"
    for frame in framed:
        assert await frame.locator("#login-form").count() == 0, frame.url
    await context.close()


async def test_the_api_and_its_errors_carry_the_headers(live: Live) -> None:
    for path, status in (
        ("/api/v1/categories", 401),
        ("/healthz", 200),
        ("/api/v1/no-such-route", 404),
        ("/static/js/gf.js", 200),
    ):
        response = await live.api.http.get(path)
        assert response.status_code == status, path
        for name, value in HEADERS.items():
            assert response.headers.get(name) == value, (path, name)
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
