"""One benchmark run: `python -m bench [--smoke|--quick|--full] [options]` (scripts/bench.sh).

Starts its own stack (Temporal dev server on a SQLite file, ticket worker, bare worker, API) in
a fresh data directory (section 8, the holiday morning, on a second one of its own after the
first stopped), measures the sections of docs/benchmarks.md, prints the table and
writes docs/benchmarks.md, docs/benchmarks/*.png and docs/benchmarks/results.json (or under
--out). Sizes come from the preset; every one can be overridden.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TypedDict, cast

from bench import arrivals, backlog, direct, holiday, lifecycle, overdue, report
from bench.client import Api
from bench.stack import ROOT, Stack, StartupFailed
from bench.stats import machine, say


class Preset(TypedDict):
    """A run's sizes: a preset's, each overridable by its option."""

    concurrency: int
    lifecycle_seconds: float
    rates: list[float]
    arrival_seconds: float
    overdue_sizes: list[int]
    overdue_runs: int
    postgres: bool
    backlog: list[int]
    backlog_concurrency: int
    probes: int
    probe_spread: float
    probe_seconds: float
    visibility_runs: int
    holiday: int  # reports of the holiday morning (0: the section is not run)
    holiday_deadline: float  # X: from T0 to T, the claim deadline in working seconds
    holiday_lead: float  # from filing's start to T0 (0: from the number of reports)
    holiday_rate: float  # the trickle of submissions timed quiet and during the burst


PRESETS: dict[str, Preset] = {
    # The test suite's run (tests/test_bench_smoke.py): every section, tiny sizes.
    "smoke": {
        "concurrency": 2,
        "lifecycle_seconds": 2,
        "rates": [4],
        "arrival_seconds": 2,
        "overdue_sizes": [1000, 3000],
        "overdue_runs": 3,
        "postgres": False,
        "backlog": [40],
        "backlog_concurrency": 4,
        "probes": 4,
        "probe_spread": 1,
        "probe_seconds": 3,
        "visibility_runs": 2,
        # Its own stack and a morning minutes ahead: too long for the test suite's run
        # (`--holiday 20 --holiday-lead 10 --holiday-deadline 20` runs it in ~2 min).
        "holiday": 0,
        "holiday_deadline": 20,
        "holiday_lead": 10,
        "holiday_rate": 2,
    },
    "quick": {
        "concurrency": 8,
        "lifecycle_seconds": 30,
        "rates": [5, 10, 20],
        "arrival_seconds": 20,
        "overdue_sizes": [10_000, 100_000],
        "overdue_runs": 20,
        "postgres": True,
        "backlog": [2000],
        "backlog_concurrency": 4,
        "probes": 20,
        "probe_spread": 20,
        "probe_seconds": 30,
        "visibility_runs": 10,
        "holiday": 1000,
        "holiday_deadline": 900,
        "holiday_lead": 0,
        "holiday_rate": 1,
    },
    "full": {
        "concurrency": 8,
        "lifecycle_seconds": 60,
        "rates": [5, 10, 20],
        "arrival_seconds": 30,
        "overdue_sizes": [10_000, 100_000, 1_000_000],
        "overdue_runs": 200,
        "postgres": True,
        "backlog": [10_000, 100_000],
        "backlog_concurrency": 4,
        "probes": 50,
        "probe_spread": 60,
        "probe_seconds": 60,
        "visibility_runs": 20,
        "holiday": 10_000,
        # Warnings at T0 + 4 and + 20 min, the breach at + 40 min: each burst drains before
        # the next (bench/holiday_setup.py WARNINGS).
        "holiday_deadline": 2400,
        "holiday_lead": 0,
        "holiday_rate": 1,
    },
}


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x]


def parse(argv: list[str] | None) -> tuple[argparse.Namespace, Preset]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    size = parser.add_mutually_exclusive_group()
    for name in PRESETS:
        size.add_argument(f"--{name}", dest="preset", action="store_const", const=name)
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "docs",
        help="where benchmarks.md and benchmarks/ go (default docs/)",
    )
    parser.add_argument("--data-dir", type=Path, help="the stack's data (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the data dir afterwards")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=ROOT / "data" / "bench",
        help="filled overdue-view databases, reused across runs",
    )
    parser.add_argument("--concurrency", type=int)
    parser.add_argument("--lifecycle-seconds", type=float)
    parser.add_argument("--rates", type=_floats, help="e.g. 5,10,20")
    parser.add_argument("--arrival-seconds", type=float)
    parser.add_argument("--overdue-sizes", type=_ints, help="e.g. 10000,100000,1000000")
    parser.add_argument("--overdue-runs", type=int)
    parser.add_argument("--no-postgres", dest="postgres", action="store_false", default=None)
    parser.add_argument("--backlog", type=_ints, help="open tickets, e.g. 10000,100000")
    parser.add_argument("--backlog-concurrency", type=int)
    parser.add_argument("--probes", type=int)
    parser.add_argument("--probe-spread", type=float)
    parser.add_argument("--probe-seconds", type=float)
    parser.add_argument("--visibility-runs", type=int)
    parser.add_argument("--holiday", type=int, help="reports of the holiday morning (0: skip)")
    parser.add_argument("--holiday-deadline", type=float, help="s from T0 to their deadline T")
    parser.add_argument("--holiday-lead", type=float, help="s from filing's start to T0 (0: auto)")
    parser.add_argument("--holiday-rate", type=float, help="submissions/s timed during it")
    parser.add_argument(
        "--holiday-profile", action="store_true", help="py-spy the worker and API from T"
    )
    parser.add_argument("--note", default="", help="conditions to state in the report")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="GRIDFLOW_X=VALUE",
        help="extra settings for the stack (worker tuning experiments)",
    )
    parser.add_argument(
        "--api-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra uvicorn option for the API, e.g. --api-arg=--loop=asyncio",
    )
    parser.add_argument(
        "--temporal-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra `temporal server start-dev` argument (experiments)",
    )
    parser.add_argument(
        "--report-only",
        type=Path,
        metavar="RESULTS_JSON",
        help="write the report again from a run's results.json (new findings)",
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the other sections of OUT/benchmarks/results.json: this run's sections "
        "replace theirs, each with a line naming this run",
    )
    parser.add_argument(
        "--only",
        type=lambda t: set(t.split(",")),
        default={"lifecycle", "arrivals", "backlog", "overdue", "holiday"},
        help="sections to run: lifecycle,arrivals,backlog,overdue,holiday (the report needs "
        "all, or --merge)",
    )
    args = parser.parse_args(argv)
    args.preset = args.preset or "quick"
    preset = PRESETS[args.preset]
    given = {key: getattr(args, key) for key in preset if getattr(args, key, None) is not None}
    return args, cast(Preset, {**preset, **given})  # each option has its key's type


async def measure(
    stack: Stack, config: Preset, results: dict[str, Any], cache_dir: Path, only: set[str]
) -> None:
    from temporal_client import connect

    api = Api(stack.api_url)
    client = await connect(stack.settings())
    try:
        await api.login("wang", "zhao", "chen")
        say("\n>> 1-2. ceiling and lifecycles")
        queue = stack.settings().task_queue
        results["lifecycle"] = await lifecycle.measure(
            api=api,
            client=client,
            concurrency=config["concurrency"],
            seconds=config["lifecycle_seconds"] if "lifecycle" in only else 0,
            cpu=stack.cpu,
            direct=lambda: direct.lifecycle(
                client, task_queue=queue, readmodel_db=stack.readmodel_db
            ),
        )
        if "arrivals" in only:
            say("\n>> 3-4. arrivals (open loop)")
            results["arrivals"] = await arrivals.measure(
                api=api,
                client=client,
                readmodel_db=stack.readmodel_db,
                rates=config["rates"],
                seconds=config["arrival_seconds"],
                plan=results["lifecycle"]["shape"]["plan"],
            )
        if "backlog" in only:
            say("\n>> 6. open tickets (and 5: the overdue question of Temporal visibility)")
            results["backlog"] = await backlog.measure(
                api=api,
                client=client,
                stack=stack,
                sizes=config["backlog"],
                concurrency=config["backlog_concurrency"],
                probe_count=config["probes"],
                probe_spread=config["probe_spread"],
                visibility_runs=config["visibility_runs"],
            )
    finally:
        await api.close()


async def measure_overdue(config: Preset, results: dict[str, Any], cache_dir: Path) -> None:
    """Section 5 on its own databases, after the stack has stopped: a Temporal server and a
    worker holding the backlog would otherwise take the core now and then (100 ms outliers)."""
    say("\n>> 5. overdue view (the stack stopped)")
    results["overdue"] = await overdue.measure(
        sizes=config["overdue_sizes"],
        runs=config["overdue_runs"],
        cache_dir=cache_dir,
        postgres=config["postgres"],
    )


def main(argv: list[str] | None = None) -> int:
    args, config = parse(argv)
    os.chdir(ROOT)
    if args.report_only:
        saved = json.loads(args.report_only.read_text())
        path = report.write(saved, out=args.out, findings_path=ROOT / "docs" / "benchmarks.md")
        report.summary(saved)
        say(f"\nwritten: {path}")
        return 0
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="gridflow-bench-"))
    results: dict[str, Any] = {
        "preset": args.preset,
        "config": config,
        "machine": machine(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    extra = dict(e.split("=", 1) for e in args.env)
    stack = Stack(
        data_dir,
        probe_seconds=float(config["probe_seconds"]),
        worker_env=extra,
        temporal_args=args.temporal_arg,
        api_args=args.api_arg,
    )
    sticky = stack.settings().worker_max_cached_workflows or 1000
    results["conditions"] = {
        "sticky_cache": sticky,
        "note": args.note,
        "env": extra,
        "temporal_args": args.temporal_arg,
        "api_args": args.api_arg,
    }
    say(f"gridflow benchmark ({args.preset}): data in {data_dir}")
    code = 0
    try:
        if args.only - {"holiday"}:
            stack.start()
            asyncio.run(measure(stack, config, results, args.cache_dir, args.only))
            stack.stop()
        if "overdue" in args.only:
            asyncio.run(measure_overdue(config, results, args.cache_dir))
        if "holiday" in args.only and config["holiday"]:
            say(f"\n>> 8. the holiday morning (its own stack, {config['holiday']:,} reports)")
            results["holiday"] = holiday.run(
                data_dir,
                dict(config),
                worker_env=extra,
                temporal_args=args.temporal_arg,
                api_args=args.api_arg,
                profile=args.holiday_profile,
            )
    except StartupFailed as err:
        say(f"error: {err}")
        code = 1
    finally:
        stack.stop()
        # What was measured survives a failure later in the run.
        (args.out / "benchmarks").mkdir(parents=True, exist_ok=True)
        (args.out / "benchmarks" / "results.partial.json").write_text(
            json.dumps(results, indent=1, default=str)
        )
        if not args.keep and not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    if code:
        return code
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    results["load_after"] = os.getloadavg()
    (args.out / "benchmarks" / "results.partial.json").unlink()
    saved = args.out / "benchmarks" / "results.json"
    if args.merge and saved.exists():
        command = " ".join(["python -m bench", *(sys.argv[1:] if argv is None else argv)])
        results = merged(json.loads(saved.read_text()), results, args.only, command)
    saved.write_text(json.dumps(results, indent=1, default=str))
    path = report.write(results, out=args.out, findings_path=ROOT / "docs" / "benchmarks.md")
    report.summary(results)
    say(f"\nwritten: {path}, {args.out / 'benchmarks'}/*.png")
    return 0


# Which report sections each measured part fills (a --merge names its run on them).
SECTION_TITLES = {
    "lifecycle": ["1. Ceiling", "2. Ticket lifecycles", "7. Headroom"],
    "arrivals": ["3. Submit acknowledgement", "4. Submit → department inbox"],
    "overdue": ["5. Overdue view"],
    "backlog": ["6. Open tickets"],
    "holiday": ["8. The holiday morning"],
}


def merged(
    base: dict[str, Any], run: dict[str, Any], only: set[str], command: str
) -> dict[str, Any]:
    """An earlier run's results with this run's sections in place of theirs, each section's
    source line naming this run (its date, command and the machine's load around it)."""
    out = dict(base)
    sources = dict(base.get("sources", {}))
    load = ", ".join(f"{x:.2f}" for x in run["machine"]["load_avg"])
    after = ", ".join(f"{x:.2f}" for x in run["load_after"])
    for key in only & run.keys() & SECTION_TITLES.keys():
        out[key] = run[key]
        for title in SECTION_TITLES[key]:
            sources[title] = (
                f"its own run, {run['started']} → {run['finished']} (`{command}`); load "
                f"average before {load}, after {after}."
            )
    out["sources"] = sources
    return out


if __name__ == "__main__":
    sys.exit(main())
