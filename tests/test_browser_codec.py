"""The Temporal UI decrypts in a real browser (docs/temporal-security.md). Temporal's own UI (the
dev server's, with --ui-codec-endpoint as the embedded stack starts it) shows a ticket's input as
ciphertext until a command-centre supervisor allows this browser on /app/codec, and its
description afterwards. A page of the UI's origin fetching the codec exactly as the UI does
(credentials included, X-Namespace, JSON: so a CORS preflight; temporalio/ui,
src/lib/services/data-encoder.ts) is refused before that, after revoking, and for a street
supervisor."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from google.protobuf import json_format
from temporalio.api.common.v1 import Payload
from temporalio.testing import WorkflowEnvironment

from settings import settings
from temporal_client import data_converter
from tests.api_fixtures import SUPERVISOR, WANG, WU
from tests.browser import *  # noqa: F403  (fixtures)
from tests.browser import Live, assert_all_local, desktop_context, errors_of, sign_in_fast, wait_for
from tests.conftest import BIN
from tests.factories import GARBAGE, LAT, LON, incident_input
from workflows.ticket import TicketWorkflow

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

# The Temporal UI's own codec settings (its "Codec Server" dialog: this endpoint, include
# cross-origin credentials), as that dialog keeps them in the browser.
USE_COOKIES = """(endpoint) => {
  localStorage.setItem("overrideRemoteCodecConfiguration", "true");
  localStorage.setItem("endpoint", JSON.stringify(endpoint));
  localStorage.setItem("includeCredentials", "true");
}"""
DECODE_LIKE_THE_UI = """
async ([endpoint, namespace, payloads]) => {
  const response = await fetch(endpoint + "/decode", {
    method: "POST",
    credentials: "include",
    headers: {"Content-Type": "application/json", "X-Namespace": namespace},
    body: JSON.stringify(payloads),
  });
  return [response.status, await response.text()];
}
"""


async def stored_start(live: Live, description: str) -> dict[str, Any]:
    ticket_id = await live.api.new_ticket(
        token=WANG, category=GARBAGE, lat=LAT, lon=LON, description=description
    )

    async def dispatched() -> bool:
        return (await live.api.ticket(ticket_id))["status"] == "dispatched"

    await wait_for(dispatched, timeout=30)
    async for event in live.client.get_workflow_handle(ticket_id).fetch_history_events():
        return json_format.MessageToDict(event.workflow_execution_started_event_attributes.input)
    raise AssertionError("no start event")


@asynccontextmanager
async def temporal_ui_origin() -> AsyncIterator[str]:
    """A real server on 127.0.0.1 for the UI's page (its origin must be a local address, as the
    Temporal UI's is: Chromium keeps pages of other address spaces from reaching loopback)."""
    page = b"<!doctype html><title>Temporal UI</title>"

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(page)}\r\n"
        writer.write(head.encode() + b"Connection: close\r\n\r\n" + page)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


async def temporal_ui(context: BrowserContext, origin: str) -> Page:
    page = await context.new_page()
    await page.goto(f"{origin}/namespaces/default/workflows")
    return page


async def decode_from_ui(ui: Page, live: Live, payloads: dict[str, Any]) -> tuple[int, str]:
    endpoint = live.url("/api/v1/codec")
    status, text = await ui.evaluate(DECODE_LIKE_THE_UI, [endpoint, "default", payloads])
    return int(status), str(text)


async def press(page: Page, button: str) -> str:
    """Click a button of /app/codec; what it says: "ok" or "error"."""
    status = page.locator("#codec-status")
    await status.evaluate("e => { e.textContent = ''; e.className = ''; }")
    await page.click(button)
    await page.locator("#codec-status.ok, #codec-status.error").wait_for()
    return await status.get_attribute("class") or ""


