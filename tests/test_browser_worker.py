"""The grid worker's phone pages in chromium against the live stack (tests/browser.py): login,
a report with a photo, My reports and the detail, a report written offline and sent once back
online (retried with its one Idempotency-Key: one ticket), the write-off check (pass and send
back). Every page is screenshotted in a phone viewport; no request leaves 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import TYPE_CHECKING, Any

from sqlmodel import func, select

from api.tickets_service import ticket_id_for
from domain import demo_city
from readmodel.tickets.tables import TicketRow
from tests.api_fixtures import BS, SENSOR, WANG
from tests.browser import *  # noqa: F403
from tests.browser import (
    Live,
    assert_all_local,
    errors_of,
    phone_context,
    screenshot,
    sign_in,
    sign_in_fast,
    wait_for,
)
from tests.factories import GARBAGE, GRID, LAT, LON

if TYPE_CHECKING:
    from playwright.async_api import Browser, FilePayload, Page, Route

WORKER = "wang"
HERE = {
    "geolocation": {"latitude": LAT, "longitude": LON, "accuracy": 12},
    "permissions": ["geolocation"],
}


async def jpeg(page: Page, label: str) -> FilePayload:
    """A small JPEG drawn by the browser's canvas, as a file for set_input_files."""
    data_url = await page.evaluate(
        """label => {
        const c = document.createElement('canvas'); c.width = 320; c.height = 240;
        const g = c.getContext('2d');
        g.fillStyle = '#6b8e23'; g.fillRect(0, 0, 320, 240);
        g.fillStyle = '#fff'; g.font = '28px sans-serif'; g.fillText(label, 20, 120);
        return c.toDataURL('image/jpeg', 0.8);
    }""",
        label,
    )
    return {
        "name": f"{label}.jpg",
        "mimeType": "image/jpeg",
        "buffer": base64.b64decode(data_url.split(",", 1)[1]),
    }


async def fill_report(page: Page, *, search: str, description: str, photo: str | None) -> str:
    """Fill the report form (the GPS point comes from the context) and return its key."""
    await page.wait_for_selector("#loc-grid:has-text('33010600')")
    await page.fill("#cat-q", search)
    await page.click(f".cat-option[data-code='{GARBAGE}']")
    await page.wait_for_selector(f"#cat-chosen:has-text('{GARBAGE}')")
    await page.fill("#description", description)
    if photo:
        await page.set_input_files("#photos", files=[await jpeg(page, photo)])
        await page.wait_for_selector("#photo-previews img")
    key = await page.get_attribute("#report-form", "data-key")
    assert key is not None  # every report form carries its Idempotency-Key
    return key


async def tickets_described(live: Live, description: str) -> int:
    async with live.db.session() as session:
        return (
            await session.exec(
                select(func.count())
                .select_from(TicketRow)
                .where(TicketRow.description == description)
            )
        ).one()


async def status_of(live: Live, ticket_id: str, status: str) -> dict:
    async def check() -> dict | None:
        ticket = await live.api.ticket(ticket_id)
        return ticket if ticket["status"] == status else None

    return await wait_for(check, timeout=20)


