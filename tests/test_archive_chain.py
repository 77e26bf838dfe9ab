"""The archive's hash chain: intact after archives (concurrent ones too, on SQLite and PostgreSQL),
and an edited, deleted or reordered record is found, by the function and by the command."""

import asyncio
import json
import uuid

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from gridflow_admin.cli import main as admin
from readmodel.db import Database
from readmodel.tickets import archive_chain
from readmodel.tickets.archive_chain import GENESIS, archive_digest
from readmodel.tickets.tables import ArchiveRecord
from tests.api_fixtures import CGJ, SUPERVISOR, WANG, Gridflow, gf  # noqa: F401
from tests.test_api_lifecycle import wait_for_status
from tests.test_readmodel_projection import PATH, snapshot_at


def verify_command(argv: list[str]) -> int:
    """`gridflow-admin verify-archive …` in this process."""
    return admin(["verify-archive", *argv])


async def archive(db: Database, ticket_id: str) -> ArchiveRecord:
    snap = snapshot_at(ticket_id, len(PATH))
    async with db.session() as session:
        return await archive_chain.append(
            session=session, snapshot=snap, archived_at=snap.updated_at
        )


async def archive_several(db: Database, n: int = 5) -> list[str]:
    ids = [f"T-chain-{i}-{uuid.uuid4().hex[:6]}" for i in range(n)]
    for ticket_id in ids:
        await archive(db, ticket_id)
    return ids


async def verify(db: Database) -> archive_chain.ChainReport:
    async with db.session() as session:
        return await archive_chain.verify(session=session)


async def execute(db: Database, sql: str, **params: object) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text(sql), params)


