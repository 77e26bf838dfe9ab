"""Reconciliation: every ticket workflow (the source of truth) against its read-model projection.

Lists the ticket workflows on the task queue (Temporal visibility), asks each for its snapshot
(the `snapshot` query: what the workflow last projected; a finished workflow answers too, as long
as a worker polls its task queue) and compares it with the ticket row, its timeline events and,
once archived, its archive record. Rows whose workflow is on another queue are checked as well;
rows with no workflow at all are reported. With `repair` a drifted ticket is rewritten from the
snapshot through readmodel/tickets/projection.py (seq-guarded) and checked again. The command:
`python -m gridflow_admin reconcile [--repair]` (gridflow_admin/reconcile.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlmodel import col, delete, select
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.models import TicketSnapshot
from domain.states import TicketStatus
from readmodel.db import Database
from readmodel.tickets.projection import project_ticket, ticket_values
from readmodel.tickets.tables import ArchiveRecord, TicketEventRow, TicketRow

log = structlog.get_logger()

QUERY_TIMEOUT = timedelta(seconds=15)
PARALLEL = 8
# Values a report may show; the others (description, coordinates, the snapshot) are only named.
SHOWN = {
    "seq",
    "status",
    "is_open",
    "department",
    "category",
    "grid",
    "urgency",
    "overdue",
    "escalation_level",
    "current_stage",
    "current_due_at",
    "claimed_by",
    "parked",
}
EVENT_FIELDS = (
    "at",
    "actor_id",
    "actor_role",
    "action",
    "from_status",
    "to_status",
    "reason",
    "data",
)


@dataclass(frozen=True)
class Drift:
    """One ticket's difference between its workflow and the read model.

    problem: missing (no row), stale (row behind the workflow), ahead (row past the workflow),
    differs (same seq, other values), events (timeline rows missing, different or extra),
    archive (archived but no archive record), orphan (a row with no workflow), unreachable
    (the workflow did not answer its query).
    """

    ticket_id: str
    problem: str
    detail: str

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.problem}: {self.detail}"


@dataclass
class ReconcileReport:
    checked: int = 0
    drifts: list[Drift] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)  # ticket ids rewritten and found clean

    @property
    def remaining(self) -> list[Drift]:
        """The drift not repaired (all of it without --repair)."""
        return [d for d in self.drifts if d.ticket_id not in self.repaired]

    @property
    def clean(self) -> bool:
        return not self.remaining

    def lines(self) -> list[str]:
        out = [
            f"{'repaired' if d.ticket_id in self.repaired else 'DRIFT'} {d}" for d in self.drifts
        ]
        out.append(
            f"checked {self.checked} tickets: {len(self.drifts)} drift(s), "
            f"{len(set(self.repaired))} ticket(s) repaired, {len(self.remaining)} left"
        )
        return out


def _norm(value: Any) -> Any:
    """Comparable across SQLite and PostgreSQL: UTC datetimes without tzinfo, enums as values."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).replace(tzinfo=None)
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return getattr(value, "value", value)


def _show(name: str, value: Any) -> str:
    return str(_norm(value)) if name in SHOWN else "…"


def row_drift(row: TicketRow | None, snapshot: TicketSnapshot) -> Drift | None:
    tid = snapshot.ticket_id
    if row is None:
        return Drift(
            tid,
            "missing",
            f"no ticket row (workflow at seq {snapshot.seq}, {snapshot.status.value})",
        )
    want = ticket_values(snapshot)
    differing = [k for k in want if _norm(getattr(row, k)) != _norm(want[k])]
    if not differing:
        return None
    problem = (
        "stale" if row.seq < snapshot.seq else "ahead" if row.seq > snapshot.seq else "differs"
    )
    detail = "; ".join(
        f"{k} read model {_show(k, getattr(row, k))}, workflow {_show(k, want[k])}"
        for k in differing
    )
    return Drift(tid, problem, detail)


def event_drift(
    rows: list[TicketEventRow], snapshot: TicketSnapshot
) -> tuple[Drift | None, set[int]]:
    """The timeline's drift and the seqs of the event rows to delete before rewriting it."""
    have = {r.seq: r for r in rows if r.seq <= snapshot.seq}  # later ones: the workflow moved on
    want = {e.seq: e for e in snapshot.events}
    missing = sorted(want.keys() - have.keys())
    extra = sorted(have.keys() - want.keys())
    different = sorted(
        s
        for s in want.keys() & have.keys()
        if any(_norm(getattr(have[s], f)) != _norm(getattr(want[s], f)) for f in EVENT_FIELDS)
    )
    if not (missing or extra or different):
        return None, set()
    parts = [
        f"{what} seq {', '.join(map(str, seqs))}"
        for what, seqs in (("missing", missing), ("different", different), ("extra", extra))
        if seqs
    ]
    return Drift(snapshot.ticket_id, "events", "; ".join(parts)), {*different, *extra}


Ask = Callable[[str], Awaitable[TicketSnapshot]]  # a ticket id → its workflow's snapshot


