"""/healthz and /readyz, the API's Prometheus /metrics, the request id and the JSON access log
(docs/observability.md)."""

import uuid
from pathlib import Path

import structlog
from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import capture_logs
from temporalio.testing import WorkflowEnvironment

from readmodel.db import Database
from settings import settings
from telemetry import add_trace_id
from temporal_client import data_converter
from tests.api_fixtures import SUPERVISOR, WANG, Gridflow, gf  # noqa: F401
from tests.conftest import BIN
from tests.test_api_unavailable import app_of

BACKENDS = ["sqlite"]


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


async def test_readyz_names_what_is_ready(gf: Gridflow) -> None:
    assert (await gf.http.get("/healthz")).json() == {"status": "ok"}
    ready = await gf.http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["database"]["ok"] and ready.json()["temporal"] == {"ok": True}


async def test_readyz_is_503_naming_the_database_down_or_behind(
    gf: Gridflow, tmp_path: Path
) -> None:
    app = app_of(gf)
    up = app.state.db
    for db, error in [
        (Database("postgresql+asyncpg://gf@127.0.0.1:1/gridflow"), "reaching the database"),
        (Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"), "schema at no revision"),
    ]:
        app.state.db = db
        try:
            answer = await gf.http.get("/readyz")
        finally:
            app.state.db = up
            await db.dispose()
        assert answer.status_code == 503, answer.text
        assert answer.json()["status"] == "not ready"
        assert error in answer.json()["database"]["error"]
        assert answer.json()["temporal"] == {"ok": True}
        assert (await gf.http.get("/healthz")).status_code == 200  # alive all the same


async def test_readyz_is_503_when_temporal_is_gone(gf: Gridflow) -> None:
    app = app_of(gf)
    gone = await WorkflowEnvironment.start_local(
        data_converter=data_converter(settings), dev_server_existing_path=str(BIN / "temporal")
    )
    await gone.shutdown()
    up, app.state.temporal = app.state.temporal, gone.client
    try:
        answer = await gf.http.get("/readyz")
    finally:
        app.state.temporal = up
    assert answer.status_code == 503, answer.text
    assert not answer.json()["temporal"]["ok"] and answer.json()["database"]["ok"]


async def test_metrics_count_requests_by_route_template_and_intake(gf: Gridflow) -> None:
    before = (await gf.http.get("/metrics")).text
    ticket_id = await gf.new_ticket()
    assert (await gf.call("GET", f"/tickets/{ticket_id}", SUPERVISOR)).status_code == 200
    refused = await gf.submit(category="no-such-category")
    assert refused.status_code == 422
    scraped = await gf.http.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    after = scraped.text
    assert ticket_id not in after  # templates, never ids
    route = (("method", "GET"), ("route", "/api/v1/tickets/{ticket_id}"), ("status", "200"))
    requests_before = samples(before, "gridflow_http_requests_total")
    requests_after = samples(after, "gridflow_http_requests_total")
    assert requests_after[route] == requests_before.get(route, 0) + 1
    latency = samples(after, "gridflow_http_request_duration_seconds_count")
    assert latency[(("method", "GET"), ("route", "/api/v1/tickets/{ticket_id}"))] >= 1
    accepted = (("replayed", "false"),)
    assert samples(after, "gridflow_intake_accepted_total")[accepted] == (
        samples(before, "gridflow_intake_accepted_total").get(accepted, 0) + 1
    )
    invalid = (("code", "invalid"),)
    assert samples(after, "gridflow_intake_refused_total")[invalid] == (
        samples(before, "gridflow_intake_refused_total").get(invalid, 0) + 1
    )
    await gf.http.get(f"/nothing-here/{uuid.uuid4()}")
    routes = samples((await gf.http.get("/metrics")).text, "gridflow_http_requests_total")
    assert (("method", "GET"), ("route", "unmatched"), ("status", "404")) in routes
    assert not any("nothing-here" in dict(k)["route"] for k in routes)


async def test_each_request_has_an_id_and_one_json_access_line(gf: Gridflow) -> None:
    with capture_logs(processors=[structlog.contextvars.merge_contextvars, add_trace_id]) as logs:
        given = await gf.call(
            "GET", "/tickets/overdue?q=张三", SUPERVISOR, headers={"X-Request-ID": "req-12345678"}
        )
        made = await gf.http.get("/healthz", headers={"X-Request-ID": "bad id\twith tab"})
    assert given.headers["X-Request-ID"] == "req-12345678"
    assert made.headers["X-Request-ID"] != "bad id\twith tab"
    assert len(made.headers["X-Request-ID"]) == 32  # a new one
    access = [e for e in logs if e["event"] == "request"]
    by_id = {e["request_id"]: e for e in access}
    line = by_id["req-12345678"]
    assert line["route"] == "/api/v1/tickets/overdue" and line["method"] == "GET"
    assert line["status"] == given.status_code and line["duration_ms"] >= 0
    assert "张三" not in str(line)  # no query string
    assert by_id[made.headers["X-Request-ID"]]["route"] == "/healthz"
