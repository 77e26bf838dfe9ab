"""An ephemeral PostgreSQL cluster for tests: initdb into a temp dir, start on a free port, stop.

Uses the Debian `postgresql` binaries (/usr/lib/postgresql/*/bin; `scripts/test.sh` installs them).
initdb refuses to run as root, so as root the cluster is created and run as the `postgres` user
(or `nobody`) through runuser/su. Nothing listens beyond 127.0.0.1 and a socket in the temp dir.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncpg

DB_USER = "gridflow"
DB_NAME = "gridflow_test"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def find_bindir() -> Path:
    """The newest PostgreSQL bin dir holding initdb and pg_ctl (GRIDFLOW_TEST_PG_BINDIR wins)."""
    candidates: list[str] = []
    if os.environ.get("GRIDFLOW_TEST_PG_BINDIR"):
        candidates.append(os.environ["GRIDFLOW_TEST_PG_BINDIR"])
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).resolve().parent))
    for cand in candidates:
        if (Path(cand) / "initdb").exists() and (Path(cand) / "pg_ctl").exists():
            return Path(cand)
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; run `bash scripts/test.sh` "
        "or `apt-get install -y postgresql`"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as() -> str | None:
    """The unprivileged user to run the server as, or None when we already are one."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise PostgresUnavailable("running as root and no `postgres` or `nobody` user to run initdb as")


class PgCluster:
    """One throwaway cluster. `start()` then `url()`; `stop()` removes everything."""

    def __init__(self, *, bindir: Path | None = None) -> None:
        self.bindir = bindir or find_bindir()
        self.user = _run_as()
        self.port = 0
        # Not under pytest's tmp dir: that is mode 0700 for root, the server user could not enter.
        self.root = Path(tempfile.mkdtemp(prefix="gridflow-pg-"))
        self.datadir = self.root / "data"
        self.logfile = self.root / "postgres.log"
        if self.user:
            info = pwd.getpwnam(self.user)
            os.chown(self.root, info.pw_uid, info.pw_gid)

    def _cmd(self, *args: str) -> list[str]:
        if self.user is None:
            return list(args)
        if shutil.which("runuser"):
            return ["runuser", "-u", self.user, "--", *args]
        import shlex

        return ["su", "-s", "/bin/sh", self.user, "-c", shlex.join(args)]

    def _run(self, *args: str, timeout: float = 60) -> None:
        proc = subprocess.run(
            self._cmd(*args),
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
        )
        if proc.returncode != 0:
            log = self.logfile.read_text(errors="replace")[-3000:] if self.logfile.exists() else ""
            raise RuntimeError(
                f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{log}"
            )

    def start(self) -> PgCluster:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.datadir),
            "-U",
            DB_USER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            "--no-instructions",
        )
        for attempt in range(3):  # the free port may be taken between probing and binding
            self.port = _free_port()
            options = (
                f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200"
            )
            try:
                self._run(
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.datadir),
                    "-l",
                    str(self.logfile),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                )
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        self.create_database(DB_NAME)

    def create_database(self, name: str | None = None) -> str:
        """Create a database (a fresh random name by default) and return its name."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        self._run(
            str(self.bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            DB_USER,
            name,
        )
        return name

    def url(self, database: str = DB_NAME, *, driver: str = "asyncpg") -> str:
        return f"postgresql+{driver}://{DB_USER}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        try:
            if (self.datadir / "postmaster.pid").exists():
                self._run(
                    str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop"
                )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- databases on a running server (any PostgreSQL URL: the cluster's or GRIDFLOW_TEST_PG_URL) ---


async def _admin(url: str) -> asyncpg.Connection:
    """A plain asyncpg connection to the server's `postgres` database, for CREATE/DROP DATABASE
    (never to the template: PostgreSQL copies a database only while nobody is connected to it)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    admin = make_url(url).set(drivername="postgresql", database="postgres")
    return await asyncpg.connect(admin.render_as_string(hide_password=False))


async def create_database(url: str, *, name: str | None = None, template: bool = False) -> str:
    """Create a database on `url`'s server (a copy of `url`'s database when `template`) and
    return its URL. Copying a seeded template is a file copy: far faster than seeding again."""
    from sqlalchemy.engine import make_url

    source = make_url(url)
    name = name or f"t_{uuid.uuid4().hex[:12]}"
    conn = await _admin(url)
    try:
        copy = f' TEMPLATE "{source.database}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await conn.close()
    return source.set(database=name).render_as_string(hide_password=False)


async def drop_database(url: str) -> None:
    """Drop `url`'s database, closing whatever connections it still has."""
    from sqlalchemy.engine import make_url

    conn = await _admin(url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await conn.close()
