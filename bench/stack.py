"""The embedded stack for one benchmark run: a Temporal dev server on a SQLite file, the ticket
worker, the API under uvicorn and the bare-Temporal worker, as subprocesses on free ports."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from api.serve import UVICORN_FLAGS
from bench.stats import files_bytes, say, tree_cpu_seconds, tree_rss_bytes
from devstack import ROOT, Child, StartupFailed, http_answers, prepare, temporal_command, wait_until
from domain.policy import DEFAULT_RULES, DeadlinePolicy, PolicyRule
from domain.states import DeadlineStage, Unit, Urgency

if TYPE_CHECKING:
    from settings import Settings

BARE_QUEUE = "bench-bare"
PROBE_CATEGORY = "E0101"  # 暴露垃圾: routed to cgj in GRIDS[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def probe_policy(probe_seconds: float) -> str:
    """The default policy plus one rule: urgent reports of PROBE_CATEGORY must be claimed within
    probe_seconds (natural time), so that their breaches fall due while the benchmark watches."""
    probe = PolicyRule(
        stage=DeadlineStage.CLAIM,
        amount=probe_seconds / 3600,
        unit=Unit.HOURS,
        category=PROBE_CATEGORY,
        urgency=Urgency.URGENT,
    )
    return DeadlinePolicy(rules=[*DEFAULT_RULES, probe]).model_dump_json()


@dataclass
class Stack:
    data_dir: Path
    probe_seconds: float = 60.0
    worker_env: dict[str, str] = field(default_factory=dict)
    temporal_args: list[str] = field(default_factory=list)  # e.g. --sqlite-pragma (experiments)
    api_args: list[str] = field(default_factory=list)  # extra uvicorn options, e.g. --loop=asyncio
    children: dict[str, Child] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.log_dir = self.data_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.temporal_db = self.data_dir / "temporal.db"
        self.readmodel_db = self.data_dir / "gridflow.db"
        self.temporal_address = f"127.0.0.1:{free_port()}"
        self.api_url = f"http://127.0.0.1:{free_port()}"
        self.database_url = f"sqlite+aiosqlite:///{self.readmodel_db}"
        self.env = dict(
            os.environ,
            PYTHONUNBUFFERED="1",
            GRIDFLOW_DATA_DIR=str(self.data_dir),
            GRIDFLOW_JWT_SECRET=os.environ.get("GRIDFLOW_JWT_SECRET") or secrets.token_urlsafe(48),
            GRIDFLOW_TEMPORAL_ADDRESS=self.temporal_address,
            GRIDFLOW_DATABASE_URL=self.database_url,
            GRIDFLOW_DEADLINE_POLICY=probe_policy(self.probe_seconds),
            # One benchmark client submits for everyone: the per-user intake limit is not measured.
            GRIDFLOW_INTAKE_PER_MINUTE="100000000",
            GRIDFLOW_INTAKE_BURST="1000000",
        )
        if not (
            self.env.get("GRIDFLOW_PAYLOAD_KEYS") or self.env.get("GRIDFLOW_PAYLOAD_KEYS_FILE")
        ):
            # Payloads encrypted, as in production (docs/temporal-security.md).
            key = base64.b64encode(secrets.token_bytes(32)).decode()
            self.env["GRIDFLOW_PAYLOAD_KEYS"] = json.dumps({"bench": key})
        self.env.update(self.worker_env)

    def settings(self) -> Settings:
        from settings import Settings

        keys = [k for k in self.env if k.startswith("GRIDFLOW_")]
        saved = {k: os.environ.get(k) for k in keys}
        os.environ.update({k: self.env[k] for k in keys})
        try:
            return Settings()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def start(self, before_children: Callable[[], dict[str, str]] | None = None) -> None:
        """Temporal, schema and demo city, ticket worker, bare worker, API; raises StartupFailed.
        before_children runs once the read model is ready, and its settings join the env of the
        processes started after it (the holiday section dates its morning there)."""
        host, port = self.temporal_address.split(":")
        say(f">> Temporal dev server on {self.temporal_address} (SQLite {self.temporal_db})")
        self.children["temporal"] = Child(
            "temporal",
            temporal_command(
                db_file=self.temporal_db,
                host=host,
                port=int(port),
                extra=[
                    "--headless",
                    "--http-port",
                    str(free_port()),
                    "--metrics-port",
                    str(free_port()),
                    "--log-level",
                    "warn",
                    *self.temporal_args,
                ],
            ),
            env=self.env,
            log_dir=self.log_dir,
        )
        config = self.settings()
        asyncio.run(prepare(config, self.children["temporal"], timeout=60))
        asyncio.run(_bench_city(config.database_url))
        if before_children is not None:
            self.env.update(before_children())
        # The three start side by side: each waits only for Temporal and the read model.
        self.children["worker"] = self._worker_child()
        self.children["bare"] = Child(
            "bare", [sys.executable, "-m", "bench.bare"], env=self.env, log_dir=self.log_dir
        )
        port = self.api_url.rsplit(":", 1)[1]
        self.children["api"] = Child(
            "api",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                port,
                "--log-level",
                "warning",
                "--no-access-log",
                *UVICORN_FLAGS,
                *self.api_args,
            ],
            env=self.env,
            log_dir=self.log_dir,
        )
        wait_until(
            "worker",
            lambda: "worker started" in self.children["worker"].output(),
            self.children["worker"],
            120,
        )
        wait_until(
            "bare worker",
            lambda: "bare worker started" in self.children["bare"].output(),
            self.children["bare"],
            120,
        )
        wait_until(
            "API", lambda: http_answers(f"{self.api_url}/openapi.json"), self.children["api"], 120
        )

    def _worker_child(self) -> Child:
        return Child("worker", [sys.executable, "worker.py"], env=self.env, log_dir=self.log_dir)

    def start_worker(self) -> float:
        """Start the ticket worker; seconds until it says it polls."""
        t0 = time.perf_counter()
        self.children["worker"] = self._worker_child()
        wait_until(
            "worker",
            lambda: "worker started" in self.children["worker"].output(),
            self.children["worker"],
            120,
        )
        return time.perf_counter() - t0

    def stop_worker(self) -> float:
        """Stop the ticket worker gracefully; the seconds it took."""
        t0 = time.perf_counter()
        self.children.pop("worker").stop()
        return time.perf_counter() - t0

    def rss(self, name: str) -> int | None:
        child = self.children.get(name)
        return tree_rss_bytes(child.proc.pid) if child and child.alive else None

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each process of the stack and by this one (the client)."""
        used = {
            name: tree_cpu_seconds(child.proc.pid)
            for name, child in self.children.items()
            if child.alive
        }
        me = os.times()
        return {**{k: v for k, v in used.items() if v is not None}, "client": me.user + me.system}

    def disk(self) -> dict[str, int]:
        return {
            "temporal": files_bytes(self.temporal_db),
            "readmodel": files_bytes(self.readmodel_db),
        }

    def check_alive(self) -> None:
        for child in self.children.values():
            if not child.alive:
                raise StartupFailed(
                    f"{child.name} exited (code {child.proc.returncode}); "
                    f"last lines of {child.log_path}:\n{child.tail()}"
                )

    def stop(self) -> None:
        for name in ("api", "worker", "bare", "temporal"):
            child = self.children.pop(name, None)
            if child is not None:
                child.stop()


async def _bench_city(url: str) -> None:
    """The demo city as seeded, but reports at one spot stay separate (duplicate detection off:
    the benchmark reports thousands at a handful of points), and the next two years are datable
    (weekdays only) when the official schedule does not cover them yet."""
    from datetime import UTC, datetime

    from sqlmodel import update

    from readmodel.db import Database
    from readmodel.reference.calendar_store import load_year, year_schedule
    from readmodel.reference.tables import Category

    db = Database(url)
    try:
        async with db.session() as session:
            await session.exec(update(Category).values(duplicate_radius_m=None))
            await session.commit()
            this_year = datetime.now(UTC).year
            for year in (this_year, this_year + 1, this_year + 2):
                if await year_schedule(session=session, year=year) is None:
                    await load_year(
                        session=session,
                        year=year,
                        holidays=[],
                        workdays=[],
                        source="benchmark: weekdays only",
                    )
            await session.commit()
    finally:
        await db.dispose()


__all__ = ["ROOT", "Stack", "StartupFailed", "BARE_QUEUE", "PROBE_CATEGORY"]
