"""The embedded stack on one machine: Temporal dev server + worker + API, all persisted under data/.

    python devstack.py [--port 8000] [--temporal-port 7233] [--ui-port 8233] [--data-dir data]

(`bash scripts/up.sh` creates the virtualenv first and then runs this.)

Starts `temporal server start-dev` with a SQLite file (data/temporal.db), waits until it answers,
registers the ticket search attributes, migrates the read model (`python -m gridflow_admin migrate`)
and seeds the demo city (data/gridflow.db unless GRIDFLOW_DATABASE_URL says otherwise), then
starts `worker.py` and uvicorn. Logs go to data/logs/{temporal,worker,api}.log. Ctrl-C or
SIGTERM stops the API, the worker and then Temporal, in that order; if one of them dies, the rest
are stopped too.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import ctypes
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from api.serve import UVICORN_FLAGS

if TYPE_CHECKING:  # imported at run time once main() has set the environment it reads
    from settings import Settings

ROOT = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
STOP_TIMEOUT = 20.0


class Stop(Exception):
    """SIGINT/SIGTERM arrived."""


def _on_signal(signum: int, _frame: object) -> None:
    raise Stop(signal.Signals(signum).name)


def _die_with_parent() -> None:
    """In the child: get SIGTERM if devstack itself dies without cleaning up (e.g. kill -9)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def say(msg: str = "") -> None:
    print(msg, flush=True)


class Child:
    """One subprocess of the stack with its own log file and process group."""

    def __init__(self, name: str, argv: list[str], *, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "ab")
        self._offset = self._log.tell()  # this run's output starts here
        self._log.write(
            f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} {shlex.join(argv)}\n".encode()
        )
        self._log.flush()
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        """What this run of the child has logged so far."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._offset)
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def tail(self, lines: int = 25) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def stop(self) -> None:
        if self.alive:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                say(f"   {self.name} did not stop in {STOP_TIMEOUT:.0f} s; killing it")
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        # Anything the child itself left behind in its process group goes too.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._log.close()


class StartupFailed(Exception):
    pass


def temporal_command(
    *,
    db_file: Path,
    host: str,
    port: int,
    namespace: str = "default",
    extra: list[str] | None = None,
) -> list[str]:
    """`temporal server start-dev` persisting to a SQLite file, with the ticket search
    attributes (shared with bench/stack.py, so the benchmark runs the server as up.sh does)."""
    from workflows.search_attributes import dev_server_args

    # WAL: readers no longer wait for the writer; 2-3x the throughput of the rollback journal
    # in the benchmark (docs/benchmarks.md).
    argv = [
        str(BIN / "temporal"),
        "server",
        "start-dev",
        "--db-filename",
        str(db_file),
        "--sqlite-pragma",
        "journal_mode=wal",
        "--ip",
        host,
        "--port",
        str(port),
        *dev_server_args(),
        *(extra or []),
    ]
    if namespace != "default":
        argv += ["--namespace", namespace]
    return argv


def wait_until(what: str, ready: Callable[[], bool], child: Child, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if not child.alive:
            raise StartupFailed(
                f"{child.name} exited with code {child.proc.returncode} while starting; "
                f"last lines of {child.log_path}:\n{child.tail()}"
            )
        if ready():
            return
        if time.monotonic() > deadline:
            raise StartupFailed(
                f"{what} not ready after {timeout:.0f} s; see {child.log_path}:\n{child.tail()}"
            )
        time.sleep(0.3)


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def http_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means uvicorn finished its startup
    except (OSError, urllib.error.URLError):
        return False


async def prepare(config: Settings, child: Child, timeout: float = 30.0) -> None:
    """Wait for Temporal to answer, register search attributes, migrate the read model, seed."""
    from readmodel import migrate
    from readmodel.db import Database
    from readmodel.seed import seed_demo_city
    from temporal_client import connect, register_search_attributes

    deadline = time.monotonic() + timeout
    while True:
        if not child.alive:
            raise StartupFailed(
                f"temporal exited with code {child.proc.returncode}; last lines "
                f"of {child.log_path}:\n{child.tail()}"
            )
        try:
            client = await asyncio.wait_for(connect(config), 5)
            await client.service_client.check_health()
            break
        except Exception as err:
            if time.monotonic() > deadline:
                raise StartupFailed(
                    f"Temporal not answering after {timeout:.0f} s ({err}); "
                    f"see {child.log_path}:\n{child.tail()}"
                ) from err
            await asyncio.sleep(0.5)
    await register_search_attributes(client)  # no-op when the flags/the persisted db have them

    try:  # migrations, not create_all: the schema of a kept database follows the code
        await migrate.upgrade(config.database_url)
    except migrate.LegacySchema as err:
        raise StartupFailed(str(err)) from err
    db = Database(config.database_url)
    try:
        async with db.session() as session:
            await seed_demo_city(session=session)
    finally:
        await db.dispose()


def banner(*, api: str, ui: str, data_dir: Path, log_dir: Path, database_url: str) -> str:
    from domain import demo_city
    from domain.demo.people import API_KEYS

    rows = [("user", "password", "role", "department", "name")]
    for user_id, name, role, dept, _grids, password in demo_city.USERS:
        if role != "sensor":  # machines use API keys, below
            rows.append((user_id, password, role, dept or "-", name))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    table = "\n".join(
        "    " + "  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4]
        for r in rows
    )
    try:
        logs = log_dir.relative_to(Path.cwd())
    except ValueError:
        logs = log_dir
    spot = demo_city.GRIDS[1].inside  # in wang's grid
    gateway_key = API_KEYS[0][3]
    lat, lon = round(spot.lat, 6), round(spot.lon, 6)
    return f"""