def _asker(client: Client, timeout: timedelta) -> Ask:
    async def ask(ticket_id: str) -> TicketSnapshot:
        return await client.get_workflow_handle(ticket_id).query(
            "snapshot", result_type=TicketSnapshot, rpc_timeout=timeout
        )

    return ask


async def _compare(db: Database, snapshot: TicketSnapshot) -> tuple[list[Drift], set[int], int]:
    tid = snapshot.ticket_id
    async with db.session() as session:
        row = await session.get(TicketRow, tid)
        events = (
            await session.exec(select(TicketEventRow).where(TicketEventRow.ticket_id == tid))
        ).all()
        archived = await session.get(ArchiveRecord, tid) is not None
    drifts = [d for d in (row_drift(row, snapshot),) if d]
    ev_drift, bad_events = event_drift(list(events), snapshot)
    if ev_drift:
        drifts.append(ev_drift)
    if snapshot.status == TicketStatus.ARCHIVED and not archived:
        drifts.append(
            Drift(
                tid,
                "archive",
                "archived but no archive record (not rebuilt: the "
                "record is the ticket as it stood when it finished)",
            )
        )
    return drifts, bad_events, row.seq if row else 0


async def _rewrite(
    db: Database, snapshot: TicketSnapshot, row_seq: int, bad_events: set[int]
) -> None:
    """Replace the ticket's row and timeline with the snapshot's, in one transaction."""
    tid = snapshot.ticket_id
    async with db.session() as session:
        # Only a row not newer than the snapshot (or the corrupt one seen ahead of it) goes: a
        # write by the workflow meanwhile is newer and stays, and the seq guard keeps it.
        await session.exec(
            delete(TicketRow).where(
                col(TicketRow.ticket_id) == tid,
                (col(TicketRow.seq) <= snapshot.seq) | (col(TicketRow.seq) == row_seq),
            )
        )
        if bad_events:
            await session.exec(
                delete(TicketEventRow).where(
                    col(TicketEventRow.ticket_id) == tid, col(TicketEventRow.seq).in_(bad_events)
                )
            )
        await project_ticket(session=session, snapshot=snapshot, events=snapshot.events)


async def _check(
    ask: Ask, db: Database, ticket_id: str, repair: bool, report: ReconcileReport
) -> None:
    try:
        snapshot = await ask(ticket_id)
    except Exception as err:
        report.drifts.append(Drift(ticket_id, "unreachable", f"query failed: {type(err).__name__}"))
        return
    drifts, bad_events, row_seq = await _compare(db, snapshot)
    if drifts and row_seq > snapshot.seq:  # the workflow may have moved on since it answered
        snapshot = await ask(ticket_id)
        drifts, bad_events, row_seq = await _compare(db, snapshot)
    report.checked += 1
    report.drifts += drifts
    if not (repair and any(d.problem != "archive" for d in drifts)):
        return
    await _rewrite(db, snapshot, row_seq, bad_events)
    after, _, _ = await _compare(db, await ask(ticket_id))
    log.info(
        "ticket reprojected",
        ticket_id=ticket_id,
        problems=[d.problem for d in drifts],
        clean=not after,
    )
    if not after:
        report.repaired.append(ticket_id)


async def _workflow_ids(client: Client, task_queue: str) -> list[str]:
    query = f'WorkflowType = "TicketWorkflow" AND TaskQueue = "{task_queue}"'
    return sorted({wf.id async for wf in client.list_workflows(query)})


async def _exists(client: Client, ticket_id: str) -> bool:
    try:
        await client.get_workflow_handle(ticket_id).describe()
        return True
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise


async def reconcile(
    *,
    client: Client,
    db: Database,
    repair: bool,
    task_queue: str | None = None,
    query_timeout: timedelta = QUERY_TIMEOUT,
) -> ReconcileReport:
    """Compare every ticket workflow on `task_queue` (default: the settings') and every ticket
    row with each other; with `repair`, rewrite each drifted ticket from its workflow. A
    workflow that does not answer within `query_timeout` is reported unreachable."""
    if task_queue is None:
        from settings import settings

        task_queue = settings.task_queue
    report = ReconcileReport()
    ids = set(await _workflow_ids(client, task_queue))
    async with db.session() as session:
        rows = set((await session.exec(select(TicketRow.ticket_id))).all())
    for ticket_id in sorted(rows - ids):
        if await _exists(client, ticket_id):
            ids.add(ticket_id)  # on another task queue: checked all the same
        else:
            report.drifts.append(Drift(ticket_id, "orphan", "a ticket row with no workflow"))
    limit, ask = asyncio.Semaphore(PARALLEL), _asker(client, query_timeout)

    async def one(ticket_id: str) -> None:
        async with limit:
            await _check(ask, db, ticket_id, repair, report)

    await asyncio.gather(*(one(t) for t in sorted(ids)))
    report.drifts.sort(key=lambda d: (d.ticket_id, d.problem))
    report.checked += len(rows - ids)
    log.info(
        "reconciled",
        checked=report.checked,
        drifts=len(report.drifts),
        repaired=len(report.repaired),
        remaining=len(report.remaining),
    )
    return report
