"""Per request: its id, its span, its metrics and one JSON access-log line (docs/observability.md).

Labels and the log name the route's template (/api/v1/tickets/{ticket_id}), never the raw path
or its query string: no ids or personal data in them, and a scanner's 404s are one series."""

import re
import time
import uuid
from contextlib import nullcontext
from typing import Any

import structlog
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Counter, Histogram

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # as api/audit.py takes them
UNMATCHED = "unmatched"

REQUESTS = Counter(
    "gridflow_http_requests",
    "HTTP requests answered, by route template",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "gridflow_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["method", "route"],
)

access_log = structlog.get_logger("gridflow.access")


def route_of(scope: dict[str, Any]) -> str:
    """The matched route's whole template: FastAPI keeps an included route's, prefixes and all,
    in its effective route context; a mounted app's (/static) is its own."""
    effective = scope.get("fastapi", {}).get("effective_route_context")
    route = effective if getattr(effective, "path_format", None) else scope.get("route")
    return getattr(route, "path_format", None) or UNMATCHED


def request_id_of(scope: dict[str, Any]) -> str:
    """The caller's X-Request-ID when it is a plausible id, else a new one."""
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            given = value.decode("latin-1")
            if REQUEST_ID.fullmatch(given):
                return given
    return uuid.uuid4().hex


class RequestTelemetry:
    def __init__(self, app: Any, *, tracer: trace.Tracer | None = None) -> None:
        self.app, self.tracer = app, tracer

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id, method = request_id_of(scope), scope["method"]
        # the one id for the audit trail (api/audit.py) and every line logged for this request
        scope["headers"] = [
            *[(n, v) for n, v in scope.get("headers", []) if n != b"x-request-id"],
            (b"x-request-id", request_id.encode()),
        ]
        status, started = 500, time.perf_counter()

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.setdefault("headers", [])
                if not any(n.lower() == b"x-request-id" for n, _ in headers):
                    message["headers"] = [*headers, (b"x-request-id", request_id.encode())]
            await send(message)

        spanning = (
            self.tracer.start_as_current_span(method, kind=SpanKind.SERVER)
            if self.tracer
            else nullcontext()
        )
        with structlog.contextvars.bound_contextvars(request_id=request_id), spanning as span:
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route, elapsed = route_of(scope), time.perf_counter() - started
                REQUESTS.labels(method, route, str(status)).inc()
                LATENCY.labels(method, route).observe(elapsed)
                access_log.info(
                    "request",
                    request_id=request_id,
                    method=method,
                    route=route,
                    status=status,
                    duration_ms=round(elapsed * 1000, 1),
                )
                if span is not None:
                    span.update_name(f"{method} {route}")
                    span.set_attributes(
                        {
                            "http.request.method": method,
                            "http.route": route,
                            "http.response.status_code": status,
                            "gridflow.request_id": request_id,
                        }
                    )
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
