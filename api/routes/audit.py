"""Reading the audit log (admins only; nothing in the API can change it)."""

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel

from api.deps import AdminUser, SessionDep
from api.errors import invalid
from api.paging import AuditPaging, Page
from readmodel.access import audit
from readmodel.timestamps import as_utc

router = APIRouter(tags=["audit"])


class AuditItem(BaseModel):
    id: int
    at: datetime
    actor_id: str | None
    role: str | None
    auth: str | None
    username: str | None
    method: str
    route: str
    ticket_id: str | None
    status: int
    outcome: str
    error: str | None
    request_id: str
    call_id: str | None
    call: str | None
    seq: int | None
    settled: bool | None


class AuditPage(Page[AuditItem]):
    pass


def _utc(moment: datetime | None, field: str) -> datetime | None:
    """As stored: UTC (SQLite keeps no offset, so every bound must be in the same zone)."""
    try:
        return moment.astimezone(UTC) if moment else None
    except OverflowError:
        raise invalid(field, "out of range in UTC") from None


@router.get("/admin/audit", response_model=AuditPage)
async def audit_log(
    user: AdminUser,
    session: SessionDep,
    paging: AuditPaging,
    ticket_id: Annotated[str | None, Query(max_length=200)] = None,
    actor: Annotated[str | None, Query(max_length=200, description="a user id")] = None,
    since: Annotated[AwareDatetime | None, Query(description="from this moment on")] = None,
    until: Annotated[AwareDatetime | None, Query(description="before this moment")] = None,
    outcome: Literal["ok", "refused", "failed", "pending", "unknown"] | None = None,
) -> AuditPage:
    """The audit log, the newest first: who did what through which route, on which ticket, with
    what outcome (admins)."""
    if since and until and since >= until:
        raise invalid("until", "must be after since")
    where = audit.AuditFilter(
        ticket_id=ticket_id,
        actor_id=actor,
        outcome=outcome,
        since=_utc(since, "since"),
        until=_utc(until, "until"),
    )
    rows, total = await audit.search(
        session=session, where=where, limit=paging.limit, offset=paging.offset
    )
    items = [AuditItem.model_validate(row.model_dump() | {"at": as_utc(row.at)}) for row in rows]
    return AuditPage.of(items, total, paging)
