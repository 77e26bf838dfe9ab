"""Reads for the API: one ticket, inboxes, queues, the overdue list, pending requests and
notices, all from the projection."""

import math
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, false, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from domain.areas import level_name
from domain.duplicates import distance_m
from domain.models import DuplicateCandidate, TicketEvent, TicketSnapshot
from domain.states import DEPARTMENT_STATUSES, Action, TicketStatus
from readmodel.reference.tables import Category
from readmodel.tickets.tables import ArchiveRecord, Notification, TicketEventRow, TicketRow
from readmodel.timestamps import as_utc


async def get_ticket(*, session: AsyncSession, ticket_id: str) -> TicketSnapshot | None:
    """The projected ticket with its full timeline, or None if the projection has not seen it."""
    row = await session.get(TicketRow, ticket_id)
    if row is None:
        return None
    events = (
        await session.exec(
            select(TicketEventRow)
            .where(TicketEventRow.ticket_id == ticket_id)
            .order_by(col(TicketEventRow.seq))
        )
    ).all()
    return TicketSnapshot.model_validate(
        {
            **row.snapshot,
            "events": [TicketEvent.model_validate(e, from_attributes=True) for e in events],
        }
    )


async def ticket_row(*, session: AsyncSession, ticket_id: str) -> TicketRow | None:
    """The projected ticket's row (its list columns and snapshot, no timeline)."""
    return await session.get(TicketRow, ticket_id)


async def get_archive(*, session: AsyncSession, ticket_id: str) -> ArchiveRecord | None:
    return await session.get(ArchiveRecord, ticket_id)


def in_area(area: str | None) -> list[ColumnElement[bool]]:
    """Conditions keeping a supervisor's area (district, street or community code; None: no
    restriction), on the indexed street/community columns where the level allows."""
    if area is None:
        return []
    if level_name(area) == "street":
        return [col(TicketRow.street) == area]
    if level_name(area) == "community":
        return [col(TicketRow.community) == area]
    return [col(TicketRow.grid).startswith(area, autoescape=True)]


class Page:
    def __init__(self, rows: list[TicketRow], total: int) -> None:
        self.rows, self.total = rows, total


async def _page(
    session: AsyncSession, query: SelectOfScalar[TicketRow], *, limit: int, offset: int
) -> Page:
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    rows = (await session.exec(query.limit(limit).offset(offset))).all()
    return Page(list(rows), int(total))


def _soonest_first(query: SelectOfScalar[TicketRow]) -> SelectOfScalar[TicketRow]:
    return query.order_by(
        col(TicketRow.current_due_at).is_(None),
        col(TicketRow.current_due_at),
        col(TicketRow.submitted_at),
    )


async def department_inbox(
    *, session: AsyncSession, department: str, limit: int, offset: int
) -> Page:
    """A department's open tickets, the soonest deadline first."""
    query = select(TicketRow).where(
        TicketRow.department == department,
        col(TicketRow.status).in_([s.value for s in DEPARTMENT_STATUSES]),
    )
    return await _page(session, _soonest_first(query), limit=limit, offset=offset)


async def dispatch_queue(
    *, session: AsyncSession, limit: int, offset: int, area: str | None = None
) -> Page:
    """Tickets waiting for a supervisor to dispatch them by hand."""
    query = select(TicketRow).where(
        TicketRow.status == TicketStatus.MANUAL_DISPATCH.value, *in_area(area)
    )
    return await _page(session, _soonest_first(query), limit=limit, offset=offset)


class OverdueFilter(BaseModel):
    department: str | None = None
    street: str | None = None
    community: str | None = None
    grid: str | None = None
    category: str | None = None
    escalation_level: int | None = Field(
        default=None, ge=0, le=4, description="at least this level: 1 grid … 4 district"
    )
    due_within_hours: float | None = Field(
        default=None, gt=0, le=24 * 365, description="also the tickets at risk: due this soon"
    )


