"""Extensions (延期申请) and parking (挂账): asked for by the department, decided by a supervisor."""

from fastapi import APIRouter, Depends

from api.deps import CurrentUser, SessionDep, TemporalClient, actor_of, ticket_in_area
from api.routes.tickets import act as _act
from api.schemas import DecisionBody, ExtensionBody, NoteBody, ParkingBody, TicketPublic
from api.ticket_path import TicketId
from domain.actions import (
    ExtensionDecisionInput,
    ParkingDecisionInput,
    RequestExtensionInput,
    RequestParkingInput,
    UnparkInput,
)
from domain.states import Action
from workflows.ticket import TicketWorkflow

router = APIRouter(
    prefix="/tickets", tags=["extensions and parking"], dependencies=[Depends(ticket_in_area)]
)


@router.post("/{ticket_id}/request-extension", response_model=TicketPublic)
async def request_extension(
    ticket_id: TicketId,
    body: ExtensionBody,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
) -> TicketPublic:
    """Ask for more working days on the department's running deadline, before it passes."""
    return await _act(
        session,
        client,
        ticket_id,
        TicketWorkflow.request_extension,
        RequestExtensionInput(actor=actor_of(user), **body.model_dump()),
    )


@router.post("/{ticket_id}/approve-extension", response_model=TicketPublic)
async def approve_extension(
    ticket_id: TicketId,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
    body: DecisionBody | None = None,
) -> TicketPublic:
    """Approve the pending extension: the running deadline moves (supervisors)."""
    decision = ExtensionDecisionInput(
        actor=actor_of(user),
        action=Action.APPROVE_EXTENSION,
        **(body or DecisionBody()).model_dump(),
    )
    return await _act(session, client, ticket_id, TicketWorkflow.decide_extension, decision)


@router.post("/{ticket_id}/refuse-extension", response_model=TicketPublic)
async def refuse_extension(
    ticket_id: TicketId,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
    body: DecisionBody | None = None,
) -> TicketPublic:
    """Refuse the pending extension; the deadline stays (supervisors)."""
    decision = ExtensionDecisionInput(
        actor=actor_of(user),
        action=Action.REFUSE_EXTENSION,
        **(body or DecisionBody()).model_dump(),
    )
    return await _act(session, client, ticket_id, TicketWorkflow.decide_extension, decision)


@router.post("/{ticket_id}/request-parking", response_model=TicketPublic)
async def request_parking(
    ticket_id: TicketId,
    body: ParkingBody,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
) -> TicketPublic:
    """Ask to park work that cannot be done now, until a review date."""
    return await _act(
        session,
        client,
        ticket_id,
        TicketWorkflow.request_parking,
        RequestParkingInput(actor=actor_of(user), **body.model_dump()),
    )


@router.post("/{ticket_id}/approve-parking", response_model=TicketPublic)
async def approve_parking(
    ticket_id: TicketId,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
    body: DecisionBody | None = None,
) -> TicketPublic:
    """Park the ticket: its clocks stop until the review date (supervisors)."""
    decision = ParkingDecisionInput(
        actor=actor_of(user), action=Action.APPROVE_PARKING, **(body or DecisionBody()).model_dump()
    )
    return await _act(session, client, ticket_id, TicketWorkflow.decide_parking, decision)


@router.post("/{ticket_id}/refuse-parking", response_model=TicketPublic)
async def refuse_parking(
    ticket_id: TicketId,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
    body: DecisionBody | None = None,
) -> TicketPublic:
    """Refuse the parking request (supervisors)."""
    decision = ParkingDecisionInput(
        actor=actor_of(user), action=Action.REFUSE_PARKING, **(body or DecisionBody()).model_dump()
    )
    return await _act(session, client, ticket_id, TicketWorkflow.decide_parking, decision)


@router.post("/{ticket_id}/unpark", response_model=TicketPublic)
async def unpark(
    ticket_id: TicketId,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
    body: NoteBody | None = None,
) -> TicketPublic:
    """Bring a parked ticket back before its review date; clocks restart (supervisors)."""
    return await _act(
        session,
        client,
        ticket_id,
        TicketWorkflow.unpark,
        UnparkInput(actor=actor_of(user), **(body or NoteBody()).model_dump()),
    )
