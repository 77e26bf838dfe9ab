"""Dependencies as Annotated aliases: the database session, the Temporal client, the caller."""
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api.errors import ApiError
from domain.models import Actor
from domain.states import Role
from readmodel.seed import token_hash
from readmodel.tables import User
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

_bearer = HTTPBearer(auto_error=False, description="a user's token: Authorization: Bearer <token>")


async def get_current_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None or not credentials.credentials:
        raise ApiError(401, "missing bearer token")
    user = (await session.exec(
        select(User).where(User.token_hash == token_hash(credentials.credentials))
    )).first()
    if user is None:
        raise ApiError(401, "unknown or revoked token")
    request.state.user = user  # the audit log reads who acted
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def actor_of(user: User) -> Actor:
    return Actor(user_id=user.user_id, role=Role(user.role), department=user.department,
                 grids=list(user.grids))


def require_role(user: User, *roles: Role) -> None:
    if user.role not in roles:
        allowed = " or ".join(r.value for r in roles)
        raise ApiError(403, f"this needs the role {allowed}; you are {user.role}")
