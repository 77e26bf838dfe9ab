"""The desk pages in a real browser: department staff work a ticket through the pages; the
supervisor finds an overdue ticket in the overdue table and red on the battle map, dispatches by
hand, approves an extension, merges a duplicate, and reads the charts. Nothing leaves 127.0.0.1."""

from __future__ import annotations

import struct
import zlib
from typing import TYPE_CHECKING, Any

from sqlmodel import col, update

from readmodel.reference.tables import Category
from tests.api_fixtures import CGJ, SUPERVISOR, WANG
from tests.browser import *  # noqa: F403  (fixtures)
from tests.browser import (
    Live,
    assert_all_local,
    desktop_context,
    screenshot,
    sign_in,
    sign_in_fast,
    wait_for,
)
from tests.factories import GARBAGE, ILLEGAL_AD, LAT, LON, OTHER, ROAD_DAMAGE

if TYPE_CHECKING:
    from playwright.async_api import Browser, FilePayload


def png(width: int = 64, height: int = 48) -> bytes:
    """A small valid PNG (a gradient), made without any image library."""
    raw = b"".join(
        b"\x00" + b"".join(bytes((x * 4 % 256, y * 5 % 256, 128)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


async def reach(live: Live, ticket_id: str, status: str, timeout: float = 20) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        ticket = await live.api.ticket(ticket_id)
        return ticket if ticket["status"] == status else None

    return await wait_for(check, timeout=timeout)


async def test_department_staff_claim_verify_rectify_and_return(
    live: Live, browser: Browser
) -> None:
    ticket_id = await live.api.new_ticket(
        token=WANG, category=GARBAGE, lat=LAT, lon=LON, description="<b>垃圾</b> 堆在巷口 & 没人管"
    )
    misrouted = await live.api.new_ticket(
        token=WANG, category=GARBAGE, lat=LAT, lon=LON, description="这不是垃圾 not garbage at all"
    )
    await reach(live, ticket_id, "dispatched")
    await reach(live, misrouted, "dispatched")

    context = await desktop_context(browser)
    page = await context.new_page()
    await sign_in(page, live, CGJ, role="department_staff")
    row = page.locator(f'#inbox tr[data-ticket-id="{ticket_id}"]')
    await row.wait_for()
    assert await row.get_attribute("data-colour") in ("ontime", "warning")
    await screenshot(page, "desk-department-inbox")

    await row.click()
    await page.locator(f'#ticket-view[data-ticket-id="{ticket_id}"]').wait_for()
    # the description is shown as text, never as HTML
    assert await page.locator("#ticket-description").inner_text() == "<b>垃圾</b> 堆在巷口 & 没人管"
    assert await page.locator("#ticket-description b").count() == 0

    await page.click("#act-claim")
    await page.locator('#ticket-status[data-status="claimed"]').wait_for()

    # a refusal shows the API's own message: over the extension cap
    await page.fill("#extension-days", "11")
    await page.fill("#extension-reason", "需要更多时间")
    await page.click("#act-extension-submit")
    message = page.locator("#act-extension-message")
    await message.wait_for()
    refusal = await live.api.act(
        ticket_id, "request-extension", CGJ, {"working_days": 11, "reason": "x"}
    )
    assert refusal.status_code == 422
    assert refusal.json()["error"]["message"] in await message.inner_text()

    await page.click("#act-start-verification")
    await page.locator('#ticket-status[data-status="verifying"]').wait_for()
    await page.select_option("#verify-outcome", "needs_rectification")
    await page.select_option("#verify-severity", "yellow")
    await page.fill("#verify-days", "2")
    await page.fill("#verify-note", "巷口垃圾需清运")
    await page.click("#act-verify-submit")
    await page.locator('#ticket-status[data-status="rectifying"]').wait_for()
    assert "yellow" in (await live.api.ticket(ticket_id))["finding"]["severity"]
    await screenshot(page, "desk-department-ticket-rectifying")

    after: FilePayload = {"name": "after.png", "mimeType": "image/png", "buffer": png()}
    await page.set_input_files("#rectified-photos", files=[after])
    await page.fill("#rectified-note", "已清运完毕")
    await page.click("#act-rectified-submit")
    await page.locator('#ticket-status[data-status="resolved"]').wait_for()
    ticket = await live.api.ticket(ticket_id)
    assert ticket["status"] == "resolved"
    rectified = next(e for e in ticket["timeline"] if e["action"] == "rectified")
    assert len(rectified["data"]["photo_ids"]) == 1
    photo = page.locator('#ticket-photos [data-kind="rectification"] img')
    await photo.wait_for()
    assert (await photo.get_attribute("src") or "").startswith("blob:")
    await screenshot(page, "desk-department-ticket-resolved")
    # resolved work leaves the inbox
    await page.locator(f'#inbox tr[data-ticket-id="{ticket_id}"]').wait_for(state="detached")

    # return a misrouted ticket with a reason
    await page.locator(f'#inbox tr[data-ticket-id="{misrouted}"]').click()
    await page.locator(f'#ticket-view[data-ticket-id="{misrouted}"]').wait_for()
    await page.fill("#return-reason", "不属于城管职责")
    await page.click("#act-return-submit")
    await page.locator('#ticket-status[data-status="manual_dispatch"]').wait_for()
    returned = await live.api.ticket(misrouted)
    assert any(
        e["action"] == "return" and e["reason"] == "不属于城管职责" for e in returned["timeline"]
    )

    # English through the shell's language switch
    await page.goto(live.url("/app/department?lang=en"))
    await page.locator("#inbox table").wait_for()
    assert await page.locator("#nav-inbox").inner_text() == "Inbox"
    await screenshot(page, "desk-department-en")
    assert_all_local(context)
    await context.close()


async def test_supervisor_overdue_map_dispatch_extension_merge_charts(
    live: Live, browser: Browser
) -> None:
    # the claim stage of road damage lasts 3.6 seconds: a ticket is overdue almost at once
    rule = await live.api.call(
        "POST",
        "/admin/deadline-rules",
        "demo-admin",
        json={"stage": "claim", "amount": 0.001, "unit": "hours", "category": ROAD_DAMAGE},
    )
    assert rule.status_code in (200, 201), rule.text
    late = await live.api.new_ticket(
        token=WANG, category=ROAD_DAMAGE, lat=LAT, lon=LON, description="路面塌陷 road caved in"
    )

    async def overdue() -> bool:
        return bool((await live.api.ticket(late))["overdue"])

    await wait_for(overdue, timeout=30)

    unrouted = await live.api.new_ticket(
        token=WANG, category=OTHER, lat=LAT, lon=LON, description="其他问题 something else"
    )
    await reach(live, unrouted, "manual_dispatch")
    asking = await live.api.new_ticket(
        token=WANG, category=GARBAGE, lat=LAT, lon=LON, description="需延期的工单"
    )
    await reach(live, asking, "dispatched")
    asked = await live.api.act(
        asking, "request-extension", CGJ, {"working_days": 3, "reason": "等待环卫车辆"}
    )
    assert asked.status_code == 200, asked.text
    async with live.db.session() as session:  # duplicate detection on for one category
        on = update(Category).where(col(Category.code) == ILLEGAL_AD).values(duplicate_radius_m=50)
        await session.exec(on)
        await session.commit()
    first = await live.api.new_ticket(
        token=WANG, category=ILLEGAL_AD, lat=LAT, lon=LON, description="违规广告牌"
    )
    await reach(live, first, "dispatched")
    second = await live.api.new_ticket(
        token=WANG, category=ILLEGAL_AD, lat=LAT, lon=LON, description="同一块广告牌"
    )
    await reach(live, second, "duplicate_review")

    context = await desktop_context(browser)
    page = await context.new_page()
    await sign_in_fast(page, live, SUPERVISOR)
    await page.wait_for_url("**/app/supervisor")
    late_row = page.locator(f'#overdue tr[data-ticket-id="{late}"]')
    await late_row.wait_for()
    assert await late_row.get_attribute("data-colour") == "overdue"
    await screenshot(page, "desk-supervisor")

    # the overdue view's filters: department, and one that leaves it out
    await page.select_option("#filter-department", "jtj")
    await page.click("#filter-apply")
    await page.wait_for_url("**department=jtj**")
    await late_row.wait_for()
    await page.select_option("#filter-department", "cgj")
    await page.click("#filter-apply")
    await page.wait_for_url("**department=cgj**")
    await late_row.wait_for(state="detached")
    await page.click("#filter-reset")
    await late_row.wait_for()

    # manual dispatch
    await page.select_option(f'[id="dispatch-to-{unrouted}"]', "cgj")
    await page.click(f'[id="dispatch-{unrouted}"]')
    queued = page.locator(f'#dispatch-queue tr[data-ticket-id="{unrouted}"]')
    await queued.wait_for(state="detached")
    assert (await live.api.ticket(unrouted))["department"] == "cgj"

    # extension approval
    ext_row = page.locator(f'#extension-requests tr[data-ticket-id="{asking}"]')
    await ext_row.wait_for()
    assert "等待环卫车辆" in await ext_row.inner_text()
    await page.fill(f'[id="ext-reason-{asking}"]', "同意")
    await page.click(f'[id="approve-{asking}"]')
    await ext_row.wait_for(state="detached")
    approved = await live.api.ticket(asking)
    assert approved["extension_count"] == 1 and approved["extension_request"] is None

    # merge the duplicate into its candidate
    await page.click(f'[id="merge-{second}-{first}"]')
    await page.locator(f'#duplicates tr[data-ticket-id="{second}"]').wait_for(state="detached")
    assert (await live.api.ticket(second))["merged_into"] == first

    # the battle map: the overdue ticket is a red dot; clicking it opens the ticket
    await page.click("#nav-map")
    await page.wait_for_url("**/app/supervisor/map")
    marker = page.locator(f'path.gf-marker[data-ticket-id="{late}"]')
    await marker.wait_for()
    assert await marker.get_attribute("data-colour") == "red"
    assert "gf-marker-red" in (await marker.get_attribute("class") or "")
    assert (await marker.get_attribute("fill") or "").lower() == "#dc2626"
    assert await page.locator("path.gf-grid").count() == 71
    assert await page.locator(".leaflet-tile").count() == 0
    await screenshot(page, "desk-supervisor-map")
    await marker.click()
    await page.wait_for_url(f"**/app/supervisor/tickets/{late}")
    await page.locator(f'#ticket-view[data-ticket-id="{late}"]').wait_for()
    assert await page.locator(".gf-ticket-head .gf-badge").get_attribute("data-colour") == "overdue"
    await screenshot(page, "desk-supervisor-ticket")

    # the charts
    await page.click("#nav-charts")
    await page.wait_for_url("**/app/supervisor/charts**")
    await page.locator('#table-on-time tr[data-group="cgj"]').wait_for()
    await page.locator("#table-daily tr[data-day]").first.wait_for()
    assert await page.evaluate("() => Object.keys(Chart.instances).length") == 2
    await screenshot(page, "desk-supervisor-charts")
    assert_all_local(context)
    await context.close()
