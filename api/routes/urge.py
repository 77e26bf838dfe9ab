"""催办 (urge): a supervisor presses a ticket's department with a message (docs/supervision.md)."""

from fastapi import APIRouter, Depends

from api.deps import SessionDep, SupervisorUser, TemporalClient, actor_of, ticket_in_area
from api.routes.tickets import act
from api.schemas import TicketPublic, UrgeBody
from api.ticket_path import TicketId
from domain.actions import UrgeInput
from workflows.ticket import TicketWorkflow

router = APIRouter(prefix="/tickets", tags=["supervision"], dependencies=[Depends(ticket_in_area)])


@router.post("/{ticket_id}/urge", response_model=TicketPublic)
async def urge(
    ticket_id: TicketId,
    body: UrgeBody,
    user: SupervisorUser,
    session: SessionDep,
    client: TemporalClient,
) -> TicketPublic:
    """催办: tell the ticket's department, through its channels, that it must act (supervisors
    of the ticket's area; a ticket in a department: dispatched, claimed, verifying or
    rectifying). On the timeline as `urge`, counted in `urge_count`."""
    return await act(
        session,
        client,
        ticket_id,
        TicketWorkflow.urge,
        UrgeInput(actor=actor_of(user), **body.model_dump()),
    )