async def test_login_report_with_photo_and_my_reports(live: Live, browser: Browser) -> None:
    context = await phone_context(browser, **HERE)
    page = await context.new_page()
    await page.goto(live.url("/login"))
    await screenshot(page, "login")
    await page.fill("#username", "wang")
    await page.fill("#password", "not-the-password")
    await page.click("#login-submit")
    await page.wait_for_selector("#login-error:visible")
    await page.click(".demo-user[data-username='wang']")  # the demo's one-click login
    await page.wait_for_url("**/app/worker")
    await page.wait_for_selector(f"path.grid-{GRID.code}")

    marker = uuid.uuid4().hex[:8]
    description = f"巷口垃圾堆积 <b>{marker}</b> <img src=x onerror=alert(1)>"
    key = await fill_report(page, search="garbage", description=description, photo="report")
    await screenshot(page, "worker-report-filled")
    await page.click("#submit-report")
    sent = await page.wait_for_selector(f".sent-item[data-key='{key}']", timeout=20000)
    assert sent is not None
    ticket_id = await sent.get_attribute("data-ticket")
    assert ticket_id == ticket_id_for(user_id=WORKER, idempotency_key=key)
    assert await page.get_attribute("#report-form", "data-key") != key  # a new form, a new key
    await screenshot(page, "worker-report-sent")

    ticket = await live.api.ticket(ticket_id)
    assert ticket["description"] == description and ticket["category"] == GARBAGE
    assert len(ticket["photos"]["report"]) == 1

    await page.click("nav.tabbar a[href='/app/worker/tickets']")
    row = page.locator(f".ticket-row[data-ticket='{ticket_id}']")
    await row.wait_for()
    await page.wait_for_selector(f".ticket-row[data-ticket='{ticket_id}'] .deadline")
    await screenshot(page, "worker-my-reports")

    await row.locator("a").click()
    await page.wait_for_selector("#ticket:visible")
    await page.wait_for_selector(".photo-group[data-kind='report'] img[src^='blob:']")
    await page.wait_for_selector(".event[data-action='submit']")
    shown = page.locator("#t-description")
    assert await shown.text_content() == description  # user text is text, never markup
    assert await shown.locator("b, img").count() == 0
    await screenshot(page, "worker-ticket-detail")

    await page.click("[data-set-lang='en']")
    await page.wait_for_selector("html[lang='en']")
    await page.wait_for_selector(".event[data-action='submit']")
    assert "Timeline" in await page.content()
    await screenshot(page, "worker-ticket-detail-en")
    await page.click("[data-set-lang='zh']")
    await page.wait_for_selector("html[lang='zh-CN']")
    await page.wait_for_selector(".event[data-action='submit']")

    access_token = await page.evaluate("localStorage.getItem('gridflow.token')")
    await page.click("[data-logout]")
    await page.wait_for_url("**/login")
    assert await page.evaluate("localStorage.getItem('gridflow.token')") is None

    async def revoked() -> bool:  # logout revoked the token on the server too
        me = await live.api.http.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {access_token}"}
        )
        return me.status_code == 401

    await wait_for(revoked)
    await page.evaluate("t => localStorage.setItem('gridflow.token', t)", access_token)
    await page.goto(live.url("/app/worker/tickets"))  # a stale token: a 401 leads to the login
    await page.wait_for_url("**/login?next=*")
    assert_all_local(context)
    assert not [e for e in errors_of(context) if e.startswith("uncaught")]
    await context.close()


async def test_a_page_the_service_worker_missed_is_claimed_and_kept_for_offline(
    live: Live, browser: Browser
) -> None:
    """A page loaded past the service worker (here a reload that bypasses it; in the field a
    first visit whose navigation began while the worker was installing) asks to be claimed, so
    the shell is kept for going offline without another visit."""
    context = await phone_context(browser, **HERE)
    page = await context.new_page()
    await sign_in(page, live, WANG, role="grid_worker")
    await page.evaluate("navigator.serviceWorker.ready")
    await page.wait_for_function("navigator.serviceWorker.controller !== null")
    cdp = await context.new_cdp_session(page)
    async with page.expect_navigation():
        await cdp.send("Page.reload", {"ignoreCache": True})  # shift-reload: not controlled
    await page.wait_for_selector(f"path.grid-{GRID.code}")
    await page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=10_000)
    await context.set_offline(True)
    await page.reload()  # served by the worker from its cache
    await page.wait_for_selector("#report-form")
    assert not [e for e in errors_of(context) if e.startswith("uncaught")]
    await context.close()


