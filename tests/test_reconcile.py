"""Reconciliation against the real dev server: drift made in the read model is named, repaired
from the workflows through the projection code, and gone on the next run; on both databases."""

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy.sql.dml import UpdateBase
from sqlmodel import col, delete, select, update

from readmodel.tickets.reconcile import reconcile
from readmodel.tickets.tables import ArchiveRecord, TicketEventRow, TicketRow
from tests.api_fixtures import CGJ, SUPERVISOR, Gridflow, gf, gridflow_on  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


async def settled(gf: Gridflow, ticket_id: str, status: str, timeout: float = 30) -> TicketRow:
    """The ticket's row once the projection shows `status`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with gf.db.session() as session:
            row = await session.get(TicketRow, ticket_id)
        if row is not None and row.status == status:
            return row
        assert asyncio.get_running_loop().time() < deadline, f"{ticket_id}: {row and row.status}"
        await asyncio.sleep(0.1)


async def write(gf: Gridflow, *statements: UpdateBase) -> None:
    async with gf.db.session() as session:
        for statement in statements:
            await session.exec(statement)
        await session.commit()


async def three_tickets(gf: Gridflow) -> tuple[str, str, str]:
    """One dispatched, one claimed, one cancelled and archived (its workflow completed)."""
    dispatched, claimed, archived = [await gf.new_ticket() for _ in range(3)]
    for ticket_id in (dispatched, claimed, archived):
        await settled(gf, ticket_id, "dispatched")
    assert (await gf.act(claimed, "claim", CGJ)).status_code == 200
    cancel = {"kind": "invalid", "reason": "测试 a test report"}
    assert (await gf.act(archived, "cancel", SUPERVISOR, cancel)).status_code == 200, (
        "cancel refused"
    )
    await settled(gf, claimed, "claimed")
    await settled(gf, archived, "archived")
    return dispatched, claimed, archived


async def test_drift_is_named_repaired_and_gone_on_the_next_run(gf: Gridflow) -> None:
    dispatched, claimed, archived = await three_tickets(gf)
    ahead = await gf.new_ticket()
    ahead_seq = (await settled(gf, ahead, "dispatched")).seq
    queue = gf.config.task_queue
    clean = await reconcile(client=gf.client, db=gf.db, repair=False, task_queue=queue)
    assert clean.checked == 4 and clean.drifts == [] and clean.clean

    before = await settled(gf, archived, "archived")
    await write(
        gf,
        delete(TicketRow).where(col(TicketRow.ticket_id) == dispatched),  # a lost row
        update(TicketRow)
        .where(col(TicketRow.ticket_id) == claimed)  # a corrupted status
        .values(status="written_off", is_open=False),
        update(TicketRow)
        .where(col(TicketRow.ticket_id) == archived)  # a rolled-back sequence
        .values(seq=before.seq - 2, status="cancelled", department="zjj"),
        delete(TicketEventRow).where(
            col(TicketEventRow.ticket_id) == archived, col(TicketEventRow.seq) == 2
        ),
        update(TicketRow)
        .where(col(TicketRow.ticket_id) == ahead)  # a sequence run ahead
        .values(seq=TicketRow.seq + 5, status="claimed"),
    )

    found = await reconcile(client=gf.client, db=gf.db, repair=False, task_queue=queue)
    problems = {(d.ticket_id, d.problem) for d in found.drifts}
    assert problems == {
        (dispatched, "missing"),
        (claimed, "differs"),
        (archived, "stale"),
        (archived, "events"),
        (ahead, "ahead"),
    }
    by = {(d.ticket_id, d.problem): d.detail for d in found.drifts}
    assert "status read model written_off, workflow claimed" in by[claimed, "differs"]
    assert f"seq read model {before.seq - 2}, workflow {before.seq}" in by[archived, "stale"]
    assert "department read model zjj, workflow cgj" in by[archived, "stale"]
    assert by[archived, "events"] == "missing seq 2"
    assert not found.clean and found.repaired == []
    assert (await settled(gf, claimed, "written_off")).is_open is False  # nothing written

    fixed = await reconcile(client=gf.client, db=gf.db, repair=True, task_queue=queue)
    assert {(d.ticket_id, d.problem) for d in fixed.drifts} == problems
    assert sorted(fixed.repaired) == sorted([dispatched, claimed, archived, ahead])
    assert fixed.clean
    assert (await settled(gf, dispatched, "dispatched")).department == "cgj"
    assert (await settled(gf, claimed, "claimed")).claimed_by == "zhao"
    assert (await settled(gf, archived, "archived")).seq == before.seq
    assert (await settled(gf, ahead, "dispatched")).seq == ahead_seq
    async with gf.db.session() as session:
        seqs = (
            await session.exec(
                select(TicketEventRow.seq)
                .where(TicketEventRow.ticket_id == archived)
                .order_by(col(TicketEventRow.seq))
            )
        ).all()
    assert seqs == list(range(1, before.seq + 1))

    again = await reconcile(client=gf.client, db=gf.db, repair=False, task_queue=queue)
    assert again.checked == 4 and again.drifts == [] and again.clean

    # The projection carries on from the repaired rows: the department's inbox shows a claim.
    assert (await gf.act(dispatched, "claim", CGJ)).status_code == 200
    inbox = (await gf.call("GET", "/inbox", CGJ)).json()["items"]
    assert {t["ticket_id"]: t["status"] for t in inbox}[dispatched] == "claimed"


async def test_what_needs_a_person_is_reported_and_left_alone(gf: Gridflow) -> None:
    """A row with no workflow, a lost archive record, a workflow whose worker is gone."""
    ticket_id, archived = await gf.new_ticket(), await gf.new_ticket()
    row = await settled(gf, ticket_id, "dispatched")
    await settled(gf, archived, "dispatched")
    cancel = {"kind": "invalid", "reason": "测试 a test report"}
    assert (await gf.act(archived, "cancel", SUPERVISOR, cancel)).status_code == 200
    await settled(gf, archived, "archived")
    async with gridflow_on(gf.client, gf.db) as elsewhere:  # its worker stops at the end
        stranded = await elsewhere.new_ticket()
        await settled(gf, stranded, "dispatched")
    ghost = "ghost-" + ticket_id
    async with gf.db.session() as session:
        session.add(TicketRow(**row.model_dump() | {"ticket_id": ghost}))
        await session.commit()
    await write(gf, delete(ArchiveRecord).where(col(ArchiveRecord.ticket_id) == archived))

    report = await reconcile(
        client=gf.client,
        db=gf.db,
        repair=True,
        task_queue=gf.config.task_queue,
        query_timeout=timedelta(seconds=3),
    )
    assert [(d.ticket_id, d.problem) for d in report.drifts] == sorted(
        [(ghost, "orphan"), (archived, "archive"), (stranded, "unreachable")]
    )
    assert not report.clean and report.repaired == []
    assert report.checked == 3  # ticket_id, archived and the orphan; not the unreachable one
    async with gf.db.session() as session:
        assert await session.get(TicketRow, ghost) is not None  # never deleted: a person decides


async def test_the_command_reports_drift_repairs_it_and_then_exits_zero(gf: Gridflow) -> None:
    ticket_id = await gf.new_ticket()
    await settled(gf, ticket_id, "dispatched")
    await write(gf, delete(TicketRow).where(col(TicketRow.ticket_id) == ticket_id))
    target = gf.client.service_client.config.target_host
    env = {
        **os.environ,
        "GRIDFLOW_DATABASE_URL": gf.db.url,
        "GRIDFLOW_TEMPORAL_ADDRESS": target,
        "GRIDFLOW_TASK_QUEUE": gf.config.task_queue,
        "GRIDFLOW_TEMPORAL_NAMESPACE": gf.client.namespace,
    }

    async def run(*args: str) -> tuple[int, str]:
        # Not subprocess.run: the worker answering the command's queries runs on this loop.
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "gridflow_admin",
            "reconcile",
            *args,
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 120)
        return proc.returncode or 0, out.decode()

    code, out = await run()
    assert code == 1 and f"DRIFT {ticket_id}: missing: no ticket row" in out, out
    code, out = await run("--repair")
    assert code == 0 and f"repaired {ticket_id}: missing" in out, out
    code, out = await run()
    assert code == 0 and "checked 1 tickets: 0 drift(s)" in out, out
    assert (await settled(gf, ticket_id, "dispatched")).department == "cgj"
