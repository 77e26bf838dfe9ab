"""Grid workers report incidents."""

from fastapi import APIRouter, Response

from api.deps import ReporterUser, SessionDep, SettingsDep, TemporalClient
from api.intake import ReportKeyDep, accept_report
from api.place import GridIndexDep
from api.ratelimit import IncidentIntake
from api.schemas import INTAKE_ERRORS, IncidentCreate, SubmissionPublic
from domain.states import Role

router = APIRouter(prefix="/incidents", tags=["incidents"])


@router.post(
    "",
    status_code=201,
    response_model=SubmissionPublic,
    responses={
        200: {"model": SubmissionPublic, "description": "same Idempotency-Key again"},
        **INTAKE_ERRORS,
    },
)
async def submit_incident(
    body: IncidentCreate,
    user: ReporterUser,
    session: SessionDep,
    client: TemporalClient,
    config: SettingsDep,
    grids: GridIndexDep,
    response: Response,
    intake: IncidentIntake,
    key: ReportKeyDep,
) -> SubmissionPublic:
    """Report an incident; retries with the same Idempotency-Key return the same ticket.

    Sensors (machine clients) name their device instead: a repeat of the same device and fault
    while its ticket is open attaches to that ticket (200, replayed) instead of opening another."""
    accepted = await accept_report(
        body=body, user=user, key=key, session=session, client=client, config=config, grids=grids
    )
    if accepted.replayed:
        if user.role != Role.SENSOR:  # a retried report was paid for when it was first accepted
            intake.give_back()
        response.status_code = 200
    return SubmissionPublic(
        ticket_id=accepted.ticket_id,
        status=accepted.status,
        grid=accepted.grid,
        replayed=accepted.replayed,
    )