async def test_offline_report_waits_then_is_sent_once(live: Live, browser: Browser) -> None:
    context = await phone_context(browser, **HERE)
    page = await context.new_page()
    await sign_in(page, live, WANG, role="grid_worker")
    await page.wait_for_selector(f"path.grid-{GRID.code}")
    await page.evaluate("navigator.serviceWorker.ready")
    await page.wait_for_function("navigator.serviceWorker.controller !== null")

    await context.set_offline(True)
    await page.wait_for_selector("#net-status:visible")
    description = f"离线上报 offline report {uuid.uuid4().hex[:8]}"
    key = await fill_report(page, search="垃圾", description=description, photo="offline")
    await page.click("#submit-report")
    item = page.locator(f".outbox-item[data-key='{key}']")
    await item.wait_for()
    assert await page.is_visible("#outbox-panel")
    assert "1" == (await page.text_content("#badge-outbox") or "").strip()
    await screenshot(page, "worker-offline-waiting")

    # The app shell opens without signal, and the report is still waiting.
    await page.reload()
    await page.locator(f".outbox-item[data-key='{key}']").wait_for()
    await page.wait_for_selector("#loc-grid:has-text('33010600')")  # the map from IndexedDB
    await screenshot(page, "worker-offline-reloaded")
    await page.click("nav.tabbar a[href='/app/worker/tickets']")
    await page.locator(f"#waiting .outbox-item[data-key='{key}']").wait_for()
    await screenshot(page, "worker-offline-my-reports")
    await page.click("nav.tabbar a[href='/app/worker']")
    await page.locator(f".outbox-item[data-key='{key}']").wait_for()
    assert await tickets_described(live, description) == 0

    # Back online: the answers to the first four tries are lost on the way back (the API did get
    # them); every retry carries the same key, the fifth answer arrives.
    posts: list[str | None] = []

    async def lose_answers(route: Route) -> None:
        posts.append(route.request.headers.get("idempotency-key"))
        response = await route.fetch()
        if len(posts) < 5:
            await route.abort("connectionreset")
        else:
            await route.fulfill(response=response)

    await context.route("**/api/v1/incidents", lose_answers)
    await context.set_offline(False)  # the `online` event starts the first try
    await wait_for(lambda: asyncio.sleep(0, len(posts) >= 1))
    while not await page.locator(f".sent-item[data-key='{key}']").count():
        assert len(posts) <= 5, posts
        await page.evaluate("GFOutbox.flush()")  # what the retry timer does every 15 s
        await asyncio.sleep(0.05)
    await context.unroute("**/api/v1/incidents")
    assert posts == [key] * 5
    assert await page.locator("#outbox-panel").is_hidden()
    ticket_id = ticket_id_for(user_id=WORKER, idempotency_key=key)
    assert await page.get_attribute(f".sent-item[data-key='{key}']", "data-ticket") == ticket_id
    await screenshot(page, "worker-back-online-sent")

    assert await wait_for(lambda: tickets_described(live, description)) == 1
    ticket = await live.api.ticket(ticket_id)
    assert ticket["description"] == description and len(ticket["photos"]["report"]) == 1
    assert_all_local(context)
    assert not [e for e in errors_of(context) if e.startswith("uncaught")]
    await context.close()


async def test_without_gps_the_spot_is_picked_on_the_map(live: Live, browser: Browser) -> None:
    context = await phone_context(browser, locale="en-US")  # no geolocation permission
    page = await context.new_page()
    await sign_in_fast(page, live, WANG)
    await page.goto(live.url("/app/worker?lang=en"))
    await page.wait_for_selector("#loc-status:has-text('tap the spot on the map')")
    cell = demo_city.GRIDS[0].code
    await page.click(f"path.grid-{cell}")
    await page.wait_for_selector(f"#loc-grid:has-text('{cell}')")
    assert "Picked on the map" in (await page.text_content("#loc-status") or "")
    await page.fill("#cat-q", "fire passage")  # the English label
    await page.wait_for_selector(".cat-option[data-code='E0401']")
    await page.fill("#cat-q", "E04")  # a code
    assert await page.locator(".cat-option").count() >= 5
    await page.fill("#cat-q", "消防通道")  # the Chinese name
    await page.click(".cat-option[data-code='E0401']")
    await page.fill("#description", "picked on the map: bikes block the fire passage")
    key = await page.get_attribute("#report-form", "data-key")
    await screenshot(page, "worker-report-map-pick-en")
    await page.click("#submit-report")
    sent = await page.wait_for_selector(f".sent-item[data-key='{key}']", timeout=20000)
    assert sent is not None
    ticket = await live.api.ticket(await sent.get_attribute("data-ticket") or "")
    assert ticket["grid"] == cell and ticket["category"] == "E0401"
    assert_all_local(context)
    assert not [e for e in errors_of(context) if e.startswith("uncaught")]
    await context.close()


