"""Probable duplicates (并单): the review queue, merging a report into a ticket, or keeping it."""

from fastapi import APIRouter, Depends

from api import tickets_service
from api.authz import ensure_in_area
from api.deps import (
    CurrentUser,
    SessionDep,
    SupervisorArea,
    SupervisorUser,
    TemporalClient,
    actor_of,
    ticket_in_area,
)
from api.errors import ApiError, invalid
from api.paging import PageParams
from api.schemas import MergeBody, NoteBody, TicketPage, TicketPublic
from api.ticket_path import TicketId
from domain.actions import KeepSeparateInput, MergeInput
from domain.states import OPEN_STATUSES, TicketStatus
from readmodel.tickets import queries
from workflows.ticket import TicketWorkflow

router = APIRouter(tags=["duplicates"], dependencies=[Depends(ticket_in_area)])


@router.get("/duplicates", response_model=TicketPage)
async def review_queue(area: SupervisorArea, session: SessionDep, paging: PageParams) -> TicketPage:
    """Reports flagged as probable duplicates, waiting for a supervisor (oldest first; in their
    area)."""
    page = await queries.duplicate_review(
        session=session, limit=paging.limit, offset=paging.offset, area=area
    )
    return TicketPage.of_rows(page.rows, page.total, paging)


@router.post("/tickets/{ticket_id}/merge", response_model=TicketPublic)
async def merge(
    ticket_id: TicketId,
    body: MergeBody,
    user: SupervisorUser,
    session: SessionDep,
    client: TemporalClient,
) -> TicketPublic:
    """Merge this report into an open ticket: it follows that ticket and does no work of its own."""
    target = await queries.ticket_row(session=session, ticket_id=body.into)
    if target is None:
        raise invalid("into", f"no ticket {body.into}")
    ensure_in_area(user, grid=target.grid, what=f"ticket {body.into}")
    if target.status not in OPEN_STATUSES or target.status == TicketStatus.DUPLICATE_REVIEW:
        raise ApiError(
            409,
            f"ticket {body.into} is {target.status}: merge into an open ticket",
            state=target.status,
        )
    return await tickets_service.act(
        session=session,
        client=client,
        ticket_id=ticket_id,
        update=TicketWorkflow.merge,
        request=MergeInput(actor=actor_of(user), **body.model_dump()),
    )


@router.post("/tickets/{ticket_id}/keep-separate", response_model=TicketPublic)
async def keep_separate(
    ticket_id: TicketId,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
    body: NoteBody | None = None,
) -> TicketPublic:
    """Not a duplicate after all: the report is routed as a ticket of its own."""
    return await tickets_service.act(
        session=session,
        client=client,
        ticket_id=ticket_id,
        update=TicketWorkflow.keep_separate,
        request=KeepSeparateInput(actor=actor_of(user), **(body or NoteBody()).model_dump()),
    )
