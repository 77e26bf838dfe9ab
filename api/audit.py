"""The audit middleware: every mutating API request (and every 401/403, and every login) gets one
row in the audit log, whatever the route, refusals included.

It wraps the whole app as pure ASGI, outside the exception handlers, so it sees the final status
of every response — an ApiError's JSON refusal, a validation 422, a rate limiter's 429, an
unknown route's 404 and an unhandled error's 500 alike. The row is written and committed before
the response's first byte goes out: a client that was answered finds its row, whatever the API
does next (kill -9 included). The middleware holds the response back until the app has produced
all of it (the row quotes its refusal message or the ticket it created), then writes, then sends.

Rows go through an engine of their own (app.state.audit_db), not the requests' pool: a request
may still hold its pooled connection when its answer is ready, and 15+ concurrent reports each
holding one and waiting for a second deadlocked the shared pool.

A request that asks Temporal to act has written its intent first (api/audit_trail.py); when it
answers 5xx the row says `unknown`, and the workflow's record settles it later
(readmodel/access/audit_resolve.py). A failed final write never changes the response: the action has
happened, and answering 500 would only make the client retry something that was done. It is
logged with structlog as an error carrying the whole row (`audit write failed`); an action's
intent is already in the table and gets settled like one whose API died.
"""

import json
import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

import structlog

