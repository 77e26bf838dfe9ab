"""docs/benchmarks.md is written by the benchmark, except its findings, which are hand-written in
the page itself (there is no second copy): writing the page again keeps them as they are."""

import json
from pathlib import Path

from bench import report

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"


def results() -> dict:
    return json.loads((ROOT / "docs" / "benchmarks" / "results.json").read_text())


def test_the_committed_page_is_what_the_bench_writes_from_its_results(tmp_path: Path) -> None:
    written = report.write(results(), out=tmp_path, findings_path=DOC)
    assert written.read_text() == DOC.read_text()


def test_an_edit_to_the_findings_survives_a_new_run_and_an_edit_elsewhere_does_not(
    tmp_path: Path,
) -> None:
    page = tmp_path / "benchmarks.md"
    edited = (
        DOC.read_text()
        .replace(
            "### What limits each target in this run",
            "### What limits each target in this run\n\nA sentence added by hand.",
            1,
        )
        .replace("## Targets", "## Targets\n\nA sentence in a generated section.", 1)
    )
    page.write_text(edited)

    report.write(results(), out=tmp_path, findings_path=page)

    again = page.read_text()
    assert "A sentence added by hand." in again
    assert "A sentence in a generated section." not in again
    assert again.count(f"## {report.FINDINGS}") == 1 and again.count("## Running it") == 1
