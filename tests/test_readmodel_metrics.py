"""Field metrics on a small known data set, figures worked out by hand; SQLite and PostgreSQL.

The data set (hours after each ticket's submission; period = one week in Asia/Shanghai):

  T1 cgj, street 001, archived after write-off, no breach          — on time
     dispatch +1, claim +3, verify fixed_on_site +5, write_off +29
     → dispatch 1, claim 2, verify 4, write_off 24
  T2 cgj, street 001, written off, 2 breaches                      — late
     dispatch +2, claim +10, verify needs_rectification +12, rectified +60, write_off +62
     → dispatch 2, claim 8, verify 10, rectify 48, write_off 2
  T3 zjj, street 002, archived after write-off, rework_count 1     — reworked, still on time
     dispatch +4, claim +5, verify fixed_on_site +8, reject +20, rectified +44, write_off +45
     → dispatch 4, claim 1, verify 4, rectify 24, write_off 1 (from re-entering resolved at +44)
  T4 zjj, street 002, still rectifying, extension_count 1          — extended, open
     dispatch +1, claim +2, verify needs_rectification +3, request/approve_extension
     → dispatch 1, claim 1, verify 2
  T5 cgj, cancelled then archived                                  — excluded
  T6 cancelled (not archived)                                      — excluded
  T7 returned by zjj, waiting for manual dispatch (department None) — grouped under zjj
     dispatch +1, claim +2, return +3 → dispatch 1, claim 1
  T8 never dispatched (manual_dispatch)                            — unassigned, street 001
  T9 submitted 1 s before the period, T10 exactly at its end        — excluded
  T1 is submitted exactly at the period's start (00:00 Asia/Shanghai = 16:00 UTC the day before).
"""

import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, delete

from domain import demo_city
from readmodel.db import Database
from readmodel.reference.tables import Department
from readmodel.tickets.metrics import (
    Event,
    GroupBy,
    MetricsRow,
    aggregate,
    final_status,
    p90,
    period_bounds,
    stage_samples,
    ticket_facts,
    ticket_metrics,
)
from readmodel.tickets.tables import TicketEventRow, TicketRow

GRID_1 = "33010600100101"  # street 330106001
GRID_2 = "33010600200201"  # street 330106002
STREET_1, STREET_2 = GRID_1[:9], GRID_2[:9]

RECTIFY = {"finding": {"outcome": "needs_rectification", "severity": "yellow"}}
FIXED = {"finding": {"outcome": "fixed_on_site"}}

