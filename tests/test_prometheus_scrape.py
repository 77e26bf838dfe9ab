"""A real Prometheus (Debian's `prometheus`, scripts/test.sh) scrapes the API's /metrics, the
worker's gridflow_* metrics and the Temporal SDK's, and answers PromQL over them
(docs/observability.md)."""

import asyncio
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from prometheus_client.parser import text_string_to_metric_families
from temporalio.testing import WorkflowEnvironment

from activities.metrics import count_tickets, serve_metrics
from api.main import create_app
from api.serve import UVICORN_OPTIONS
from readmodel.db import Database
from settings import Settings
from temporal_client import connect
from tests.api_fixtures import Gridflow
from tests.browser import _free_socket
from tests.notify_receivers import free_port
from tests.test_api_lifecycle import wait_for_status
from worker import build_worker

BACKENDS = ["sqlite"]
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    sock = _free_socket()
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", **UVICORN_OPTIONS)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        assert not task.done(), "uvicorn did not start"
        await asyncio.sleep(0.05)
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        sock.close()


@asynccontextmanager
async def prometheus(targets: dict[str, str]) -> AsyncIterator[str]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="gridflow-prometheus-") as directory:
        config = Path(directory) / "prometheus.yml"
        jobs = "".join(
            f"  - job_name: {job}\n    static_configs:\n      - targets: ['{target}']\n"
            for job, target in targets.items()
        )
        config.write_text(f"global:\n  scrape_interval: 1s\nscrape_configs:\n{jobs}")
        process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={directory}/data",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)


def created(metrics: httpx.Response) -> float:
    """Reports acknowledged as new (POST /api/v1/incidents → 201) in an API's /metrics text."""
    for family in text_string_to_metric_families(metrics.text):
        for sample in family.samples:
            labels = sample.labels
            if (
                sample.name == "gridflow_http_requests_total"
                and labels.get("route") == "/api/v1/incidents"
                and labels.get("method") == "POST"
                and labels.get("status") == "201"
            ):
                return sample.value
    return 0.0


async def query_until(base: str, promql: str, timeout: float = 30) -> list[dict[str, Any]]:
    """The query's result once it has one (Prometheus scrapes every second here)."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base) as http:
        while True:
            try:
                body = (await http.get("/api/v1/query", params={"query": promql})).json()
                if body["status"] == "success" and body["data"]["result"]:
                    return body["data"]["result"]
            except httpx.TransportError:
                pass  # not listening yet
            assert time.monotonic() < deadline, f"no result for {promql}"
            await asyncio.sleep(0.5)


async def test_prometheus_scrapes_the_api_the_worker_and_the_sdk(
    dev_env: WorkflowEnvironment, db: Database, tmp_path: Path
) -> None:
    sdk_address = f"127.0.0.1:{free_port()}"
    config = Settings(
        task_queue=f"tq-{uuid.uuid4()}",
        database_url=db.url,
        data_dir=tmp_path,
        temporal_address=dev_env.client.service_client.config.target_host,
        temporal_metrics_address=sdk_address,  # connect() gives the SDK's runtime its port
    )
    client = await connect(config)
    worker_address = f"127.0.0.1:{free_port()}"
    metrics_server = serve_metrics(worker_address)
    try:
        async with (
            build_worker(client, db=db, config=config),
            serving(create_app(config, client=client, db=db)) as api_address,
            httpx.AsyncClient(base_url=f"http://{api_address}") as http,
        ):
            gf = Gridflow(http=http, db=db, config=config, client=client)
            # The process's registry counts every earlier test's requests too: count from here.
            before = created(await http.get("/metrics"))
            ticket_id = await gf.new_ticket()
            await wait_for_status(gf, ticket_id, "dispatched")  # routed, and projected
            await count_tickets(db)
            targets = {"api": api_address, "worker": worker_address, "sdk": sdk_address}
            async with prometheus(targets) as base:
                reports = await query_until(
                    base,
                    'sum by (route, status) (gridflow_http_requests_total{job="api",'
                    'route="/api/v1/incidents",method="POST"})',
                )
                by_status = {r["metric"]["status"]: float(r["value"][1]) for r in reports}
                assert by_status.get("201", 0) >= before + 1, by_status
                dispatched = await query_until(
                    base, 'gridflow_tickets{job="worker",status="dispatched"}'
                )
                assert float(dispatched[0]["value"][1]) >= 1
                lag = await query_until(base, 'gridflow_projection_lag_seconds_count{job="worker"}')
                assert float(lag[0]["value"][1]) >= 2  # submitted, then dispatched
                sdk = await query_until(base, 'count({job="sdk",__name__=~"temporal_.+"})')
                assert float(sdk[0]["value"][1]) > 0
                assert await query_until(base, 'up{job=~"api|worker|sdk"} == 1')
            assert ticket_id not in (await http.get("/metrics")).text
    finally:
        metrics_server.shutdown()
        metrics_server.server_close()
