"""A report's figures, read from the ticket projection with the queries the API's own views use,
so that they agree with them by construction (docs/reports.md):

* ``new`` and the on-time close rate: readmodel.tickets.metrics.ticket_metrics (GET /metrics),
  once per department and once per street, over the report's days;
* ``written_off``: readmodel.tickets.daily_metrics.written_off_query (GET /metrics/daily);
* ``overdue`` and the most overdue: the overdue list's condition and its first page
  (readmodel.tickets.queries.overdue_tickets, GET /tickets/overdue).
"""

from datetime import datetime

import sqlalchemy
from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.areas import district_of
from domain.reports import ReportPlan
from readmodel.reference.tables import AreaRow, Department
from readmodel.reports.figures import OverdueTicket, ReportContent, Section, Tallies
from readmodel.tickets.daily_metrics import written_off_query
from readmodel.tickets.metrics import GroupBy, period_bounds, ticket_metrics
from readmodel.tickets.queries import OverdueFilter, overdue_tickets
from readmodel.tickets.tables import TicketEventRow, TicketRow
from readmodel.timestamps import as_utc

MOST_OVERDUE = 10
# The timeline events a report counts, by what they count as.
_FLOW_ACTIONS = ("dispatch", "return", "reject")


async def compile_report(
    *, session: AsyncSession, plan: ReportPlan, now: datetime
) -> ReportContent:
    """The report `plan` names, with `open`, `overdue` and the most overdue as of `now`."""
    tallies = Tallies()
    await _of_the_period_reports(session, plan, tallies)
    start, end = period_bounds(plan.period.start, plan.period.end)
    await _written_off(session, start, end, tallies)
    await _flow(session, start, end, tallies)
    await _open_now(session, now, tallies)
    departments = {d.code: d.name for d in (await session.exec(select(Department))).all()}
    areas = (await session.exec(select(AreaRow.code, AreaRow.level, AreaRow.name))).all()
    names = {code: name for code, _level, name in areas} | departments
    known = {level: [c for c, lv, _n in areas if lv == level] for level in ("district", "street")}
    page = await overdue_tickets(
        session=session, now=now, where=OverdueFilter(), limit=MOST_OVERDUE, offset=0
    )
    return ReportContent(
        report_id=plan.report_id,
        kind=plan.kind,
        title=plan.title,
        day=plan.day,
        period_start=plan.period.start,
        period_end=plan.period.end,
        compiled_at=now,
        calendar_known=plan.calendar_known,
        districts=tallies.rows(Section.DISTRICT, names, known["district"]),
        streets=tallies.rows(Section.STREET, names, known["street"]),
        departments=tallies.rows(Section.DEPARTMENT, names, departments),
        most_overdue=[_overdue(row, now, names) for row in page.rows],
    )


def _add(
    tallies: Tallies, *, department: str | None, street: str, what: str, amount: int = 1
) -> None:
    for section, group in (
        (Section.DEPARTMENT, department),
        (Section.STREET, street),
        (Section.DISTRICT, district_of(street)),
    ):
        tally = tallies.at(section, group)
        setattr(tally, what, getattr(tally, what) + amount)


async def _of_the_period_reports(session: AsyncSession, plan: ReportPlan, tallies: Tallies) -> None:
    """new and closed_on_time exactly as /metrics counts them per department and per street (a
    district's: its streets' summed)."""
    for group_by, section in (
        (GroupBy.DEPARTMENT, Section.DEPARTMENT),
        (GroupBy.STREET, Section.STREET),
    ):
        metrics = await ticket_metrics(
            session=session,
            group_by=group_by,
            date_from=plan.period.start,
            date_to=plan.period.end,
        )
        for row in metrics.rows:
            targets = [tallies.at(section, row.group)]
            if section is Section.STREET:
                targets.append(tallies.at(Section.DISTRICT, district_of(row.group)))
            for tally in targets:
                tally.new += row.tickets
                tally.closed_on_time += row.closed_on_time


async def _written_off(
    session: AsyncSession, start: datetime, end: datetime, tallies: Tallies
) -> None:
    """The tickets /metrics/daily counts as written off in [start, end); on time: no deadline
    ever breached (as /metrics' closed_on_time)."""
    written_off = written_off_query(start, end).subquery()
    query = select(TicketRow.department, TicketRow.street, TicketRow.breach_count).where(
        col(TicketRow.ticket_id).in_(sqlalchemy.select(written_off.c.ticket_id))
    )
    for department, street, breach_count in (await session.exec(query)).all():
        _add(tallies, department=department, street=street, what="written_off")
        if breach_count == 0:
            _add(tallies, department=department, street=street, what="written_off_on_time")


async def _flow(session: AsyncSession, start: datetime, end: datetime, tallies: Tallies) -> None:
    """Dispatches (to the department dispatched to), returns (by the department returning) and
    rejected write-off checks (the ticket's department reworks it) in [start, end)."""
    query = (
        sqlalchemy.select(
            col(TicketEventRow.ticket_id),
            col(TicketEventRow.action),
            col(TicketEventRow.data),
            col(TicketRow.department),
            col(TicketRow.street),
        )
        .join(TicketRow, col(TicketRow.ticket_id) == col(TicketEventRow.ticket_id))
        .where(
            col(TicketEventRow.at) >= start,
            col(TicketEventRow.at) < end,
            col(TicketEventRow.action).in_(_FLOW_ACTIONS),
        )
    )
    async for ticket_id, action, data, department, street in await session.stream(query):
        data = data or {}
        if action == "dispatch":
            to = data.get("department")
            for section, group in (
                (Section.DEPARTMENT, to),
                (Section.STREET, street),
                (Section.DISTRICT, district_of(street)),
            ):
                tallies.at(section, group).dispatched.add(ticket_id)
        elif action == "return":
            by = data.get("returned_by_department") or department
            _add(tallies, department=by, street=street, what="returned")
        else:
            _add(tallies, department=department, street=street, what="rework")


async def _open_now(session: AsyncSession, now: datetime, tallies: Tallies) -> None:
    """Open tickets, and those the overdue list counts as late at `now` (late_from < now)."""
    late = func.sum(case((col(TicketRow.late_from) < now, 1), else_=0))
    query = (
        select(TicketRow.department, TicketRow.street, func.count(), late)
        .where(col(TicketRow.is_open))
        .group_by(col(TicketRow.department), col(TicketRow.street))
    )
    for department, street, count, overdue in (await session.exec(query)).all():
        _add(tallies, department=department, street=street, what="open", amount=count)
        _add(tallies, department=department, street=street, what="overdue", amount=overdue or 0)


def _overdue(row: TicketRow, now: datetime, names: dict[str, str]) -> OverdueTicket:
    due = as_utc(row.current_due_at) if row.current_due_at is not None else None
    late = None if due is None else round(max(0.0, (now - due).total_seconds()) / 86400, 1)
    return OverdueTicket(
        ticket_id=row.ticket_id,
        category=row.category,
        department=row.department,
        department_name=names.get(row.department or ""),
        street=row.street,
        street_name=names.get(row.street),
        due_at=due,
        days_late=late,
        escalation_level=row.escalation_level,
    )
