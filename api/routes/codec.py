"""The codec endpoint (docs/temporal-security.md): Temporal's UI and CLI send the payloads they
show to /api/v1/codec/decode and get them back decrypted, with the key ring the API and the
worker write with (Temporal's remote codec protocol: Payloads as protobuf JSON, X-Namespace).

A payload names no ticket, so decoding cannot be limited to a caller's tickets: it is for the
supervisors who may read every ticket (the command centre, whose area is the whole map). A street
supervisor, department staff, grid workers and admins (who manage configuration, not tickets)
are refused, and so is every API key: a machine never reads Temporal's payloads.

The CLI sends a token (`--codec-auth "Bearer …"`). A browser running the Temporal UI sends
cookies at most, so a supervisor signed in here lends this browser their token as a cookie
(POST /codec/session, from /app/codec): HttpOnly, SameSite=Strict, for this path alone, for as
long as the token lives; signing out ends it with the token. Browsers may call from the origins
in GRIDFLOW_TEMPORAL_UI_ORIGINS only (CodecCors).
"""

import time
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from google.protobuf import json_format
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.api.common.v1 import Payloads

from api import authz
from api.deps import SessionDep, SettingsDep, TemporalClient, get_current_user
from api.errors import ApiError, invalid
from api.web.pages import render
from readmodel.access.tables import User
from temporal_codec import PayloadUndecryptable

PREFIX = "/api/v1/codec"
COOKIE = "gridflow_codec"
MAX_PAYLOADS = 1000
ALLOWED_HEADERS = "authorization, content-type, x-namespace"

log = structlog.get_logger("gridflow.codec")
router = APIRouter(prefix="/codec", tags=["codec"])
page = APIRouter(include_in_schema=False)
_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


class PayloadJson(BaseModel):
    """temporal.api.common.v1.Payload in protobuf JSON: bytes as base64."""

    model_config = ConfigDict(extra="allow")
    metadata: dict[str, str] = Field(default_factory=dict)
    data: str = ""


class PayloadsJson(BaseModel):
    payloads: list[PayloadJson] = Field(max_length=MAX_PAYLOADS)


async def codec_user(
    request: Request,
    session: SessionDep,
    config: SettingsDep,
    bearer: Annotated[str | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> User:
    """The caller, by token (header, else this path's cookie); a supervisor over the whole map."""
    token = bearer or request.cookies.get(COOKIE)
    user = await get_current_user(request, session, config, token, api_key)
    if api_key:
        raise ApiError(403, "the codec decrypts for people signed in, never for an API key")
    if await authz.area_scope(user, session) is not None:
        raise ApiError(
            403,
            "decrypting Temporal's payloads is for supervisors over the whole map (the command "
            "centre): a payload names no ticket, so it cannot be kept to your area",
        )
    return user


CodecUser = Annotated[User, Depends(codec_user)]
Namespace = Annotated[str | None, Header(alias="X-Namespace")]


def _payloads(body: PayloadsJson, namespace: str | None, served: str) -> Payloads:
    if namespace is not None and namespace != served:
        raise ApiError(400, f"X-Namespace: this codec serves the namespace {served!r} only")
    try:
        return json_format.ParseDict(body.model_dump(), Payloads())
    except json_format.ParseError as err:
        raise invalid("payloads", str(err)) from None


def _answer(payloads: list[Any]) -> JSONResponse:
    return JSONResponse(json_format.MessageToDict(Payloads(payloads=payloads)))


@router.post("/decode")
async def decode(
    body: PayloadsJson,
    user: CodecUser,
    client: TemporalClient,
    config: SettingsDep,
    ns: Namespace = None,
) -> JSONResponse:
    """The payloads decrypted (those written before encryption come back as they are)."""
    given = _payloads(body, ns, config.temporal_namespace).payloads
    codec = client.data_converter.payload_codec
    try:
        plain = await codec.decode(given) if codec else list(given)
    except PayloadUndecryptable as err:
        raise ApiError(400, str(err), code="undecryptable") from None
    log.info("payloads decoded", user_id=user.user_id, count=len(plain))
    return _answer(plain)


@router.post("/encode")
async def encode(
    body: PayloadsJson,
    user: CodecUser,
    client: TemporalClient,
    config: SettingsDep,
    ns: Namespace = None,
) -> JSONResponse:
    """The payloads encrypted with the active key (what the UI sends a workflow)."""
    given = _payloads(body, ns, config.temporal_namespace).payloads
    codec = client.data_converter.payload_codec
    sealed = await codec.encode(given) if codec else list(given)
    log.info("payloads encoded", user_id=user.user_id, count=len(sealed))
    return _answer(sealed)


@router.post("/session", status_code=204)
async def lend_token(
    request: Request,
    user: CodecUser,
    config: SettingsDep,
    bearer: Annotated[str | None, Depends(_bearer)],
) -> Response:
    """This browser's Temporal UI may decrypt with your token (a cookie for the codec's path)."""
    claims = getattr(request.state, "token_claims", None)
    if bearer is None or claims is None:
        raise ApiError(401, "send your token in the Authorization header to lend it")
    response = Response(status_code=204)
    response.set_cookie(
        COOKIE,
        bearer,
        max_age=max(claims.exp - int(time.time()), 0),
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=config.public_url.startswith("https:") or request.url.scheme == "https",
    )
    log.info("codec token lent to a browser", user_id=user.user_id)
    return response


@router.delete("/session", status_code=204)
async def end_loan() -> Response:
    """This browser's Temporal UI no longer decrypts (the cookie is cleared)."""
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict")
    return response


@page.get("/app/codec", response_class=HTMLResponse)
async def codec_page(request: Request, config: SettingsDep) -> HTMLResponse:
    """A page shell: its script lends or takes back the token (the buttons)."""
    ui = config.temporal_ui_origins[0] if config.temporal_ui_origins else None
    endpoint = config.public_url.rstrip("/") + PREFIX
    return render(request, "codec.html", title_key="codec.title", ui=ui, endpoint=endpoint)


class CodecCors:
    """CORS for the codec endpoint: the Temporal UI's origins (GRIDFLOW_TEMPORAL_UI_ORIGINS),
    with credentials; a preflight from any other origin is refused."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        origin = headers.get(b"origin", b"").decode("latin-1")
        allowed = origin in scope["app"].state.settings.temporal_ui_origins
        cors = [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-credentials", b"true"),
            (b"vary", b"Origin"),
        ]
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            if not allowed:
                refusal = JSONResponse(
                    {
                        "error": {
                            "code": "forbidden",
                            "message": f"origin {origin or '(none)'} may not call the codec: "
                            "GRIDFLOW_TEMPORAL_UI_ORIGINS names those that may",
                        }
                    },
                    status_code=403,
                )
                await refusal(scope, receive, send)
                return
            preflight = Response(status_code=204)
            preflight.raw_headers += [
                *cors,
                (b"access-control-allow-methods", b"POST, DELETE"),
                (b"access-control-allow-headers", ALLOWED_HEADERS.encode()),
                (b"access-control-max-age", b"600"),
            ]
            await preflight(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start" and allowed:
                message["headers"] = [*message.get("headers", []), *cors]
            await send(message)

        await self.app(scope, receive, send_with_cors)
