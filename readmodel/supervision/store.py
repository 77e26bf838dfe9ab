"""督办单 in the read model: the projection's write (a newer state wins) and the API's reads."""

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.supervision import OrderState, OrderStatus
from readmodel.supervision.tables import SupervisionOrder
from readmodel.tickets.projection import _insert, _table


def values(state: OrderState) -> dict:
    return {
        "order_id": state.order_id,
        "seq": state.seq,
        "status": state.status.value,
        "department": state.department,
        "place": state.place,
        "opened_by": state.opened_by,
        "opened_at": state.opened_at,
        "tickets": [t.ticket_id for t in state.tickets],
        "instruction": state.instruction,
        "reply_due_at": state.reply_due_at,
        "escalation_level": state.escalation_level,
        "answer": state.answer,
        "promised_finish": state.promised_finish,
        "answered_by": state.answered_by,
        "answered_at": state.answered_at,
        "closed_by": state.closed_by,
        "closed_at": state.closed_at,
        "updated_at": state.updated_at,
        "state": state.model_dump(mode="json"),
    }


async def project(*, session: AsyncSession, state: OrderState) -> None:
    """Upsert the order's row unless a newer state is there already (a retried, stale write)."""
    table = _table(SupervisionOrder)
    row = values(state)
    stmt = _insert(session, table).values(**row)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.order_id],
        set_={k: stmt.excluded[k] for k in row if k != "order_id"},
        where=table.c.seq < stmt.excluded.seq,
    )
    await session.exec(stmt)
    await session.commit()


async def get(*, session: AsyncSession, order_id: str) -> SupervisionOrder | None:
    return await session.get(SupervisionOrder, order_id)


async def listing(
    *,
    session: AsyncSession,
    area: str | None,
    department: str | None,
    status: OrderStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[SupervisionOrder], int]:
    """Newest first, and how many match: orders whose place lies in `area` (None: anywhere), to
    `department` (None: any), in `status` (None: any)."""
    query = select(SupervisionOrder)
    if area is not None:
        query = query.where(col(SupervisionOrder.place).startswith(area))
    if department is not None:
        query = query.where(col(SupervisionOrder.department) == department)
    if status is not None:
        query = query.where(col(SupervisionOrder.status) == status.value)
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    rows = (
        await session.exec(
            query.order_by(col(SupervisionOrder.opened_at).desc(), col(SupervisionOrder.order_id))
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return list(rows), int(total)
