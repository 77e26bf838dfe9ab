"""One JSON error shape for every refusal: {"error": {"code", "message", "details"?, "fields"?}}."""
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.input_guard import BoundedBody, PrintableParameters

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large",
         415: "unsupported_media_type", 422: "invalid", 429: "rate_limited",
         503: "unavailable"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, code: str | None = None,
                 fields: list[dict[str, str]] | None = None,
                 headers: dict[str, str] | None = None, **details: Any) -> None:
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


def install_error_handlers(app: FastAPI) -> None:
    app.add_middleware(BoundedBody)
    app.add_middleware(PrintableParameters)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, err: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else err.headers
        return JSONResponse(_body(err), status_code=err.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, err: RequestValidationError) -> JSONResponse:
        fields = [{"field": _field_name(tuple(e["loc"])), "message": e["msg"]} for e in err.errors()]
        message = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        return JSONResponse(_body(ApiError(422, message, fields=fields)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, err: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(_body(ApiError(err.status_code, str(err.detail))),
                            status_code=err.status_code, headers=getattr(err, "headers", None))
