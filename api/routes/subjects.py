"""Subjects and their colour: registration, the re-check, shutting down, the public lookup."""

import asyncio
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.workflow import UpdateMethodMultiParam

from activities.subjects import subject_input, subject_workflow_id
from api import audit_trail
from api.authz import ensure_can_read_subject, ensure_in_area
from api.deps import AdminUser, CurrentUser, SessionDep, SettingsDep, TemporalClient
from api.errors import ApiError, invalid
from api.schemas import Note, SubjectKind, SubjectName
from api.tickets_service import REFUSAL_STATUS, UPDATE_TIMEOUT
from domain.subjects import BlackInput, RecheckInput, SubjectState
from readmodel.access.tables import User
from readmodel.reference import map_store, subject_store
from readmodel.reference.tables import SubjectRow
from settings import Settings
from workflows.subject import SubjectWorkflow

router = APIRouter(tags=["subjects"])
Code = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class SubjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    name: SubjectName
    kind: SubjectKind = Field(examples=["shop", "school", "building"])
    grid: str = Field(min_length=14, max_length=14)


class SubjectPublic(BaseModel):
    """What anyone may see by the code posted at the door: nothing personal."""

    code: str
    name: str
    colour: str
    open_problems: int


class SubjectDetail(SubjectPublic):
    kind: str
    grid: str
    state: SubjectState | None


class RecheckBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    clean: bool = Field(strict=True)
    note: Note | None = None


class BlackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Literal["shut_down", "resumed_without_permission"]


async def _row(session: AsyncSession, code: str) -> SubjectRow:
    row = await subject_store.get(session=session, code=code)
    if row is None:
        raise ApiError(404, f"no subject {code}")
    return row


async def _readable(session: AsyncSession, user: User, code: str) -> SubjectRow:
    """Every read of a subject's details goes through here: one scope check."""
    row = await _row(session, code)
    ensure_can_read_subject(user, code=code, grid=row.grid)
    return row


@router.post("/admin/subjects", response_model=SubjectDetail, status_code=201)
async def register_subject(
    body: SubjectCreate, user: AdminUser, session: SessionDep
) -> SubjectDetail:
    """Register a subject tickets may concern (admins)."""
    if await map_store.grid(session=session, code=body.grid) is None:
        raise invalid("grid", f"unknown grid '{body.grid}'")
    if await subject_store.get(session=session, code=body.code) is not None:
        raise ApiError(409, f"subject {body.code} exists already", code="conflict")
    row = await subject_store.register(session=session, **body.model_dump())
    return SubjectDetail(**body.model_dump(), colour=row.colour, open_problems=0, state=None)


@router.get("/public/subjects/{code}", response_model=SubjectPublic)
async def sunshine_lookup(code: Code, session: SessionDep) -> SubjectPublic:
    """The sunshine code lookup: name, colour and open problems; no sign-in, nothing personal."""
    row = await _row(session, code)
    return SubjectPublic(
        code=row.code, name=row.name, colour=row.colour, open_problems=row.open_problems
    )


@router.get("/subjects/{code}", response_model=SubjectDetail)
async def subject(code: Code, user: CurrentUser, session: SessionDep) -> SubjectDetail:
    """A subject's colour, open problems, observation and history (the grid's workers,
    supervisors of its area, admins)."""
    row = await _readable(session, user, code)
    return SubjectDetail(
        code=row.code,
        name=row.name,
        colour=row.colour,
        kind=row.kind,
        grid=row.grid,
        open_problems=row.open_problems,
        state=SubjectState.model_validate(row.state) if row.state else None,
    )


# What a SubjectWorkflow update (recheck, set_black) takes.
_Request = TypeVar("_Request", RecheckInput, BlackInput)


async def _update(
    client: Client,
    config: Settings,
    session: AsyncSession,
    user: User,
    code: str,
    update: UpdateMethodMultiParam[[SubjectWorkflow, _Request], SubjectState],
    request: _Request,
) -> SubjectDetail:
    row = await _row(session, code)
    ensure_in_area(user, grid=row.grid, what=f"subject {code}")
    workflow_id = subject_workflow_id(code)
    start = WithStartWorkflowOperation(
        SubjectWorkflow.run,
        await subject_input(session=session, code=code),
        id=workflow_id,
        task_queue=config.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    await session.commit()  # no pooled connection held through the update's round trip
    # The intent names the subject's workflow; the update's id names it in its history.
    call_id = await audit_trail.before_temporal(call="update", ticket_id=workflow_id)
    try:
        state = await asyncio.wait_for(
            client.execute_update_with_start_workflow(
                update, request, id=call_id, start_workflow_operation=start
            ),
            timeout=UPDATE_TIMEOUT.total_seconds(),
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type in REFUSAL_STATUS:
            raise ApiError(REFUSAL_STATUS[cause.type], cause.message, code=cause.type) from None
        raise
    except TimeoutError:
        raise ApiError(
            503, f"subject {code} did not answer in time; check it before retrying"
        ) from None
    return SubjectDetail(
        code=code,
        name=row.name,
        colour=state.colour.value,
        kind=row.kind,
        grid=row.grid,
        open_problems=len(state.open_problems),
        state=state,
    )


@router.post("/subjects/{code}/recheck", response_model=SubjectDetail)
async def recheck(
    code: Code,
    body: RecheckBody,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
    config: SettingsDep,
) -> SubjectDetail:
    """Record the re-check after the observation period; only a clean one turns it white."""
    request = RecheckInput(
        actor_id=user.user_id,
        actor_role=user.role,
        actor_grids=list(user.grids),
        **body.model_dump(),
    )
    return await _update(client, config, session, user, code, SubjectWorkflow.recheck, request)


@router.post("/subjects/{code}/black", response_model=SubjectDetail)
async def blacken(
    code: Code,
    body: BlackBody,
    user: CurrentUser,
    session: SessionDep,
    client: TemporalClient,
    config: SettingsDep,
) -> SubjectDetail:
    """Shut down, or found operating without permission: the subject turns black (supervisors)."""
    request = BlackInput(actor_id=user.user_id, actor_role=user.role, reason=body.reason)
    return await _update(client, config, session, user, code, SubjectWorkflow.set_black, request)


@router.post("/subjects/{code}/reinstate", response_model=SubjectDetail)
async def reinstate(
    code: Code, user: CurrentUser, session: SessionDep, client: TemporalClient, config: SettingsDep
) -> SubjectDetail:
    """Allowed to operate again: back under observation, never straight to white (supervisors)."""
    request = BlackInput(actor_id=user.user_id, actor_role=user.role, reason=None)
    return await _update(client, config, session, user, code, SubjectWorkflow.set_black, request)
