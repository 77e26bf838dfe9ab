"""The real stack as separate processes on localhost, for fault tests: Temporal dev server
(SQLite file), `worker.py`, uvicorn `api.main:app`, and the read model on PostgreSQL behind a
fault-injecting proxy (tests/faults/proxy.py). Built from devstack.py's pieces. With `apis` > 1
the APIs ("api", "api-2", …) sit behind nginx (tests/faults/nginx.py) and `base_url` is nginx's;
with `workers` > 1 the workers ("worker", "worker-2", …) share the task queue."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlmodel import update
from temporalio.client import Client

import devstack
from api.serve import UVICORN_FLAGS
from devstack import Child
from readmodel.db import Database
from readmodel.reference.calendar_store import load_year, year_schedule
from readmodel.reference.tables import Category
from readmodel.seed import seed_demo_city
from settings import Settings
from temporal_client import connect, register_search_attributes
from tests.faults import nginx
from tests.schema import migrate_to_head
from workflows.search_attributes import dev_server_args

START_TIMEOUT = 60.0
LOGS_KEPT = devstack.ROOT / "test-artifacts" / "faults" / "logs"  # the last run's


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_for(
    what: str,
    ready: Callable[[], object],
    timeout: float,
    *,
    every: float = 0.3,
    child: Child | None = None,
) -> None:
    """Poll `ready()` (sync or async) until true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if child is not None and not child.alive:
            raise AssertionError(
                f"{child.name} exited ({child.proc.returncode}) while waiting for "
                f"{what}; last lines of {child.log_path}:\n{child.tail()}"
            )
        result = ready()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            tail = f"; last lines of {child.log_path}:\n{child.tail()}" if child else ""
            raise AssertionError(f"{what}: not reached within {timeout:.0f} s{tail}")
        await asyncio.sleep(every)


