"""Requests waiting for a supervisor: extensions (延期申请) and parking (挂账) asked for by departments
(found by readmodel/tickets/queries.pending_requests)."""

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import SessionDep, SupervisorArea
from api.paging import Page, PageParams
from api.schemas import TicketSummary
from domain.models import ExtensionRequest, ParkingRequest
from readmodel.tickets.queries import pending_requests

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


@router.get("/extension-requests", response_model=ExtensionRequestPage)
async def extension_requests(
    area: SupervisorArea, session: SessionDep, paging: PageParams, department: str | None = None
) -> ExtensionRequestPage:
    """Extension requests waiting for a decision, the oldest first (supervisors): each ticket with
    the stage, the working days asked for, the reason, who asked and when."""
    found = await pending_requests(
        session=session, kind="extension", department=department, area=area
    )
    return ExtensionRequestPage.of(
        [
            ExtensionRequestItem(
                ticket=TicketSummary.model_validate(row),
                extension_request=ExtensionRequest.model_validate(pending),
            )
            for row, pending in paging.window(found)
        ],
        len(found),
        paging,
    )


@router.get("/parking-requests", response_model=ParkingRequestPage)
async def parking_requests(
    area: SupervisorArea, session: SessionDep, paging: PageParams, department: str | None = None
) -> ParkingRequestPage:
    """Parking requests waiting for a decision, the oldest first (supervisors)."""
    found = await pending_requests(
        session=session, kind="parking", department=department, area=area
    )
    return ParkingRequestPage.of(
        [
            ParkingRequestItem(
                ticket=TicketSummary.model_validate(row),
                parking_request=ParkingRequest.model_validate(pending),
            )
            for row, pending in paging.window(found)
        ],
        len(found),
        paging,
    )
