"""Reading tickets and acting on them: one route per action, each a workflow update."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api import photo_links, tickets_service
from api.authz import ensure_can_read, ensure_may_name_duplicate
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
from api.schemas import (
    CancelBody,
    DispatchBody,
    NoteBody,
    PhotoNoteBody,
    ReasonBody,
    RejectBody,
    TicketPage,
    TicketPublic,
    VerifyBody,
)
from api.ticket_path import TicketId
from api.tickets_service import TicketRequest, TicketUpdate
from domain.actions import (
    CancelInput,
    ClaimInput,
    DispatchInput,
    RectifiedInput,
    RejectInput,
    ReturnInput,
    StartVerificationInput,
    VerifyInput,
    WriteOffInput,
)
from domain.photos import PhotoKind
from domain.states import CancelKind
from domain.ticket_ids import is_ticket_id
from readmodel.access.tables import User
from readmodel.reference import catalogue_store
from readmodel.tickets import queries
from readmodel.tickets.queries import OverdueFilter
from workflows.ticket import TicketWorkflow

router = APIRouter(prefix="/tickets", tags=["tickets"], dependencies=[Depends(ticket_in_area)])


@router.get("/overdue", response_model=TicketPage)
async def list_overdue(
    area: SupervisorArea,
    session: SessionDep,
    where: Annotated[OverdueFilter, Query()],
    paging: PageParams,
) -> TicketPage:
    """Open tickets past a deadline (or due within N hours), most overdue first (supervisors:
    in their area)."""
    page = await queries.overdue_tickets(
        session=session,
        now=datetime.now(UTC),
        where=where,
        limit=paging.limit,
        offset=paging.offset,
        area=area,
    )
    return TicketPage.of_rows(page.rows, page.total, paging)


@router.get("/{ticket_id}", response_model=TicketPublic)
async def get_ticket(
    ticket_id: TicketId, user: CurrentUser, session: SessionDep, client: TemporalClient
) -> TicketPublic:
    """A ticket with its state, deadlines, breaches and full timeline."""
    ticket = await tickets_service.read_ticket(session=session, client=client, ticket_id=ticket_id)
    ensure_can_read(user, ticket)
    return ticket


async def act(
    session: AsyncSession,
    client: Client,
    ticket_id: str,
    update: TicketUpdate[TicketRequest],
    request: TicketRequest,
) -> TicketPublic:
    """The shared path of every action route: one workflow update."""
    return await tickets_service.act(
        session=session, client=client, ticket_id=ticket_id, update=update, request=request
    )


async def act_with_photos(
    session: AsyncSession,
    client: Client,
    ticket_id: str,
    update: TicketUpdate[TicketRequest],
    request: TicketRequest,
    user: User,
    kind: PhotoKind,
) -> TicketPublic:
    """An action that may carry photos: checked first, attached once the update succeeded."""
    await photo_links.check(session=session, photo_ids=request.photo_ids, user=user, kind=kind)
    ticket = await act(session, client, ticket_id, update, request)
    await photo_links.attach(session=session, photo_ids=request.photo_ids, ticket_id=ticket_id)
    return ticket


@router.post("/{ticket_id}/dispatch", response_model=TicketPublic)
async def dispatch(
    ticket_id: TicketId,
    body: DispatchBody,
    user: SupervisorUser,
    session: SessionDep,
    client: TemporalClient,
) -> TicketPublic:
    """Dispatch a ticket from the manual queue to a department (supervisors)."""
    if await catalogue_store.department(session=session, code=body.department) is None:
        raise invalid("department", f"unknown department '{body.department}'")
    return await act(
        session,
        client,
        ticket_id,
        TicketWorkflow.dispatch,
        DispatchInput(actor=actor_of(user), **body.model_dump()),
    )


@router.post("/{ticket_id}/claim", response_model=TicketPublic)
async def claim(
    ticket_id: TicketId,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
    body: NoteBody | None = None,
) -> TicketPublic:
    """Claim a dispatched ticket for your department."""
    return await act(
        session,
        client,
        ticket_id,
        TicketWorkflow.claim,
        ClaimInput(actor=actor_of(user), **(body or NoteBody()).model_dump()),
    )


@router.post("/{ticket_id}/return", response_model=TicketPublic)
async def return_ticket(
    ticket_id: TicketId,
    body: ReasonBody,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
) -> TicketPublic:
    """Return a misrouted ticket to the manual dispatch queue, with a reason."""
    # temporalio types an update declared with a name (@workflow.update(name="return")) as
    # returning its coroutine, not the coroutine's result; the update returns a TicketSnapshot.
    return await act(
        session,
        client,
        ticket_id,
        TicketWorkflow.return_,  # type: ignore[arg-type]
        ReturnInput(actor=actor_of(user), **body.model_dump()),
    )


@router.post("/{ticket_id}/start-verification", response_model=TicketPublic)
async def start_verification(
    ticket_id: TicketId,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
    body: NoteBody | None = None,
) -> TicketPublic:
    """Record that the department is on site verifying."""
    return await act(
        session,
        client,
        ticket_id,
        TicketWorkflow.start_verification,
        StartVerificationInput(actor=actor_of(user), **(body or NoteBody()).model_dump()),
    )


@router.post("/{ticket_id}/verify", response_model=TicketPublic)
async def verify(
    ticket_id: TicketId,
    body: VerifyBody,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
) -> TicketPublic:
    """Record the on-site finding: not found, fixed on site, or needs rectification."""
    return await act(
        session,
        client,
        ticket_id,
        TicketWorkflow.verify,
        VerifyInput(actor=actor_of(user), **body.model_dump()),
    )


@router.post("/{ticket_id}/rectified", response_model=TicketPublic)
async def rectified(
    ticket_id: TicketId,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
    body: PhotoNoteBody | None = None,
) -> TicketPublic:
    """Report the rectification done (`photo_ids`: photos of kind rectification); the ticket
    waits for the write-off check."""
    return await act_with_photos(
        session,
        client,
        ticket_id,
        TicketWorkflow.rectified,
        RectifiedInput(actor=actor_of(user), **(body or PhotoNoteBody()).model_dump()),
        user,
        PhotoKind.RECTIFICATION,
    )


@router.post("/{ticket_id}/write-off", response_model=TicketPublic)
async def write_off(
    ticket_id: TicketId,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
    body: PhotoNoteBody | None = None,
) -> TicketPublic:
    """Pass the on-site re-check and write the ticket off (`photo_ids`: photos of kind
    write_off); it is then archived."""
    return await act_with_photos(
        session,
        client,
        ticket_id,
        TicketWorkflow.write_off,
        WriteOffInput(actor=actor_of(user), **(body or PhotoNoteBody()).model_dump()),
        user,
        PhotoKind.WRITE_OFF,
    )


@router.post("/{ticket_id}/reject", response_model=TicketPublic)
async def reject(
    ticket_id: TicketId,
    body: RejectBody,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
) -> TicketPublic:
    """Refuse the write-off (`photo_ids`: photos of kind write_off): the work is sent back to
    the department as rework."""
    return await act_with_photos(
        session,
        client,
        ticket_id,
        TicketWorkflow.reject,
        RejectInput(actor=actor_of(user), **body.model_dump()),
        user,
        PhotoKind.WRITE_OFF,
    )


@router.post("/{ticket_id}/cancel", response_model=TicketPublic)
async def cancel(
    ticket_id: TicketId,
    body: CancelBody,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
) -> TicketPublic:
    """Cancel an invalid or duplicate report, with a reason (supervisors); a duplicate names the
    existing ticket it duplicates (`duplicate_of`)."""
    if body.kind == CancelKind.DUPLICATE or body.duplicate_of is not None:
        ensure_may_name_duplicate(user)
        if body.duplicate_of is None:
            raise invalid("duplicate_of", "a duplicate names the ticket it duplicates")
        # The workflow cannot look other tickets up: an unknown one would be recorded for good.
        await ensure_ticket_exists(session, client, "duplicate_of", body.duplicate_of)
    return await act(
        session,
        client,
        ticket_id,
        TicketWorkflow.cancel,
        CancelInput(actor=actor_of(user), **body.model_dump()),
    )


async def ensure_ticket_exists(
    session: SessionDep, client: TemporalClient, field: str, ticket_id: str
) -> None:
    """422 naming `field` unless `ticket_id` is a ticket's (projected, or just submitted)."""
    if not is_ticket_id(ticket_id):
        raise invalid(field, f"no ticket {ticket_id}")
    try:
        await tickets_service.read_ticket(session=session, client=client, ticket_id=ticket_id)
    except ApiError as err:
        if err.status == 404:
            raise invalid(field, f"no ticket {ticket_id}") from None
        raise
