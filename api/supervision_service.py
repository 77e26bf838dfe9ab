"""督办单 operations behind the routes: open an order's workflow, run its updates, read it."""

import asyncio
import secrets
from datetime import UTC, datetime
from typing import TypeVar

import structlog
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from api import audit_trail, authz
from api.errors import ApiError, invalid
from api.order_schemas import OrderCreate, OrderPublic
from api.tickets_service import REFUSAL_STATUS, UPDATE_TIMEOUT
from domain import supervision
from domain.states import DEPARTMENT_STATUSES
from domain.supervision import OpenOrder, OrderState, OrderTicket
from domain.ticket_ids import is_ticket_id
from readmodel.access.tables import User
from readmodel.supervision import store
from readmodel.supervision.tables import SupervisionOrder
from readmodel.tickets import queries
from settings import Settings
from workflows.supervision import SupervisionOrderWorkflow

log = structlog.get_logger("gridflow.api")
SHOWN = 64  # an id longer than this is no order's; the message needs no more of it


async def order_tickets(
    *, session: AsyncSession, user: User, ids: list[str]
) -> tuple[list[OrderTicket], str]:
    """The tickets as the order keeps them, and their one department: each a ticket of the
    caller's area that sits in a department (422 naming `tickets` otherwise; 403 outside the
    area)."""
    if len(set(ids)) != len(ids):
        raise invalid("tickets", "a ticket is named twice")
    found: list[OrderTicket] = []
    departments: set[str] = set()
    for ticket_id in ids:
        row = (
            await queries.ticket_row(session=session, ticket_id=ticket_id)
            if is_ticket_id(ticket_id)
            else None
        )
        if row is None:
            raise invalid("tickets", f"no ticket {ticket_id[:SHOWN]}")
        authz.ensure_in_area(user, grid=row.grid, what=f"ticket {ticket_id}")
        if row.status not in DEPARTMENT_STATUSES or row.department is None:
            raise invalid(
                "tickets",
                f"ticket {ticket_id} is {row.status}: only a ticket a department holds "
                "(dispatched, claimed, verifying, rectifying) is supervised",
            )
        found.append(OrderTicket(ticket_id=ticket_id, grid=row.grid))
        departments.add(row.department)
    if len(departments) > 1:
        raise invalid(
            "tickets",
            f"the tickets are in {len(departments)} departments ({', '.join(sorted(departments))})"
            ": one order is addressed to one department",
        )
    return found, departments.pop()


async def open_order(
    *, session: AsyncSession, client: Client, config: Settings, user: User, body: OrderCreate
) -> OrderPublic:
    tickets, department = await order_tickets(session=session, user=user, ids=body.tickets)
    await session.commit()  # no pooled connection held through Temporal's round trips
    order = OpenOrder(
        order_id=f"DB-{secrets.token_hex(6).upper()}",
        opened_by=user.user_id,
        opened_at=datetime.now(UTC),
        tickets=tickets,
        department=department,
        instruction=body.instruction,
        reply_working_days=body.reply_working_days,
    )
    workflow_id = supervision.workflow_id(order.order_id)
    await audit_trail.before_temporal(call="start", ticket_id=workflow_id)
    handle = await client.start_workflow(
        SupervisionOrderWorkflow.run,
        order,
        id=workflow_id,
        task_queue=config.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        static_summary=f"督办单 {order.order_id}: {len(tickets)} ticket(s) to {department}",
    )
    log.info("order opened", order_id=order.order_id, workflow_id=workflow_id)
    try:  # answered once dated, projected and announced
        state = await asyncio.wait_for(
            handle.execute_update(SupervisionOrderWorkflow.opened),
            timeout=UPDATE_TIMEOUT.total_seconds(),
        )
    except TimeoutError:
        raise ApiError(
            503,
            f"order {order.order_id} was opened but did not answer in time; read it shortly",
            order_id=order.order_id,
        ) from None
    return OrderPublic.of_state(state)


async def visible_order(*, session: AsyncSession, user: User, order_id: str) -> SupervisionOrder:
    """The order's row, if the caller may see it: 404 for no such order, else 403."""
    known = supervision.is_order_id(order_id)
    row = await store.get(session=session, order_id=order_id) if known else None
    if row is None:
        raise ApiError(404, f"no order {order_id[:SHOWN]}")
    authz.ensure_can_read_order(user, order_id=order_id, place=row.place, department=row.department)
    return row


def public(row: SupervisionOrder) -> OrderPublic:
    return OrderPublic.of_state(OrderState.model_validate(row.state))


Request = TypeVar("Request", bound=BaseModel)
OrderUpdate = UpdateMethodMultiParam[[SupervisionOrderWorkflow, Request], OrderState]


async def act(
    *,
    session: AsyncSession,
    client: Client,
    order_id: str,
    update: OrderUpdate[Request],
    request: Request,
) -> OrderPublic:
    """Run an answer or a close as the order's workflow update; refusals are 403/409/422."""
    await session.commit()
    workflow_id = supervision.workflow_id(order_id)
    call_id = await audit_trail.before_temporal(call="update", ticket_id=workflow_id)
    handle = client.get_workflow_handle(workflow_id)
    try:
        state = await asyncio.wait_for(
            handle.execute_update(update, request, id=call_id),
            timeout=UPDATE_TIMEOUT.total_seconds(),
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type in REFUSAL_STATUS:
            details = cause.details[0] if cause.details else {}
            details = details if isinstance(details, dict) else {}
            field = details.get("field")
            raise ApiError(
                REFUSAL_STATUS[cause.type],
                cause.message,
                code=cause.type,
                fields=[{"field": field, "message": cause.message}] if field else None,
                **details,
            ) from None
        raise
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        raise ApiError(409, f"order {order_id} is closed", state="closed") from None
    except TimeoutError:
        raise ApiError(
            503, "the order did not answer in time; check its state before retrying"
        ) from None
    log.info("order action", order_id=order_id, workflow_id=workflow_id, status=state.status.value)
    return OrderPublic.of_state(state)
