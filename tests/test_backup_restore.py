"""Backup and restore of the read model (docs/backup-and-upgrade.md): a pg_dump taken while
tickets are under way, restored after the workflows moved on, is behind them; reconciliation
against the live workflows names exactly what the restore lost, repairs it, and finds no drift
after. On PostgreSQL, with pg_dump and pg_restore as an operator runs them."""

import asyncio
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlmodel import select

from readmodel.db import Database
from readmodel.tickets.reconcile import reconcile
from readmodel.tickets.tables import TicketEventRow, TicketRow
from tests.api_fixtures import CGJ, Gridflow, gf  # noqa: F401
from tests.pg import create_database, drop_database, find_bindir
from tests.test_reconcile import settled

BACKENDS = ["postgresql"]


def libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def run(*argv: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{argv[0]} failed: {done.stderr}"


async def statuses(db: Database) -> dict[str, tuple[int, str]]:
    async with db.session() as session:
        found = await session.exec(select(TicketRow.ticket_id, TicketRow.seq, TicketRow.status))
        return {t: (seq, status) for t, seq, status in found}


async def test_restored_dump_is_reconciled_to_the_live_workflows(gf: Gridflow, tmp_path: Path):
    bindir = find_bindir()
    quiet, claimed_later = await gf.new_ticket(), await gf.new_ticket()
    for ticket_id in (quiet, claimed_later):
        await settled(gf, ticket_id, "dispatched")
    dump = tmp_path / "readmodel.dump"
    await asyncio.to_thread(
        run, str(bindir / "pg_dump"), "--format=custom", "-f", str(dump), libpq(gf.db.url)
    )
    at_backup = await statuses(gf.db)

    # After the backup: a new report, and a claim, which the dump does not hold.
    reported_later = await gf.new_ticket()
    assert (await gf.act(claimed_later, "claim", CGJ)).status_code == 200
    await settled(gf, reported_later, "dispatched")
    await settled(gf, claimed_later, "claimed")
    live = await statuses(gf.db)

    restored_url = await create_database(gf.db.url)
    restored = Database(restored_url)
    try:
        await asyncio.to_thread(
            run,
            str(bindir / "pg_restore"),
            "--no-owner",
            "--exit-on-error",
            "-d",
            libpq(restored_url),
            str(dump),
        )
        assert await statuses(restored) == at_backup
        queue = gf.config.task_queue
        found = await reconcile(client=gf.client, db=restored, repair=False, task_queue=queue)
        assert {(d.ticket_id, d.problem) for d in found.drifts} == {
            (reported_later, "missing"),
            (reported_later, "events"),
            (claimed_later, "stale"),
            (claimed_later, "events"),
        }, [str(d) for d in found.drifts]

        repaired = await reconcile(client=gf.client, db=restored, repair=True, task_queue=queue)
        assert sorted(set(repaired.repaired)) == sorted([reported_later, claimed_later])
        again = await reconcile(client=gf.client, db=restored, repair=False, task_queue=queue)
        assert again.checked == 3 and again.drifts == [], [str(d) for d in again.drifts]
        assert await statuses(restored) == live
        async with restored.session() as session:
            timeline = await session.exec(
                select(TicketEventRow.action).where(TicketEventRow.ticket_id == claimed_later)
            )
            assert sorted(timeline) == sorted(["submit", "route", "dispatch", "claim"])
    finally:
        await restored.dispose()
        await drop_database(restored_url)
