"""The desk pages: department staff and supervisors (desktop-first), on the shell of pages.py.

* ``/app/department`` — the department's inbox, soonest deadline first, coloured on time / warning /
  overdue, and the selected ticket beside it (``#GF-…``) with its actions: claim, return with a
  reason, start verification, the on-site finding, rectification with photos, an extension.
* ``/app/supervisor`` — overdue and at-risk tickets (the overdue view's filters and paging), the
  manual dispatch queue, extension and parking approvals, probable duplicates (merge / keep).
* ``/app/supervisor/tickets/{id}`` — one ticket with the supervisor's actions (催办 and 督办 too).
* ``/app/supervisor/orders``, ``/app/department/orders`` — 督办单: the orders of the area or of
  the department, the selected one beside them (``#DB-…``): staff answer, supervisors close.
* ``/app/supervisor/map`` — 挂图作战: grid cells shaded by open tickets, tickets as coloured dots.
* ``/app/supervisor/charts`` — on-time close rate by department, tickets per day (Chart.js).
* ``/app/reports`` — the periodic reports kept (daily 销号通报, weekly, monthly), newest first;
  ``/app/reports/{id}`` — one report: its chart, its rows, the most overdue, CSV/XLSX downloads.

Like every page here these are shells with no user data: the scripts (``static/desk/*.js``) read
the API with the token the login page keeps and put every user text in as text. Strings are
``i18n/desk/{zh,en}.json`` (English falls back to Chinese per key), in the language the shell
chose; templates get them as ``dt("key")`` and scripts as ``Desk.t("key")``.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.web.pages import WEB, language_of, render

router = APIRouter(include_in_schema=False)


@cache
def desk_strings(lang: str) -> dict[str, str]:
    zh = json.loads((WEB / "i18n" / "desk" / "zh.json").read_text(encoding="utf-8"))
    if lang == "zh":
        return zh
    return zh | json.loads((WEB / "i18n" / "desk" / f"{lang}.json").read_text(encoding="utf-8"))


def page(request: Request, template: str, title_key: str, **context: Any) -> HTMLResponse:
    words = desk_strings(language_of(request))

    def dt(key: str, **values: Any) -> str:
        text = words.get(key, key)
        return text.format(**values) if values else text

    return render(
        request,
        template,
        title_key=title_key,
        title=dt(title_key),
        dt=dt,
        desk_strings=words,
        **context,
    )


@router.get("/app/department", response_class=HTMLResponse)
async def department(request: Request) -> HTMLResponse:
    return page(request, "desk/department.html", "staff_title", nav="inbox")


@router.get("/app/department/tickets/{ticket_id}")
async def department_ticket(ticket_id: str = Path(max_length=64)) -> RedirectResponse:
    return RedirectResponse(f"/app/department#{quote(ticket_id, safe='-_')}", status_code=303)


@router.get("/app/supervisor", response_class=HTMLResponse)
async def supervisor(request: Request) -> HTMLResponse:
    return page(request, "desk/supervisor.html", "supervisor_title", nav="workbench")


@router.get("/app/supervisor/tickets/{ticket_id}", response_class=HTMLResponse)
async def supervisor_ticket(request: Request, ticket_id: str = Path(max_length=64)) -> HTMLResponse:
    return page(request, "desk/ticket.html", "ticket", nav="workbench", ticket_id=ticket_id)


@router.get("/app/supervisor/orders", response_class=HTMLResponse)
async def supervisor_orders(request: Request) -> HTMLResponse:
    return page(request, "desk/orders.html", "orders_title", nav="sup-orders", role="supervisor")


@router.get("/app/department/orders", response_class=HTMLResponse)
async def department_orders(request: Request) -> HTMLResponse:
    return page(
        request, "desk/orders.html", "orders_title", nav="dept-orders", role="department_staff"
    )


@router.get("/app/supervisor/map", response_class=HTMLResponse)
async def battle_map(request: Request) -> HTMLResponse:
    return page(request, "desk/map.html", "map_title", nav="map")


@router.get("/app/supervisor/charts", response_class=HTMLResponse)
async def charts(request: Request) -> HTMLResponse:
    return page(request, "desk/charts.html", "charts_title", nav="charts")


@router.get("/app/reports", response_class=HTMLResponse)
async def reports(request: Request) -> HTMLResponse:
    return page(request, "desk/reports.html", "reports_title", nav="reports")


@router.get("/app/reports/{report_id}", response_class=HTMLResponse)
async def report(request: Request, report_id: str = Path(max_length=32)) -> HTMLResponse:
    return page(request, "desk/report.html", "report_title", nav="reports", report_id=report_id)
