"""Ticket operations behind the routes: start workflows, run updates, read with a fallback."""

import asyncio
import hashlib
import json
import time
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from api import audit_trail
from api.errors import ApiError
from api.schemas import ArchiveInfo, IncidentCreate, TicketPublic
from domain.actions import ActionInput
from domain.contracts import TicketInput
from domain.models import Actor, Incident, SensorReading, TicketSnapshot, initial_snapshot
from domain.ticket_ids import is_ticket_id
from readmodel.access import audit
from readmodel.tickets import queries
from settings import Settings
from workflows.ticket import TicketWorkflow

log = structlog.get_logger("gridflow.api")
REFUSAL_STATUS = {"forbidden": 403, "conflict": 409, "invalid": 422, "not_routed_yet": 409}
UPDATE_TIMEOUT = timedelta(seconds=30)
QUERY_TIMEOUT = timedelta(seconds=3)


def ticket_id_for(*, user_id: str, idempotency_key: str) -> str:
    """Keys are scoped per reporter, so two phones can never collide on one ticket."""
    digest = hashlib.sha256(f"{user_id}\x00{idempotency_key}".encode()).hexdigest()
    return f"GF-{digest[:12].upper()}"


def request_fingerprint(body: IncidentCreate) -> str:
    dump = body.model_dump()
    if not dump.get("photo_ids"):  # reports from before photos keep their fingerprint
        dump.pop("photo_ids", None)
    return hashlib.sha256(json.dumps(dump, sort_keys=True).encode()).hexdigest()


def incident_of(
    body: IncidentCreate, *, ticket_id: str, grid: str, reporter: Actor, at: datetime
) -> Incident:
    """The report as its ticket's workflow receives it, a person's and a sensor's alike."""
    return Incident(
        ticket_id=ticket_id,
        category=body.category,
        lat=body.lat,
        lon=body.lon,
        grid=grid,
        description=body.description,
        reporter=reporter,
        submitted_at=at,
        urgency=body.urgency,
        subject_code=body.subject_code,
        device_id=body.device_id,
        photo_ids=list(body.photo_ids),
    )


async def submit_incident(
    *,
    client: Client,
    config: Settings,
    reporter: Actor,
    body: IncidentCreate,
    grid: str,
    ticket_id: str,
) -> tuple[str, bool]:
    """Start the ticket's workflow (`ticket_id`: api/intake.py's ReportKey); returns (ticket id,
    replayed). Acknowledged = durably started."""
    fingerprint = request_fingerprint(body)
    incident = incident_of(
        body, ticket_id=ticket_id, grid=grid, reporter=reporter, at=datetime.now(UTC)
    )
    began = time.perf_counter()
    await audit_trail.before_temporal(call="start", ticket_id=ticket_id)
    intent_done = time.perf_counter()
    try:
        await client.start_workflow(
            TicketWorkflow.run,
            TicketInput(incident=incident),
            id=ticket_id,
            task_queue=config.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            memo={"request_sha256": fingerprint},
            static_summary=f"ticket {ticket_id}: {body.category} in grid {grid}",
        )
    except WorkflowAlreadyStartedError:
        described = await client.get_workflow_handle(ticket_id).describe()
        memo = await described.memo()
        if memo.get("request_sha256") != fingerprint:
            raise ApiError(
                409,
                "this Idempotency-Key was already used for a different report",
                code="idempotency_key_reused",
                ticket_id=ticket_id,
            ) from None
        return ticket_id, True
    log.info(
        "incident submitted",
        ticket_id=ticket_id,
        workflow_id=ticket_id,
        grid=grid,
        category=body.category,
        intent_ms=round((intent_done - began) * 1000, 1),
        start_ms=round((time.perf_counter() - intent_done) * 1000, 1),
    )
    audit_trail.recorded(seq=1)  # the submit event
    return ticket_id, False


