"""Guards in front of every route: printable parameters and bounded request bodies (ASGI)."""

import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.open311.format import error_response, is_open311, open311_status

UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_BODY = 1024 * 1024  # JSON and forms: the largest real body (a calendar year) is ~20 kB
OWN_LIMIT = ("/api/v1/photos",)  # reads its body itself, up to the photo cap (api/routes/photos.py)


def _refusal(
    scope: Scope, status: int, code: str, message: str, fields: list[dict[str, str]] | None = None
) -> Response:
    """Our error shape; on the Open311 facade, the spec's list of errors."""
    if is_open311(scope["path"]):
        return error_response(scope["path"], open311_status(status), message)
    error: dict[str, object] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return JSONResponse({"error": error}, status_code=status)


class PrintableParameters:
    """422 for a control character in a path or query parameter, whichever route it reaches:
    no one types them, and PostgreSQL refuses NUL in text (a 500 otherwise)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            bad = [
                name
                for name, value in request.query_params.multi_items()
                if UNPRINTABLE.search(name) or UNPRINTABLE.search(value)
            ]
            if UNPRINTABLE.search(scope["path"]):
                bad.append("path")
            if bad:
                why = "must not contain control characters"
                await _refusal(
                    scope,
                    422,
                    "invalid",
                    f"{bad[0]}: {why}",
                    [{"field": b, "message": why} for b in bad],
                )(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BoundedBody:
    """413 for a request body over MAX_BYTES, declared (Content-Length) or streamed (chunked):
    nothing is parsed, and no more than the limit is ever held in memory."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(OWN_LIMIT):
            await self.app(scope, receive, send)
            return
        too_large = f"the request body is larger than {self.max_bytes // 1024} kB"
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await _refusal(scope, 413, "too_large", too_large)(scope, receive, send)
            return
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:  # FastAPI passes HTTPException through body parsing
                raise HTTPException(413, too_large)
            return message

        await self.app(scope, bounded, send)
