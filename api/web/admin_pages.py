"""The admin's pages, on the shell of pages.py: ``/app/admin`` (home: what needs the admin now,
and the pages), ``/app/admin/calendar`` (the working calendar: provisional years, loading a
year's notice with its dry run and re-dating; docs/deadlines.md) and ``/app/admin/notifications``
(failed deliveries with a retry each, the channels and who hears what;
docs/notification-centre.md). Shells like every page here: their scripts read the admin API
with the admin's token."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/app/admin/notifications", response_class=HTMLResponse)
async def notifications(request: Request) -> HTMLResponse:
    return render(request, "admin/notifications.html", title_key="admin.notices.title")


@router.get("/app/admin", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    return render(request, "admin/home.html", title_key="admin.home.title")


@router.get("/app/admin/users", response_class=HTMLResponse)
async def users(request: Request) -> HTMLResponse:
    return render(request, "admin/users.html", title_key="admin.users.title")


@router.get("/app/admin/rules", response_class=HTMLResponse)
async def rules(request: Request) -> HTMLResponse:
    return render(request, "admin/rules.html", title_key="admin.rules.title")


@router.get("/app/admin/calendar", response_class=HTMLResponse)
async def calendar(request: Request) -> HTMLResponse:
    return render(request, "admin/calendar.html", title_key="admin.calendar.title")
