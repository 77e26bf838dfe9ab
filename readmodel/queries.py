"""Reads for the API: one ticket, inboxes, queues and the overdue list, all from the projection."""
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.models import TicketEvent, TicketSnapshot
from domain.states import DEPARTMENT_STATUSES, TicketStatus
from readmodel.tables import ArchiveRecord, TicketEventRow, TicketRow


async def get_ticket(*, session: AsyncSession, ticket_id: str) -> TicketSnapshot | None:
    """The projected ticket with its full timeline, or None if the projection has not seen it."""
    row = await session.get(TicketRow, ticket_id)
    if row is None:
        return None
    events = (await session.exec(
        select(TicketEventRow).where(TicketEventRow.ticket_id == ticket_id).order_by(TicketEventRow.seq)
    )).all()
    return TicketSnapshot.model_validate(
        {**row.snapshot, "events": [TicketEvent.model_validate(e, from_attributes=True) for e in events]}
    )


async def get_archive(*, session: AsyncSession, ticket_id: str) -> ArchiveRecord | None:
    return await session.get(ArchiveRecord, ticket_id)


class Page:
    def __init__(self, rows: list[TicketRow], total: int) -> None:
        self.rows, self.total = rows, total


async def _page(session: AsyncSession, query, *, limit: int, offset: int) -> Page:  # type: ignore[no-untyped-def]
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    rows = (await session.exec(query.limit(limit).offset(offset))).all()
    return Page(list(rows), int(total))


def _soonest_first(query):  # type: ignore[no-untyped-def]
    return query.order_by(col(TicketRow.current_due_at).is_(None), col(TicketRow.current_due_at),
                          col(TicketRow.submitted_at))


async def department_inbox(
    *, session: AsyncSession, department: str, limit: int, offset: int
) -> Page:
    """A department's open tickets, the soonest deadline first."""
    query = select(TicketRow).where(
        TicketRow.department == department,
        col(TicketRow.status).in_([s.value for s in DEPARTMENT_STATUSES]),
    )
    return await _page(session, _soonest_first(query), limit=limit, offset=offset)


async def dispatch_queue(*, session: AsyncSession, limit: int, offset: int) -> Page:
    """Tickets waiting for a supervisor to dispatch them by hand."""
    query = select(TicketRow).where(TicketRow.status == TicketStatus.MANUAL_DISPATCH.value)
    return await _page(session, _soonest_first(query), limit=limit, offset=offset)


async def overdue_tickets(
    *,
    session: AsyncSession,
    now: datetime,
    department: str | None,
    grid: str | None,
    category: str | None,
    limit: int,
    offset: int,
) -> Page:
    """Open tickets past a deadline (breach recorded, or due and not yet recorded), most overdue first."""
    query = select(TicketRow).where(
        col(TicketRow.is_open),
        or_(col(TicketRow.overdue), col(TicketRow.current_due_at) < now),
    )
    if department:
        query = query.where(TicketRow.department == department)
    if grid:
        query = query.where(TicketRow.grid == grid)
    if category:
        query = query.where(TicketRow.category == category)
    return await _page(session, _soonest_first(query), limit=limit, offset=offset)
