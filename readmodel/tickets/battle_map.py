"""The supervisors' battle map (作战图): open tickets as coloured dots, open tickets per grid.

Colour, first that applies (``colour``, pure):

* ``green``  — written off today (Asia/Shanghai);
* ``black``  — escalated to the district (escalation level 4; the level reached stays on record);
* ``red``    — overdue: a breached deadline still open, or the current deadline passed (not parked);
* ``yellow`` — warned: a 50 %/80 % warning fired on a deadline still running, not breached;
* ``blue``   — on time.
"""

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from readmodel.reference.tables import Grid
from readmodel.tickets.daily_metrics import written_off_query
from readmodel.tickets.metrics import TZ
from readmodel.tickets.queries import in_area
from readmodel.tickets.tables import TicketRow
from readmodel.timestamps import as_utc

DISTRICT_LEVEL = 4


class Colour(StrEnum):
    GREEN = "green"
    BLACK = "black"
    RED = "red"
    YELLOW = "yellow"
    BLUE = "blue"


def is_late(*, overdue: bool, parked: bool, current_due_at: datetime | None, now: datetime) -> bool:
    """Overdue as projected, or the current deadline already passed while the breach is on its
    way (a parked ticket's clocks stand still)."""
    return overdue or (not parked and current_due_at is not None and as_utc(current_due_at) < now)


def colour(*, written_off_today: bool, escalation_level: int, late: bool, warned: bool) -> Colour:
    if written_off_today:
        return Colour.GREEN
    if escalation_level >= DISTRICT_LEVEL:
        return Colour.BLACK
    if late:
        return Colour.RED
    if warned:
        return Colour.YELLOW
    return Colour.BLUE


def today_bounds(now: datetime) -> tuple[date, datetime, datetime]:
    """Today in Asia/Shanghai and its [00:00, next 00:00) as UTC instants."""
    day = now.astimezone(TZ).date()
    start = datetime.combine(day, time(), TZ)
    return day, start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


class MapTicket(BaseModel):
    ticket_id: str
    lat: float
    lon: float
    category: str
    status: str
    colour: Colour
    grid: str
    department: str | None
    urgency: str
    escalation_level: int
    overdue: bool
    current_stage: str | None
    current_due_at: datetime | None


class BattleMap(BaseModel):
    day: date  # today, Asia/Shanghai
    tickets: list[MapTicket]
    counts: dict[Colour, int]


_COLUMNS = (
    TicketRow.ticket_id,
    TicketRow.lat,
    TicketRow.lon,
    TicketRow.category,
    TicketRow.status,
    TicketRow.grid,
    TicketRow.department,
    TicketRow.urgency,
    TicketRow.escalation_level,
    TicketRow.overdue,
    TicketRow.warned,
    TicketRow.parked,
    TicketRow.current_stage,
    TicketRow.current_due_at,
)


async def battle_map(*, session: AsyncSession, now: datetime, area: str | None = None) -> BattleMap:
    """Open tickets, and the tickets written off today, each with its colour (in `area`)."""
    day, start, end = today_bounds(now)
    done_today = {tid for tid, _ in (await session.exec(written_off_query(start, end, area))).all()}
    # sqlmodel's select() is typed for at most 4 columns, so this statement (and its rows) is Any.
    dots = select(*_COLUMNS)  # type: ignore[call-overload]
    rows = list((await session.exec(dots.where(col(TicketRow.is_open), *in_area(area)))).all())
    if done_today:
        rows += (
            await session.exec(
                dots.where(
                    col(TicketRow.ticket_id).in_(done_today), col(TicketRow.is_open).is_(False)
                )
            )
        ).all()
    tickets = []
    for r in rows:
        late = is_late(overdue=r.overdue, parked=r.parked, current_due_at=r.current_due_at, now=now)
        shade = colour(
            written_off_today=r.ticket_id in done_today,
            escalation_level=r.escalation_level,
            late=late,
            warned=r.warned,
        )
        tickets.append(
            MapTicket(
                ticket_id=r.ticket_id,
                lat=r.lat,
                lon=r.lon,
                category=r.category,
                status=r.status,
                colour=shade,
                grid=r.grid,
                department=r.department,
                urgency=r.urgency,
                escalation_level=r.escalation_level,
                overdue=late,
                current_stage=r.current_stage,
                current_due_at=as_utc(r.current_due_at) if r.current_due_at else None,
            )
        )
    tickets.sort(key=lambda t: t.ticket_id)
    counts = {c: 0 for c in Colour}
    for t in tickets:
        counts[t.colour] += 1
    return BattleMap(day=day, tickets=tickets, counts=counts)


async def open_per_grid(*, session: AsyncSession, area: str | None = None) -> dict[str, int]:
    """Every grid of the map (0 when nothing is open there), plus any grid a ticket names; only
    those in `area` if given."""
    grids = select(Grid.code)
    if area is not None:
        grids = grids.where(col(Grid.code).startswith(area, autoescape=True))
    counts = {code: 0 for code in (await session.exec(grids)).all()}
    for grid, n in (
        await session.exec(
            select(TicketRow.grid, func.count())
            .where(col(TicketRow.is_open), *in_area(area))
            .group_by(TicketRow.grid)
        )
    ).all():
        counts[grid] = int(n)
    return dict(sorted(counts.items()))
