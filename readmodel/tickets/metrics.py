"""Field metrics per department or street over a period, from the projection.

Which tickets: submitted in [date_from, date_to) — whole days in Asia/Shanghai — and not cancelled
(a cancelled ticket, archived or not, counts nowhere). Grouped by

* ``department``: the ticket's current department, else the last one it was dispatched to (a
  ticket returned and waiting for manual dispatch stays with the department that had it); a
  ticket never dispatched goes under ``unassigned``;
* ``street``: the street code (the grid's first 9 digits).

Figures per group (and for all groups together, the total row):

* ``tickets``; ``closed`` — written off (archived after a write-off included); ``closed_on_time``
  — closed with no deadline ever breached (breach_count == 0); ``reworked`` — closed with
  rework_count > 0; ``extended`` — extension_count > 0;
* ``close_rate`` 结案率 = closed / tickets; ``on_time_close_rate`` 按期结案率 = closed_on_time /
  tickets; ``rework_rate`` 返工率 = reworked / closed; ``extension_rate`` 延期率 = extended /
  tickets. A rate whose denominator is 0 is None (null in JSON, empty in CSV);
* per stage, natural hours (24 h a day, not working time) between two timeline events — count of
  samples, mean and p90:

  | stage | from | to | samples |
  | --- | --- | --- | --- |
  | dispatch | submit | the first dispatch | one per ticket dispatched |
  | claim | the dispatch right before the claim | the (last) claim | one per ticket claimed |
  | verify | the dispatch right before the verify | the (last) verify | one per ticket verified |
  | rectify | a verify needing rectification, or a reject | the next rectified | one per round |
  | write_off | entering resolved (verify or rectified) | write_off | one per ticket written off |

  Claim and verify take the last claim / verify and the dispatch right before it: a ticket
  returned and dispatched again is timed on its last cycle, the one of the department it is
  grouped under. Open tickets contribute the stages they have completed.

p90 is the nearest-rank percentile: the values sorted ascending, the one at 1-based rank
ceil(0.9 × n), always an observed value (no interpolation): n = 1…9 → the largest, n = 10 → the
9th, n = 20 → the 18th. Mean and p90 are None with no samples. Hours are rounded to 2 decimals, rates to 4, for presentation only.

The pure part (``ticket_facts``, ``stage_samples``, ``p90``, ``summarize``, ``aggregate``) takes
plain rows and events and is unit-testable without a database; ``ticket_metrics`` runs the two
queries (tickets, then their timeline events, streamed in ticket order) and feeds it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy
from pydantic import BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.areas import street_of
from readmodel.reference.tables import Department
from readmodel.tickets.queries import in_area
from readmodel.tickets.tables import TicketEventRow, TicketRow

TZ = ZoneInfo("Asia/Shanghai")
UNASSIGNED = "unassigned"
TOTAL = "total"
STAGES = ("dispatch", "claim", "verify", "rectify", "write_off")
MAX_PERIOD_DAYS = 366

# Only these timeline events matter to the figures; the rest are not read.
_ACTIONS = (
    "submit",
    "dispatch",
    "return",
    "claim",
    "verify",
    "reject",
    "rectified",
    "write_off",
    "cancel",
    "merge",
    "archive",
)


class GroupBy(StrEnum):
    DEPARTMENT = "department"
    STREET = "street"


# --- pure computation ----------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """The part of a timeline event the metrics read."""

    seq: int
    at: datetime
    action: str
    to_status: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TicketFacts:
    """One ticket reduced to what the figures count."""

    ticket_id: str
    department: str
    street: str
    closed: bool
    closed_on_time: bool
    reworked: bool
    extended: bool
    returned: bool
    stage_hours: Mapping[str, tuple[float, ...]]

    def group(self, by: GroupBy) -> str:
        return self.department if by == GroupBy.DEPARTMENT else self.street


def period_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[from 00:00, to 00:00) in Asia/Shanghai, as UTC instants."""
    start = datetime.combine(date_from, time(), TZ).astimezone(UTC)
    end = datetime.combine(date_to, time(), TZ).astimezone(UTC)
    return start, end


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def final_status(status: str, events: Sequence[Event]) -> str:
    """The status a ticket ended in; for an archived one, the status it was archived from."""
    if status != "archived":
        return status
    for e in reversed(events):
        if e.action == "archive" and e.data.get("final_status"):
            return str(e.data["final_status"])
    actions = {e.action for e in events}
    for action, final in (
        ("cancel", "cancelled"),
        ("merge", "merged"),
        ("write_off", "written_off"),
    ):
        if action in actions:
            return final
    return status


def _needs_rectification(e: Event) -> bool:
    finding = e.data.get("finding") or {}
    return e.action == "verify" and finding.get("outcome") == "needs_rectification"


