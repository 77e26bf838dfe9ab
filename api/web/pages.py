"""The web app, served by the API itself: page shells (Jinja2), static files, the service worker.

Pages are shells: they carry no user data. The browser keeps the user's bearer token in
localStorage (the login page checks it with GET /api/v1/me) and each page's script reads the API
with it (static/js/gf.js: ``GF.api``; htmx requests get the header too). User text is put in the
DOM as text (``GF.h``), never as HTML, and templates autoescape.

Adding a page: a route here (or in a router of your own, included by ``install``) that calls
``render(request, "dir/name.html", title_key="...")``; the template extends ``base.html``. Strings
live in ``api/web/i18n/{zh,en}.json`` (one flat dict per language): ``{{ t("key") }}`` in templates,
``GF.t("key")`` in scripts. Pages that must open offline go in ``OFFLINE_PAGES``.

Install it with ``pages.install(app)`` (api/main.py).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any, TypedDict

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from credentials import demo_password_works
from domain.demo.people import USERS as DEMO_USERS
from readmodel.access.auth_store import users_by_id

WEB = Path(__file__).resolve().parent
STATIC = WEB / "static"
LANGUAGES = ("zh", "en")
LANG_COOKIE = "gridflow_lang"
HOME_OF_ROLE = {
    "grid_worker": "/app/worker",
    "department_staff": "/app/department",
    "supervisor": "/app/supervisor",
}
# Page shells the service worker keeps, so they open without signal (the grid worker's phone).
OFFLINE_PAGES = [
    "/login",
    "/app/worker",
    "/app/worker/tickets",
    "/app/worker/ticket",
    "/app/worker/checks",
]

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(WEB / "templates"))


@cache
def strings(lang: str) -> dict[str, str]:
    """One language's strings; a key missing in English falls back to Chinese."""
    zh = json.loads((WEB / "i18n" / "zh.json").read_text(encoding="utf-8"))
    if lang == "zh":
        return zh
    return zh | json.loads((WEB / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))


def language_of(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return asked if asked in LANGUAGES else "zh"


@cache
def static_version() -> str:
    """A hash of every static file and template: the service worker's cache name changes with it."""
    digest = hashlib.sha256()
    for root in (STATIC, WEB / "templates", WEB / "i18n"):
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(WEB)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def render(request: Request, template: str, *, title_key: str, **context: Any) -> HTMLResponse:
    lang = language_of(request)
    words = strings(lang)

    def t(key: str, **values: Any) -> str:
        text = words.get(key, key)
        return text.format(**values) if values else text

    response = templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": t,
            "strings": words,
            "title": t(title_key),
            "version": static_version(),
            "home_of_role": HOME_OF_ROLE,
            **context,
        },
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    response.headers["Cache-Control"] = "no-cache"
    return response


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def login(request: Request) -> HTMLResponse:
    return render(
        request, "login.html", title_key="login.title", demo_users=await _demo_users(request)
    )


class DemoUser(TypedDict):
    user_id: str
    name: str
    role: str
    department: str
    password: str
    on_duty: bool


async def _demo_users(request: Request) -> list[DemoUser]:
    """The demo users whose demo password works here (none once the demo users are gone)."""
    people = [p for p in DEMO_USERS if p[2] in HOME_OF_ROLE]
    async with request.app.state.db.session() as session:
        rows = await users_by_id(session=session, user_ids=[p[0] for p in people])
    return [
        {
            "user_id": user_id,
            "name": name,
            "role": role,
            "department": dept or "",
            "password": password,
            "on_duty": user_id.startswith("staff-"),
        }  # other departments
        for user_id, name, role, dept, _grids, password in people
        if user_id in rows
        and rows[user_id].active
        and await demo_password_works(password, rows[user_id].password_hash)
    ]


@router.get("/app/worker", response_class=HTMLResponse)
async def worker_report(request: Request) -> HTMLResponse:
    return render(request, "worker/report.html", title_key="worker.report.title", tab="report")


@router.get("/app/worker/tickets", response_class=HTMLResponse)
async def worker_tickets(request: Request) -> HTMLResponse:
    return render(request, "worker/tickets.html", title_key="worker.tickets.title", tab="tickets")


@router.get("/app/worker/ticket", response_class=HTMLResponse)
async def worker_ticket(request: Request) -> HTMLResponse:
    """One ticket (?id=GF-…): its state, deadline, timeline, photos; the write-off check."""
    return render(request, "worker/ticket.html", title_key="worker.ticket.title", tab="tickets")


@router.get("/app/worker/checks", response_class=HTMLResponse)
async def worker_checks(request: Request) -> HTMLResponse:
    return render(request, "worker/checks.html", title_key="worker.checks.title", tab="checks")


@router.get("/sw.js")
async def service_worker() -> Response:
    """The service worker, at the root so that its scope is the whole site."""
    source = (STATIC / "js" / "sw.js").read_text(encoding="utf-8")
    source = (
        source.replace("__VERSION__", static_version())
        .replace("__PAGES__", json.dumps(OFFLINE_PAGES))
        .replace("__ASSETS__", json.dumps(_shell_assets()))
    )
    return Response(
        source,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@router.get("/manifest.webmanifest")
async def manifest(request: Request) -> Response:
    words = strings(language_of(request))
    body = {
        "name": words["app.name"],
        "short_name": words["app.short_name"],
        "start_url": "/app/worker",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f5fa8",
        "icons": [{"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml"}],
    }
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/manifest+json")


@cache
def _shell_assets() -> list[str]:
    """The static files every page needs (precached by the service worker)."""
    keep = [
        p
        for p in STATIC.rglob("*")
        if p.is_file() and p.suffix in {".js", ".css", ".png", ".svg"} and p.name != "sw.js"
    ]
    return sorted("/static/" + p.relative_to(STATIC).as_posix() for p in keep)


def install(app: FastAPI) -> None:
    """Serve the web app from `app`: the pages, /sw.js and /static."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
