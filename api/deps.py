"""Dependencies as Annotated aliases: the database session, the Temporal client, the caller, the
caller by role, a supervisor's area. The rules they apply are api/authz.py's."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api import authz
from api.errors import ApiError
from api.key_scopes import acting_user, check_scope, route_template
from api.security import InvalidToken, decode_access_token
from api.ticket_path import ensure_ticket_id
from credentials import api_key_hash
from domain.models import Actor
from domain.states import Role
from readmodel.access.auth_store import key_holder, token_holder
from readmodel.access.tables import User
from settings import Settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.db.session() as session:
        yield session


def get_temporal(request: Request) -> Client:
    return request.app.state.temporal


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SessionDep = Annotated[AsyncSession, Depends(get_session)]
TemporalClient = Annotated[Client, Depends(get_temporal)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

# OAuth2PasswordBearer: /docs "Authorize" logs in with a user name and password.
_bearer = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token",
    auto_error=False,
    description="a user's access token: Authorization: Bearer <jwt>",
)
_api_key = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="a machine client's API key (the sensor gateway)",
)


async def get_current_user(
    request: Request,
    session: SessionDep,
    config: SettingsDep,
    bearer: Annotated[str | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> User:
    """The caller, from an API key or an access token; every failure is the same kind of 401."""
    if api_key:
        user = await caller_of_key(request, session, api_key)
        if user is None:
            raise ApiError(401, "unknown or revoked API key")
    elif bearer:
        user = await _user_of_token(request, session, config, bearer)
        request.state.auth = "jwt"
    else:
        raise ApiError(401, "missing bearer token or API key")
    request.state.user = user  # the audit log reads who acted
    # End the lookup's read transaction: its pooled connection goes back now instead of being
    # held through the route's Temporal round trip (expire_on_commit=False keeps `user` loaded).
    await session.commit()
    return user


async def caller_of_key(request: Request, session: AsyncSession, key: str) -> User | None:
    """Who a key acts as on this request (None: unknown, revoked, or its owner deactivated);
    its scopes are checked here, on every use, against the route being called (403)."""
    held = await key_holder(session=session, key_hash=api_key_hash(key))
    if held is None:
        return None
    row, owner = held
    user = acting_user(row, owner)
    request.state.user, request.state.auth = user, "api_key"  # a refusal is audited too
    check_scope(row, method=request.method, route=route_template(request))
    return user


async def _user_of_token(
    request: Request, session: AsyncSession, config: Settings, token: str
) -> User:
    try:
        claims = decode_access_token(token, secret=config.signing_secret())
    except InvalidToken:
        raise ApiError(401, "invalid or expired token") from None
    user = await token_holder(session=session, user_id=claims.sub, jti=claims.jti)
    if user is None or not user.active or user.token_version != claims.ver:
        raise ApiError(401, "invalid or expired token")
    request.state.token_claims = claims  # logout revokes this token
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def actor_of(user: User) -> Actor:
    return Actor(
        user_id=user.user_id,
        role=Role(user.role),
        department=user.department,
        grids=list(user.grids),
    )


def role_is(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """A dependency: the caller, when their role is one of `roles`; else 403 naming them. Checked
    before the route reads its parameters and body: who before what."""

    async def caller_in_role(user: CurrentUser) -> User:
        authz.ensure_role(user, *roles)
        return user

    return caller_in_role


# The caller, by the roles a route is for (a route that any signed-in caller may use takes
# CurrentUser; whose ticket, grid or area it is is api/authz.py's to check).
SupervisorUser = Annotated[User, Depends(role_is(Role.SUPERVISOR))]
AdminUser = Annotated[User, Depends(role_is(Role.ADMIN))]
StaffUser = Annotated[User, Depends(role_is(Role.DEPARTMENT_STAFF))]
GridWorkerUser = Annotated[User, Depends(role_is(Role.GRID_WORKER))]
ReporterUser = Annotated[User, Depends(role_is(Role.GRID_WORKER, Role.SENSOR))]
ConfigReaderUser = Annotated[User, Depends(role_is(Role.SUPERVISOR, Role.ADMIN))]
# Those who work tickets in the field or at a desk: photos, notices.
FieldUser = Annotated[
    User, Depends(role_is(Role.GRID_WORKER, Role.DEPARTMENT_STAFF, Role.SUPERVISOR))
]


async def person(request: Request, user: CurrentUser) -> User:
    authz.ensure_person(user, by_key=getattr(request.state, "auth", None) == "api_key")
    return user


# A person signed in (not a sensor, not an API key): their own in-app notices.
PersonUser = Annotated[User, Depends(person)]


async def report_reader(user: CurrentUser) -> User:
    authz.ensure_may_read_periodic_reports(user)
    return user


# Who reads the periodic reports: supervisors and admins.
ReportReader = Annotated[User, Depends(report_reader)]


async def supervisor_area(user: SupervisorUser, session: SessionDep) -> str | None:
    return await authz.area_scope(user, session)


# A supervisor's list or aggregate: the area it is restricted to (None: the whole map).
SupervisorArea = Annotated[str | None, Depends(supervisor_area)]


async def ticket_in_area(
    request: Request, user: CurrentUser, session: SessionDep, client: TemporalClient
) -> None:
    """Router dependency of the {ticket_id} routes: a ticket's id (else 404 before any workflow
    is asked), in a supervisor's area."""
    ticket_id = request.path_params.get("ticket_id")
    if ticket_id is None:
        return
    ensure_ticket_id(ticket_id)
    await authz.ensure_ticket_in_area(user, session=session, client=client, ticket_id=ticket_id)


# Those who work 督办单 at a desk: supervisors open and close them, department staff answer.
DeskUser = Annotated[User, Depends(role_is(Role.SUPERVISOR, Role.DEPARTMENT_STAFF))]