async def test_chain_links_each_record_to_the_one_before(empty_db: Database) -> None:
    ids = await archive_several(empty_db)
    async with empty_db.session() as session:
        rows = (
            await session.exec(select(ArchiveRecord).order_by(col(ArchiveRecord.position)))
        ).all()
    assert [r.ticket_id for r in rows] == ids
    assert [r.position for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_sha256 == GENESIS
    assert [r.prev_sha256 for r in rows[1:]] == [r.chain_sha256 for r in rows[:-1]]

    report = await verify(empty_db)
    assert report.intact and report.records == 5 and report.head_sha256 == rows[-1].chain_sha256

    # A retried archive activity changes nothing and returns the first record.
    again = await archive(empty_db, ids[2])
    assert (again.position, again.chain_sha256) == (3, rows[2].chain_sha256)
    assert (await verify(empty_db)).records == 5


async def test_concurrent_archives_do_not_fork_the_chain(empty_db: Database) -> None:
    await archive_several(empty_db, 2)
    ids = [f"T-race-{i}-{uuid.uuid4().hex[:6]}" for i in range(12)]
    # Each twice, at once, each in its own session: a retried activity racing its first attempt.
    await asyncio.gather(*(archive(empty_db, t) for t in ids + ids))
    async with empty_db.session() as session:
        rows = (await session.exec(select(ArchiveRecord))).all()
    assert sorted(r.position or 0 for r in rows) == list(range(1, 15))
    assert {r.ticket_id for r in rows} >= set(ids)
    report = await verify(empty_db)
    assert report.intact, report.broken
    assert report.records == 14


async def test_edited_content_is_found(empty_db: Database) -> None:
    ids = await archive_several(empty_db)
    async with empty_db.session() as session:
        row = await session.get(ArchiveRecord, ids[2])
        assert row is not None
        record = dict(row.record) | {"description": "nothing happened here"}
    await execute(
        empty_db,
        "UPDATE ticket_archive SET record = :r WHERE ticket_id = :t",
        r=json.dumps(record),
        t=ids[2],
    )
    report = await verify(empty_db)
    assert not report.intact and report.records == 2
    assert report.broken is not None
    assert (report.broken.position, report.broken.ticket_id) == (3, ids[2])
    assert "content changed" in report.broken.problem


async def test_edited_content_with_its_digest_recomputed_is_found(empty_db: Database) -> None:
    ids = await archive_several(empty_db)
    async with empty_db.session() as session:
        row = await session.get(ArchiveRecord, ids[1])
        assert row is not None
        record = dict(row.record) | {"status": "cancelled"}
    digest = archive_digest(record)
    await execute(
        empty_db,
        "UPDATE ticket_archive SET record = :r, content_sha256 = :d, "
        "final_status = 'cancelled' WHERE ticket_id = :t",
        r=json.dumps(record),
        d=digest,
        t=ids[1],
    )
    report = await verify(empty_db)
    assert report.broken is not None and report.broken.ticket_id == ids[1]
    assert "chain_sha256" in report.broken.problem and "was edited" in report.broken.problem


async def test_a_deleted_record_is_found(empty_db: Database) -> None:
    ids = await archive_several(empty_db)
    await execute(empty_db, "DELETE FROM ticket_archive WHERE ticket_id = :t", t=ids[1])
    report = await verify(empty_db)
    assert report.broken is not None and report.records == 1
    assert report.broken.ticket_id == ids[2]  # the record after the hole
    assert "position 2 is missing" in report.broken.problem


async def test_two_swapped_records_are_found(empty_db: Database) -> None:
    ids = await archive_several(empty_db)
    for t, position in ((ids[1], -2), (ids[3], 2), (ids[1], 4)):
        await execute(
            empty_db,
            "UPDATE ticket_archive SET position = :p WHERE ticket_id = :t",
            p=position,
            t=t,
        )
    report = await verify(empty_db)
    assert report.broken is not None and report.records == 1
    assert (report.broken.position, report.broken.ticket_id) == (2, ids[3])
    assert "reordered" in report.broken.problem


async def test_command_reports_intact_and_broken(
    empty_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = await archive_several(empty_db, 3)
    head = (await verify(empty_db)).head_sha256
    await empty_db.dispose()  # the command runs its own engine (asyncio.run in a thread)
    args = ["--database-url", empty_db.url]
    assert await asyncio.to_thread(verify_command, args + ["--expect-head", head]) == 0
    assert f"intact: 3 records, head {head}" in capsys.readouterr().out

    await execute(empty_db, "DELETE FROM ticket_archive WHERE ticket_id = :t", t=ids[2])
    assert await asyncio.to_thread(verify_command, args) == 0  # a cut end looks whole…
    capsys.readouterr()
    assert await asyncio.to_thread(verify_command, args + ["--expect-head", head]) == 1
    assert "is not the expected" in capsys.readouterr().err  # …but not against a noted head

    await execute(empty_db, "DELETE FROM ticket_archive WHERE ticket_id = :t", t=ids[0])
    assert await asyncio.to_thread(verify_command, args) == 1
    err = capsys.readouterr().err
    assert f"BROKEN at position 2, ticket {ids[1]}" in err and "position 1 is missing" in err

    await execute(empty_db, "DROP TABLE ticket_archive")  # a read model not migrated yet
    assert await asyncio.to_thread(verify_command, args) == 2
    assert "is the read model migrated?" in capsys.readouterr().err


async def test_records_from_before_the_chain_are_flagged_then_adopted(
    empty_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = snapshot_at("T-legacy", len(PATH))
    record = snap.model_dump(mode="json")
    async with empty_db.session() as session:  # as archived before the chain: no position
        session.add(
            ArchiveRecord(
                ticket_id=snap.ticket_id,
                archived_at=snap.updated_at,
                final_status=snap.status.value,
                record=record,
                content_sha256=archive_digest(record),
            )
        )
        await session.commit()
    await archive_several(empty_db, 2)
    report = await verify(empty_db)
    assert report.broken is not None and report.broken.ticket_id == "T-legacy"
    assert "not in the chain" in report.broken.problem
    await empty_db.dispose()
    assert await asyncio.to_thread(verify_command, ["--database-url", empty_db.url, "--adopt"]) == 0
    assert "chained 1 records" in capsys.readouterr().out
    assert (await verify(empty_db)).records == 3


async def test_archived_tickets_through_the_api_keep_the_chain_intact(gf: Gridflow) -> None:
    ids = []
    for outcome in ("not_found", "fixed_on_site"):
        ticket_id = await gf.new_ticket()
        await wait_for_status(gf, ticket_id, "dispatched")
        for action, body in (
            ("claim", None),
            ("start-verification", None),
            ("verify", {"outcome": outcome, "note": "现场 on site"}),
        ):
            response = await gf.act(ticket_id, action, CGJ, body)
            assert response.status_code == 200, response.text
        written = await gf.act(ticket_id, "write-off", WANG, {"note": "checked"})
        assert written.status_code == 200, written.text
        ids.append(ticket_id)
    cancelled = await gf.new_ticket()
    await wait_for_status(gf, cancelled, "dispatched")
    response = await gf.act(
        cancelled, "cancel", SUPERVISOR, {"kind": "invalid", "reason": "测试 test report"}
    )
    assert response.status_code == 200, response.text
    ids.append(cancelled)
    for ticket_id in ids:
        archived = await wait_for_status(gf, ticket_id, "archived", timeout=60)
        assert archived["archive"]["content_sha256"]

    report = await verify(gf.db)
    assert report.intact, report.broken
    async with gf.db.session() as session:
        rows = (
            await session.exec(select(ArchiveRecord).where(col(ArchiveRecord.ticket_id).in_(ids)))
        ).all()
    assert sorted(r.position or 0 for r in rows) == [1, 2, 3]
    assert report.records == 3
