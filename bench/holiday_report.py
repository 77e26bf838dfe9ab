"""Section 8 of docs/benchmarks.md, the holiday morning: its targets, its tables and its plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.holiday_setup import CHANNEL

TITLE = "8. The holiday morning"
LIMIT_SECONDS = 600.0  # every breach recorded and every notice delivered within 10 min of T
RATIO = 1.5  # submit p99 during the burst against its quiet value
COMMAND = "bash scripts/bench.sh --full --only holiday --merge"


def _n(value: Any, digits: int = 0, unit: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{unit}"


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _delivery(h: dict[str, Any], channel: str) -> dict[str, Any]:
    sent = [d for d in h["breach_deliveries"] if d["channel"] == channel and d["status"] == "sent"]
    return sent[0] if sent else {"count": 0, "last_sent_seconds": None}


def delivered_seconds(h: dict[str, Any]) -> float | None:
    """From T until the receiver had every breach's notice and every webhook row read sent."""
    rows = _delivery(h, CHANNEL)
    if h["webhook"]["all_seconds"] is None or rows["count"] < h["cohort"]:
        return None
    return max(h["webhook"]["all_seconds"], rows["last_sent_seconds"] or 0.0)


def view_after(h: dict[str, Any]) -> dict[str, Any] | None:
    return next((v for v in h["overdue_view"] if v["after_t_seconds"] > 0), None)


def targets(r: dict[str, Any]) -> list[list[str]]:
    h = r.get("holiday")
    if not h:
        return [["the holiday morning (section 8)", "not run", "–"]]
    n = f"{h['cohort']:,}"
    recorded, delivered = h["read_model_all_seconds"], delivered_seconds(h)
    view = view_after(h)
    ratio = h["submit_p99_ratio"]
    return [
        [
            f"{n} breaches at one instant, all in the read model ≤ 10 min",
            _n(recorded, 0, " s"),
            _met(recorded is not None and recorded <= LIMIT_SECONDS),
        ],
        [
            "… and every breach notice delivered ≤ 10 min (webhook + delivery rows)",
            _n(delivered, 0, " s"),
            _met(delivered is not None and delivered <= LIMIT_SECONDS),
        ],
        [
            f"… the overdue view counts all {n} {_n(view and view['after_t_seconds'], 1)} s "
            "after T",
            f"{view['total']:,}" if view else "–",
            _met(view is not None and view["total"] >= h["cohort"]),
        ],
        [
            f"submit p99 during the burst ≤ {RATIO} × quiet",
            _n(ratio, 2, " ×"),
            _met(ratio is not None and ratio <= RATIO),
        ],
    ]


