"""Tickets per day (Asia/Shanghai) for a chart: reports submitted and tickets written off.

* ``submitted``: every report submitted that day, whatever became of it (cancelled and merged
  reports included: they were reported);
* ``written_off``: tickets written off that day (their ``closed_at``, the write-off's instant;
  archived ones included, cancelled and merged ones are closed without a write-off and left out).

The days run [date_from, date_to), every day listed, zeros included. Counting is done in Python
over one timestamp column each (streamed), so the day boundaries are Asia/Shanghai's on either
database.
"""

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from pydantic import BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from readmodel.tickets.metrics import TZ, period_bounds
from readmodel.tickets.queries import in_area
from readmodel.tickets.tables import TicketEventRow, TicketRow
from readmodel.timestamps import as_utc


class DayCount(BaseModel):
    day: date
    submitted: int
    written_off: int


def local_day(at: datetime) -> date:
    return as_utc(at).astimezone(TZ).date()


def per_day(
    date_from: date, date_to: date, submitted: Iterable[datetime], written_off: Iterable[datetime]
) -> list[DayCount]:
    """Bucket instants into Asia/Shanghai days, every day of [date_from, date_to) listed (pure)."""
    subs, offs = Counter(map(local_day, submitted)), Counter(map(local_day, written_off))
    days = [date_from + timedelta(days=i) for i in range((date_to - date_from).days)]
    return [DayCount(day=d, submitted=subs[d], written_off=offs[d]) for d in days]


def written_off_query(
    start: datetime, end: datetime, area: str | None = None
) -> Select[str, datetime | None]:
    """(ticket_id, closed_at) of the tickets written off in [start, end): closed then (the
    closed_at index), by a write-off (its timeline event, found by ticket id); in `area`."""
    return (
        select(TicketRow.ticket_id, TicketRow.closed_at)
        .join(TicketEventRow, col(TicketEventRow.ticket_id) == col(TicketRow.ticket_id))
        .where(
            col(TicketRow.closed_at) >= start,
            col(TicketRow.closed_at) < end,
            TicketEventRow.action == "write_off",
            *in_area(area),
        )
    )


async def daily_counts(
    *, session: AsyncSession, date_from: date, date_to: date, area: str | None = None
) -> list[DayCount]:
    start, end = period_bounds(date_from, date_to)
    query = select(TicketRow.submitted_at).where(
        col(TicketRow.submitted_at) >= start, col(TicketRow.submitted_at) < end, *in_area(area)
    )
    submitted = [row.submitted_at async for row in await session.stream(query)]
    closed = {
        ticket_id: closed_at
        for ticket_id, closed_at in (await session.exec(written_off_query(start, end, area))).all()
        if closed_at is not None
    }  # always set: the query asks for closed_at >= start
    return per_day(date_from, date_to, submitted, closed.values())