def sensor_ticket_id(*, owner_id: str, device_id: str, category: str, episode: int) -> str:
    """One ticket per device, fault and episode: repeats while it is open land on the same id.
    A device is (owner, device id), so the owner is in the digest: two gateways may both name a
    device "pump-1", and each must land on its own ticket (issue 12). The owner's id is hashed,
    never written into the workflow id."""
    digest = hashlib.sha256(
        f"{owner_id}\x00{device_id}\x00{category}\x00{episode}".encode()
    ).hexdigest()
    return f"GF-S{digest[:11].upper()}"


async def submit_sensor_report(
    *,
    session: AsyncSession,
    client: Client,
    config: Settings,
    reporter: Actor,
    body: IncidentCreate,
    grid: str,
) -> tuple[str, bool]:
    """Signal-with-start: a running ticket for this device and fault hears the reading; else a
    new ticket starts. Returns (ticket id, attached to an open ticket)."""
    assert body.device_id is not None
    owner, device, fault = reporter.user_id, body.device_id, body.category
    # The device's open ticket is found by (owner, device, fault) in the read model, not by
    # deriving its id: tickets opened before the owner joined the digest keep the id their
    # workflow runs under (sha256 of device, fault, episode), and their repeats still reach them.
    # Only a new ticket gets a derived id, so concurrent first reports still meet on one id.
    open_ticket = await queries.open_sensor_ticket(
        session=session, reporter_id=owner, device_id=device, category=fault
    )
    episode = await queries.closed_sensor_tickets(
        session=session, reporter_id=owner, device_id=device, category=fault
    )
    now = datetime.now(UTC)
    await session.commit()  # no pooled connection held while Temporal answers
    if open_ticket is not None and now - open_ticket[1] < timedelta(
        seconds=config.sensor_repeat_quiet_seconds
    ):
        # Each reading sent costs the ticket's history a signal, a workflow task and a
        # projection: a device stuck alarming every second would fill it within hours.
        log.info(
            "sensor repeat folded",
            ticket_id=open_ticket[0],
            workflow_id=open_ticket[0],
            last_recorded=open_ticket[1].isoformat(),
        )
        return open_ticket[0], True
    # A ticket that closed since the read model was asked: the next episode.
    candidates = ([open_ticket[0]] if open_ticket is not None else []) + [
        sensor_ticket_id(owner_id=owner, device_id=device, category=fault, episode=n)
        for n in range(episode, episode + 5)
    ]
    call_id: str | None = None
    for ticket_id in candidates:
        # One call, an intent for each ticket it is tried on; the reading carries the call's id,
        # so the ticket's history says whether it arrived (readmodel/access/audit_resolve.py).
        call_id = await audit_trail.before_temporal(
            call="signal", ticket_id=ticket_id, call_id=call_id
        )
        reading = SensorReading(device_id=device, at=now, call_id=call_id)
        incident = incident_of(body, ticket_id=ticket_id, grid=grid, reporter=reporter, at=now)
        try:
            handle = await client.start_workflow(
                TicketWorkflow.run,
                TicketInput(incident=incident),
                id=ticket_id,
                task_queue=config.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                start_signal="sensor_reading",
                start_signal_args=[reading],
                memo={"reading_at": now.isoformat()},
                static_summary=f"ticket {ticket_id}: sensor {body.category} in grid {grid}",
            )
        except WorkflowAlreadyStartedError:
            continue
        # The memo is the starting reading's: another one means this reading joined a running ticket.
        attached = (await (await handle.describe()).memo()).get("reading_at") != now.isoformat()
        log.info("sensor report", ticket_id=ticket_id, workflow_id=ticket_id, attached=attached)
        audit_trail.recorded(seq=None if attached else 1)  # a new ticket's submit event
        return ticket_id, attached
    raise ApiError(503, "the device's tickets are changing too fast; retry shortly")


