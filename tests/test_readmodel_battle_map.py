"""Battle map colours (pure), the projected `warned` flag, tickets per day; the map and daily
queries on SQLite and PostgreSQL."""

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, delete

from domain.models import Deadline, DeadlineWarning, TicketSnapshot
from domain.states import DeadlineStage, TicketStatus
from readmodel import migrate
from readmodel.db import Database
from readmodel.tickets.battle_map import (
    Colour,
    battle_map,
    colour,
    is_late,
    open_per_grid,
    today_bounds,
)
from readmodel.tickets.daily_metrics import daily_counts, per_day
from readmodel.tickets.projection import ticket_values, warned
from readmodel.tickets.tables import TicketEventRow, TicketRow

GRID = "33010600100101"
NOW = datetime(2031, 3, 12, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai


# --- pure ------------------------------------------------------------------------------------


def test_colour_first_that_applies() -> None:
    def shade(
        *,
        written_off_today: bool = False,
        escalation_level: int = 0,
        late: bool = False,
        warned: bool = False,
    ) -> Colour:
        return colour(
            written_off_today=written_off_today,
            escalation_level=escalation_level,
            late=late,
            warned=warned,
        )

    assert shade() == Colour.BLUE
    assert shade(warned=True) == Colour.YELLOW
    assert shade(late=True, warned=True) == Colour.RED
    for level in (1, 2, 3):
        assert shade(late=True, escalation_level=level) == Colour.RED
    assert shade(escalation_level=4) == Colour.BLACK  # the level reached stays on record
    assert shade(escalation_level=4, late=True, warned=True) == Colour.BLACK
    assert shade(written_off_today=True, escalation_level=4, late=True) == Colour.GREEN


def test_late_is_the_breach_or_a_passed_deadline_unless_parked() -> None:
    past, future = NOW - timedelta(minutes=1), NOW + timedelta(minutes=1)
    assert is_late(overdue=True, parked=False, current_due_at=None, now=NOW)
    assert is_late(overdue=True, parked=True, current_due_at=future, now=NOW)
    assert is_late(overdue=False, parked=False, current_due_at=past, now=NOW)
    assert is_late(overdue=False, parked=False, current_due_at=past.replace(tzinfo=None), now=NOW)
    assert not is_late(overdue=False, parked=True, current_due_at=past, now=NOW)
    assert not is_late(overdue=False, parked=False, current_due_at=future, now=NOW)
    assert not is_late(overdue=False, parked=False, current_due_at=None, now=NOW)


def test_today_is_a_shanghai_day() -> None:
    day, start, end = today_bounds(datetime(2031, 3, 12, 16, 30, tzinfo=UTC))  # 00:30 on the 13th
    assert day == date(2031, 3, 13)
    assert start == datetime(2031, 3, 12, 16, 0, tzinfo=UTC) and end - start == timedelta(days=1)


def deadline(
    stage: DeadlineStage, *, fired: bool = False, breached: bool = False, met: bool = False
) -> Deadline:
    start = NOW - timedelta(days=2)
    return Deadline(
        stage=stage,
        started_at=start,
        due_at=NOW + timedelta(days=1),
        warnings=[
            DeadlineWarning(
                fraction=0.5, at=NOW - timedelta(hours=1), fired_at=NOW if fired else None
            )
        ],
        breached_at=NOW if breached else None,
        met_at=NOW if met else None,
    )


def snapshot(*deadlines: Deadline) -> TicketSnapshot:
    return TicketSnapshot(
        ticket_id="GF-W",
        status=TicketStatus.CLAIMED,
        category="E0101",
        grid=GRID,
        lat=30.25,
        lon=120.1,
        description="x",
        reporter_id="wang",
        submitted_at=NOW,
        updated_at=NOW,
        deadlines=list(deadlines),
    )


def test_warned_is_a_fired_warning_on_a_running_unbreached_deadline() -> None:
    assert not warned(snapshot())
    assert not warned(snapshot(deadline(DeadlineStage.VERIFY)))
    assert warned(snapshot(deadline(DeadlineStage.VERIFY, fired=True)))
    assert not warned(snapshot(deadline(DeadlineStage.VERIFY, fired=True, met=True)))
    assert not warned(snapshot(deadline(DeadlineStage.VERIFY, fired=True, breached=True)))
    assert warned(
        snapshot(
            deadline(DeadlineStage.CLAIM, met=True, fired=True),
            deadline(DeadlineStage.HANDLE, fired=True),
        )
    )
    assert ticket_values(snapshot(deadline(DeadlineStage.HANDLE, fired=True)))["warned"] is True


def test_per_day_lists_every_day_in_shanghai() -> None:
    d = date(2031, 3, 10)
    at = datetime(2031, 3, 10, 15, 59, tzinfo=UTC)  # 23:59 on the 10th in Shanghai
    rows = per_day(
        d,
        d + timedelta(days=3),
        submitted=[at, at + timedelta(minutes=1), (at + timedelta(days=1)).replace(tzinfo=None)],
        written_off=[at + timedelta(minutes=2)],
    )
    assert [(r.day, r.submitted, r.written_off) for r in rows] == [
        (date(2031, 3, 10), 1, 0),
        (date(2031, 3, 11), 2, 1),
        (date(2031, 3, 12), 0, 0),
    ]
    assert per_day(d, d, [at], []) == []


# --- the queries on both databases -----------------------------------------------------------


def row(
    tid: str, status: str, *, submitted: datetime, closed: datetime | None = None, **kw: Any
) -> TicketRow:
    return TicketRow(
        ticket_id=tid,
        seq=3,
        status=status,
        is_open=closed is None,
        category="E0101",
        grid=kw.pop("grid", GRID),
        street=GRID[:9],
        community=GRID[:12],
        lat=30.25,
        lon=120.1,
        description="x",
        reporter_id="wang",
        submitted_at=submitted,
        updated_at=submitted,
        closed_at=closed,
        snapshot={},
        **kw,
    )


def event(tid: str, seq: int, action: str, at: datetime) -> TicketEventRow:
    return TicketEventRow(
        ticket_id=tid,
        seq=seq,
        at=at,
        actor_id="t",
        actor_role="system",
        action=action,
        to_status=action,
        data={},
    )


async def test_map_and_daily_queries(database: Database) -> None:
    # A far-off day of its own: the PostgreSQL database is shared by the session's tests.
    now = NOW + timedelta(days=7 * (uuid.uuid4().int % 5000))
    p = f"M{uuid.uuid4().hex[:8]}-"
    day, start, _ = today_bounds(now)
    earlier = start - timedelta(days=1)
    tickets = [
        row(p + "blue", "dispatched", submitted=earlier, current_due_at=now + timedelta(days=1)),
        row(
            p + "yellow",
            "claimed",
            submitted=earlier,
            warned=True,
            current_due_at=now + timedelta(hours=2),
        ),
        row(p + "red", "claimed", submitted=earlier, overdue=True, escalation_level=2, warned=True),
        row(p + "late", "claimed", submitted=start, current_due_at=now - timedelta(minutes=5)),
        row(
            p + "parked",
            "claimed",
            submitted=start,
            parked=True,
            current_due_at=now - timedelta(minutes=5),
        ),
        row(p + "black", "rectifying", submitted=earlier, overdue=False, escalation_level=4),
        row(p + "green", "archived", submitted=earlier, closed=start + timedelta(hours=1)),
        row(p + "old", "archived", submitted=earlier, closed=start - timedelta(minutes=1)),
        row(p + "cancelled", "archived", submitted=start, closed=start + timedelta(hours=2)),
    ]
    events = [
        event(p + "green", 2, "write_off", start + timedelta(hours=1)),
        event(p + "old", 2, "write_off", start - timedelta(minutes=1)),
        event(p + "cancelled", 2, "cancel", start + timedelta(hours=2)),
    ]
    async with database.session() as session:
        session.add_all(tickets)
        await session.flush()
        session.add_all(events)
        await session.commit()
    try:
        async with database.session() as session:
            got = await battle_map(session=session, now=now)
            mine = {
                t.ticket_id.removeprefix(p): t.colour
                for t in got.tickets
                if t.ticket_id.startswith(p)
            }
            assert got.day == day
            assert mine == {
                "blue": "blue",
                "yellow": "yellow",
                "red": "red",
                "late": "red",
                "parked": "blue",
                "black": "black",
                "green": "green",
            }
            counts = await open_per_grid(session=session)
            assert counts[GRID] >= 6
            rows = await daily_counts(
                session=session, date_from=day - timedelta(days=1), date_to=day + timedelta(days=1)
            )
            assert [(r.day, r.submitted, r.written_off) for r in rows] == [
                (day - timedelta(days=1), 6, 1),
                (day, 3, 1),
            ]
    finally:
        async with database.session() as session:
            ids = [t.ticket_id for t in tickets]
            await session.exec(delete(TicketEventRow).where(col(TicketEventRow.ticket_id).in_(ids)))
            await session.exec(delete(TicketRow).where(col(TicketRow.ticket_id).in_(ids)))
            await session.commit()


async def test_an_existing_ticket_table_gets_the_warned_column(tmp_path: Path) -> None:
    from sqlalchemy import inspect, text

    database = Database(f"sqlite+aiosqlite:///{tmp_path}/old.db")
    await migrate.upgrade(database.url, migrate.BASELINE)
    async with database.engine.begin() as conn:  # as create_all made it before the column existed
        await conn.execute(text("DROP TABLE alembic_version"))
        await conn.execute(text("ALTER TABLE ticket DROP COLUMN warned"))
    await migrate.upgrade(database.url)  # adopted: the column added, then stamped and upgraded
    await migrate.upgrade(database.url)  # idempotent
    async with database.engine.connect() as conn:
        columns = await conn.run_sync(
            lambda c: {x["name"] for x in inspect(c).get_columns("ticket")}
        )
    assert "warned" in columns
    async with database.session() as session:
        session.add(row("T-OLD", "claimed", submitted=NOW))
        await session.commit()
        old = await session.get(TicketRow, "T-OLD")
        assert old is not None
        assert old.warned is False
    await database.dispose()
