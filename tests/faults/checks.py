"""What "nothing lost, nothing twice" means, checked against Temporal and the read model."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

from sqlmodel import col, func, select
from temporalio.client import WorkflowExecutionStatus

from readmodel.tickets.tables import Notification, TicketEventRow, TicketRow
from tests.faults.stack import Stack, wait_for
from workflows.ticket import TicketWorkflow

TICKETS = "WorkflowType='TicketWorkflow'"


async def workflows_match_ledger(stack: Stack, *, timeout: float = 120) -> None:
    """As many ticket workflows as keys ever acknowledged: none lost, none started twice.
    (Visibility is eventually consistent, so it may take a moment to show them all.)"""
    client = stack.client
    assert client is not None
    want = len(set(stack.ledger.values()))
    assert want == len(stack.ledger), "two keys were told the same ticket id"
    seen: list[int] = []

    async def counted() -> bool:
        seen.append((await client.count_workflows(TICKETS)).count)
        assert seen[-1] <= want, f"{seen[-1]} ticket workflows for {want} idempotency keys"
        return seen[-1] == want

    try:
        await wait_for(f"{want} ticket workflows", counted, timeout, every=1)
    except AssertionError as err:
        raise AssertionError(f"{err}; visibility counted {seen[-3:]}") from None


async def each_workflow_started(stack: Stack, ticket_ids: list[str]) -> None:
    """Every acknowledged ticket has its workflow, exactly one run of it."""
    assert stack.client is not None
    ids = ", ".join(f"'{t}'" for t in ticket_ids)
    runs: dict[str, int] = defaultdict(int)
    async for execution in stack.client.list_workflows(f"{TICKETS} AND WorkflowId IN ({ids})"):
        runs[execution.id] += 1
    missing = [t for t in ticket_ids if t not in runs]
    twice = {t: n for t, n in runs.items() if n > 1}
    assert not missing, f"{len(missing)} acknowledged tickets have no workflow: {missing[:5]}"
    assert not twice, f"tickets with more than one workflow run: {twice}"


async def rows(stack: Stack, ticket_ids: list[str]) -> dict[str, TicketRow]:
    async with stack.db.session() as session:
        query = select(TicketRow).where(col(TicketRow.ticket_id).in_(ticket_ids))
        found = await session.exec(query)
        return {r.ticket_id: r for r in found}


async def events(stack: Stack, ticket_ids: list[str]) -> dict[str, list[tuple[int, str]]]:
    async with stack.db.session() as session:
        found = await session.exec(
            select(TicketEventRow.ticket_id, TicketEventRow.seq, TicketEventRow.action)
            .where(col(TicketEventRow.ticket_id).in_(ticket_ids))
            .order_by(col(TicketEventRow.seq))
        )
        timeline: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for ticket_id, seq, action in found:
            timeline[ticket_id].append((seq, action))
        return timeline


async def projection_converged(
    stack: Stack, expected: dict[str, str], *, timeout: float = 180
) -> None:
    """Every ticket has its read-model row in the expected status (the projection caught up)."""
    behind: list[str] = []

    async def caught_up() -> bool:
        found = await rows(stack, list(expected))
        behind[:] = [
            f"{t}: {found[t].status if t in found else 'no row'} (want {s})"
            for t, s in expected.items()
            if t not in found or found[t].status != s
        ]
        return not behind

    try:
        await wait_for(f"read model for {len(expected)} tickets", caught_up, timeout, every=1)
    except AssertionError as err:
        raise AssertionError(f"{err}; {len(behind)} behind, e.g. {behind[:5]}") from None


async def timelines_exact(stack: Stack, paths: dict[str, list[str]]) -> None:
    """Each ticket's events are its path, each transition once, sequences 1..n without gaps."""
    found = await events(stack, list(paths))
    wrong = {}
    for ticket_id, path in paths.items():
        seqs = [s for s, _ in found.get(ticket_id, [])]
        got = [a for _, a in found.get(ticket_id, [])]
        if got != path or seqs != list(range(1, len(seqs) + 1)):
            wrong[ticket_id] = list(zip(seqs, got, strict=True))
    assert not wrong, f"{len(wrong)} timelines off their path, e.g. {list(wrong.items())[:3]}"


async def notices(stack: Stack, ticket_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """The outbox: (kind, target) of every notice per ticket."""
    async with stack.db.session() as session:
        found = await session.exec(
            select(Notification.ticket_id, Notification.kind, Notification.target).where(
                col(Notification.ticket_id).in_(ticket_ids)
            )
        )
        outbox: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for ticket_id, kind, target in found:
            outbox[ticket_id or ""].append((kind, target))
        return outbox


async def row_count_matches_ledger(stack: Stack) -> None:
    async with stack.db.session() as session:
        count = (await session.exec(select(func.count()).select_from(TicketRow))).one()
    assert count == len(stack.ledger), f"{count} ticket rows for {len(stack.ledger)} keys"


async def drift(stack: Stack, ticket_ids: list[str]) -> list[str]:
    """The harness's own comparison of each workflow's state with its row: seq and status."""
    client = stack.client
    assert client is not None
    found = await rows(stack, ticket_ids)
    gate = asyncio.Semaphore(10)

    async def one(ticket_id: str) -> str | None:
        async with gate:
            handle = client.get_workflow_handle(ticket_id)
            live = await handle.query(TicketWorkflow.snapshot)
        row = found.get(ticket_id)
        if row is None:
            return f"{ticket_id}: no row (workflow at seq {live.seq}, {live.status.value})"
        if (row.seq, row.status) != (live.seq, live.status.value):
            return (
                f"{ticket_id}: row seq {row.seq} {row.status}, workflow seq {live.seq} "
                f"{live.status.value}"
            )
        return None

    return [d for d in await asyncio.gather(*(one(t) for t in ticket_ids)) if d]


async def all_finished(stack: Stack, ticket_ids: list[str], *, timeout: float = 180) -> None:
    """Every ticket's workflow completed (archived), none failed or left running."""
    assert stack.client is not None
    deadline = time.monotonic() + timeout
    pending = list(ticket_ids)
    while pending:
        states = await asyncio.gather(
            *(stack.client.get_workflow_handle(t).describe() for t in pending[:50])
        )
        bad = [
            (d.id, d.status and d.status.name)
            for d in states
            if d.status not in (WorkflowExecutionStatus.COMPLETED, WorkflowExecutionStatus.RUNNING)
        ]
        assert not bad, f"ticket workflows that did not complete: {bad}"
        done = {d.id for d in states if d.status == WorkflowExecutionStatus.COMPLETED}
        pending = [t for t in pending if t not in done]
        if pending and time.monotonic() > deadline:
            raise AssertionError(f"{len(pending)} workflows still running, e.g. {pending[:5]}")
        if pending and not done:
            await asyncio.sleep(0.5)