class Stack:
    """Start with `await Stack(...).start()`, always `await stack.close()` (kills everything)."""

    def __init__(
        self,
        *,
        root: Path,
        pg_url: str,
        intake_per_minute: float = 100_000,
        intake_burst: int = 10_000,
        apis: int = 1,
        workers: int = 1,
    ) -> None:
        self.root = root
        self.log_dir = root / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.pg_url = pg_url  # direct: the harness's own checks never go through the proxy
        self.pg_port = int(pg_url.rsplit(":", 1)[1].split("/", 1)[0])
        self.temporal_port, self.proxy_port = free_port(), free_port()
        names = ["api", *(f"api-{i}" for i in range(2, apis + 1))]
        self.api_ports = {name: free_port() for name in names}
        self.api_port = self.api_ports["api"]
        self.workers = ["worker", *(f"worker-{i}" for i in range(2, workers + 1))]
        self.nginx_port = free_port() if apis > 1 else None
        self.base_url = f"http://127.0.0.1:{self.nginx_port or self.api_port}"
        proxied = pg_url.replace(f":{self.pg_port}/", f":{self.proxy_port}/")
        self.env = dict(
            os.environ,
            PYTHONUNBUFFERED="1",
            GRIDFLOW_DATA_DIR=str(root / "data"),
            GRIDFLOW_DATABASE_URL=proxied,
            GRIDFLOW_TEMPORAL_ADDRESS=f"127.0.0.1:{self.temporal_port}",
            GRIDFLOW_INTAKE_PER_MINUTE=str(intake_per_minute),
            GRIDFLOW_INTAKE_BURST=str(intake_burst),
        )
        self.config = Settings(
            database_url=pg_url, temporal_address=self.env["GRIDFLOW_TEMPORAL_ADDRESS"]
        )
        self.children: dict[str, Child] = {}
        self.db = Database(pg_url)
        self.client: Client | None = None
        # Every (reporter, Idempotency-Key) any scenario sent → the ticket id it was told.
        self.ledger: dict[tuple[str, str], str] = {}

    # --- the processes -------------------------------------------------------------------
    def _spawn(self, name: str, argv: list[str]) -> Child:
        child = Child(name, argv, env=self.env, log_dir=self.log_dir)
        self.children[name] = child
        return child

    async def start(self) -> Stack:
        try:
            self._spawn(
                "proxy",
                [
                    sys.executable,
                    "-m",
                    "tests.faults.proxy",
                    "--listen-port",
                    str(self.proxy_port),
                    "--target-port",
                    str(self.pg_port),
                ],
            )
            await self.start_temporal()
            await self._prepare()
            await wait_for(
                "proxy listening",
                lambda: "proxy listening" in self.proxy.output(),
                10,
                child=self.proxy,
            )
            await asyncio.gather(
                *(self.start_worker(w) for w in self.workers),
                *(self.start_api(a) for a in self.api_ports),
            )
            if self.nginx_port is not None:
                await self.start_nginx()
            self.client = await connect(self.config)
        except BaseException:
            await self.close()
            raise
        return self

    @property
    def proxy(self) -> Child:
        return self.children["proxy"]

    async def start_temporal(self) -> None:
        argv = [
            str(devstack.BIN / "temporal"),
            "server",
            "start-dev",
            "--db-filename",
            str(self.root / "temporal.db"),
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.temporal_port),
            "--headless",
            "--log-level",
            "warn",
            *dev_server_args(),
        ]
        child = self._spawn("temporal", argv)
        await wait_for(
            "Temporal accepting connections",
            lambda: _port_open(self.temporal_port),
            START_TIMEOUT,
            child=child,
        )

    async def stop_temporal(self) -> None:
        """A clean stop (SIGINT, as Ctrl-C); its SQLite file keeps everything."""
        await asyncio.to_thread(self.children["temporal"].stop)

    async def start_worker(self, name: str = "worker") -> None:
        child = self._spawn(name, [sys.executable, "worker.py"])
        await wait_for(
            "worker started", lambda: "worker started" in child.output(), START_TIMEOUT, child=child
        )

    def kill_worker(self) -> None:
        self.kill("worker")

    def kill(self, name: str) -> None:
        """kill -9 the child's whole process group: no shutdown, no goodbye to Temporal."""
        child = self.children[name]
        os.killpg(child.proc.pid, signal.SIGKILL)
        child.proc.wait(10)
        child.stop()  # closes its log

    async def start_api(self, name: str = "api") -> None:
        port = self.api_ports[name]
        child = self._spawn(
            name,
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                *UVICORN_FLAGS,
            ],
        )
        await wait_for(
            f"{name} answering",
            lambda: devstack.http_answers(f"http://127.0.0.1:{port}/healthz"),
            START_TIMEOUT,
            child=child,
        )

    async def start_nginx(self) -> None:
        assert self.nginx_port is not None
        config = nginx.write_config(
            self.root / "nginx", port=self.nginx_port, api_ports=list(self.api_ports.values())
        )
        child = self._spawn("nginx", nginx.argv(config))
        await wait_for(
            "nginx answering",
            lambda: devstack.http_answers(f"{self.base_url}/healthz"),
            START_TIMEOUT,
            child=child,
        )

    def cut_database(self) -> None:
        self._signal_proxy(signal.SIGUSR1, "proxy cut")

    def restore_database(self) -> None:
        self._signal_proxy(signal.SIGUSR2, "proxy restored")

    def _signal_proxy(self, sig: signal.Signals, line: str) -> None:
        before = self.proxy.output().count(line)
        self.proxy.proc.send_signal(sig)
        deadline = time.monotonic() + 10
        while self.proxy.output().count(line) == before:
            assert time.monotonic() < deadline, f"the proxy did not log '{line}' within 10 s"
            time.sleep(0.05)

    def check_alive(self) -> None:
        for child in self.children.values():
            assert child.alive, (
                f"{child.name} died (code {child.proc.returncode}); last lines "
                f"of {child.log_path}:\n{child.tail()}"
            )

    async def close(self) -> None:
        order = ("nginx", "api", "worker", "temporal", "proxy")
        for name in sorted(self.children, key=lambda n: order.index(n.split("-")[0])):
            await asyncio.to_thread(self.children[name].stop)
        await self.db.dispose()
        # The processes' logs outlive the temporary directory, for a look after a failure.
        shutil.rmtree(LOGS_KEPT, ignore_errors=True)
        shutil.copytree(self.log_dir, LOGS_KEPT)

    # --- the demo city, as the tests' `db` fixture has it ---------------------------------
    async def _prepare(self) -> None:
        """Search attributes, the migrated schema and the demo city.
        Reports at one spot stay separate tickets (no duplicate review: the load reuses spots),
        and years the official schedule lacks get weekdays so deadlines can be dated."""

        async def answers() -> bool:
            try:
                client = await asyncio.wait_for(connect(self.config), 5)
                await client.service_client.check_health()
            except Exception:
                return False
            await register_search_attributes(client)
            return True

        await wait_for(
            "Temporal answering", answers, START_TIMEOUT, child=self.children["temporal"]
        )
        await migrate_to_head(self.db.url)
        async with self.db.session() as session:
            await seed_demo_city(session=session)
            no_duplicates = update(Category).values(duplicate_radius_m=None)
            await session.exec(no_duplicates)
            await session.commit()
            this_year = time.gmtime().tm_year
            for year in (this_year, this_year + 1, this_year + 2):
                if await year_schedule(session=session, year=year) is None:
                    await load_year(
                        session=session,
                        year=year,
                        holidays=[],
                        workdays=[],
                        source="fault tests: weekdays only",
                    )


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0
