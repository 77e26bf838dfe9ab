"""Settling the audit's open calls from the workflows' own record.

An action's intent row (outcome `pending`, api/audit_trail.py) is written before Temporal is
asked; its request's final row says how it ended. When that row is missing (the API died) or
says `unknown` (the API answered 5xx: the update timed out, the connection to Temporal broke),
only the workflow knows whether the action was applied. Temporal keeps every update with its
id, and every signal with its payload, in the workflow's history, so the answer is asked of it by
the call's id:

* an update it completed (a ticket's; a subject's, in whichever of its runs; a 督办单's): `ok`
  (with the ticket event it recorded), or `refused` / `failed` with the handler's refusal;
* an update it has no record of (never delivered, or refused by its validator, which writes
  nothing): `failed`, nothing was applied;
* a report's start: `ok` when the ticket's workflow exists, else `failed`;
* a sensor's reading (signal-with-start): `ok` when a `sensor_reading` signal in the ticket's
  history carries the call's id, else `failed`;
* an update still under way (admitted, not yet completed): left for the next pass.

Each settlement is one more appended row for the same call (same request id, route, actor,
ticket; `status` is what the client was answered, 0 when it was answered nothing). A unique
index allows one settled row per call, so the request's own row and any number of resolvers
cannot settle one call twice. Only intents older than `asked_before` are looked at: a younger
one may belong to a request still waiting for Temporal in a live API process.

Run by the API at start-up and then periodically (api/main.py), and by
`python -m gridflow_admin reconcile --repair`.
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

from domain.models import SensorReading, TicketSnapshot
from domain.ticket_ids import is_ticket_id
from readmodel.access import audit
from readmodel.db import Database

log = structlog.get_logger("gridflow.audit")

POLL_TIMEOUT = timedelta(seconds=5)  # an update this slow to complete waits for the next pass
REFUSED = {"forbidden", "conflict", "invalid"}  # the workflow's refusals (api/tickets_service)
PARALLEL = 8
SENSOR_READING = "sensor_reading"  # TicketWorkflow's signal (api/tickets_service.py sends it)


async def _outcome(client: Client, intent: audit.AuditEntry) -> tuple[str, int | None, str] | None:
    """(outcome, seq, note) from the workflow's record; None while it cannot tell yet."""
    assert intent.ticket_id is not None and intent.call_id is not None
    if intent.call == "start":
        try:
            await client.get_workflow_handle(intent.ticket_id).describe(rpc_timeout=POLL_TIMEOUT)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return "failed", None, "not applied: the ticket's workflow was never started"
            raise
        return "ok", None, "applied: the ticket's workflow was started"
    if intent.call == "signal":
        return await _signalled(client, intent.ticket_id, intent.call_id)
    return await _updated(client, intent)


async def _signalled(client: Client, ticket_id: str, call_id: str) -> tuple[str, None, str]:
    """A sensor's reading: in the ticket's history when a `sensor_reading` signal carries the
    call's id (signal-with-start writes the signal, and the start, before it returns)."""
    handle = client.get_workflow_handle(ticket_id)
    try:
        async for event in handle.fetch_history_events(rpc_timeout=POLL_TIMEOUT):
            signalled = event.workflow_execution_signaled_event_attributes
            if (
                not event.HasField("workflow_execution_signaled_event_attributes")
                or signalled.signal_name != SENSOR_READING
            ):
                continue
            (reading,) = await client.data_converter.decode(
                signalled.input.payloads, [SensorReading]
            )
            if reading.call_id == call_id:
                return "ok", None, "applied: the ticket's workflow received the reading"
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return "failed", None, "not applied: the ticket's workflow was never started"
        raise
    return "failed", None, "not applied: the ticket's workflow has no record of the reading"


async def _updated(client: Client, intent: audit.AuditEntry) -> tuple[str, int | None, str] | None:
    """An update, by its id: a ticket's (the snapshot names the event it recorded), a 督办单's, or
    a subject's, which may sit in an earlier run (the subject rested and started again, or
    continued as new)."""
    assert intent.ticket_id is not None and intent.call_id is not None
    ticket = is_ticket_id(intent.ticket_id)
    runs: list[str | None] = [None]  # the latest run; every run when it has no record
    listed = ticket  # a ticket's workflow has one run
    while runs:
        run_id = runs.pop(0)
        handle = client.get_workflow_handle(intent.ticket_id, run_id=run_id)
        # A subject's or a 督办单's answer is not read, only whether the update completed.
        update = handle.get_update_handle(
            intent.call_id, result_type=TicketSnapshot if ticket else None
        )
        try:
            result = await update.result(rpc_timeout=POLL_TIMEOUT)
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            kind = cause.type if isinstance(cause, ApplicationError) else None
            return (
                "refused" if kind in REFUSED else "failed",
                None,
                f"not applied: {getattr(cause, 'message', None) or cause}",
            )
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            return None  # admitted and not completed yet: the workflow will tell
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
            if not listed:
                listed = True
                runs = [
                    r.run_id
                    async for r in client.list_workflows(f"WorkflowId = '{intent.ticket_id}'")
                ]
            continue
        if not ticket:
            whose = "order's" if intent.ticket_id.startswith("order-") else "subject's"
            return "ok", None, f"applied, by the {whose} workflow"
        assert intent.actor_id is not None
        return "ok", audit.seq_of(result, intent.actor_id), "applied, by the ticket's workflow"
    return "failed", None, "not applied: the workflow has no record of it"


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
                log.warning(
                    "audit call not settled",
                    call_id=intent.call_id,
                    failure=err.status.name if err.status else type(err).__name__,
                )
                return False
            except Exception as err:
                # Never `failed` on a reading not read: the call waits, the other calls go on.
                log.error(
                    "audit call not settled", call_id=intent.call_id, failure=type(err).__name__
                )
                return False
        if settled is None:
            return False
        outcome, seq, note = settled
        settled_row = intent.model_dump(exclude={"id", "at", "error"}) | {
            "at": audit.now(),
            "status": answered,
            "outcome": outcome,
            "seq": seq,
            "settled": True,
            "error": f"settled from the workflow's record: {note}"[:1000],
        }
        try:
            await db.write(
                lambda session: audit.append(
                    session=session, entry=audit.AuditEntry.model_validate(settled_row)
                )
            )
        except IntegrityError:  # settled meanwhile, by its request or another resolver
            return False
        log.info(
            "audit call settled",
            call_id=intent.call_id,
            ticket_id=intent.ticket_id,
            outcome=outcome,
            seq=seq,
        )
        return True

    return sum(await asyncio.gather(*(one(i, a) for i, a in found)))


async def keep_resolving(*, client: Client, db: Database, after: float, every: float) -> None:
    """At start-up and every `every` seconds: settle the calls asked more than `after` s ago."""
    while True:
        try:
            await resolve(client=client, db=db, asked_before=audit.now() - timedelta(seconds=after))
        except Exception as err:
            log.warning("audit resolution failed", failure=type(err).__name__)
        await asyncio.sleep(every)