# (name, status, department, grid, breach, rework, extension, offset from period start,
#  events as (hours after submission, action, to_status, data))
TICKETS: list[tuple[Any, ...]] = [
    (
        "T1",
        "archived",
        "cgj",
        GRID_1,
        0,
        0,
        0,
        timedelta(0),
        [
            (1, "dispatch", "dispatched", {"department": "cgj"}),
            (3, "claim", "claimed", {}),
            (4, "start_verification", "verifying", {}),
            (5, "verify", "resolved", FIXED),
            (29, "write_off", "written_off", {}),
            (29, "archive", "archived", {"final_status": "written_off"}),
        ],
    ),
    (
        "T2",
        "written_off",
        "cgj",
        GRID_1,
        2,
        0,
        0,
        timedelta(days=1),
        [
            (2, "dispatch", "dispatched", {"department": "cgj"}),
            (10, "claim", "claimed", {}),
            (11, "deadline_breached", "claimed", {}),
            (12, "verify", "rectifying", RECTIFY),
            (60, "rectified", "resolved", {}),
            (62, "write_off", "written_off", {}),
        ],
    ),
    (
        "T3",
        "archived",
        "zjj",
        GRID_2,
        0,
        1,
        0,
        timedelta(days=2),
        [
            (4, "dispatch", "dispatched", {"department": "zjj"}),
            (5, "claim", "claimed", {}),
            (8, "verify", "resolved", FIXED),
            (20, "reject", "rectifying", {}),
            (44, "rectified", "resolved", {}),
            (45, "write_off", "written_off", {}),
            (45, "archive", "archived", {"final_status": "written_off"}),
        ],
    ),
    (
        "T4",
        "rectifying",
        "zjj",
        GRID_2,
        0,
        0,
        1,
        timedelta(days=3),
        [
            (1, "dispatch", "dispatched", {"department": "zjj"}),
            (2, "claim", "claimed", {}),
            (3, "verify", "rectifying", RECTIFY),
            (4, "request_extension", "rectifying", {}),
            (5, "approve_extension", "rectifying", {}),
        ],
    ),
    (
        "T5",
        "archived",
        "cgj",
        GRID_1,
        0,
        0,
        0,
        timedelta(days=3),
        [
            (1, "dispatch", "dispatched", {"department": "cgj"}),
            (2, "cancel", "cancelled", {}),
            (2, "archive", "archived", {"final_status": "cancelled"}),
        ],
    ),
    (
        "T6",
        "cancelled",
        None,
        GRID_2,
        0,
        0,
        0,
        timedelta(days=4),
        [(1, "route", "manual_dispatch", {}), (2, "cancel", "cancelled", {})],
    ),
    (
        "T7",
        "manual_dispatch",
        None,
        GRID_2,
        0,
        0,
        0,
        timedelta(days=5),
        [
            (0, "route", "routed", {}),
            (1, "dispatch", "dispatched", {"department": "zjj"}),
            (2, "claim", "claimed", {}),
            (3, "return", "manual_dispatch", {"returned_by_department": "zjj"}),
        ],
    ),
    (
        "T8",
        "manual_dispatch",
        None,
        GRID_1,
        0,
        0,
        0,
        timedelta(days=6, hours=23),
        [(0, "route", "manual_dispatch", {})],
    ),
    (
        "T9",
        "written_off",
        "cgj",
        GRID_1,
        0,
        0,
        0,
        timedelta(seconds=-1),
        [(1, "dispatch", "dispatched", {"department": "cgj"}), (2, "write_off", "written_off", {})],
    ),
    (
        "T10",
        "written_off",
        "cgj",
        GRID_1,
        0,
        0,
        0,
        timedelta(days=7),
        [(1, "dispatch", "dispatched", {"department": "cgj"}), (2, "write_off", "written_off", {})],
    ),
]
OPEN = {"rectifying", "manual_dispatch", "submitted", "dispatched", "claimed", "resolved"}


def rows_for(suffix: str, start: datetime) -> tuple[list[TicketRow], list[TicketEventRow]]:
    tickets, events = [], []
    for name, status, dept, grid, breach, rework, ext, offset, timeline in TICKETS:
        tid = f"{name}-{suffix}"
        submitted = start + offset
        full = [(0, "submit", "submitted", {})] + timeline
        for seq, (hours, action, to_status, data) in enumerate(full, start=1):
            events.append(
                TicketEventRow(
                    ticket_id=tid,
                    seq=seq,
                    at=submitted + timedelta(hours=hours),
                    actor_id="t",
                    actor_role="system",
                    action=action,
                    to_status=to_status,
                    data=data,
                    from_status=None if seq == 1 else full[seq - 2][2],
                )
            )
        tickets.append(
            TicketRow(
                ticket_id=tid,
                seq=len(full),
                status=status,
                is_open=status in OPEN,
                category="garbage",
                grid=grid,
                street=grid[:9],
                community=grid[:12],
                lat=30.26,
                lon=120.11,
                description="测试",
                reporter_id="wang",
                department=dept,
                breach_count=breach,
                rework_count=rework,
                extension_count=ext,
                submitted_at=submitted,
                updated_at=submitted + timedelta(hours=full[-1][0]),
                snapshot={},
            )
        )
    return tickets, events


