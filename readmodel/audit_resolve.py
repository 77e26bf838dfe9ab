"""Settling the audit's open calls from the workflows' own record.

An action's intent row (outcome `pending`, api/audit_trail.py) is written before Temporal is
asked; its request's final row says how it ended. When that row is missing (the API died) or
says `unknown` (the API answered 5xx: the update timed out, the connection to Temporal broke),
only the ticket's workflow knows whether the action was applied. Temporal keeps every update
with its id in the workflow's history, so the answer is asked of it by the call's id:

* an update it completed: `ok` with the ticket event it recorded, or `refused` / `failed` with
  the handler's refusal;
* an update it has no record of (never delivered, or refused by its validator, which writes
  nothing): `failed`, nothing was applied;
* a report's start: `ok` when the ticket's workflow exists, else `failed`;
* an update still under way (admitted, not yet completed): left for the next pass.

Each settlement is one more appended row for the same call (same request id, route, actor,
ticket; `status` is what the client was answered, 0 when it was answered nothing). A unique
index allows one settled row per call, so the request's own row and any number of resolvers
cannot settle one call twice. Only intents older than `asked_before` are looked at: a younger
one may belong to a request still waiting for Temporal in a live API process.

Run by the API at start-up and then periodically (api/main.py), and by
`python -m readmodel.reconcile`.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import structlog
from sqlalchemy.exc import IntegrityError
from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.models import TicketSnapshot
from readmodel import audit
from readmodel.db import Database

log = structlog.get_logger("gridflow.audit")

POLL_TIMEOUT = timedelta(seconds=5)  # an update this slow to complete waits for the next pass
REFUSED = {"forbidden", "conflict", "invalid"}  # the workflow's refusals (api/tickets_service)
PARALLEL = 8


async def _outcome(client: Client, intent: audit.AuditEntry) -> tuple[str, int | None, str] | None:
    """(outcome, seq, note) from the workflow's record; None while it cannot tell yet."""
    assert intent.ticket_id is not None and intent.call_id is not None
    handle = client.get_workflow_handle(intent.ticket_id)
    if intent.call == "start":
        try:
            await handle.describe(rpc_timeout=POLL_TIMEOUT)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return "failed", None, "not applied: the ticket's workflow was never started"
            raise
        return "ok", None, "applied: the ticket's workflow was started"
    update = handle.get_update_handle(intent.call_id, result_type=TicketSnapshot)
    try:
        snapshot = await update.result(rpc_timeout=POLL_TIMEOUT)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        kind = cause.type if isinstance(cause, ApplicationError) else None
        return ("refused" if kind in REFUSED else "failed", None,
                f"not applied: {getattr(cause, 'message', None) or cause}")
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        return None  # admitted and not completed yet: the workflow will tell
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return "failed", None, "not applied: the ticket's workflow has no record of it"
        raise
    assert intent.actor_id is not None
    return "ok", audit.seq_of(snapshot, intent.actor_id), "applied, by the ticket's workflow"


async def resolve(*, client: Client, db: Database, asked_before: datetime) -> int:
    """Settle every open call asked before the given moment that the workflows can answer;
    returns how many rows were appended."""
    async with db.session() as session:
        found = await audit.open_calls(session=session, asked_before=asked_before)
    gate = asyncio.Semaphore(PARALLEL)

    async def one(intent: audit.AuditEntry, answered: int) -> bool:
        async with gate:
            try:
                settled = await _outcome(client, intent)
            except RPCError as err:  # Temporal away: the next pass asks again
                log.warning("audit call not settled", call_id=intent.call_id,
                            failure=err.status.name if err.status else type(err).__name__)
                return False
        if settled is None:
            return False
        outcome, seq, note = settled
        row = audit.AuditEntry.model_validate(intent.model_dump(exclude={"id", "at", "error"}) | {
            "at": audit.now(), "status": answered, "outcome": outcome, "seq": seq, "settled": True,
            "error": f"settled from the workflow's record: {note}"[:1000]})
        try:
            async with db.session() as session:
                await audit.append(session=session, entry=row)
        except IntegrityError:  # settled meanwhile, by its request or another resolver
            return False
        log.info("audit call settled", call_id=intent.call_id, ticket_id=intent.ticket_id,
                 outcome=outcome, seq=seq)
        return True

    return sum(await asyncio.gather(*(one(i, a) for i, a in found)))


async def keep_resolving(*, client: Client, db: Database, after: float, every: float) -> None:
    """At start-up and every `every` seconds: settle the calls asked more than `after` s ago."""
    while True:
        try:
            await resolve(client=client, db=db,
                          asked_before=audit.now() - timedelta(seconds=after))
        except Exception as err:  # noqa: BLE001  (a database or Temporal outage: try again)
            log.warning("audit resolution failed", failure=type(err).__name__)
        await asyncio.sleep(every)