async def overdue_tickets(
    *,
    session: AsyncSession,
    now: datetime,
    where: OverdueFilter,
    limit: int,
    offset: int,
    area: str | None = None,
) -> Page:
    """Open tickets past a deadline (and, if asked, due soon), most overdue first.

    Shaped for the ix_ticket_open_*_due indexes (bench/overdue_bench.py shows the plans): the
    COUNT and the page's keys read only the index, the page walks it in _soonest_first's order
    (spelled NULLS LAST so SQLite and PostgreSQL alike need no sort) and stops after
    offset + limit entries, then only that page's rows are read, by primary key.
    """
    late = or_(col(TicketRow.overdue), col(TicketRow.current_due_at) < now)
    # The same set as one range of late_from (TicketRow.late_from), which the COUNT reads from
    # the ix_ticket_open_*_late indexes: only the late tickets' entries, not every open one's.
    counted = col(TicketRow.late_from) < now
    if where.due_within_hours is not None:
        horizon = now + timedelta(hours=where.due_within_hours)
        late = or_(late, col(TicketRow.current_due_at) <= horizon)
        counted = col(TicketRow.late_from) <= horizon
    # COALESCE(late, false) is true exactly when `late` is, but opaque to PostgreSQL's planner:
    # it would otherwise split the OR into a BitmapOr over the heap, costed on estimates that
    # ignore that every overdue ticket is open (several times too few rows), and read 50,000
    # rows to count them. Opaque, it filters the index entries it walks.
    common = [col(TicketRow.is_open), *in_area(area)]
    for column in ("department", "street", "community", "grid", "category"):
        value = getattr(where, column)
        if value:
            common.append(getattr(TicketRow, column) == value)
    if where.escalation_level is not None:
        common.append(col(TicketRow.escalation_level) >= where.escalation_level)
    conditions = [*common, func.coalesce(late, false())]
    total = (
        await session.exec(select(func.count()).select_from(TicketRow).where(*common, counted))
    ).one()
    keys = list(
        (
            await session.exec(
                select(TicketRow.ticket_id)
                .where(*conditions)
                .order_by(
                    col(TicketRow.current_due_at).asc().nulls_last(), col(TicketRow.submitted_at)
                )
                .limit(limit)
                .offset(offset)
            )
        ).all()
    )
    found = (
        {
            r.ticket_id: r
            for r in (
                await session.exec(select(TicketRow).where(col(TicketRow.ticket_id).in_(keys)))
            ).all()
        }
        if keys
        else {}
    )
    return Page([found[k] for k in keys if k in found], int(total))


async def probable_duplicates(
    *,
    session: AsyncSession,
    ticket_id: str,
    category: str,
    lat: float,
    lon: float,
    submitted_at: datetime,
) -> list[DuplicateCandidate]:
    """Open tickets of this category within its radius, reported within its window before this
    one; none when the category has duplicate detection off. Nearest first."""
    cat = await session.get(Category, category)
    if cat is None or cat.duplicate_radius_m is None:
        return []
    radius = float(cat.duplicate_radius_m)
    dlat = radius / 111_000
    dlon = radius / (111_000 * max(math.cos(math.radians(lat)), 0.01))
    rows = (
        await session.exec(
            select(TicketRow).where(
                TicketRow.category == category,
                col(TicketRow.is_open),
                TicketRow.ticket_id != ticket_id,
                col(TicketRow.status).not_in([TicketStatus.DUPLICATE_REVIEW.value]),
                col(TicketRow.submitted_at)
                >= submitted_at - timedelta(hours=cat.duplicate_window_hours),
                col(TicketRow.submitted_at) <= submitted_at,
                col(TicketRow.lat).between(lat - dlat, lat + dlat),
                col(TicketRow.lon).between(lon - dlon, lon + dlon),
            )
        )
    ).all()
    found = [
        DuplicateCandidate(
            ticket_id=r.ticket_id, distance_m=round(distance_m(lat, lon, r.lat, r.lon), 1)
        )
        for r in rows
    ]
    return sorted((c for c in found if c.distance_m <= radius), key=lambda c: c.distance_m)


async def duplicate_review(
    *, session: AsyncSession, limit: int, offset: int, area: str | None = None
) -> Page:
    """Probable duplicates waiting for a supervisor to merge or keep them, oldest first."""
    query = select(TicketRow).where(
        TicketRow.status == TicketStatus.DUPLICATE_REVIEW.value, *in_area(area)
    )
    return await _page(
        session, query.order_by(col(TicketRow.submitted_at)), limit=limit, offset=offset
    )


async def closed_sensor_tickets(
    *, session: AsyncSession, reporter_id: str, device_id: str, category: str
) -> int:
    """How many tickets this owner's device already had for this fault that are closed: its
    episode. A device is (owner, device id): two gateways may both have a "pump-1"."""
    return int(
        (
            await session.exec(
                select(func.count())
                .select_from(TicketRow)
                .where(
                    TicketRow.reporter_id == reporter_id,
                    TicketRow.device_id == device_id,
                    TicketRow.category == category,
                    col(TicketRow.is_open).is_(False),
                )
            )
        ).one()
    )


