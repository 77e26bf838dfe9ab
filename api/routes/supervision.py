"""督办单 (supervision orders): opened and closed by supervisors, answered by the department
they are addressed to; each order is a workflow (docs/supervision.md)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from api import supervision_service as service
from api.authz import order_scope
from api.deps import (
    CurrentUser,
    DeskUser,
    SessionDep,
    SettingsDep,
    StaffUser,
    SupervisorUser,
    TemporalClient,
    actor_of,
)
from api.order_schemas import AnswerBody, CloseBody, OrderCreate, OrderPage, OrderPublic
from api.paging import PageParams
from domain.supervision import AnswerInput, CloseInput, OrderState, OrderStatus
from readmodel.supervision import store
from readmodel.supervision.tables import SupervisionOrder
from workflows.supervision import SupervisionOrderWorkflow

router = APIRouter(prefix="/orders", tags=["supervision"])


async def _order(
    order_id: Annotated[
        str, Path(description="an order's id: DB- and 12 hex digits", examples=["DB-3F2A9C41B07E"])
    ],
    user: CurrentUser,
    session: SessionDep,
) -> SupervisionOrder:
    return await service.visible_order(session=session, user=user, order_id=order_id)


# The order a {order_id} route is about, once the caller may see it (404, else 403).
VisibleOrder = Annotated[SupervisionOrder, Depends(_order)]


@router.post("", response_model=OrderPublic, status_code=201)
async def open_order(
    user: SupervisorUser,
    body: OrderCreate,
    session: SessionDep,
    client: TemporalClient,
    config: SettingsDep,
) -> OrderPublic:
    """Open a 督办单 on tickets of your area that one department holds: the department is told
    at once and must answer within `reply_working_days` working days, or the order breaches and
    climbs to the supervisors of the tickets' community, street and district, one level each
    working day, until it is answered."""
    return await service.open_order(
        session=session, client=client, config=config, user=user, body=body
    )


@router.get("", response_model=OrderPage)
async def list_orders(
    user: DeskUser,
    session: SessionDep,
    paging: PageParams,
    status: OrderStatus | None = None,
) -> OrderPage:
    """Newest first: supervisors the orders about their area, department staff their
    department's; `status` open, breached, answered or closed."""
    scope = await order_scope(user, session)
    rows, total = await store.listing(
        session=session,
        area=scope.area,
        department=scope.department,
        status=status,
        limit=paging.limit,
        offset=paging.offset,
    )
    states = [OrderState.model_validate(r.state) for r in rows]
    return OrderPage.of_states(states, total, paging)


@router.get("/{order_id}", response_model=OrderPublic)
async def get_order(user: DeskUser, order: VisibleOrder) -> OrderPublic:
    """An order with its deadline, answer and timeline."""
    return service.public(order)


@router.post("/{order_id}/answer", response_model=OrderPublic)
async def answer_order(
    user: StaffUser,
    order: VisibleOrder,
    body: AnswerBody,
    session: SessionDep,
    client: TemporalClient,
) -> OrderPublic:
    """Answer for your department: what was done and the day it will be finished; the order
    stops climbing."""
    return await service.act(
        session=session,
        client=client,
        order_id=order.order_id,
        update=SupervisionOrderWorkflow.answer,
        request=AnswerInput(actor=actor_of(user), **body.model_dump()),
    )


@router.post("/{order_id}/close", response_model=OrderPublic)
async def close_order(
    user: SupervisorUser,
    order: VisibleOrder,
    session: SessionDep,
    client: TemporalClient,
    body: CloseBody | None = None,
) -> OrderPublic:
    """Close the order: its answer accepted, or the order withdrawn (supervisors of its area)."""
    return await service.act(
        session=session,
        client=client,
        order_id=order.order_id,
        update=SupervisionOrderWorkflow.close,
        request=CloseInput(actor=actor_of(user), **(body or CloseBody()).model_dump()),
    )
