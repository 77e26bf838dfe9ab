"""The run's results as a table on stdout, docs/benchmarks.md and PNG plots (matplotlib Agg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import holiday_report
from bench.stats import say

CITY_PER_DAY = 298_597 / 91  # one city's digital city management: 298,597 cases in a quarter
SECTIONS = [
    "1. Ceiling: bare Temporal",
    "2. Ticket lifecycles through the API",
    "3. Submit acknowledgement",
    "4. Submit → department inbox",
    "5. Overdue view",
    "6. Open tickets held on their deadlines",
    "7. Headroom",
    holiday_report.TITLE,
]


FINDINGS = "Findings, profiles and fixes"
ABOUT = """`bash scripts/bench.sh --full` starts its own stack in a temp dir on free ports and measures,
on the machine it runs on and always next to bare Temporal's ceiling from the same run: ticket
lifecycles/s through the API; open-loop submit and submit → inbox latency at 5, 10 and 20
reports/s; the overdue view at 10k–1M rows (SQLite and PostgreSQL) and against Temporal
visibility; a held backlog (memory, disk per ticket, worker restart, breach lag); the holiday
morning (10,000 deadlines at one instant, on a stack of its own: breaches, notices, the overdue
view and submissions during the burst). It prints a table and writes this page with plots.
`--full` holds 10k and then 100k open tickets (~3 h on 2 cores; `--backlog 10000` for ~40 min)
and then makes the holiday morning (~1 h 30 min); `--quick` (the default) and `--smoke` (the
test suite's run, without the holiday morning) are smaller; `python -m bench --help` lists
every option. Section 2 runs the ticket lifecycle twice, through the API and through the
Temporal client without HTTP (`bench/direct.py`), so the domain's overhead and the HTTP layer's
are measured apart, and splits CPU per lifecycle by process (server, worker, API, client).
Targets and results come first, then what limits them and the profiles (hand-written), then
how to run it.""".splitlines()

HOW_TO_RUN = """## Running it

```bash
bash scripts/bench.sh --full          # everything, up to 100k open tickets (~4 h 30 min on 2 cores)
bash scripts/bench.sh --full --backlog 10000   # the same without the 100k backlog (~40 min)
bash scripts/bench.sh --quick         # smaller sizes (the default, ~15 min)
bash scripts/bench.sh --smoke --out /tmp/bench   # what tests/test_bench_smoke.py runs (~1 min)
bash scripts/bench.sh --full --only holiday --merge   # section 8 alone, into this page (~1 h 30 min)
.venv/bin/python -m bench.profile submit --rate 10    # py-spy profiles of API and worker
```

Every size has an option (`python -m bench --help`): `--concurrency`, `--lifecycle-seconds`,
`--rates`, `--arrival-seconds`, `--overdue-sizes`, `--overdue-runs`, `--no-postgres`,
`--backlog`, `--probes`, `--probe-seconds`, `--holiday` (reports; 0 skips it),
`--holiday-deadline` (seconds from T0 to T), `--holiday-lead` (from filing's start to T0),
`--holiday-rate`, `--holiday-profile` (py-spy of worker and API from T); `--merge` keeps the
sections this run did not measure from `docs/benchmarks/results.json`, each measured one naming
its run; `--env GRIDFLOW_WORKER_…=N`, `--api-arg` (a uvicorn option) and `--temporal-arg` try
worker, API or server settings; `--out DIR` writes the report elsewhere; filled overdue-view
databases are kept in `data/bench/` and reused. The stack runs in a fresh temp dir, on free
ports, so a running `scripts/up.sh` is not disturbed.""".splitlines()


def _n(value: Any, digits: int = 0, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and digits:
        return f"{value:,.{digits}f}{unit}"
    return f"{round(value):,}{unit}"


def _mb(value: Any) -> str:
    return "–" if value is None else f"{value / 2**20:,.0f} MB"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" if i == 0 else "---:" for i in range(len(header))) + " |",
    ]
    return out + ["| " + " | ".join(r) + " |" for r in rows]


def targets(r: dict[str, Any]) -> list[list[str]]:
    """Each target of issue #7 with what this run measured and whether it was met."""
    rows = []
    life = r.get("lifecycle", {})
    ratio = life.get("ratio")
    rows.append(
        [
            "lifecycles/s ≥ 0.8 × bare ceiling",
            _n(ratio, 2, " ×"),
            _met(ratio is not None and ratio >= 0.8),
        ]
    )
    if life.get("direct_ratio") is not None:  # the domain's share alone, without the HTTP layer
        rows.append(
            [
                "… the same through the Temporal client, without HTTP",
                _n(life["direct_ratio"], 2, " ×"),
                _met(life["direct_ratio"] >= 0.8),
            ]
        )
    for row in r.get("arrivals", []):
        ratio = row.get("submit_over_start_p99")
        rows.append(
            [
                f"submit p99 ≤ 1.3 × bare start p99 at {row['rate']:g}/s",
                _n(ratio, 2, " ×"),
                _met(ratio is not None and ratio <= 1.3),
            ]
        )
    ten = next((a for a in r.get("arrivals", []) if a["rate"] == 10), None)
    p99 = ten["inbox"]["p99"] if ten else None
    rows.append(
        [
            "submit → inbox p99 ≤ 1 s at 10/s",
            _n(p99, 0, " ms"),
            _met(p99 is not None and p99 <= 1000) if ten else "not run",
        ]
    )
    for row in r.get("overdue", {}).get("rows", []):
        if row["rows"] == 1_000_000:
            p = row["first_page"]["p99"]
            rows.append(
                [
                    f"overdue view p99 ≤ 20 ms at 1M rows ({row['engine']}, first page)",
                    _n(p, 1, " ms"),
                    _met(p is not None and p <= 20),
                ]
            )
            rows.append(
                [
                    f"overdue view p99 ≤ 20 ms at 1M rows ({row['engine']}, slowest case: "
                    f"{row['slowest_case']})",
                    _n(row["slowest_p99"], 1, " ms"),
                    _met(row["slowest_p99"] is not None and row["slowest_p99"] <= 20),
                ]
            )
    for b in r.get("backlog", []):
        lag = b["breach"]["lag_read_model_ms"]["p99"]
        rows.append(
            [
                f"breach lag p99 ≤ 2 s with {b['open_target']:,} open (read model)",
                _n(lag, 0, " ms"),
                _met(lag is not None and lag <= 2000),
            ]
        )
        rows.append(
            [
                f"{b['open_target']:,} open tickets, worker memory bounded",
                _mb(b["memory_peak_during_probes"].get("worker")),
                f"sticky cache {r.get('conditions', {}).get('sticky_cache', 1000)} workflows",
            ]
        )
    return rows + holiday_report.targets(r)


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _cpu_table(life: dict[str, Any]) -> list[str]:
    """CPU per lifecycle by process, bare against ticket (and the ticket without HTTP, where it
    ran): where the ratio goes."""
    kinds = [k for k in ("bare", "direct", "tickets") if life.get(k, {}).get("cpu_ms")]
    if "bare" not in kinds or "tickets" not in kinds:
        return []
    cpu = {k: life[k]["cpu_ms"] for k in kinds}
    worker_of = {"bare": "bare", "direct": "worker", "tickets": "worker"}
    rows = [
        ["Temporal server", *(_n(cpu[k].get("temporal"), 0, " ms") for k in kinds)],
        [
            "worker (bare worker / ticket worker)",
            *(_n(cpu[k].get(worker_of[k]), 0, " ms") for k in kinds),
        ],
        ["API", *("–" if k != "tickets" else _n(cpu[k].get("api"), 0, " ms") for k in kinds)],
        ["benchmark client", *(_n(cpu[k].get("client"), 0, " ms") for k in kinds)],
    ]
    own = {
        "bare": ("temporal", "bare", "client"),
        "direct": ("temporal", "worker", "client"),
        "tickets": ("temporal", "worker", "api", "client"),
    }
    rows.append(
        [
            "**all**",
            *(_n(sum(v for n, v in cpu[k].items() if n in own[k]), 0, " ms") for k in kinds),
        ]
    )
    names = {
        "bare": "bare lifecycle",
        "direct": "ticket, client (no HTTP)",
        "tickets": "ticket through the API",
    }
    return [
        "",
        "CPU per completed lifecycle, by process (CPU time used while each kind ran, "
        "over the lifecycles completed; a process idle for a kind still counts what it "
        "spent meanwhile):",
        "",
        *_table(["process", *(names[k] for k in kinds)], rows),
    ]


def sections(r: dict[str, Any]) -> dict[str, list[str]]:
    life, out = r.get("lifecycle", {}), {}
    bare, tickets, shape = life.get("bare", {}), life.get("tickets", {}), life.get("shape", {})
    direct = life.get("direct", {})
    out[SECTIONS[0]] = [
        f"A workflow of the lifecycle's shape — activities per phase {shape.get('plan')} "
        "(a: activity, l: local activity), "
        f"{shape.get('updates')} updates, no domain logic — on the same server and worker "
        f"settings, {bare.get('concurrency')} driven at a time (closed loop), alternating with "
        f"the ticket lifecycles of section 2 in {len(bare.get('rounds', []))} rounds so that the "
        "machine's load changes hit both; lifecycle percentiles are the median of the rounds'.",
        "",
        *_table(
            ["", "completed", "per second", "lifecycle p50", "lifecycle p99"],
            [
                [
                    "bare lifecycle",
                    _n(bare.get("completed")),
                    _n(bare.get("per_second"), 2),
                    _n(bare.get("latency_ms", {}).get("p50"), 0, " ms"),
                    _n(bare.get("latency_ms", {}).get("p99"), 0, " ms"),
                ]
            ],
        ),
        "",
        "Bare `start_workflow` latency at fixed arrival rates is in section 3.",
    ]
    out[SECTIONS[1]] = [
        "submit → routed → claim → start verification → verify (fixed on site) → write off → "
        f"archived, through HTTP; history: {shape.get('history_events')} events "
        f"(bare: {life.get('bare_shape', {}).get('history_events')}).",
        "",
        *_table(
            ["", "completed", "errors", "per second", "lifecycle p50", "lifecycle p99"],
            [
                [
                    name,
                    _n(kind.get("completed")),
                    _n(kind.get("errors")),
                    _n(kind.get("per_second"), 2),
                    _n(kind.get("latency_ms", {}).get("p50"), 0, " ms"),
                    _n(kind.get("latency_ms", {}).get("p99"), 0, " ms"),
                ]
                for name, kind in (
                    ("ticket lifecycle through the API", tickets),
                    ("the same through the Temporal client, no HTTP", direct),
                )
                if kind
            ],
        ),
        "",
        f"**Ratio to the ceiling: {_n(life.get('ratio'), 2)}** (target ≥ 0.8); round by "
        f"round: {', '.join(f'{x:.2f}' for x in life.get('round_ratios', []))} (bare "
        f"{', '.join(f'{x:.2f}' for x in bare.get('rounds', []))}/s, tickets "
        f"{', '.join(f'{x:.2f}' for x in tickets.get('rounds', []))}/s).",
        *(
            []
            if not direct
            else [
                "",
                f"Without HTTP (bench/direct.py: the same workflow, start and updates through the "
                f"Temporal client, waiting for routing in the read model as the API's client does) "
                f"the ratio is **{_n(life.get('direct_ratio'), 2)}**: the domain's overhead alone "
                f"(rounds {', '.join(f'{x:.2f}' for x in direct.get('rounds', []))}/s).",
            ]
        ),
        *_cpu_table(life),
    ]
    rows3, rows4 = [], []
    for a in r.get("arrivals", []):
        s, b, i = a["submit"], a["bare_start"], a["inbox"]
        rows3.append(
            [
                f"{a['rate']:g}/s",
                _n(b["p50"], 0, " ms"),
                _n(b["p99"], 0, " ms"),
                _n(s["p50"], 0, " ms"),
                _n(s["p99"], 0, " ms"),
                _n(a["submit_over_start_p99"], 2, " ×"),
                f"{s['errors']}/{s['sent']}",
            ]
        )
        rows4.append(
            [
                f"{a['rate']:g}/s",
                _n(i["p50"], 0, " ms"),
                _n(i["p99"], 0, " ms"),
                _n(i["max"], 0, " ms"),
                _n(i["missing"]),
            ]
        )
    seconds = r.get("config", {}).get("arrival_seconds")
    out[SECTIONS[2]] = [
        f"Open loop, {seconds} s per rate; latency from when each request was due to be sent.",
        "",
        *_table(
            [
                "rate",
                "bare start p50",
                "bare start p99",
                "submit p50",
                "submit p99",
                "submit/start p99",
                "errors",
            ],
            rows3,
        ),
        "",
        "![latency against arrival rate](benchmarks/latency_by_rate.png)",
    ]
    out[SECTIONS[3]] = [
        "From when the report was due to be sent until its read-model row (what GET /inbox "
        "reads) is routed and dispatched; the read model is polled every 50 ms.",
        "",
        *_table(["rate", "p50", "p99", "max", "never seen"], rows4),
    ]
    ov = r.get("overdue", {})
    rows5 = [
        [
            row["engine"],
            _n(row["rows"]),
            _n(row["first_page"]["p50"], 1, " ms"),
            _n(row["first_page"]["p99"], 1, " ms"),
            row["slowest_case"],
            _n(row["slowest_p99"], 1, " ms"),
            _n(row["fill_seconds"], 1, " s"),
        ]
        for row in ov.get("rows", [])
    ]
    vis_rows = [
        [
            f"{b['visibility']['open_tickets']:,} open",
            _n(b["visibility"]["read_model"]["p50"], 1, " ms"),
            _n(b["visibility"]["read_model"]["p99"], 1, " ms"),
            _n(b["visibility"]["temporal_visibility"]["p50"], 1, " ms"),
            _n(b["visibility"]["temporal_visibility"]["p99"], 1, " ms"),
            f"{b['visibility']['read_model']['total']} / "
            f"{b['visibility']['temporal_visibility']['total']}",
        ]
        for b in r.get("backlog", [])
    ]
    out[SECTIONS[4]] = [
        "`readmodel.tickets.queries.overdue_tickets` "
        f"(COUNT + page of {ov.get('limit')}) as the API "
        f"calls it, {ov.get('runs')} runs per case after 2 warm-ups, on synthetic tickets "
        f"(~12% open, ~5% overdue; bench/overdue_data.py); PostgreSQL: {ov.get('postgres')}. "
        "0 s fill: a filled database was reused.",
        "",
        *_table(
            [
                "engine",
                "rows",
                "first page p50",
                "first page p99",
                "slowest case",
                "its p99",
                "fill",
            ],
            rows5,
        ),
        "",
        "![overdue view against rows](benchmarks/overdue_by_rows.png)",
        "",
        "The same question of Temporal visibility (`count_workflows` + the first 50 of "
        "`list_workflows` with the ticket search attributes; it cannot order by due date) and of "
        "the live read model, with the backlog of section 6 open:",
        "",
        *_table(
            [
                "backlog",
                "read model p50",
                "read model p99",
                "visibility p50",
                "visibility p99",
                "matches (rm / visibility)",
            ],
            vis_rows,
        ),
    ]
    rows6, rows6b = [], []
    backlog = r.get("backlog", [])
    for b in backlog:
        c, m, p = b["created"], b["memory_held"], b["memory_peak_during_probes"]
        added = (
            f"{c['tickets']:,}: {c['submit_seconds']} s / {c['routed_seconds']} s "
            f"({c['routed_per_second']:.1f}/s)"
        )
        rows6.append(
            [
                f"{b['open_target']:,}",
                added,
                _mb(m.get("worker")),
                _mb(p.get("worker")),
                _mb(m.get("temporal")),
                _mb(m.get("api")),
                _n(b["disk_per_ticket"]["temporal"] / 1024, 1, " KB"),
                _n(b["disk_per_ticket"]["readmodel"] / 1024, 1, " KB"),
            ]
        )
        lag, rs = b["breach"], b["restart"]
        rows6b.append(
            [
                f"{b['open_target']:,}",
                f"{lag['breached']}/{lag['probes']}",
                _n(lag["lag_workflow_ms"]["p50"], 0, " ms"),
                _n(lag["lag_workflow_ms"]["p99"], 0, " ms"),
                _n(lag["lag_read_model_ms"]["p50"], 0, " ms"),
                _n(lag["lag_read_model_ms"]["p99"], 0, " ms"),
                f"{rs['stop_seconds']} s + {rs['start_seconds']} s",
                f"{rs['first_report_routed_seconds']} s",
            ]
        )
    out[SECTIONS[5]] = [
        "Reports through the API, each routed and waiting a working day to be claimed; memory "
        "is resident (VmRSS) after the backlog is routed, and the worker's peak while the probes "
        "breach; disk is growth per open ticket (Temporal's SQLite + the read model).",
        "",
        *_table(
            [
                "open",
                "added: acknowledged / routed",
                "worker",
                "worker peak",
                "server",
                "API",
                "disk/ticket Temporal",
                "disk/ticket read model",
            ],
            rows6,
        ),
        "",
        "Breach lag: urgent probe reports whose claim deadline is "
        f"{', '.join(sorted({str(b['breach']['deadline_seconds']) for b in backlog}))} s "
        "(a run-only policy rule), recorded minus "
        "due, in the workflow (the breach event) and in the read model (first read overdue, "
        "polled every 0.1 s). Restart: stop + start until polling, then a new report routed.",
        "",
        *_table(
            [
                "open",
                "breached",
                "workflow p50",
                "workflow p99",
                "read model p50",
                "read model p99",
                "worker restart",
                "first report routed",
            ],
            rows6b,
        ),
    ]
    tickets_s = tickets.get("per_second") or 0
    out[SECTIONS[6]] = [
        f"Sustained lifecycles per day at section 2's rate: **{_n(tickets_s * 86400)}**, against "
        f"one large city's real volume of {_n(CITY_PER_DAY)} cases a day (298,597 in a quarter): "
        f"**{_n(tickets_s * 86400 / CITY_PER_DAY, 0)} ×** headroom. The rate is measured over "
        f"{tickets.get('seconds')} s; a day's run is extrapolated from it, not measured."
    ]
    out[SECTIONS[7]] = holiday_report.section(r)
    return out


def markdown(r: dict[str, Any], findings: str) -> str:
    m, c = r["machine"], r["config"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `bash scripts/bench.sh` (`python -m bench`); regenerate rather than edit, "
        f"except *{FINDINGS}*, which is hand-written here and kept as it is when the rest of the "
        "page is written again.",
        "",
        *ABOUT,
        "",
        "## Machine and conditions",
        "",
        f"- {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB memory; {m['os']}",
        f"- Python {m['python']}, temporalio {m['temporalio']}, {m['temporal_cli']}, "
        f"SQLite {m['sqlite']}",
        f"- run {r['started']} → {r['finished']} ({r['preset']}); load average before "
        f"{', '.join(f'{x:.2f}' for x in m['load_avg'])}, after "
        f"{', '.join(f'{x:.2f}' for x in r['load_after'])}",
        f"- configuration: {', '.join(f'{k}={v}' for k, v in c.items())}",
        "- embedded stack as `scripts/up.sh` runs it: Temporal dev server on a SQLite file, one "
        "ticket worker, the API under one uvicorn process (access log off), the bench's own "
        "client in a third process; all on this machine. Duplicate detection is off (the bench "
        "reports thousands at one spot) and the per-user intake limit is raised.",
        *([f"- {r['conditions']['note']}"] if r.get("conditions", {}).get("note") else []),
        "",
        "## Targets",
        "",
        *_table(["target", "this run", ""], targets(r)),
        "",
    ]
    sources = r.get("sources", {})  # sections measured apart from the main run, and how
    for title, body in sections(r).items():
        source = next((v for k, v in sources.items() if title.startswith(k)), None)
        lines += [f"## {title}", "", *([f"*Source: {source}*", ""] if source else []), *body, ""]
    lines += [f"## {FINDINGS}", "", findings.strip(), "", *HOW_TO_RUN]
    return "\n".join(lines)


def plots(r: dict[str, Any], out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    arrivals = r.get("arrivals", [])
    fig, ax = plt.subplots(figsize=(7, 4.5))
    rates = [a["rate"] for a in arrivals]
    for key, label, style in (
        ("bare_start", "bare start_workflow", "--"),
        ("submit", "POST /incidents", "-"),
        ("inbox", "submit → inbox", ":"),
    ):
        for p, marker in (("p50", "o"), ("p99", "^")):
            ax.plot(
                rates, [a[key][p] for a in arrivals], style, marker=marker, label=f"{label} {p}"
            )
    ax.set(
        xlabel="arrivals per second (open loop)",
        ylabel="latency (ms)",
        yscale="log",
        title="Latency against arrival rate",
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    written.append(out_dir / "latency_by_rate.png")
    fig.savefig(written[-1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    rows = r.get("overdue", {}).get("rows", [])
    for engine in sorted({row["engine"] for row in rows}):
        mine = [row for row in rows if row["engine"] == engine]
        for p, marker in (("p50", "o"), ("p99", "^")):
            ax.plot(
                [row["rows"] for row in mine],
                [row["first_page"][p] for row in mine],
                marker=marker,
                label=f"{engine} first page {p}",
            )
        ax.plot(
            [row["rows"] for row in mine],
            [row["slowest_p99"] for row in mine],
            ":",
            marker="x",
            label=f"{engine} slowest case p99",
        )
    ax.axhline(20, color="grey", linewidth=0.8, linestyle="--", label="target p99 20 ms")
    ax.set(
        xlabel="tickets in the read model",
        ylabel="latency (ms)",
        xscale="log",
        title="Overdue view against rows",
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    written.append(out_dir / "overdue_by_rows.png")
    fig.savefig(written[-1], dpi=110)
    plt.close(fig)
    return written + holiday_report.plot(r, out_dir)


def summary(r: dict[str, Any]) -> None:
    """The table printed at the end of a run."""
    say("\n" + "=" * 78)
    for line in _table(["target", "this run", ""], targets(r)):
        say(line)
    for title, body in sections(r).items():
        say(f"\n{title}")
        for line in body:
            if line.startswith("|"):
                say("  " + line)


def findings_of(report: str) -> str:
    """The hand-written section of a report this module wrote: what a new run keeps."""
    start, end = f"\n## {FINDINGS}\n", f"\n{HOW_TO_RUN[0]}\n"
    if start not in report:
        return ""
    return report.split(start, 1)[1].split(end, 1)[0]


def write(r: dict[str, Any], *, out: Path, findings_path: Path) -> Path:
    """docs/benchmarks.md (or out/benchmarks.md) and its plots in out/benchmarks/; the findings
    are those of the report at findings_path (docs/benchmarks.md)."""
    findings = findings_of(findings_path.read_text()) if findings_path.exists() else ""
    plots(r, out / "benchmarks")
    path = out / "benchmarks.md"
    path.write_text(markdown(r, findings))
    return path
