"""Small shared helpers: percentiles, printing, process memory, file sizes."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path


def say(msg: str = "") -> None:
    print(msg, flush=True)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0-100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float | int | None]:
    """n, p50, p99 and max in milliseconds of a list of durations in seconds."""
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50": percentile(ms, 50),
        "p99": percentile(ms, 99),
        "max": max(ms) if ms else None,
    }


def rss_bytes(pid: int) -> int | None:
    """Resident memory of a process (VmRSS), None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def tree_rss_bytes(pid: int) -> int | None:
    """Resident memory of a process and its children (the CLI dev server may fork)."""
    total = rss_bytes(pid)
    if total is None:
        return None
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for child in children:
        total += tree_rss_bytes(int(child)) or 0
    return total


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) used so far by a process and its children still running."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for child in children:
        total += tree_cpu_seconds(int(child)) or 0.0
    return total


def files_bytes(*paths: Path) -> int:
    """Bytes on disk of files and their SQLite -wal/-shm companions."""
    total = 0
    for path in paths:
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            if p.exists():
                total += p.stat().st_blocks * 512
    return total


def machine() -> dict[str, object]:
    """Cores, memory, CPU model and the versions that matter for the numbers."""
    import platform
    import sqlite3
    import subprocess
    import sys

    import temporalio

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    bin_dir = Path(sys.executable).parent
    try:
        server = subprocess.run(
            [str(bin_dir / "temporal"), "--version"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except OSError:
        server = "unknown"
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "temporalio": temporalio.__version__,
        "temporal_cli": server,
        "sqlite": sqlite3.sqlite_version,
        "load_avg": os.getloadavg(),
    }