async def read_snapshot(
    *, session: AsyncSession, client: Client, ticket_id: str
) -> tuple[TicketSnapshot, str] | None:
    """The ticket and where it was read: the projection; while it has not caught up yet, the
    workflow itself; before a worker has picked it up, its start event (what was acknowledged).
    None: no such ticket. Every single-ticket read (/api/v1, Open311) goes through here, so a
    client reads its own report the moment it is acknowledged."""
    snapshot = await queries.get_ticket(session=session, ticket_id=ticket_id)
    if snapshot is not None:
        return snapshot, "projection"
    if not is_ticket_id(ticket_id):  # no other workflow is asked ticket queries
        return None
    handle = client.get_workflow_handle(ticket_id)
    try:
        return await handle.query(TicketWorkflow.snapshot, rpc_timeout=QUERY_TIMEOUT), "workflow"
    except RPCError as err:
        if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            return None
    except WorkflowQueryFailedError:
        pass
    # No worker has picked the ticket up yet: what was acknowledged is in the start event.
    async for event in handle.fetch_history_events():
        started = event.workflow_execution_started_event_attributes
        (start,) = await client.data_converter.decode(started.input.payloads, [TicketInput])
        return initial_snapshot(start.incident), "submission"
    return None


async def read_ticket(*, session: AsyncSession, client: Client, ticket_id: str) -> TicketPublic:
    """From the projection; while it has not caught up yet, from the workflow itself."""
    found = await read_snapshot(session=session, client=client, ticket_id=ticket_id)
    if found is None:
        raise ApiError(404, f"no ticket {ticket_id}")
    snapshot, source = found
    archive = (
        await queries.get_archive(session=session, ticket_id=ticket_id)
        if source == "projection"
        else None
    )
    info = (
        ArchiveInfo(archived_at=archive.archived_at, content_sha256=archive.content_sha256)
        if archive
        else None
    )
    return TicketPublic.of(snapshot, source=source, archive=info)


# A TicketWorkflow update method (TicketWorkflow.claim, …) and the action input it takes; its name
# on the wire is the update's.
TicketRequest = TypeVar("TicketRequest", bound=ActionInput)
TicketUpdate = UpdateMethodMultiParam[[TicketWorkflow, TicketRequest], TicketSnapshot]


async def act(
    *,
    session: AsyncSession,
    client: Client,
    ticket_id: str,
    update: TicketUpdate[TicketRequest],
    request: TicketRequest,
) -> TicketPublic:
    """Run one human action as a workflow update; refusals come back as 403/409/422."""
    await session.commit()  # no pooled connection held through the update's round trip
    call_id = await audit_trail.before_temporal(call="update", ticket_id=ticket_id)
    handle = client.get_workflow_handle(ticket_id)
    try:
        snapshot = await asyncio.wait_for(  # the update's id names it in the ticket's history
            handle.execute_update(update, request, id=call_id),
            timeout=UPDATE_TIMEOUT.total_seconds(),
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type in REFUSAL_STATUS:
            details = cause.details[0] if cause.details else {}
            details = details if isinstance(details, dict) else {}
            retry = details.get("retry_after_s")  # not routed yet: the same action works soon
            raise ApiError(
                REFUSAL_STATUS[cause.type],
                cause.message,
                code=cause.type,
                headers={"Retry-After": str(retry)} if retry else None,
                **details,
            ) from None
        raise
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        known = await queries.get_ticket(session=session, ticket_id=ticket_id)
        if known is None:
            raise ApiError(404, f"no ticket {ticket_id}") from None
        raise ApiError(
            409,
            f"cannot {request.action} a ticket in state '{known.status}'",
            state=known.status.value,
        ) from None
    except TimeoutError:
        raise ApiError(
            503,
            "the ticket did not answer in time; check its state before retrying",
            ticket_id=ticket_id,
        ) from None
    log.info(
        "ticket action",
        ticket_id=ticket_id,
        workflow_id=ticket_id,
        action=request.action,
        status=snapshot.status.value,
    )
    audit_trail.recorded(seq=audit.seq_of(snapshot, request.actor.user_id))
    return TicketPublic.of(snapshot, source="workflow")
