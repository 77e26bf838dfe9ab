"""Markup in what users write is shown as text on every page that shows it, never run: reports,
notes and reasons carrying <script>, onerror handlers and friends, through the worker's phone
pages, the department's inbox and ticket, and the supervisor's tables, ticket and battle map."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import col, update

from readmodel.reference.tables import Category
from tests.api_fixtures import ADMIN, CGJ, SUPERVISOR, WANG
from tests.browser import *  # noqa: F403  (fixtures)
from tests.browser import (
    Live,
    assert_all_local,
    desktop_context,
    errors_of,
    phone_context,
    sign_in_fast,
    wait_for,
)
from tests.factories import ILLEGAL_AD, OTHER, ROAD_DAMAGE

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=2">',
    '"><svg onload="window.__xss=3">',
    '\'><iframe srcdoc="<script>parent.__xss=4</script>"></iframe>',
    "</textarea></title><script>window.__xss=5</script>",
    '<a href="javascript:window.__xss=6" id=xss-link>link</a>',
    "<img src=x onerror=alert(7)>",
    "{{7*7}} ${7*7} <!--",
]
XSS = " ".join(PAYLOADS)
SHORT = '<img src=x onerror="window.__xss=9">理由'  # reasons and notes


async def reach(live: Live, ticket_id: str, status: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        ticket = await live.api.ticket(ticket_id)
        return ticket if ticket["status"] == status else None

    return await wait_for(check, timeout=30)


async def ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def hostile_tickets(live: Live) -> dict[str, str]:
    """A ticket in every list that shows user text, each carrying the payloads."""
    api = live.api
    await ok(
        await api.call(
            "POST",
            "/admin/deadline-rules",
            ADMIN,
            json={"stage": "claim", "amount": 0.001, "unit": "hours", "category": ROAD_DAMAGE},
        )
    )
    t = {
        "resolved": await api.new_ticket(token=WANG, description=XSS),
        "extension": await api.new_ticket(token=WANG, description=XSS),
        "parking": await api.new_ticket(token=WANG, description=XSS),
        "manual": await api.new_ticket(token=WANG, category=OTHER, description=XSS),
        "late": await api.new_ticket(token=WANG, category=ROAD_DAMAGE, description=XSS),
    }
    for key in ("resolved", "extension", "parking"):
        await reach(live, t[key], "dispatched")
    await ok(await api.act(t["resolved"], "claim", CGJ, {"note": SHORT}))
    await ok(
        await api.act(t["resolved"], "verify", CGJ, {"outcome": "fixed_on_site", "note": SHORT})
    )
    await ok(
        await api.act(
            t["extension"],
            "request-extension",
            CGJ,
            {"working_days": 2, "reason": SHORT, "note": SHORT},
        )
    )
    await ok(await api.act(t["parking"], "claim", CGJ))
    await ok(
        await api.act(
            t["parking"],
            "request-parking",
            CGJ,
            {
                "reason": SHORT,
                "note": SHORT,
                "review_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
            },
        )
    )
    async with live.db.session() as session:  # duplicate detection on for one category
        await session.exec(
            update(Category).where(col(Category.code) == ILLEGAL_AD).values(duplicate_radius_m=50)
        )
        await session.commit()
    t["original"] = await api.new_ticket(token=WANG, category=ILLEGAL_AD, description=XSS)
    await reach(live, t["original"], "dispatched")
    t["duplicate"] = await api.new_ticket(token=WANG, category=ILLEGAL_AD, description=XSS)
    await reach(live, t["manual"], "manual_dispatch")
    await reach(live, t["duplicate"], "duplicate_review")
    await reach(live, t["resolved"], "resolved")

    async def overdue() -> bool:
        return bool((await live.api.ticket(t["late"]))["overdue"])

    await wait_for(overdue, timeout=30)
    return t


async def watch(context: BrowserContext) -> list[str]:
    """Dialogs (alert payloads) are recorded and dismissed."""
    dialogs: list[str] = []

    async def dismiss(dialog: Any) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    context.on("dialog", dismiss)
    return dialogs


async def assert_inert(page: Page, dialogs: list[str], *, shows: str | None) -> None:
    """Nothing ran; no element came from user text; the text is there, literally."""
    await page.wait_for_timeout(300)  # an onerror fires once the broken image has failed
    assert await page.evaluate("window.__xss") is None, page.url
    assert dialogs == [], page.url
    for selector in ("img[src='x']", "svg[onload]", "iframe[srcdoc]", "#xss-link"):
        assert await page.locator(selector).count() == 0, (page.url, selector)
    if shows is not None:
        text = await page.locator("body").inner_text()
        assert shows in text, (page.url, shows)


async def test_user_text_is_shown_literally_and_never_runs(live: Live, browser: Browser) -> None:
    t = await hostile_tickets(live)
    stored = await live.api.ticket(t["resolved"])
    assert stored["description"] == XSS  # stored as given

    # the grid worker's phone pages
    phone = await phone_context(browser)
    dialogs = await watch(phone)
    page = await phone.new_page()
    await sign_in_fast(page, live, WANG, path="/app/worker/tickets")
    await page.locator(f".ticket-row[data-ticket='{t['resolved']}']").wait_for()
    await assert_inert(page, dialogs, shows=None)
    await page.goto(live.url(f"/app/worker/ticket?id={t['resolved']}"))
    await page.locator("#t-description:not(:empty)").wait_for()
    assert await page.locator("#t-description").inner_text() == XSS
    await assert_inert(page, dialogs, shows=None)
    await page.goto(live.url("/app/worker/checks"))
    await page.locator(f".ticket-row[data-ticket='{t['resolved']}']").wait_for()
    await assert_inert(page, dialogs, shows=None)
    assert_all_local(phone)
    await phone.close()

    # the department's inbox and ticket
    desk = await desktop_context(browser)
    dialogs = await watch(desk)
    page = await desk.new_page()
    await sign_in_fast(page, live, CGJ)
    row = page.locator(f'#inbox tr[data-ticket-id="{t["extension"]}"]')
    await row.wait_for()
    await assert_inert(page, dialogs, shows=None)
    await row.click()
    await page.locator(f'#ticket-view[data-ticket-id="{t["extension"]}"]').wait_for()
    assert await page.locator("#ticket-description").inner_text() == XSS
    await assert_inert(page, dialogs, shows=SHORT)
    await page.goto(live.url(f"/app/department/tickets/{t['resolved']}"))
    await page.locator("#ticket-view").wait_for()
    assert await page.locator("#ticket-description").inner_text() == XSS
    await assert_inert(page, dialogs, shows=SHORT)
    await desk.close()

    # the supervisor's tables, ticket and battle map
    desk = await desktop_context(browser)
    dialogs = await watch(desk)
    page = await desk.new_page()
    await sign_in_fast(page, live, SUPERVISOR)
    for table, key in (
        ("overdue", "late"),
        ("dispatch-queue", "manual"),
        ("extension-requests", "extension"),
        ("parking-requests", "parking"),
        ("duplicates", "duplicate"),
    ):
        await page.locator(f'#{table} tr[data-ticket-id="{t[key]}"]').wait_for()
    await assert_inert(page, dialogs, shows=SHORT)  # the requests' reasons
    assert PAYLOADS[0] in await page.locator("#duplicates").inner_text()  # its descriptions
    for key in ("duplicate", "parking", "resolved"):
        await page.goto(live.url(f"/app/supervisor/tickets/{t[key]}"))
        await page.locator("#ticket-view").wait_for()
        assert await page.locator("#ticket-description").inner_text() == XSS
        await assert_inert(page, dialogs, shows=None)
    # reflected: markup in the address itself
    for path in (
        "/app/supervisor/tickets/%22%3E%3Cimg%20src=x%20onerror=window.__xss=8%3E",
        "/app/worker/ticket?id=%22%3E%3Cimg%20src=x%20onerror=window.__xss=8%3E",
    ):
        await page.goto(live.url(path))
        await page.wait_for_load_state("networkidle")
        await assert_inert(page, dialogs, shows=None)
    await page.goto(live.url("/app/supervisor/map"))
    await page.locator("body[data-ready='1']").wait_for()
    marker = page.locator(f'path[data-ticket-id="{t["late"]}"]')
    await marker.hover(force=True)  # its tooltip
    await assert_inert(page, dialogs, shows=None)
    assert_all_local(desk)
    assert not [e for e in errors_of(desk) if e.startswith("uncaught")], errors_of(desk)
    # the canary: the same text put in as HTML does run, and the checks above would have seen it
    # (on a blank page: gridflow's own pages would refuse the inline handler by their CSP too)
    blank = await desk.new_page()
    await blank.set_content(f"<p>{SHORT}</p>")
    await blank.wait_for_function("window.__xss === 9", timeout=5000)
    await desk.close()
