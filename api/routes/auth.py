"""Logging in and out: OAuth2 password flow for people (docs/auth.md)."""

from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from api.deps import CurrentUser, SessionDep, SettingsDep
from api.errors import ApiError
from api.ratelimit import login_gate
from api.schemas import LOGIN_ERRORS
from api.security import issue_access_token
from credentials import verify_password_async
from readmodel.access.auth_store import get_user, revoke_token

router = APIRouter(prefix="/auth", tags=["auth"])
log = structlog.get_logger()


class TokenOut(BaseModel):
    access_token: str = Field(description="a JWT: send it as Authorization: Bearer <token>")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds until the token expires")


@router.post("/token", response_model=TokenOut, responses=LOGIN_ERRORS)
async def log_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    config: SettingsDep,
    request: Request,
) -> TokenOut:
    """Log in with user name and password (form fields `username`, `password`): an access token."""
    gate = login_gate(request, form.username)
    gate.check()  # before any hashing: a guesser gets 429 cheaply
    known_shape = 0 < len(form.username) <= 64  # user ids are short; anything else is unknown
    user = await get_user(session=session, user_id=form.username) if known_shape else None
    password_ok = await verify_password_async(form.password, user.password_hash if user else None)
    if user is None or not password_ok or not user.active:
        gate.failed()
        log.info("login_refused")  # no user name: it may be a mistyped password
        raise ApiError(401, "wrong user name or password")
    token = issue_access_token(
        user_id=user.user_id,
        role=user.role,
        token_version=user.token_version,
        secret=config.signing_secret(),
        minutes=config.access_token_minutes,
    )
    log.info("login", user_id=user.user_id)
    return TokenOut(access_token=token.token, expires_in=token.expires_in)


@router.post("/logout", status_code=204)
async def log_out(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    """Revoke the access token this request carries (it stops working at once)."""
    claims = getattr(request.state, "token_claims", None)
    if claims is None:
        raise ApiError(
            400,
            "logout ends an access token; an API key is revoked by an admin "
            "(DELETE /api/v1/admin/api-keys/{key_id})",
        )
    await revoke_token(session=session, jti=claims.jti, user_id=user.user_id, expires_at=claims.exp)
    log.info("logout", user_id=user.user_id)
    return Response(status_code=204)