async def open_sensor_ticket(
    *, session: AsyncSession, reporter_id: str, device_id: str, category: str
) -> tuple[str, datetime] | None:
    """The open ticket of this owner's device for this fault, and when it last recorded a
    reading (its latest repeat, else its submission); None when the read model holds none open.
    One query."""
    latest_repeat = (
        select(func.max(TicketEventRow.at))
        .where(
            TicketEventRow.ticket_id == TicketRow.ticket_id,
            TicketEventRow.action == Action.SENSOR_REPEAT.value,
        )
        .scalar_subquery()
    )
    row = (
        await session.exec(
            select(TicketRow.ticket_id, TicketRow.submitted_at, latest_repeat)
            .where(
                TicketRow.reporter_id == reporter_id,
                TicketRow.device_id == device_id,
                TicketRow.category == category,
                col(TicketRow.is_open),
            )
            .order_by(col(TicketRow.submitted_at).desc())
            .limit(1)
        )
    ).first()
    return None if row is None else (row[0], as_utc(row[2] or row[1]))


async def reporter_tickets(
    *, session: AsyncSession, reporter_id: str, limit: int, offset: int
) -> Page:
    """The tickets one person reported, newest first."""
    query = (
        select(TicketRow)
        .where(TicketRow.reporter_id == reporter_id)
        .order_by(col(TicketRow.submitted_at).desc(), col(TicketRow.ticket_id))
    )
    return await _page(session, query, limit=limit, offset=offset)


async def write_off_checks(
    *, session: AsyncSession, grids: list[str], limit: int, offset: int
) -> Page:
    """Resolved tickets in these grids, waiting for the write-off check on site: the soonest
    write-off deadline first."""
    query = select(TicketRow).where(
        TicketRow.status == TicketStatus.RESOLVED.value, col(TicketRow.grid).in_(grids)
    )
    return await _page(session, _soonest_first(query), limit=limit, offset=offset)


async def pending_requests(
    *,
    session: AsyncSession,
    kind: Literal["extension", "parking"],
    department: str | None = None,
    area: str | None = None,
) -> list[tuple[TicketRow, dict[str, Any]]]:
    """Open tickets with a pending request of this kind, the oldest request first (in `area`).

    The read model has no column for a pending request (it lives in the ticket's snapshot): the
    query narrows to the open tickets whose timeline has such a request event, then keeps those
    whose projected snapshot still carries one. Cheap, since few tickets ever ask, and exact,
    because the snapshot is what the workflow last projected (a decision, a return or a
    dispatch clears it)."""
    action = Action.REQUEST_EXTENSION if kind == "extension" else Action.REQUEST_PARKING
    asked = select(TicketEventRow.ticket_id).where(TicketEventRow.action == action.value)
    query = select(TicketRow).where(
        col(TicketRow.is_open), col(TicketRow.ticket_id).in_(asked), *in_area(area)
    )
    if department:
        query = query.where(TicketRow.department == department)
    found = []
    for row in (await session.exec(query)).all():
        pending = (row.snapshot or {}).get(f"{kind}_request")
        if pending:
            found.append((row, pending))
    found.sort(key=lambda item: (str(item[1].get("requested_at")), item[0].ticket_id))
    return found


async def notifications(
    *,
    session: AsyncSession,
    area: str | None = None,
    targets: list[str] | None = None,
    ticket_id: str | None = None,
    limit: int,
    offset: int,
) -> tuple[list[Notification], int]:
    """Notices, newest first, and how many match: about tickets in `area` (None: anywhere),
    addressed to one of `targets` (None: to anyone), about one ticket if given."""
    query = select(Notification)
    if area is not None:
        query = query.where(
            col(Notification.ticket_id).in_(select(TicketRow.ticket_id).where(*in_area(area)))
        )
    if targets is not None:
        query = query.where(col(Notification.target).in_(targets))
    if ticket_id:
        query = query.where(Notification.ticket_id == ticket_id)
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    rows = (
        await session.exec(query.order_by(col(Notification.id).desc()).limit(limit).offset(offset))
    ).all()
    return list(rows), int(total)