def stage_samples(events: Sequence[Event]) -> dict[str, list[float]]:
    """Natural hours per stage from one ticket's timeline (events in seq order); see the module doc."""
    out: dict[str, list[float]] = {s: [] for s in STAGES}
    submit_at: datetime | None = None
    last_dispatch: datetime | None = None
    first_dispatch: datetime | None = None
    claim: float | None = None
    verify: float | None = None
    rectify_open: datetime | None = None
    resolved_at: datetime | None = None
    write_off: float | None = None
    for e in sorted(events, key=lambda e: e.seq):
        if e.action == "submit" and submit_at is None:
            submit_at = e.at
        elif e.action == "dispatch":
            last_dispatch = e.at
            if first_dispatch is None:
                first_dispatch = e.at
        elif e.action == "claim" and last_dispatch is not None:
            claim = _hours(last_dispatch, e.at)
        elif e.action == "verify" and last_dispatch is not None:
            verify = _hours(last_dispatch, e.at)
        if _needs_rectification(e) or e.action == "reject":
            rectify_open = e.at
        elif e.action == "rectified" and rectify_open is not None:
            out["rectify"].append(_hours(rectify_open, e.at))
            rectify_open = None
        if e.action == "write_off" and resolved_at is not None:
            write_off = _hours(resolved_at, e.at)
        if e.to_status == "resolved":
            resolved_at = e.at
    if submit_at is not None and first_dispatch is not None:
        out["dispatch"].append(_hours(submit_at, first_dispatch))
    for stage, value in (("claim", claim), ("verify", verify), ("write_off", write_off)):
        if value is not None:
            out[stage].append(value)
    return out


def ticket_facts(
    *,
    ticket_id: str,
    status: str,
    department: str | None,
    grid: str,
    street: str | None,
    breach_count: int,
    rework_count: int,
    extension_count: int,
    events: Sequence[Event],
) -> TicketFacts | None:
    """What one ticket counts for; None for a cancelled ticket, which counts nowhere."""
    final = final_status(status, events)
    if final in ("cancelled", "merged"):  # no work of its own: counts nowhere
        return None
    if not department:
        dispatched = [e for e in events if e.action == "dispatch" and e.data.get("department")]
        department = (
            str(max(dispatched, key=lambda e: e.seq).data["department"])
            if dispatched
            else UNASSIGNED
        )
    closed = final == "written_off"
    return TicketFacts(
        ticket_id=ticket_id,
        department=department,
        street=street or street_of(grid),
        closed=closed,
        closed_on_time=closed and breach_count == 0,
        reworked=closed and rework_count > 0,
        extended=extension_count > 0,
        returned=any(e.action == "return" for e in events),
        stage_hours={k: tuple(v) for k, v in stage_samples(events).items()},
    )


