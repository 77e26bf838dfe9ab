"""The benchmark's smoke run (`python -m bench --smoke`), so that the command never rots: a real
stack, every section measured at tiny sizes, the report and plots written to a temp dir."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import SECTIONS

ROOT = Path(__file__).resolve().parents[1]
NUMBER = re.compile(r"\| [\d,.]+ (ms|s|×|MB|KB)? ?\|")


@pytest.mark.timeout(300)  # a whole stack and every section: 45-120 s, more on a loaded machine
def test_smoke_run_writes_every_section_with_numbers(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--smoke",
            "--out",
            str(tmp_path),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    report = (tmp_path / "benchmarks.md").read_text()
    assert "2 cores" in report or " cores (" in report
    parts = report.split("\n## ")
    for title in SECTIONS:
        body = next((p for p in parts if p.startswith(title)), None)
        assert body is not None, f"section {title!r} missing"
        if title == SECTIONS[7]:  # the holiday morning: its own stack, minutes: not in --smoke
            assert "Not measured in this run" in body, body
        elif title != SECTIONS[6]:
            assert NUMBER.search(body), f"no measured number in {title!r}:\n{body}"
    assert re.search(r"\*\*[\d,]+\*\*", report.split(SECTIONS[6])[1])  # lifecycles per day

    for png in ("latency_by_rate.png", "overdue_by_rows.png"):
        data = (tmp_path / "benchmarks" / png).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000

    results = json.loads((tmp_path / "benchmarks" / "results.json").read_text())
    check_results(results)
    # Nothing in docs/ was touched by the smoke run.
    assert not (tmp_path / "docs").exists()


def check_results(results: dict) -> None:
    """What every section measured makes sense (the whole results file when it does not)."""
    try:
        _check(results)
    except AssertionError as err:
        raise AssertionError(f"{err}\n{json.dumps(results, indent=1)[:6000]}") from None


def _check(results: dict) -> None:
    life = results["lifecycle"]
    assert life["tickets"]["completed"] >= 1 and life["tickets"]["errors"] == 0
    assert life["bare"]["completed"] >= 1 and life["ratio"] > 0
    assert life["direct"]["completed"] >= 1 and life["direct"]["errors"] == 0
    assert life["direct_ratio"] > 0 and life["direct"]["cpu_ms"]["worker"] > 0
    assert life["shape"]["updates"] == 4 and life["bare_shape"]["updates"] == 4
    assert life["bare_shape"]["activities"] == life["shape"]["activities"]
    for row in results["arrivals"]:
        assert row["submit"]["errors"] == 0 and row["submit"]["p99"] > 0
        assert row["bare_start"]["p99"] > 0 and row["inbox"]["missing"] == 0
    held = results["backlog"][0]
    assert held["created"]["errors"] == 0 and held["created"]["not_routed"] == 0
    assert held["breach"]["breached"] == held["breach"]["probes"]
    assert held["breach"]["lag_workflow_ms"]["p50"] >= 0  # never recorded before it was due
    assert held["visibility"]["read_model"]["total"] >= held["breach"]["probes"]
    assert held["memory_held"]["worker"] > 0 and held["disk_per_ticket"]["temporal"] > 0
    assert held["restart"]["first_report_routed_seconds"] > 0
    assert [r["rows"] for r in results["overdue"]["rows"]] == [1000, 3000]
