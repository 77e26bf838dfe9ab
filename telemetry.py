"""Traces and the trace id in the logs, for the API and the worker (docs/observability.md).

With GRIDFLOW_OTLP_ENDPOINT (or the standard OTEL_EXPORTER_OTLP_ENDPOINT) set, a process exports
its spans over OTLP/HTTP: the API's request spans, and through the Temporal SDK's tracing
interceptor (temporal_client.connect) the workflow starts, the workflows and their activities, all
in the request's trace. Unset: no provider, no interceptor, nothing exported."""

import os
from collections.abc import MutableMapping
from functools import cache
from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from settings import Settings


def otlp_endpoint(config: Settings) -> str | None:
    return config.otlp_endpoint or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None


@cache
def tracer_provider(endpoint: str) -> TracerProvider:
    """One provider per endpoint, never the global one: a process (or a test) without an endpoint
    creates no spans at all. The service is OTEL_SERVICE_NAME (gridflow-api, gridflow-worker)."""
    service = os.environ.get("OTEL_SERVICE_NAME") or "gridflow"
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
    return provider


def tracer(config: Settings) -> trace.Tracer | None:
    endpoint = otlp_endpoint(config)
    return tracer_provider(endpoint).get_tracer("gridflow") if endpoint else None


def interceptors(config: Settings) -> list[Any]:
    """The Temporal SDK's tracing interceptor when spans are exported: on the client, and so on
    every worker built on it, the workflow starts, workflows and activities join the caller's
    trace."""
    from temporalio.contrib.opentelemetry import TracingInterceptor

    chosen = tracer(config)
    return [TracingInterceptor(chosen)] if chosen else []


def add_trace_id(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog: the current span's trace and span ids on every line logged inside one."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event.setdefault("trace_id", format(context.trace_id, "032x"))
        event.setdefault("span_id", format(context.span_id, "016x"))
    return event
