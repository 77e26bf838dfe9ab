"""Browser test harness: the real stack on 127.0.0.1 and Debian's chromium driven by playwright.

Use it from a test module with

    from tests.browser import *  # noqa: F403  (fixtures and helpers)

    async def test_something(live: Live, browser: Browser) -> None:
        context = await phone_context(browser)          # or desktop_context(browser)
        page = await context.new_page()
        await sign_in(page, live, "demo-worker-wang")   # the login page, as wang
        await page.goto(live.url("/app/worker"))
        await screenshot(page, "worker-home")           # test-artifacts/screenshots/worker-home.png
        assert_all_local(context)                       # nothing left 127.0.0.1
        await context.close()

Everything is asynchronous (`playwright.async_api`): the API server runs in the tests' own event
loop, so a test must never block it (no sync playwright, no time.sleep).

Fixtures
--------
* ``live`` (module scope) — a running gridflow: the Temporal dev server (``dev_env`` from
  tests/conftest.py, shared by the session), a worker in-process (``worker.build_worker``) on a
  task queue of its own, a SQLite read model seeded with the demo city exactly as
  ``scripts/up.sh`` seeds it (plus plain working years ahead, as in ``demo_db``; duplicate
  detection off so a test's reports at one spot stay separate tickets), and the FastAPI app served
  by a real uvicorn server on a free port of 127.0.0.1 in a background task; its data directory
  (photos) is a temporary one. A :class:`Live` has
  ``base_url``, ``url(path)``, ``db`` (readmodel Database), ``client`` (Temporal), ``config`` and
  ``api`` — a :class:`tests.api_fixtures.Gridflow` whose ``http`` talks HTTP to the same server
  (``await live.api.new_ticket(token=WANG)``, ``await live.api.act(id, "claim", CGJ)``, ...).
* ``browser`` (module scope) — chromium launched through playwright with
  ``executable_path=/usr/bin/chromium`` (``GRIDFLOW_CHROMIUM`` overrides) and :data:`CHROMIUM_FLAGS`.
  If chromium or playwright is missing and this machine could install it (apt-get as root or
  through sudo, as ``scripts/test.sh`` does), the test FAILS telling you to run
  ``bash scripts/test.sh``; only where the browser cannot be installed it is SKIPPED, with a loud
  warning in the summary.

Helpers
-------
* ``await phone_context(browser, **kw)`` — a context with a phone viewport (390×844, touch,
  mobile, zh-CN), its requests recorded; ``await desktop_context(browser, **kw)`` — 1366×900.
  Both accept any ``browser.new_context`` keyword (``locale="en-US"``…).
* ``requests_of(context)`` — every URL the context's pages and service workers asked for;
  ``assert_all_local(context)`` — fails naming any request whose host is not 127.0.0.1
  (``data:`` and ``blob:`` URLs are local by nature).
* ``errors_of(context)`` — console errors and uncaught exceptions of its pages so far.
* ``await screenshot(page, name)`` — a full-page PNG in ``test-artifacts/screenshots/`` (gitignored);
  returns its path.
* ``await sign_in(page, live, token)`` — through the login page as the demo user whose demo
  credential (= password) is ``token`` (fill user name and password, submit, wait for the role's
  home page); ``await sign_in_fast(page, live, token)`` — logs that user in through the API, puts
  the access token in localStorage and opens the home page directly.
* ``HOME_OF_ROLE`` — each role's home page path.
* ``await wait_for(predicate, timeout=10)`` — polls an async predicate (read model checks).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from sqlmodel import update
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from api.serve import UVICORN_OPTIONS
from readmodel.db import Database
from readmodel.reference.tables import Category
from readmodel.seed import seed_demo_city
from settings import Settings
from tests.api_fixtures import DEMO_LOGIN, Gridflow
from tests.schema import migrate_to_head
from worker import build_worker

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

__all__ = [
    "CHROMIUM_FLAGS",
    "HOME_OF_ROLE",
    "PHONE",
    "SCREENSHOTS",
    "Live",
    "assert_all_local",
    "browser",
    "desktop_context",
    "errors_of",
    "live",
    "phone_context",
    "requests_of",
    "screenshot",
    "sign_in",
    "sign_in_fast",
    "wait_for",
]

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("GRIDFLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
DESKTOP: dict[str, Any] = {
    "viewport": {"width": 1366, "height": 900},
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
HOME_OF_ROLE = {
    "grid_worker": "/app/worker",
    "department_staff": "/app/department",
    "supervisor": "/app/supervisor",
}
LOCAL_HOSTS = {"127.0.0.1"}


# --- the live stack ---------------------------------------------------------------------------


@dataclass
class Live:
    base_url: str
    db: Database
    client: Client
    config: Settings
    api: Gridflow

    def url(self, path: str = "/") -> str:
        return self.base_url + path


async def _seeded_db(directory: Path) -> Database:
    from tests.conftest import _plain_years_ahead

    database = Database(f"sqlite+aiosqlite:///{directory}/gridflow.db")
    await migrate_to_head(database.url)
    async with database.session() as session:
        await seed_demo_city(session=session)
        await _plain_years_ahead(session)
        await session.exec(update(Category).values(duplicate_radius_m=None))
        await session.commit()
    return database


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="module")
async def live(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Live]:
    """gridflow served over real HTTP on 127.0.0.1 (see the module docstring)."""
    directory = tmp_path_factory.mktemp("live")
    database = await _seeded_db(directory)
    config = Settings(
        task_queue=f"tq-browser-{uuid.uuid4()}", database_url=database.url, data_dir=directory
    )
    app = create_app(config, client=dev_env.client, db=database)
    sock = _free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=2,
            **UVICORN_OPTIONS,
        )
    )
    async with build_worker(dev_env.client, db=database, config=config):
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        for _ in range(200):
            if server.started or serving.done():
                break
            await asyncio.sleep(0.05)
        if not server.started:
            serving.cancel()
            raise RuntimeError("uvicorn did not start")
        base_url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            try:
                yield Live(
                    base_url=base_url,
                    db=database,
                    client=dev_env.client,
                    config=config,
                    api=Gridflow(http=http, db=database, config=config, client=dev_env.client),
                )
            finally:
                server.should_exit = True
                await asyncio.wait_for(serving, timeout=10)
                sock.close()
    await database.dispose()


# --- the browser -------------------------------------------------------------------------------


def _can_install_browser() -> bool:
    """apt-get is here and we are root (or have sudo): scripts/test.sh installs chromium."""
    if shutil.which("apt-get") is None:
        return False
    return os.geteuid() == 0 or shutil.which("sudo") is not None


def _unavailable(reason: str) -> None:
    if _can_install_browser():
        pytest.fail(
            f"{reason}; this machine can install it: run the tests with "
            "`bash scripts/test.sh` (it apt-installs chromium fonts-wqy-microhei)",
            pytrace=False,
        )
    message = (
        f"BROWSER TESTS SKIPPED: {reason}, and it cannot be installed here (no apt-get "
        "with root or sudo). Install chromium (set GRIDFLOW_CHROMIUM to its path) to run them."
    )
    print(f"\n{'!' * 20} {message} {'!' * 20}", file=sys.__stderr__)
    warnings.warn(message, stacklevel=1)
    pytest.skip(message)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Debian's chromium through playwright, headless, with CHROMIUM_FLAGS."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed (pip install -e '.[test]')")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"chromium is not installed at {CHROMIUM}")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class _Recorder:
    urls: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


_RECORDERS: dict[int, _Recorder] = {}


def _record(context: BrowserContext) -> BrowserContext:
    recorder = _Recorder()
    _RECORDERS[id(context)] = recorder
    context.on("request", lambda request: recorder.urls.append(request.url))
    context.on(
        "console",
        lambda message: (
            recorder.errors.append(
                f"console.{message.type}: {message.text} ({message.location.get('url', '')})"
            )
            if message.type == "error"
            else None
        ),
    )
    context.on("weberror", lambda error: recorder.errors.append(f"uncaught: {error.error}"))
    return context


async def phone_context(browser: Browser, **options: Any) -> BrowserContext:
    """A new context in a phone viewport (390×844 @2x, touch, zh-CN); requests recorded."""
    return _record(await browser.new_context(**(PHONE | options)))


async def desktop_context(browser: Browser, **options: Any) -> BrowserContext:
    """A new context in a desktop viewport (1366×900, zh-CN); requests recorded."""
    return _record(await browser.new_context(**(DESKTOP | options)))


def requests_of(context: BrowserContext) -> list[str]:
    """Every URL the context's pages (and service workers) requested so far."""
    return list(_RECORDERS[id(context)].urls)