@pytest.fixture
async def period(database: Database) -> AsyncIterator[tuple[date, date]]:
    """A random week far from other tests' data (the PostgreSQL database is shared), filled."""
    monday = date(2040, 1, 2) + timedelta(weeks=random.randrange(2000))
    date_from, date_to = monday, monday + timedelta(days=7)
    start, _ = period_bounds(date_from, date_to)
    suffix = uuid.uuid4().hex[:8]
    tickets, events = rows_for(suffix, start)
    async with database.session() as session:
        for code in ("cgj", "zjj"):
            await session.merge(Department(code=code, name=demo_city.DEPARTMENTS[code]))
        session.add_all(tickets)
        await session.flush()
        session.add_all(events)
        await session.commit()
    yield date_from, date_to
    ids = [t.ticket_id for t in tickets]
    async with database.session() as session:
        await session.exec(delete(TicketEventRow).where(col(TicketEventRow.ticket_id).in_(ids)))
        await session.exec(delete(TicketRow).where(col(TicketRow.ticket_id).in_(ids)))
        await session.commit()


def figures(row: MetricsRow) -> dict[str, Any]:
    out = row.model_dump(exclude={"stages", "name", "group"})
    for stage, f in row.stages.items():
        out[stage] = (f.count, f.mean_hours, f.p90_hours)
    return out


async def test_metrics_by_department(database: Database, period: tuple[date, date]) -> None:
    async with database.session() as session:
        report = await ticket_metrics(
            session=session, group_by=GroupBy.DEPARTMENT, date_from=period[0], date_to=period[1]
        )
    rows = {r.group: r for r in report.rows}
    assert list(rows) == ["cgj", "zjj", "unassigned"]
    assert rows["cgj"].name == demo_city.DEPARTMENTS["cgj"]
    # cgj: T1 (on time), T2 (late); T5 cancelled is out, T9/T10 outside the period.
    assert figures(rows["cgj"]) == {
        "tickets": 2,
        "closed": 2,
        "closed_on_time": 1,
        "reworked": 0,
        "extended": 0,
        "returned": 0,
        "close_rate": 1.0,
        "on_time_close_rate": 0.5,
        "rework_rate": 0.0,
        "extension_rate": 0.0,
        "return_rate": 0.0,
        "dispatch": (2, 1.5, 2.0),  # [1, 2]
        "claim": (2, 5.0, 8.0),  # [2, 8]
        "verify": (2, 7.0, 10.0),  # [4, 10]
        "rectify": (1, 48.0, 48.0),  # [48]
        "write_off": (2, 13.0, 24.0),  # [24, 2]
    }
    # zjj: T3 (reworked, closed on time), T4 (extended, open), T7 (returned, last dept zjj).
    assert figures(rows["zjj"]) == {
        "tickets": 3,
        "closed": 1,
        "closed_on_time": 1,
        "reworked": 1,
        "extended": 1,
        "returned": 1,  # T7, returned once by cgj
        "close_rate": 0.3333,
        "on_time_close_rate": 0.3333,
        "rework_rate": 1.0,
        "extension_rate": 0.3333,
        "return_rate": 0.3333,
        "dispatch": (3, 2.0, 4.0),  # [4, 1, 1]
        "claim": (3, 1.0, 1.0),  # [1, 1, 1]
        "verify": (2, 3.0, 4.0),  # [4, 2]
        "rectify": (1, 24.0, 24.0),  # T3's rework round; T4 still rectifying
        "write_off": (1, 1.0, 1.0),  # T3: resolved again at +44 → +45
    }
    # unassigned: T8, never dispatched, open: nothing closed → rework rate null.
    assert figures(rows["unassigned"]) == {
        "tickets": 1,
        "closed": 0,
        "closed_on_time": 0,
        "reworked": 0,
        "extended": 0,
        "returned": 0,
        "close_rate": 0.0,
        "on_time_close_rate": 0.0,
        "rework_rate": None,
        "extension_rate": 0.0,
        "return_rate": 0.0,
        **{s: (0, None, None) for s in ("dispatch", "claim", "verify", "rectify", "write_off")},
    }
    # total: 6 tickets; p90 nearest rank ceil(0.9 n).
    assert report.total.group == "total"
    assert figures(report.total) == {
        "tickets": 6,
        "closed": 3,
        "closed_on_time": 2,
        "reworked": 1,
        "extended": 1,
        "returned": 1,
        "close_rate": 0.5,
        "on_time_close_rate": 0.3333,
        "rework_rate": 0.3333,
        "extension_rate": 0.1667,
        "return_rate": 0.1667,
        "dispatch": (5, 1.8, 4.0),  # [1,1,1,2,4]: rank 5
        "claim": (5, 2.6, 8.0),  # [1,1,1,2,8]: rank 5
        "verify": (4, 5.0, 10.0),  # [2,4,4,10]: rank 4
        "rectify": (2, 36.0, 48.0),  # [24, 48]
        "write_off": (3, 9.0, 24.0),  # [1, 2, 24]
    }


