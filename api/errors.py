"""One JSON error shape for every refusal: {"error": {"code", "message", "details"?, "fields"?}}."""

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from api.input_guard import BoundedBody, PrintableParameters
from api.open311.format import error_response, is_open311, open311_status

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    503: "unavailable",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        fields: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers
        self.code = code or CODES.get(status, "error")
        self.fields, self.details = fields, details


def invalid(field: str, message: str) -> ApiError:
    return ApiError(422, f"{field}: {message}", fields=[{"field": field, "message": message}])


def _body(err: ApiError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": err.code, "message": err.message}
    if err.details:
        body["details"] = err.details
    if err.fields:
        body["fields"] = err.fields
    return {"error": body}


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


RETRY_AFTER_S = 5  # what a client should wait when a backing service is down
_TRANSIENT_RPC = {
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.RESOURCE_EXHAUSTED,
    RPCStatusCode.CANCELLED,
}


def _respond(request: Request, err: ApiError) -> Response:
    """The refusal in the caller's dialect: our JSON shape, or Open311's list of errors."""
    if is_open311(request.url.path):
        return error_response(
            request.url.path, open311_status(err.status), err.message, headers=err.headers
        )
    headers = (
        {"WWW-Authenticate": "Bearer", **(err.headers or {})} if err.status == 401 else err.headers
    )
    return JSONResponse(_body(err), status_code=err.status, headers=headers)


def _unavailable(request: Request, what: str) -> Response:
    """503 + Retry-After: nothing was changed by this request, or (an action) it may have
    been; the client retries, the idempotency key and the state checks make that safe."""
    return _respond(
        request,
        ApiError(
            503,
            f"{what} is unavailable right now; retry in {RETRY_AFTER_S} s",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        ),
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_middleware(BoundedBody)
    app.add_middleware(PrintableParameters)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, err: ApiError) -> Response:
        return _respond(request, err)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, err: RequestValidationError) -> Response:
        fields = [
            {"field": _field_name(tuple(e["loc"])), "message": e["msg"]} for e in err.errors()
        ]
        message = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        return _respond(request, ApiError(422, message, fields=fields))

    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeout)
    @app.exception_handler(OSError)  # e.g. the database refusing connections
    async def _database_down(request: Request, err: Exception) -> Response:
        if (
            isinstance(err, DBAPIError)
            and not err.connection_invalidated
            and type(err).__name__ not in ("OperationalError", "InterfaceError")
        ):
            raise err  # a real bug (a constraint, bad SQL): a 500 with its trace, not hidden
        structlog.get_logger().warning("read_model_unavailable", failure=type(err).__name__)
        return _unavailable(request, "the read model")

    @app.exception_handler(RPCError)
    @app.exception_handler(WorkflowUpdateRPCTimeoutOrCancelledError)
    async def _temporal_down(request: Request, err: Exception) -> Response:
        if isinstance(err, RPCError) and err.status not in _TRANSIENT_RPC:
            raise err
        structlog.get_logger().warning("temporal_unavailable", failure=type(err).__name__)
        return _unavailable(request, "the workflow service")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException) -> Response:
        return _respond(
            request,
            ApiError(err.status_code, str(err.detail), headers=getattr(err, "headers", None)),
        )