def assert_all_local(context: BrowserContext) -> None:
    """Fail naming each request that went anywhere but 127.0.0.1."""
    urls = requests_of(context)
    assert urls, "no request recorded: was this context made by phone_context/desktop_context?"
    outside = [
        u
        for u in urls
        if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).hostname not in LOCAL_HOSTS
    ]
    assert not outside, f"requests left 127.0.0.1: {outside}"


def errors_of(context: BrowserContext) -> list[str]:
    """The context's console errors and uncaught page errors so far (print them when a test
    fails; assert there are none)."""
    return list(_RECORDERS[id(context)].errors)


async def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG as test-artifacts/screenshots/<name>.png and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.evaluate("window.scrollTo(0, 0)")  # sticky headers stay on top of the picture
    await page.screenshot(path=str(path), full_page=True)
    return path


async def sign_in(page: Page, live: Live, token: str, *, role: str | None = None) -> None:
    """Log in through the login page as the demo user whose demo credential is `token` (it is
    the password): type user name and password, submit, wait for the role's home page."""
    await page.goto(live.url("/login"))
    await page.fill("#username", DEMO_LOGIN[token])
    await page.fill("#password", token)
    await page.click("#login-submit")
    if role is not None:
        await page.wait_for_url(f"**{HOME_OF_ROLE[role]}*")
    else:
        await page.wait_for_url(lambda url: "/app/" in url)


async def sign_in_fast(page: Page, live: Live, token: str, *, path: str | None = None) -> None:
    """Log the demo user in through the API, put the access token where the login page keeps
    it (localStorage) and open `path` (default: the role's home page, from GET /api/v1/me)."""
    if path is None:
        me = await live.api.call("GET", "/me", token)
        me.raise_for_status()
        path = HOME_OF_ROLE[me.json()["role"]]
    # A login of its own: a logout in the page then revokes only the page's token.
    login = await live.api.login(DEMO_LOGIN[token], token)
    login.raise_for_status()
    access_token = login.json()["access_token"]
    await page.goto(live.url("/login"))
    await page.evaluate("t => localStorage.setItem('gridflow.token', t)", access_token)
    await page.goto(live.url(path))


async def wait_for(
    predicate: Callable[[], Awaitable[Any]], *, timeout: float = 10, interval: float = 0.1
) -> Any:
    """Poll `predicate` until it returns something truthy (and return it), or fail after timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await predicate()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {predicate}")
        await asyncio.sleep(interval)
