"""Which running tickets a changed working calendar moves, read from the projection a page at a
time: the dry run of loading a year's notice, and each step of carrying it out
(activities/calendar_notice.py). The dating itself is domain/redating.py's."""

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.calendar import CalendarUnknownYear, ChinaWorkingCalendar
from domain.models import TicketSnapshot
from domain.redating import RedatedDeadline, redate_all
from readmodel.tickets.tables import TicketRow

PAGE = 200


class TicketRedate(BaseModel):
    ticket_id: str
    department: str | None
    status: str
    changes: list[RedatedDeadline]


class RedatePage(BaseModel):
    tickets: list[TicketRedate]  # those with a deadline that changes
    scanned: int
    next_after: str | None  # the last ticket id of a full page: read on after it; None: done


async def plan_page(
    *,
    session: AsyncSession,
    old: ChinaWorkingCalendar,
    new: ChinaWorkingCalendar,
    now: datetime,
    only_provisional: bool,
    after: str | None = None,
    dated_before: datetime | None = None,
    limit: int = PAGE,
) -> RedatePage:
    """One page of open tickets (by id, after `after`) and how `new` moves their deadlines,
    dated on `old`. `only_provisional`: the year was dated provisionally, so only tickets marked
    so can have a deadline in it dated on the old rules. `dated_before`: deadlines started since
    (dated on `new` already) are left alone."""
    query = select(TicketRow.ticket_id, TicketRow.department, TicketRow.status, TicketRow.snapshot)
    query = query.where(col(TicketRow.is_open), col(TicketRow.current_due_at).is_not(None))
    if only_provisional:
        query = query.where(col(TicketRow.provisional_due))
    if after is not None:
        query = query.where(col(TicketRow.ticket_id) > after)
    rows = (await session.exec(query.order_by(col(TicketRow.ticket_id)).limit(limit))).all()
    tickets = []
    for ticket_id, department, status, snapshot in rows:
        deadlines = TicketSnapshot.model_validate(snapshot).deadlines
        if dated_before is not None:
            deadlines = [d for d in deadlines if d.started_at < dated_before]
        try:
            changes = redate_all(deadlines, old=old, new=new, now=now)
        except CalendarUnknownYear:  # runs into a year neither calendar dates: it stays as is
            continue
        if changes:
            tickets.append(
                TicketRedate(
                    ticket_id=ticket_id, department=department, status=status, changes=changes
                )
            )
    return RedatePage(
        tickets=tickets,
        scanned=len(rows),
        next_after=rows[-1][0] if len(rows) == limit else None,
    )


async def count_provisional(*, session: AsyncSession) -> int:
    """Open tickets with a deadline dated on a provisional year (ticket.provisional_due)."""
    query = select(func.count()).where(col(TicketRow.is_open), col(TicketRow.provisional_due))
    return (await session.exec(query)).one()
