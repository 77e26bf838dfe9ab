"""Requests waiting for a supervisor: extensions (延期申请) and parking (挂账) asked for by departments.

The read model has no column for a pending request (it lives in the ticket's snapshot), so the
query narrows to the open tickets whose timeline has such a request event, then keeps those whose
projected ticket still carries one: cheap, since few tickets ever ask, and exact, because the
snapshot is what the workflow last projected (a decision, a return or a dispatch clears it).
"""
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.authz import SupervisorArea
from api.deps import SessionDep
from api.paging import Page, PageParams
from api.schemas import TicketSummary
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


class ExtensionRequestPage(Page[ExtensionRequestItem]):
    pass


class ParkingRequestPage(Page[ParkingRequestItem]):
    pass


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


@router.get("/extension-requests", response_model=ExtensionRequestPage)
async def extension_requests(area: SupervisorArea, session: SessionDep, paging: PageParams,
                             department: str | None = None) -> ExtensionRequestPage:
    """Extension requests waiting for a decision, the oldest first (supervisors): each ticket with
    the stage, the working days asked for, the reason, who asked and when."""
    found = await pending_requests(session=session, kind="extension", department=department,
                                   area=area)
    return ExtensionRequestPage.of(
        [ExtensionRequestItem(ticket=TicketSummary.model_validate(row),
                              extension_request=ExtensionRequest.model_validate(pending))
         for row, pending in paging.window(found)], len(found), paging)


@router.get("/parking-requests", response_model=ParkingRequestPage)
async def parking_requests(area: SupervisorArea, session: SessionDep, paging: PageParams,
                           department: str | None = None) -> ParkingRequestPage:
    """Parking requests waiting for a decision, the oldest first (supervisors)."""
    found = await pending_requests(session=session, kind="parking", department=department,
                                   area=area)
    return ParkingRequestPage.of(
        [ParkingRequestItem(ticket=TicketSummary.model_validate(row),
                            parking_request=ParkingRequest.model_validate(pending))
         for row, pending in paging.window(found)], len(found), paging)
