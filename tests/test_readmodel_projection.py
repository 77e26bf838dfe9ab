"""Projection writes are idempotent and ordered by seq, on SQLite and on PostgreSQL alike."""

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from domain.models import Deadline, TicketEvent, TicketSnapshot
from domain.states import Action, DeadlineStage, Role, TicketStatus
from readmodel.db import Database
from readmodel.tickets import archive_chain
from readmodel.tickets.projection import LATE_ALREADY, project_ticket
from readmodel.tickets.queries import OverdueFilter, overdue_tickets
from readmodel.tickets.tables import ArchiveRecord, TicketEventRow, TicketRow
from tests.schema import migrate_to_head

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# The spine of a ticket's life, one status per seq (seq 1 = submitted).
PATH = [
    (Action.SUBMIT, TicketStatus.SUBMITTED, "wang", Role.GRID_WORKER),
    (Action.ROUTE, TicketStatus.DISPATCHED, "system", Role.SYSTEM),
    (Action.CLAIM, TicketStatus.CLAIMED, "zhao", Role.DEPARTMENT_STAFF),
    (Action.START_VERIFICATION, TicketStatus.VERIFYING, "zhao", Role.DEPARTMENT_STAFF),
    (Action.VERIFY, TicketStatus.RESOLVED, "zhao", Role.DEPARTMENT_STAFF),
    (Action.WRITE_OFF, TicketStatus.WRITTEN_OFF, "wang", Role.GRID_WORKER),
    (Action.ARCHIVE, TicketStatus.ARCHIVED, "system", Role.SYSTEM),
]


def events_upto(seq: int) -> list[TicketEvent]:
    out: list[TicketEvent] = []
    for i, (action, to_status, actor, role) in enumerate(PATH[:seq], start=1):
        out.append(
            TicketEvent(
                seq=i,
                at=T0 + timedelta(hours=i),
                actor_id=actor,
                actor_role=role,
                action=action,
                from_status=PATH[i - 2][1] if i > 1 else None,
                to_status=to_status,
                reason=f"step {i}",
                data={"step": i, "note": "巷口"},
            )
        )
    return out


def snapshot_at(ticket_id: str, seq: int, **overrides: object) -> TicketSnapshot:
    events = events_upto(seq)
    values: dict = dict(
        ticket_id=ticket_id,
        status=events[-1].to_status,
        category="garbage",
        grid="G-001",
        lat=30.255,
        lon=120.105,
        description="垃圾堆在巷口 garbage piled at the lane entrance",
        reporter_id="wang",
        submitted_at=T0,
        department="cgj" if seq >= 2 else None,
        claimed_by="zhao" if seq >= 3 else None,
        events=events,
        seq=seq,
        updated_at=events[-1].at,
    )
    values.update(overrides)
    return TicketSnapshot(**values)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/readmodel.db"
    else:
        url = request.getfixturevalue("pg_url")
    await migrate_to_head(url)
    db = Database(url)
    yield db
    await db.dispose()


@pytest.fixture
def ticket_id() -> str:
    # Unique per test: the PostgreSQL database is shared by the whole session.
    return f"T-{uuid.uuid4().hex[:12]}"


async def write(
    db: Database, snap: TicketSnapshot, events: list[TicketEvent] | None = None
) -> None:
    async with db.session() as session:
        await project_ticket(
            session=session, snapshot=snap, events=snap.events if events is None else events
        )


async def row(db: Database, ticket_id: str) -> TicketRow:
    async with db.session() as session:
        return (await session.exec(select(TicketRow).where(TicketRow.ticket_id == ticket_id))).one()


async def event_rows(db: Database, ticket_id: str) -> list[TicketEventRow]:
    async with db.session() as session:
        return list(
            (
                await session.exec(
                    select(TicketEventRow)
                    .where(TicketEventRow.ticket_id == ticket_id)
                    .order_by(col(TicketEventRow.seq))
                )
            ).all()
        )


async def test_first_write_inserts_the_ticket(database: Database, ticket_id: str) -> None:
    await write(database, snapshot_at(ticket_id, 1))

    got = await row(database, ticket_id)
    assert (got.seq, got.status, got.is_open, got.department) == (1, "submitted", True, None)
    assert got.snapshot["ticket_id"] == ticket_id
    assert "events" not in got.snapshot
    assert [e.seq for e in await event_rows(database, ticket_id)] == [1]


async def test_newer_snapshot_overwrites_older(database: Database, ticket_id: str) -> None:
    await write(database, snapshot_at(ticket_id, 1))
    await write(database, snapshot_at(ticket_id, 3))

    got = await row(database, ticket_id)
    assert (got.seq, got.status, got.department, got.claimed_by) == (3, "claimed", "cgj", "zhao")
    assert got.snapshot["status"] == "claimed"
    assert got.updated_at == T0 + timedelta(hours=3)

    await write(database, snapshot_at(ticket_id, 7))
    got = await row(database, ticket_id)
    assert (got.seq, got.status, got.is_open) == (7, "archived", False)


async def test_stale_write_never_overwrites_newer(database: Database, ticket_id: str) -> None:
    await write(database, snapshot_at(ticket_id, 4))
    # A delayed activity from earlier in the ticket's life lands late.
    await write(database, snapshot_at(ticket_id, 2))
    await write(database, snapshot_at(ticket_id, 1, description="an older text"))

    got = await row(database, ticket_id)
    assert (got.seq, got.status, got.claimed_by) == (4, "verifying", "zhao")
    assert got.description.startswith("垃圾堆在巷口")
    assert got.snapshot["seq"] == 4
    assert [e.seq for e in await event_rows(database, ticket_id)] == [1, 2, 3, 4]