def section(r: dict[str, Any]) -> list[str]:
    h = r.get("holiday")
    if not h:
        return [f"Not measured in this run: `{COMMAND}` measures it (10,000 reports, ~1 h 30 min)."]
    c = h["config"]
    x = c["deadline_seconds"]
    warn = h["warning_bursts"]
    in_app = _delivery(h, "in-app")
    hook = _delivery(h, CHANNEL)
    submit = h["submit"]
    fractions = c.get("warning_fractions", [0.5, 0.8])
    first, second = (f"{round(f * 100)}%" for f in fractions)
    at = [f * x for f in fractions]
    drained = warn[second]["all_seconds"]
    overlap = (
        "had drained before T"
        if drained is not None and drained <= x - at[1]
        else f"**was still being worked off at T** ({_n(drained, 0)} s > {x - at[1]:g} s)"
    )
    tuning = ", ".join(f"`{k}={v}`" for k, v in c.get("worker_env", {}).items())
    return [
        f"{h['filed']:,} reports filed through the API {r['config'].get('backlog_concurrency', 4)} "
        f"at a time outside working time (the stack's working hours begin at T0 "
        f"{c['t0'][11:19]} UTC, `GRIDFLOW_WORKING_HOURS={c['working_hours']}`, its day a "
        f"working day), so each claim deadline starts at T0 and falls due at T = T0 + {x:g} s "
        f"(a claim rule of {x / 3600:.3g} working hours for the category, in the deadline_rule "
        f"table), their warnings at T0 + {at[0]:g} s and T0 + {at[1]:g} s ({first} and "
        f"{second} of X: in a working day such bursts are hours apart, so each is given the "
        "time to drain before the next). "
        f"Filed in {_n(h['file_seconds'])} s, all routed after {_n(h['routed_seconds'])} s, "
        f"{_n(h['routed_before_t0_seconds'])} s before T0; **{h['cohort']:,}** deadlines at T. "
        "A webhook channel (a receiver on localhost, in its own process, counting unique "
        "X-Gridflow-Event-Id) is subscribed to breaches besides the default in-app "
        f"subscriptions; a trickle of {c['trickle_per_second']:g} urgent reports/s (due the "
        "next day) is timed from the end of filing to the end of the burst.",
        "",
        *_table(
            ["from T (s)", "all", "p50", "p99", "count"],
            [
                [
                    "breach recorded in the workflow",
                    "–",
                    _n(h["workflow_lag_ms"]["p50"] and h["workflow_lag_ms"]["p50"] / 1000, 1),
                    _n(h["workflow_lag_ms"]["p99"] and h["workflow_lag_ms"]["p99"] / 1000, 1),
                    f"{h['workflow_lag_ms']['n']:,}",
                ],
                [
                    "breach in the read model (ticket.overdue; polled every 0.5 s)",
                    _n(h["read_model_all_seconds"], 1),
                    _n(_s(h["read_model_lag_ms"]["p50"]), 1),
                    _n(_s(h["read_model_lag_ms"]["p99"]), 1),
                    f"{h['breaches_in_read_model']:,}",
                ],
                [
                    "breach events in the outbox (their created_at)",
                    _n(h["breach_published_all_seconds"], 1),
                    "–",
                    "–",
                    f"{h['published'].get('breach', 0):,}",
                ],
                [
                    "in-app breach deliveries sent",
                    _n(in_app["last_sent_seconds"], 1),
                    "–",
                    "–",
                    f"{in_app['count']:,}",
                ],
                [
                    "webhook: receiver has the breach's notice",
                    _n(h["webhook"]["all_seconds"], 1),
                    _n(_s(h["webhook"]["lag_ms"]["p50"]), 1),
                    _n(_s(h["webhook"]["lag_ms"]["p99"]), 1),
                    f"{h['webhook']['breach_notices']:,}",
                ],
                [
                    "webhook delivery rows sent",
                    _n(hook["last_sent_seconds"], 1),
                    "–",
                    "–",
                    f"{hook['count']:,}",
                ],
            ],
        ),
        "",
        f"The warnings, bursts of the same size: the {first} one's {warn[first]['events']:,} "
        f"events were all published {_n(warn[first]['all_seconds'], 1)} s after it fell due, "
        f"the {second} one's {warn[second]['events']:,} {_n(drained, 1)} s after; the "
        f"{second} burst {overlap}. "
        f"Webhook POSTs {h['webhook']['posts']:,} ({h['webhook']['bad_signatures']} badly "
        "signed). CPU seconds from T to the end, by process: "
        + ", ".join(f"{k} {v:g}" for k, v in h["cpu_seconds_burst"].items())
        + f"; the worker's peak memory {h.get('worker_peak_rss', 0) / 2**20:,.0f} MB, its "
        f"settings {tuning or 'the defaults (a sticky cache of 1,000 workflows)'}.",
        "",
        "The overdue view (`GET /api/v1/tickets/overdue`, the command centre) around T:",
        "",
        *_table(
            ["asked at", "total", "answered in"],
            [
                [f"T {v['after_t_seconds']:+g} s", f"{v['total']:,}", _n(v["ms"], 0, " ms")]
                for v in h["overdue_view"]
            ],
        ),
        "",
        "The trickle's reports by when each was due to be sent: acknowledged (POST /incidents "
        "answered), and in its department's inbox (its row dispatched; polled every 0.25 s):",
        "",
        *_table(
            [
                "window",
                "seconds",
                "sent",
                "ack p50",
                "ack p99",
                "ack max",
                "errors",
                "inbox p50",
                "inbox p99",
                "never",
            ],
            [
                [
                    name,
                    _n(w["seconds"]),
                    f"{w['n']:,}",
                    _n(w["p50"], 0, " ms"),
                    _n(w["p99"], 0, " ms"),
                    _n(w["max"], 0, " ms"),
                    f"{w['errors']}",
                    _n(w["inbox_ms"]["p50"], 0, " ms"),
                    _n(w["inbox_ms"]["p99"], 0, " ms"),
                    f"{w['inbox_ms']['never']}",
                ]
                for name, w in (
                    ("quiet (all filed, before the first warnings)", submit["quiet"]),
                    ("the warnings (from the first until T)", submit["warnings"]),
                    ("the burst (T until every notice delivered)", submit["burst"]),
                )
            ],
        ),
        "",
        f"**p99 during the burst / quiet: {_n(h['submit_p99_ratio'], 2)} ×** (target ≤ {RATIO}).",
        "",
        "![the holiday morning from T](benchmarks/holiday.png)",
    ]


def _s(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" if i == 0 else "---:" for i in range(len(header))) + " |",
    ]
    return out + ["| " + " | ".join(row) + " |" for row in rows]


def plot(r: dict[str, Any], out_dir: Path) -> list[Path]:
    h = r.get("holiday")
    if not h or not h.get("series"):
        return []
    import matplotlib.pyplot as plt

    series = h["series"]
    seconds = [s[0] for s in series]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, label in (
        (1, "breaches in the read model"),
        (2, "breach notices at the webhook receiver"),
        (3, "in-app breach deliveries sent"),
    ):
        ax.plot(seconds, [s[i] for s in series], label=label)
    ax.axvline(0, color="grey", linewidth=0.8, linestyle="--", label="T: every deadline due")
    ax.axvline(LIMIT_SECONDS, color="red", linewidth=0.8, linestyle=":", label="target: 10 min")
    ax.set(
        xlabel="seconds from T",
        ylabel="count",
        title=f"{h['cohort']:,} claim deadlines at one instant",
        xlim=(-5, max(seconds[-1], 10) * 1.05),
    )
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = out_dir / "holiday.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [path]
