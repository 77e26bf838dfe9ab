"""One report through the API is one trace: the request's span, the workflow's start and run,
its activities, exported over OTLP/HTTP to a collector; its log lines carry the trace id
(docs/observability.md)."""

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import structlog
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from structlog.testing import capture_logs
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from readmodel.db import Database
from settings import Settings, settings
from telemetry import add_trace_id, interceptors, tracer_provider
from temporal_client import data_converter
from tests.api_fixtures import WANG, Gridflow, running_app
from tests.test_api_lifecycle import wait_for_status
from worker import build_worker

BACKENDS = ["sqlite"]


class Collector(ThreadingHTTPServer):
    spans: list[tuple[str, str]]  # (trace id, span name)


class Receive(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        assert self.path == "/v1/traces"
        assert self.headers["Content-Type"] == "application/x-protobuf"
        request = ExportTraceServiceRequest.FromString(body)
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                self.server.spans += [(s.trace_id.hex(), s.name) for s in scope.spans]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def collector() -> Iterator[Collector]:
    server = Collector(("127.0.0.1", 0), Receive)
    server.spans = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


async def test_a_report_is_one_trace_from_request_to_activities(
    dev_env: WorkflowEnvironment, db: Database, tmp_path: Path
) -> None:
    with collector() as received:
        endpoint = f"http://127.0.0.1:{received.server_address[1]}"
        config = Settings(
            task_queue=f"tq-{uuid.uuid4()}",
            database_url=db.url,
            data_dir=tmp_path,
            otlp_endpoint=endpoint,
        )
        client = await Client.connect(
            dev_env.client.service_client.config.target_host,
            data_converter=data_converter(settings),
            interceptors=interceptors(config),
        )
        async with (
            build_worker(client, db=db, config=config),
            running_app(client, db, config) as http,
        ):
            gf = Gridflow(http=http, db=db, config=config, client=client)
            await gf.headers(WANG)  # logged in outside the captured lines
            with capture_logs(
                processors=[structlog.contextvars.merge_contextvars, add_trace_id]
            ) as logs:
                ticket_id = await gf.new_ticket()
            await wait_for_status(gf, ticket_id, "dispatched")
        assert tracer_provider(endpoint).force_flush(10_000)
    request = [t for t, name in received.spans if name == "POST /api/v1/incidents"]
    assert len(request) == 1, received.spans
    trace_id = request[0]
    names = {name for t, name in received.spans if t == trace_id}
    assert "StartWorkflow:TicketWorkflow" in names, names
    assert "RunWorkflow:TicketWorkflow" in names, names
    assert "RunActivity:route_ticket" in names, names
    submitted = [e for e in logs if e["event"] == "incident submitted"]
    assert submitted and submitted[0]["trace_id"] == trace_id
    access = [e for e in logs if e["event"] == "request" and e["route"] == "/api/v1/incidents"]
    assert access and access[0]["trace_id"] == trace_id