gridflow is up.

  Web app      {api}/login  (phone: {api}/app/worker; one click per demo user)
  API docs     {api}/docs
  Temporal UI  {ui}  (payloads are encrypted: chen decrypts there after {api}/app/codec)
  data         {data_dir}  (read model: {database_url})
  logs         tail -f {logs}/*.log

Demo users: log in with user name and password (docs/auth.md)
{table}
Sensor gateway API key: send  X-API-Key: {gateway_key}

Report an incident as grid worker wang (keep the Idempotency-Key when retrying the same report):

  TOKEN=$(curl -s {api}/api/v1/auth/token -d username=wang -d password=demo-worker-wang \\
          | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
  curl -s -X POST {api}/api/v1/incidents \\
    -H "Authorization: Bearer $TOKEN" \\
    -H "Idempotency-Key: $(python3 -c 'import uuid; print(uuid.uuid4())')" \\
    -H 'Content-Type: application/json' \\
    -d '{{"category":"E0101","lat":{lat},"lon":{lon},"description":"垃圾堆在巷口 garbage at the lane entrance"}}'

Ctrl-C stops everything (API, worker, Temporal). Tickets persist in {data_dir}.
"""


def jwt_secret(data_dir: Path) -> str:
    """A random signing secret kept with the data, so even the demo stack's is not well known
    and logins survive a restart."""
    path = data_dir / "jwt-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def secrets_key(data_dir: Path) -> str:
    """The key channel secrets are encrypted with (docs/notifications.md), kept with the data:
    a secret an admin stored survives a restart."""
    path = data_dir / "secrets-key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        path.chmod(0o600)
    return path.read_text().strip()


def payload_keys(data_dir: Path) -> Path:
    """The key ring Temporal payloads are encrypted with (docs/temporal-security.md), kept with
    the data: histories written before a restart still decrypt after it."""
    path = data_dir / "payload-keys.json"
    if not path.exists():
        from temporal_codec import new_key

        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({f"devstack-{time.strftime('%Y%m%d')}": new_key()}))
        path.chmod(0o600)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address for the API and Temporal")
    parser.add_argument("--port", type=int, default=8000, help="API port (default 8000)")
    parser.add_argument("--temporal-port", type=int, default=7233, help="Temporal gRPC port")
    parser.add_argument("--ui-port", type=int, default=8233, help="Temporal UI port")
    parser.add_argument("--data-dir", default="data", help="where everything persists (data/)")
    parser.add_argument("--app", default="api.main:app", help="ASGI app for uvicorn")
    args = parser.parse_args(argv)

    os.chdir(ROOT)
    data_dir = Path(args.data_dir).resolve()
    log_dir = data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)

    # Children and this process read the same settings, from the environment.
    os.environ["GRIDFLOW_DATA_DIR"] = str(data_dir)
    os.environ["GRIDFLOW_TEMPORAL_ADDRESS"] = f"{args.host}:{args.temporal_port}"
    os.environ.setdefault("GRIDFLOW_DATABASE_URL", f"sqlite+aiosqlite:///{data_dir}/gridflow.db")
    os.environ.setdefault("GRIDFLOW_JWT_SECRET", jwt_secret(data_dir))
    os.environ.setdefault("GRIDFLOW_SECRETS_KEY", secrets_key(data_dir))
    os.environ.setdefault("GRIDFLOW_PUBLIC_URL", f"http://{args.host}:{args.port}")
    if not (
        os.environ.get("GRIDFLOW_PAYLOAD_KEYS") or os.environ.get("GRIDFLOW_PAYLOAD_KEYS_FILE")
    ):
        os.environ["GRIDFLOW_PAYLOAD_KEYS_FILE"] = str(payload_keys(data_dir))
    ui_url = f"http://{args.host}:{args.ui_port}"
    os.environ.setdefault("GRIDFLOW_TEMPORAL_UI_ORIGINS", json.dumps([ui_url]))
    from settings import Settings

    config = Settings()
    env = dict(os.environ, PYTHONUNBUFFERED="1")

    busy = [
        (what, p)
        for what, p in (
            ("Temporal", args.temporal_port),
            ("Temporal UI", args.ui_port),
            ("API", args.port),
        )
        if not port_free(args.host, p)
    ]
    if busy:
        for what, p in busy:
            say(
                f"error: port {p} ({what}) on {args.host} is in use - is the stack already running?"
            )
        say("Stop it first, or pick other ports: --port, --temporal-port, --ui-port.")
        return 1

    children: list[Child] = []
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    code = 0
    try:
        say(
            f">> Temporal dev server on {args.host}:{args.temporal_port} "
            f"(history in {data_dir / 'temporal.db'})"
        )
        temporal_argv = temporal_command(
            db_file=data_dir / "temporal.db",
            host=args.host,
            port=args.temporal_port,
            namespace=config.temporal_namespace,
            # The UI decrypts payloads through the API's codec endpoint, for the supervisors
            # allowed to (docs/temporal-security.md).
            extra=[
                "--ui-port",
                str(args.ui_port),
                "--ui-codec-endpoint",
                f"http://{args.host}:{args.port}/api/v1/codec",
            ],
        )
        temporal = Child("temporal", temporal_argv, env=env, log_dir=log_dir)
        children.append(temporal)
        asyncio.run(prepare(config, temporal))
        say(">> read model migrated, demo city seeded")

        say(f">> worker on task queue {config.task_queue}")
        worker = Child("worker", [sys.executable, "worker.py"], env=env, log_dir=log_dir)
        children.append(worker)
        wait_until("worker", lambda: "worker started" in worker.output(), worker, 30)

        api_url = f"http://{args.host}:{args.port}"
        say(f">> API on {api_url}")
        api = Child(
            "api",
            [
                sys.executable,
                "-m",
                "uvicorn",
                args.app,
                "--host",
                args.host,
                "--port",
                str(args.port),
                *UVICORN_FLAGS,
            ],
            env=env,
            log_dir=log_dir,
        )
        children.append(api)
        wait_until("API", lambda: http_answers(f"{api_url}/openapi.json"), api, 30)

        say(
            banner(
                api=api_url,
                ui=ui_url,
                data_dir=data_dir,
                log_dir=log_dir,
                database_url=config.database_url,
            )
        )
        while True:
            for child in children:
                if not child.alive:
                    raise StartupFailed(
                        f"{child.name} exited unexpectedly (code {child.proc.returncode}); last "
                        f"lines of {child.log_path}:\n{child.tail()}"
                    )
            time.sleep(0.5)
    except (Stop, KeyboardInterrupt):
        say("\n>> stopping")
    except StartupFailed as err:
        say(f"error: {err}")
        code = 1
    finally:
        # No second Ctrl-C halfway through the cleanup: finish it.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child in reversed(children):
            say(f"   stopping {child.name} (pid {child.proc.pid})")
            child.stop()
        if children:
            say(">> stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