async def test_metrics_by_street(database: Database, period: tuple[date, date]) -> None:
    async with database.session() as session:
        report = await ticket_metrics(
            session=session, group_by=GroupBy.STREET, date_from=period[0], date_to=period[1]
        )
    rows = {r.group: r for r in report.rows}
    assert list(rows) == [STREET_1, STREET_2]
    one, two = rows[STREET_1], rows[STREET_2]
    # street 001: T1, T2, T8.  street 002: T3, T4, T7.
    assert (one.tickets, one.closed, one.closed_on_time, one.reworked, one.extended) == (
        3,
        2,
        1,
        0,
        0,
    )
    assert (one.close_rate, one.on_time_close_rate, one.rework_rate, one.extension_rate) == (
        0.6667,
        0.3333,
        0.0,
        0.0,
    )
    assert (two.tickets, two.closed, two.closed_on_time, two.reworked, two.extended) == (
        3,
        1,
        1,
        1,
        1,
    )
    assert (two.close_rate, two.on_time_close_rate, two.rework_rate, two.extension_rate) == (
        0.3333,
        0.3333,
        1.0,
        0.3333,
    )
    assert figures(report.total)["tickets"] == 6


async def test_metrics_empty_period(database: Database, period: tuple[date, date]) -> None:
    far = period[0] - timedelta(days=30)
    async with database.session() as session:
        report = await ticket_metrics(
            session=session,
            group_by=GroupBy.DEPARTMENT,
            date_from=far,
            date_to=far + timedelta(days=7),
        )
    assert report.rows == []
    t = report.total
    assert t.tickets == 0 and t.close_rate is None and t.extension_rate is None
    assert t.stages["dispatch"].mean_hours is None and t.stages["dispatch"].p90_hours is None


# --- the pure helpers -------------------------------------------------------------------------

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def ev(seq: int, hours: float, action: str, to: str, data: dict | None = None) -> Event:
    return Event(
        seq=seq, at=T0 + timedelta(hours=hours), action=action, to_status=to, data=data or {}
    )


def test_p90_is_nearest_rank() -> None:
    assert p90([]) is None
    assert p90([5.0]) == 5.0
    assert p90([3.0, 1.0, 2.0]) == 3.0  # ceil(2.7) = 3
    assert p90([float(i) for i in range(1, 11)]) == 9.0  # ceil(9) = 9
    assert p90([float(i) for i in range(1, 12)]) == 10.0  # ceil(9.9) = 10
    assert p90([float(i) for i in range(1, 21)]) == 18.0  # ceil(18) = 18


def test_period_is_whole_days_in_shanghai() -> None:
    start, end = period_bounds(date(2026, 3, 1), date(2026, 3, 2))
    assert start == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)


