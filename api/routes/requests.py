"""Requests waiting for a supervisor: extensions (延期申请) and parking (挂账) asked for by departments.

The read model has no column for a pending request (it lives in the ticket's snapshot), so the
query narrows to the open tickets whose timeline has such a request event, then keeps those whose
projected ticket still carries one: cheap, since few tickets ever ask, and exact, because the
snapshot is what the workflow last projected (a decision, a return or a dispatch clears it).
"""
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.authz import area_scope
from api.deps import CurrentUser, SessionDep
from api.schemas import MAX_OFFSET, TicketSummary
from domain.models import ExtensionRequest, ParkingRequest
from domain.states import Action
from readmodel.queries import in_area
from readmodel.tables import TicketEventRow, TicketRow

router = APIRouter(tags=["extensions and parking"])


class ExtensionRequestItem(BaseModel):
    ticket: TicketSummary
    extension_request: ExtensionRequest


class ParkingRequestItem(BaseModel):
    ticket: TicketSummary
    parking_request: ParkingRequest


class ExtensionRequestPage(BaseModel):
    items: list[ExtensionRequestItem]
    total: int
    limit: int
    offset: int


class ParkingRequestPage(BaseModel):
    items: list[ParkingRequestItem]
    total: int
    limit: int
    offset: int


async def pending_requests(*, session: AsyncSession, kind: Literal["extension", "parking"],
                           department: str | None = None, area: str | None = None,
                           ) -> list[tuple[TicketRow, dict[str, Any]]]:
    """Open tickets with a pending request of this kind, the oldest request first (in `area`)."""
    action = Action.REQUEST_EXTENSION if kind == "extension" else Action.REQUEST_PARKING
    asked = select(TicketEventRow.ticket_id).where(TicketEventRow.action == action.value)
    query = select(TicketRow).where(col(TicketRow.is_open), col(TicketRow.ticket_id).in_(asked),
                                    *in_area(area))
    if department:
        query = query.where(TicketRow.department == department)
    found = []
    for row in (await session.exec(query)).all():
        pending = (row.snapshot or {}).get(f"{kind}_request")
        if pending:
            found.append((row, pending))
    found.sort(key=lambda item: (str(item[1].get("requested_at")), item[0].ticket_id))
    return found


Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


@router.get("/extension-requests", response_model=ExtensionRequestPage)
async def extension_requests(user: CurrentUser, session: SessionDep, department: str | None = None,
                             limit: Limit = 50, offset: Offset = 0) -> ExtensionRequestPage:
    """Extension requests waiting for a decision, the oldest first (supervisors): each ticket with
    the stage, the working days asked for, the reason, who asked and when."""
    found = await pending_requests(session=session, kind="extension", department=department,
                                   area=await area_scope(user, session))
    return ExtensionRequestPage(
        items=[ExtensionRequestItem(ticket=TicketSummary.model_validate(row),
                                    extension_request=ExtensionRequest.model_validate(pending))
               for row, pending in found[offset:offset + limit]],
        total=len(found), limit=limit, offset=offset)


@router.get("/parking-requests", response_model=ParkingRequestPage)
async def parking_requests(user: CurrentUser, session: SessionDep, department: str | None = None,
                           limit: Limit = 50, offset: Offset = 0) -> ParkingRequestPage:
    """Parking requests waiting for a decision, the oldest first (supervisors)."""
    found = await pending_requests(session=session, kind="parking", department=department,
                                   area=await area_scope(user, session))
    return ParkingRequestPage(
        items=[ParkingRequestItem(ticket=TicketSummary.model_validate(row),
                                  parking_request=ParkingRequest.model_validate(pending))
               for row, pending in found[offset:offset + limit]],
        total=len(found), limit=limit, offset=offset)