async def resolved_ticket(live: Live, description: str, reporter: str = WANG, **body: Any) -> str:
    """A report in wang's grid that the department fixed on site: resolved, waiting for the
    check."""
    ticket_id = await live.api.new_ticket(token=reporter, description=description, **body)
    await status_of(live, ticket_id, "dispatched")
    staff = (await live.api.ticket(ticket_id))["department"]
    token = {"cgj": "demo-staff-cgj", "bs-street": BS}[staff]
    assert (await live.api.act(ticket_id, "claim", token)).status_code == 200
    fixed = await live.api.act(ticket_id, "verify", token, {"outcome": "fixed_on_site"})
    assert fixed.json()["status"] == "resolved", fixed.text
    return ticket_id


async def test_write_off_check_passes_one_and_sends_one_back(live: Live, browser: Browser) -> None:
    passing = await resolved_ticket(live, "井边垃圾 write-off check passes")
    # Someone else's report in wang's grid (a grid worker reports only in his own grids).
    failing = await resolved_ticket(
        live,
        "井边垃圾 write-off check fails",
        reporter=SENSOR,
        device_id=f"CAM-{uuid.uuid4().hex[:8]}",
    )
    context = await phone_context(browser, **HERE)
    page = await context.new_page()
    await sign_in_fast(page, live, WANG, path="/app/worker/checks")
    for ticket_id in (passing, failing):
        await page.locator(f".ticket-row[data-ticket='{ticket_id}']").wait_for()
    await screenshot(page, "worker-checks")

    await page.click(f".ticket-row[data-ticket='{passing}'] a")
    await page.wait_for_selector("#write-off:visible")
    await page.set_input_files("#wo-photos", files=[await jpeg(page, "pass")])
    await page.fill("#wo-note", "现场已清理 clean")
    await screenshot(page, "worker-write-off-check")
    await page.click("#btn-write-off")
    await page.wait_for_selector("#wo-msg:visible")
    await page.wait_for_selector("#t-badges [data-status='written_off']")
    await screenshot(page, "worker-written-off")
    written_off = await live.api.ticket(passing)
    assert written_off["status"] in ("written_off", "archived")
    assert len(written_off["photos"]["write_off"]) == 1

    await page.goto(live.url(f"/app/worker/ticket?id={failing}"))
    await page.wait_for_selector("#write-off:visible")
    await page.click("#btn-reject")  # a reason and a photo are needed
    await page.wait_for_selector("#wo-error:visible")
    await page.fill("#wo-reason", "垃圾还在 still there")
    await page.set_input_files("#wo-photos", files=[await jpeg(page, "still-there")])
    await page.click("#btn-reject")
    await page.wait_for_selector("#t-badges [data-status='rectifying']")
    await screenshot(page, "worker-sent-back")
    rejected = await live.api.ticket(failing)
    assert rejected["status"] == "rectifying" and rejected["rework_count"] == 1
    assert rejected["timeline"][-1]["reason"] == "垃圾还在 still there"
    assert len(rejected["photos"]["write_off"]) == 1

    await page.goto(live.url("/app/worker/checks"))
    await page.wait_for_selector("#list-status:has-text('没有待核销的工单')")
    assert_all_local(context)
    assert not [e for e in errors_of(context) if e.startswith("uncaught")]
    await context.close()