async def test_retried_write_of_same_seq_changes_nothing(
    database: Database, ticket_id: str
) -> None:
    await write(database, snapshot_at(ticket_id, 3))
    before = await row(database, ticket_id)

    await write(database, snapshot_at(ticket_id, 3))  # the activity retried after a timeout
    # Same seq means the same state: even a differing payload does not replace the row.
    await write(database, snapshot_at(ticket_id, 3, description="changed?"))

    after = await row(database, ticket_id)
    assert after.model_dump() == before.model_dump()


async def test_events_inserted_once_when_batch_written_twice(
    database: Database, ticket_id: str
) -> None:
    snap = snapshot_at(ticket_id, 3)
    await write(database, snap)
    await write(database, snap)
    first = await event_rows(database, ticket_id)
    assert [e.seq for e in first] == [1, 2, 3]

    # A later batch overlapping the earlier one adds only what is new, leaving old rows alone.
    await write(database, snapshot_at(ticket_id, 5))
    await write(database, snapshot_at(ticket_id, 5), events=events_upto(5)[3:])
    rows = await event_rows(database, ticket_id)
    assert [e.seq for e in rows] == [1, 2, 3, 4, 5]
    assert [(e.id, e.action, e.at) for e in rows[:3]] == [(e.id, e.action, e.at) for e in first]
    assert rows[4].action == "verify" and rows[4].data == {"step": 5, "note": "巷口"}
    assert rows[4].from_status == "verifying" and rows[4].to_status == "resolved"
    assert rows[4].actor_role == "department_staff"


async def test_concurrent_out_of_order_writes_end_at_newest(
    database: Database, ticket_id: str
) -> None:
    # Every step of the ticket projected at once, in random order, each in its own session.
    seqs = list(range(1, len(PATH) + 1)) * 2
    random.Random(7).shuffle(seqs)
    await asyncio.gather(*(write(database, snapshot_at(ticket_id, s)) for s in seqs))

    got = await row(database, ticket_id)
    assert (got.seq, got.status) == (len(PATH), "archived")
    assert [e.seq for e in await event_rows(database, ticket_id)] == list(range(1, len(PATH) + 1))


async def archive_rows(db: Database, ticket_id: str) -> list[ArchiveRecord]:
    async with db.session() as session:
        return list(
            (
                await session.exec(
                    select(ArchiveRecord).where(ArchiveRecord.ticket_id == ticket_id)
                )
            ).all()
        )


async def test_archive_written_once(database: Database, ticket_id: str) -> None:
    snap = snapshot_at(ticket_id, 7)
    archived_at = T0 + timedelta(days=30)
    async with database.session() as session:
        record = await archive_chain.append(session=session, snapshot=snap, archived_at=archived_at)
    digest = record.content_sha256

    [rec] = await archive_rows(database, ticket_id)
    assert rec.content_sha256 == digest
    assert (rec.final_status, rec.archived_at) == ("archived", archived_at)
    assert rec.record == snap.model_dump(mode="json")
    assert [e["seq"] for e in rec.record["events"]] == list(range(1, 8))

    # A retry (even one carrying a different snapshot, later) leaves the first record untouched.
    async with database.session() as session:
        await archive_chain.append(session=session, snapshot=snap, archived_at=archived_at)
    async with database.session() as session:
        await archive_chain.append(
            session=session,
            snapshot=snapshot_at(ticket_id, 7, description="rewritten history"),
            archived_at=archived_at + timedelta(days=1),
        )

    [again] = await archive_rows(database, ticket_id)
    assert again.content_sha256 == digest
    assert again.archived_at == archived_at
    assert again.record == rec.record
    assert again.record["description"].startswith("垃圾堆在巷口")


async def test_archive_digest_is_stable(database: Database, ticket_id: str) -> None:
    snap = snapshot_at(ticket_id, 7)
    async with database.session() as session:
        first = await archive_chain.append(session=session, snapshot=snap, archived_at=T0)
    async with database.session() as session:
        second = await archive_chain.append(session=session, snapshot=snap, archived_at=T0)
    assert first.content_sha256 == second.content_sha256
    async with database.session() as session:
        count = (
            await session.exec(
                select(func.count())
                .select_from(ArchiveRecord)
                .where(ArchiveRecord.ticket_id == ticket_id)
            )
        ).one()
    assert count == 1


async def test_the_row_says_from_when_the_ticket_counts_as_late(database: Database) -> None:
    """late_from (what the overdue list counts on): the running deadline; once a deadline is
    breached and still open, already late; no deadline running, never."""
    due = T0 + timedelta(days=2)
    claim = Deadline(stage=DeadlineStage.CLAIM, started_at=T0, due_at=due)
    on_time, breached, none = (f"LATE-{uuid.uuid4().hex[:8]}" for _ in range(3))
    category = f"cat-{uuid.uuid4().hex[:6]}"  # only these three (PostgreSQL is shared)
    await write(database, snapshot_at(on_time, 2, category=category, deadlines=[claim]))
    await write(
        database,
        snapshot_at(
            breached,
            2,
            category=category,
            deadlines=[claim.model_copy(update={"breached_at": due + timedelta(minutes=1)})],
        ),
    )
    await write(database, snapshot_at(none, 2, category=category))
    assert (await row(database, on_time)).late_from == due
    assert (await row(database, breached)).late_from == LATE_ALREADY
    assert (await row(database, none)).late_from is None
    async with database.session() as session:  # and the overdue list counts what it lists
        for now, expected in (
            (due - timedelta(hours=1), [breached]),
            (due + timedelta(hours=1), [breached, on_time]),
        ):
            page = await overdue_tickets(
                session=session, now=now, where=OverdueFilter(category=category), limit=50, offset=0
            )
            assert sorted(r.ticket_id for r in page.rows) == sorted(expected)
            assert page.total == len(expected)