async def test_the_temporal_ui_decrypts_for_the_command_centre_only(
    live: Live, browser: Browser
) -> None:
    secret = "楼道堆物 stairwell clutter, browser codec"
    payloads = await stored_start(live, secret)
    async with temporal_ui_origin() as origin:
        live.config.temporal_ui_origins = [origin]
        await decrypts_for_the_command_centre_only(live, browser, origin, secret, payloads)


async def decrypts_for_the_command_centre_only(
    live: Live, browser: Browser, origin: str, secret: str, payloads: dict[str, Any]
) -> None:
    context = await desktop_context(browser)
    page = await context.new_page()
    await sign_in_fast(page, live, SUPERVISOR, path="/app/codec")
    ui = await temporal_ui(context, origin)
    status, text = await decode_from_ui(ui, live, payloads)
    assert status == 401 and secret not in text  # not allowed yet: the UI shows ciphertext

    assert await press(page, "#codec-allow") == "ok"
    status, text = await decode_from_ui(ui, live, payloads)
    assert status == 200, text
    (plain,) = json.loads(text)["payloads"]
    assert secret in json_format.ParseDict(plain, Payload()).data.decode()

    assert await press(page, "#codec-revoke") == "ok"
    status, _ = await decode_from_ui(ui, live, payloads)
    assert status == 401
    # The console's only complaints are the refusals the UI's fetches got.
    assert [e for e in errors_of(context) if "401" not in e] == []
    assert_all_local(context)
    await context.close()

    # A street supervisor is refused the loan, and their browser's UI decrypts nothing.
    street = await desktop_context(browser)
    page = await street.new_page()
    await sign_in_fast(page, live, WU, path="/app/codec")
    assert await press(page, "#codec-allow") == "error"
    assert "command centre" in await page.locator("#codec-status").inner_text()
    status, text = await decode_from_ui(await temporal_ui(street, origin), live, payloads)
    assert status == 401 and secret not in text
    await street.close()


async def test_the_real_temporal_ui_shows_a_ticket_decrypted_once_allowed(
    live: Live, browser: Browser
) -> None:
    """Temporal's own UI (the dev server's, started with --ui-codec-endpoint as the embedded stack
    starts it): a ticket's input is ciphertext there until the supervisor allows this browser,
    and its description afterwards. No worker is needed: the UI shows the start event's input."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        ui_port = free.getsockname()[1]
    temporal = await WorkflowEnvironment.start_local(
        data_converter=data_converter(settings),
        dev_server_existing_path=str(BIN / "temporal"),
        ui=True,
        ui_port=ui_port,
        dev_server_extra_args=["--ui-codec-endpoint", live.url("/api/v1/codec")],
    )
    try:
        origin = f"http://127.0.0.1:{ui_port}"
        live.config.temporal_ui_origins = [origin]
        secret = f"真实界面 real UI {uuid.uuid4().hex[:8]}"
        ticket = incident_input(ticket_id=f"GF-{uuid.uuid4().hex[:12].upper()}")
        ticket.incident.description = secret
        handle = await temporal.client.start_workflow(
            TicketWorkflow.run, ticket, id=ticket.incident.ticket_id, task_queue="no-worker"
        )
        history = (
            f"{origin}/namespaces/default/workflows/{handle.id}/{handle.result_run_id}/history"
        )

        context = await desktop_context(browser)
        page = await context.new_page()
        await sign_in_fast(page, live, SUPERVISOR, path="/app/codec")
        ui = await context.new_page()
        await ui.goto(f"{origin}/namespaces/default/workflows")
        await ui.evaluate(USE_COOKIES, live.url("/api/v1/codec"))
        async with ui.expect_response(lambda r: "/codec/decode" in r.url) as refused:
            await ui.goto(history)
        assert (await refused.value).status == 401
        assert secret not in await ui.inner_text("body")

        assert await press(page, "#codec-allow") == "ok"
        await ui.goto(history)
        await ui.get_by_text(secret).first.wait_for(timeout=30_000)
        await context.close()
    finally:
        await temporal.shutdown()