def test_stage_samples_two_rework_rounds_and_a_return() -> None:
    events = [
        ev(1, 0, "submit", "submitted"),
        ev(2, 0, "route", "routed"),
        ev(3, 1, "dispatch", "dispatched", {"department": "zjj"}),
        ev(4, 2, "claim", "claimed"),
        ev(5, 3, "return", "manual_dispatch"),
        ev(6, 10, "dispatch", "dispatched", {"department": "cgj"}),
        ev(7, 14, "claim", "claimed"),
        ev(8, 16, "verify", "rectifying", RECTIFY),
        ev(9, 26, "rectified", "resolved"),
        ev(10, 30, "reject", "rectifying"),
        ev(11, 35, "rectified", "resolved"),
        ev(12, 36, "reject", "rectifying"),
        ev(13, 39, "rectified", "resolved"),
        ev(14, 41, "write_off", "written_off"),
    ]
    assert stage_samples(events) == {
        "dispatch": [1.0],  # submit → the first dispatch
        "claim": [4.0],  # the last claim, from the dispatch right before it
        "verify": [6.0],  # 10 → 16
        "rectify": [10.0, 5.0, 3.0],  # one per round
        "write_off": [2.0],  # resolved at 39 → 41
    }


def test_ticket_facts() -> None:
    base: dict[str, Any] = dict(
        ticket_id="X", grid=GRID_2, street="", breach_count=0, rework_count=0, extension_count=0
    )
    cancelled = [
        ev(1, 0, "submit", "submitted"),
        ev(2, 1, "cancel", "cancelled"),
        ev(3, 1, "archive", "archived", {"final_status": "cancelled"}),
    ]
    assert ticket_facts(status="archived", department=None, events=cancelled, **base) is None
    assert final_status("archived", cancelled[:2]) == "cancelled"  # no final_status recorded
    returned = [
        ev(1, 0, "submit", "submitted"),
        ev(2, 1, "dispatch", "dispatched", {"department": "zjj"}),
        ev(3, 2, "return", "manual_dispatch"),
    ]
    f = ticket_facts(status="manual_dispatch", department=None, events=returned, **base)
    assert f is not None and f.department == "zjj" and f.street == STREET_2 and not f.closed
    never = ticket_facts(status="submitted", department=None, events=returned[:1], **base)
    assert never is not None and never.department == "unassigned"
    late = ticket_facts(
        status="written_off",
        department="cgj",
        events=[],
        **(base | {"breach_count": 1, "rework_count": 2}),
    )
    assert late is not None and late.closed and not late.closed_on_time and late.reworked


def test_aggregate_orders_groups_and_names_them() -> None:
    facts = [
        ticket_facts(
            ticket_id=t,
            status="submitted",
            department=d,
            grid=GRID_1,
            street=None,
            breach_count=0,
            rework_count=0,
            extension_count=0,
            events=[],
        )
        for t, d in (("a", None), ("b", "zjj"), ("c", "cgj"))
    ]
    report = aggregate(
        [f for f in facts if f],
        group_by=GroupBy.DEPARTMENT,
        date_from=date(2026, 3, 1),
        date_to=date(2026, 4, 1),
        names={"cgj": "城管局"},
    )
    assert [(r.group, r.name) for r in report.rows] == [
        ("cgj", "城管局"),
        ("zjj", None),
        ("unassigned", None),
    ]
    assert report.total.tickets == 3


def test_a_merged_report_counts_nowhere() -> None:
    merged = [
        ev(1, 0, "submit", "submitted"),
        ev(2, 1, "merge", "merged"),
        ev(3, 1, "archive", "archived"),
    ]
    assert (
        ticket_facts(
            ticket_id="M",
            status="archived",
            department=None,
            grid=GRID_1,
            street=None,
            breach_count=0,
            rework_count=0,
            extension_count=0,
            events=merged,
        )
        is None
    )
    assert final_status("merged", []) == "merged"