def p90(values: Sequence[float]) -> float | None:
    """Nearest-rank 90th percentile: sorted ascending, the value at 1-based rank ceil(0.9 n)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[-(-9 * len(ordered) // 10) - 1]  # ceil(0.9 n) in integers, 1-based


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


class StageFigures(BaseModel):
    count: int
    mean_hours: float | None
    p90_hours: float | None


class MetricsRow(BaseModel):
    group: str
    name: str | None = None
    tickets: int
    closed: int
    closed_on_time: int
    reworked: int
    extended: int
    returned: int
    close_rate: float | None
    on_time_close_rate: float | None
    rework_rate: float | None
    extension_rate: float | None
    return_rate: float | None
    stages: dict[str, StageFigures]


class MetricsReport(BaseModel):
    group_by: GroupBy
    date_from: date
    date_to: date
    timezone: str = "Asia/Shanghai"
    rows: list[MetricsRow]
    total: MetricsRow


def summarize(group: str, facts: Iterable[TicketFacts], *, name: str | None = None) -> MetricsRow:
    items = list(facts)
    tickets = len(items)
    closed = sum(f.closed for f in items)
    on_time = sum(f.closed_on_time for f in items)
    reworked = sum(f.reworked for f in items)
    extended = sum(f.extended for f in items)
    returned = sum(f.returned for f in items)
    stages = {}
    for stage in STAGES:
        values = [h for f in items for h in f.stage_hours.get(stage, ())]
        stages[stage] = StageFigures(
            count=len(values),
            mean_hours=_round(sum(values) / len(values)) if values else None,
            p90_hours=_round(p90(values)),
        )
    return MetricsRow(
        group=group,
        name=name,
        tickets=tickets,
        closed=closed,
        closed_on_time=on_time,
        reworked=reworked,
        extended=extended,
        returned=returned,
        close_rate=_rate(closed, tickets),
        on_time_close_rate=_rate(on_time, tickets),
        rework_rate=_rate(reworked, closed),
        extension_rate=_rate(extended, tickets),
        return_rate=_rate(returned, tickets),
        stages=stages,
    )


def aggregate(
    facts: Iterable[TicketFacts],
    *,
    group_by: GroupBy,
    date_from: date,
    date_to: date,
    names: Mapping[str, str] | None = None,
) -> MetricsReport:
    """One row per group (sorted by code, `unassigned` last) and the total row."""
    items = list(facts)
    groups: dict[str, list[TicketFacts]] = defaultdict(list)
    for f in items:
        groups[f.group(group_by)].append(f)
    names = names or {}
    order = sorted(groups, key=lambda g: (g == UNASSIGNED, g))
    return MetricsReport(
        group_by=group_by,
        date_from=date_from,
        date_to=date_to,
        rows=[summarize(g, groups[g], name=names.get(g)) for g in order],
        total=summarize(TOTAL, items),
    )


# --- CSV layout (shared by the API and anyone exporting) ----------------------------------------

CSV_COLUMNS = [
    "group",
    "name",
    "tickets",
    "closed",
    "closed_on_time",
    "reworked",
    "extended",
    "returned",
    "close_rate",
    "on_time_close_rate",
    "rework_rate",
    "extension_rate",
    "return_rate",
] + [f"{s}_{k}" for s in STAGES for k in ("count", "mean_hours", "p90_hours")]


def csv_record(row: MetricsRow) -> list[Any]:
    """One CSV line in CSV_COLUMNS order; None becomes an empty cell."""
    flat: dict[str, Any] = row.model_dump(exclude={"stages"})
    for stage, figures in row.stages.items():
        for key, value in figures.model_dump().items():
            flat[f"{stage}_{key}"] = value
    return ["" if flat[c] is None else flat[c] for c in CSV_COLUMNS]


# --- the queries ------------------------------------------------------------------------------


async def ticket_metrics(
    *,
    session: AsyncSession,
    group_by: GroupBy,
    date_from: date,
    date_to: date,
    area: str | None = None,
) -> MetricsReport:
    """The figures for tickets submitted in [date_from, date_to) (Asia/Shanghai days), in a
    supervisor's `area` if given."""
    start, end = period_bounds(date_from, date_to)
    in_period = (
        col(TicketRow.submitted_at) >= start,
        col(TicketRow.submitted_at) < end,
        col(TicketRow.status) != "cancelled",
        *in_area(area),
    )
    # sqlmodel's select() is typed for at most 4 columns, so this statement (and its rows) is Any;
    # session.exec takes sqlmodel's statements only. SQLAlchemy's select() types up to 10, below.
    tickets_query = select(  # type: ignore[call-overload]
        TicketRow.ticket_id,
        TicketRow.status,
        TicketRow.department,
        TicketRow.grid,
        TicketRow.street,
        TicketRow.breach_count,
        TicketRow.rework_count,
        TicketRow.extension_count,
    ).where(*in_period)
    tickets = {r.ticket_id: r for r in (await session.exec(tickets_query)).all()}
    events_query = (
        sqlalchemy.select(
            col(TicketEventRow.ticket_id),
            col(TicketEventRow.seq),
            col(TicketEventRow.at),
            col(TicketEventRow.action),
            col(TicketEventRow.to_status),
            col(TicketEventRow.data),
        )
        .join(TicketRow, col(TicketRow.ticket_id) == col(TicketEventRow.ticket_id))
        .where(*in_period, col(TicketEventRow.action).in_(_ACTIONS))
        .order_by(col(TicketEventRow.ticket_id), col(TicketEventRow.seq))
    )
    facts: list[TicketFacts] = []

    def add(ticket_id: str, events: list[Event]) -> None:
        r = tickets.pop(ticket_id, None)
        if r is None:  # moved into the period between the two reads
            return
        f = ticket_facts(
            ticket_id=ticket_id,
            status=r.status,
            department=r.department,
            grid=r.grid,
            street=r.street,
            breach_count=r.breach_count,
            rework_count=r.rework_count,
            extension_count=r.extension_count,
            events=events,
        )
        if f is not None:
            facts.append(f)

    # Events arrive in ticket order: one ticket's timeline in memory at a time.
    current: str | None = None
    timeline: list[Event] = []
    async for e in await session.stream(events_query):
        if e.ticket_id != current:
            if current is not None:
                add(current, timeline)
            current, timeline = e.ticket_id, []
        timeline.append(
            Event(seq=e.seq, at=e.at, action=e.action, to_status=e.to_status, data=e.data or {})
        )
    if current is not None:
        add(current, timeline)
    for ticket_id in list(tickets):  # no timeline events projected (yet)
        add(ticket_id, [])
    names: dict[str, str] = {}
    if group_by == GroupBy.DEPARTMENT:
        names = {d.code: d.name for d in (await session.exec(select(Department))).all()}
    return aggregate(facts, group_by=group_by, date_from=date_from, date_to=date_to, names=names)