from api import audit_trail
from readmodel.access import audit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = structlog.get_logger("gridflow.audit")

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
LOGIN = "/api/v1/auth/token"
_CAPTURE = 64 * 1024  # enough for any JSON refusal or acknowledgement; uploads are not kept
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def _audited(scope: Scope) -> bool:
    return scope["type"] == "http" and scope["path"].startswith(("/api/", "/open311/"))


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _audited(scope):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})  # shared with request.state: the auth dependency's user
        request_id = _request_id(scope)
        seen = _Seen(method=scope["method"], login=scope["path"] == LOGIN)
        held: list[Message] = []  # the response, until its row is written

        async def write_intent(trail: audit_trail.Trail) -> None:
            await _audit_db(scope).write(
                lambda session: audit.append(
                    session=session, entry=_entry(scope, seen, request_id, trail, status=0)
                )
            )

        trail = audit_trail.Trail(write_intent)

        async def receive_tee() -> Message:
            message = await receive()
            if (
                seen.login
                and message["type"] == "http.request"
                and len(seen.request_body) < _CAPTURE
            ):
                seen.request_body += message.get("body", b"")
            return message

        async def send_tee(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen.status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
                seen.json = any(
                    k.lower() == b"content-type" and b"json" in v for k, v in message["headers"]
                )
            elif message["type"] == "http.response.body":
                if seen.json and len(seen.response_body) < _CAPTURE:
                    seen.response_body += message.get("body", b"")
            if seen.recorded or not seen.recordable:
                await send(message)
                return
            held.append(message)
            last = message["type"] == "http.response.body" and not message.get("more_body")
            if last or sum(len(m.get("body", b"")) for m in held) >= _CAPTURE:
                await release()

        async def release() -> None:
            await _record(scope, seen, request_id, trail)
            while held:
                await send(held.pop(0))

        structlog.contextvars.bind_contextvars(request_id=request_id)
        reset = audit_trail.current.set(trail)
        try:
            await self.app(scope, receive_tee, send_tee)
            if held:  # an app that ended its response without a last body message
                await release()
        except Exception:
            if not seen.recorded:  # what was held is dropped: the client gets the 500
                seen.status, seen.response_body = 500, b""
                if seen.recordable:
                    await _record(scope, seen, request_id, trail)
            raise
        finally:
            audit_trail.current.reset(reset)
            structlog.contextvars.unbind_contextvars("request_id")


class _Seen:
    """What the middleware learned about one request while passing it through."""

    def __init__(self, *, method: str, login: bool) -> None:
        self.method, self.login = method, login
        self.status = 0
        self.json = False
        self.request_body = b""
        self.response_body = b""
        self.recorded = False

    @property
    def recordable(self) -> bool:
        return self.method in MUTATING or self.status in (401, 403)

    def body(self) -> dict[str, Any]:
        """Our JSON object; an Open311 answer's first item (its errors are a list)."""
        try:
            parsed = json.loads(self.response_body)
        except ValueError:
            return {}
        if isinstance(parsed, list) and parsed and isinstance(parsed[0], dict):
            first = parsed[0]
            return {"error": {"message": first["description"]}} if "description" in first else {}
        return parsed if isinstance(parsed, dict) else {}


def _request_id(scope: Scope) -> str:
    """The caller's X-Request-ID when it is a plain token, else a new one."""
    for key, value in scope.get("headers", []):
        if key.lower() == b"x-request-id":
            given = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(given):
                return given
    return uuid.uuid4().hex


def _route(scope: Scope) -> str:
    """The matched route's template with its routers' prefixes, e.g. /api/v1/tickets/{ticket_id}.

    A route included from a router knows only its own template (/tickets/{ticket_id}); the
    prefixes are what of the path comes before the part that template matches.
    """
    route = scope.get("route")
    template, regex = getattr(route, "path_format", None), getattr(route, "path_regex", None)
    if not template or regex is None:
        return "(no route)"
    path: str = scope["path"]
    for cut in [i for i, c in enumerate(path) if c == "/"]:
        if regex.match(path[cut:]):
            return path[:cut] + template
    return template


_MULTIPART_USERNAME = re.compile(rb'name="username"\r\n(?:[^\r\n]+\r\n)*\r\n([^\r\n]*)\r\n')


def _username(body: bytes) -> str | None:
    """The user name a login form (url-encoded or multipart) named; nothing else of it."""
    found = _MULTIPART_USERNAME.search(body)
    if found:
        name = found.group(1).decode("utf-8", "replace")
    else:
        names = parse_qs(body.decode("utf-8", "replace")).get("username")
        name = names[0] if names else ""
    return name[:200] or None


def _entry(
    scope: Scope, seen: _Seen, request_id: str, trail: audit_trail.Trail, *, status: int
) -> audit.AuditEntry:
    """The request's row; with status 0 (not answered yet) its intent."""
    state = scope.get("state") or {}
    user = state.get("user")
    body = seen.body() if status else {}
    ticket_id = (
        (scope.get("path_params") or {}).get("ticket_id")
        or state.get("ticket_id")
        or trail.ticket_id
    )
    if ticket_id is None and 0 < status < 400 and isinstance(body.get("ticket_id"), str):
        ticket_id = body["ticket_id"]  # a submission: the ticket it created or found again
    error = body.get("error") if status >= 400 else None
    message = error.get("message") if isinstance(error, dict) else None
    username = _username(seen.request_body) if seen.login else None
    auth = state.get("auth") or ("token" if user is not None else None)
    actor_id = getattr(user, "user_id", None)
    if actor_id is None and seen.login and seen.status < 400:
        actor_id = username  # a successful login acts as the user it names
    return audit.AuditEntry(
        at=audit.now(),
        actor_id=actor_id,
        role=getattr(user, "role", None),
        auth="password" if seen.login else auth,
        username=username,
        method=seen.method,
        route=_route(scope),
        ticket_id=str(ticket_id)[:200] if ticket_id is not None else None,
        status=status,
        error=str(message)[:1000] if message is not None else None,
        outcome=audit.outcome_of(status, asked_temporal=trail.call_id is not None)
        if status
        else "pending",
        request_id=request_id,
        call_id=trail.call_id,
        call=trail.call,
        seq=trail.seq if 0 < status < 400 else None,
        # After a call, a 4xx is the workflow's own refusal (the services map only those).
        settled=True if trail.call_id is not None and 0 < status < 500 else None,
    )


def _audit_db(scope: Scope) -> Any:
    state = scope["app"].state
    return getattr(state, "audit_db", None) or state.db


async def _record(scope: Scope, seen: _Seen, request_id: str, trail: audit_trail.Trail) -> None:
    seen.recorded = True
    entry = _entry(scope, seen, request_id, trail, status=seen.status)
    try:
        await _audit_db(scope).write(
            lambda session: audit.append(
                session=session, entry=_entry(scope, seen, request_id, trail, status=seen.status)
            )
        )
    except Exception as err:
        log.error(
            "audit write failed",
            failure=type(err).__name__,
            **entry.model_dump(mode="json", exclude={"id"}),
        )
