"""The admin's pages, on the shell of pages.py: ``/app/admin/notifications`` — failed deliveries
with a retry each, the channels and who hears what (docs/notification-centre.md). A shell like
every page here: its script reads the admin API with the admin's token."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/app/admin/notifications", response_class=HTMLResponse)
async def notifications(request: Request) -> HTMLResponse:
    return render(request, "admin/notifications.html", title_key="admin.notices.title")
