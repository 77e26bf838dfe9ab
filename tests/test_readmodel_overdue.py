"""The index-shaped overdue query returns exactly what its definition says, on SQLite and PostgreSQL.

Reference: every ticket row read back and filtered and ordered in Python — is_open AND (overdue OR
current_due_at < now [OR current_due_at <= now + N h]), the filters, then current_due_at (no
deadline last), submitted_at — compared with queries.overdue_tickets page by page. The database
may hold other tests' tickets (PostgreSQL is shared): the reference reads them too.
"""

import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import col, delete, select

from readmodel.db import Database
from readmodel.tickets.projection import late_from_of
from readmodel.tickets.queries import OverdueFilter, overdue_tickets
from readmodel.tickets.tables import TicketRow

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
GRIDS = ["33010600100101", "33010600100202", "33010600200101"]


def random_tickets(prefix: str, n: int = 400) -> list[TicketRow]:
    rnd = random.Random(prefix)
    dues = [NOW + timedelta(hours=h) for h in range(-72, 73, 6)]  # shared: ties on due
    rows = []
    for i in range(n):
        grid = rnd.choice(GRIDS)
        is_open = rnd.random() < 0.6
        due = rnd.choice(dues) if rnd.random() < 0.8 else None
        overdue = rnd.random() < 0.3  # also with no deadline or one due later: still listed
        rows.append(
            TicketRow(
                ticket_id=f"{prefix}-{i:04d}",
                seq=1,
                status="claimed" if is_open else "archived",
                is_open=is_open,
                category=rnd.choice(["garbage", "manhole", "ads"]),
                grid=grid,
                street=grid[:9],
                community=grid[:12],
                lat=30.26,
                lon=120.11,
                description="x",
                reporter_id="wang",
                department=rnd.choice(["cgj", "zjj", None]),
                overdue=overdue,
                escalation_level=rnd.randrange(5),
                current_due_at=due,
                late_from=late_from_of(overdue=overdue, current_due_at=due),  # as projected
                submitted_at=NOW - timedelta(days=10, seconds=i * 37 + rnd.randrange(30)),
                updated_at=NOW,
                snapshot={},
            )
        )
    return rows


def reference(rows: list[TicketRow], where: OverdueFilter) -> list[TicketRow]:
    cutoff = NOW + timedelta(hours=where.due_within_hours or 0)

    def late(r: TicketRow) -> bool:
        due = r.current_due_at
        return r.overdue or (
            due is not None
            and (due < NOW or (where.due_within_hours is not None and due <= cutoff))
        )

    out = [
        r
        for r in rows
        if r.is_open
        and late(r)
        and all(
            getattr(where, c) in (None, getattr(r, c))
            for c in ("department", "street", "community", "grid", "category")
        )
        and (where.escalation_level is None or r.escalation_level >= where.escalation_level)
    ]
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(
        out, key=lambda r: (r.current_due_at is None, r.current_due_at or far, r.submitted_at)
    )


def key(r: TicketRow) -> tuple:
    return (r.current_due_at, r.submitted_at)


FILTERS = [
    OverdueFilter(),
    OverdueFilter(department="cgj"),
    OverdueFilter(street=GRIDS[2][:9]),
    OverdueFilter(community=GRIDS[1][:12]),
    OverdueFilter(grid=GRIDS[0]),
    OverdueFilter(category="manhole"),
    OverdueFilter(escalation_level=3),
    OverdueFilter(due_within_hours=24),
    OverdueFilter(department="zjj", due_within_hours=48, escalation_level=1),
]


async def test_overdue_query_matches_its_definition(database: Database) -> None:
    prefix = f"OV-{uuid.uuid4().hex[:8]}"
    mine = random_tickets(prefix)
    async with database.session() as session:
        session.add_all(mine)
        await session.commit()
    try:
        async with database.session() as session:
            everything = list((await session.exec(select(TicketRow))).all())
            for where in FILTERS:
                expected = reference(everything, where)
                if where == OverdueFilter():  # the no-deadline tail is exercised
                    assert any(r.current_due_at is None for r in expected)
                for limit, offset in (
                    (25, 0),
                    (25, 40),
                    (7, 101),
                    (50, len(expected) - 3),
                    (10, len(expected) + 5),
                    (1000, 0),
                ):
                    offset = max(offset, 0)
                    page = await overdue_tickets(
                        session=session, now=NOW, where=where, limit=limit, offset=offset
                    )
                    assert page.total == len(expected), where
                    want = expected[offset : offset + limit]
                    assert [key(r) for r in page.rows] == [key(r) for r in want], (where, offset)
                    if limit == 1000:
                        assert {r.ticket_id for r in page.rows} == {r.ticket_id for r in want}
    finally:
        async with database.session() as session:
            await session.exec(delete(TicketRow).where(col(TicketRow.ticket_id).startswith(prefix)))
            await session.commit()
