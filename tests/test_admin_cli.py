"""The admin commands' one entry point: `python -m gridflow_admin` (and the `gridflow-admin`
script) answers --help for itself and for every subcommand, each listing its options, without a
database or a Temporal server. The commands' behaviour is tested with what they act on
(tests/test_migrations.py, test_reconcile.py, test_archive_chain.py, test_readmodel_calendar.py,
test_readmodel_routing.py, test_patches.py, test_admin_temporal_setup.py)."""

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

from gridflow_admin.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DB = "--database-url"
RULE = [
    "--category",
    "--department",
    "--area",
    "--priority",
    "--from",
    "--to",
    "--note",
    "--by",
    DB,
]
# Each command line's --help, and what it must list: options, or a group's subcommands.
HELP = {
    (): [
        "migrate",
        "reconcile",
        "verify-archive",
        "calendar",
        "routing",
        "patches",
        "temporal-setup",
    ],
    ("migrate",): [DB, "--revision", "--current", "--downgrade"],
    ("reconcile",): ["--repair", "--task-queue"],
    ("verify-archive",): [DB, "--expect-head", "--adopt"],
    ("calendar",): ["load-year", "show-year"],
    ("calendar", "load-year"): ["YEAR", "--holidays", "--workdays", "--source", DB],
    ("calendar", "show-year"): ["YEAR", DB],
    ("routing",): ["list", "add", "change", "end", "preview"],
    ("routing", "list"): ["--history", "--category", "--area", "--department", DB],
    ("routing", "add"): [*RULE, "--id"],
    ("routing", "change"): ["RULE_ID", *RULE],
    ("routing", "end"): ["RULE_ID", "--by", DB],
    ("routing", "preview"): ["--category", "--grid", "--on", DB],
    ("patches",): ["--task-queue"],
    ("temporal-setup",): ["--retention-days", "--wait-seconds"],
}


def command_lines(group: click.Group, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    found = {prefix}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found |= command_lines(command, (*prefix, name))
        else:
            found.add((*prefix, name))
    return found


def test_every_command_has_its_help_checked() -> None:
    assert command_lines(cli) == set(HELP)


def help_of(program: list[str], line: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    # An unreachable database and Temporal: --help must need neither.
    env = os.environ | {
        "GRIDFLOW_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/x",
        "GRIDFLOW_TEMPORAL_ADDRESS": "127.0.0.1:1",
    }
    return subprocess.run(
        [*program, *line, "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_command_answers_help_listing_its_options() -> None:
    program = [sys.executable, "-m", "gridflow_admin"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = dict(zip(HELP, pool.map(lambda line: help_of(program, line), HELP), strict=True))
    wrong = {
        " ".join(line) or "(top)": (
            d.returncode,
            d.stderr[-500:],
            [w for w in HELP[line] if w not in d.stdout],
        )
        for line, d in done.items()
        if d.returncode != 0 or any(w not in d.stdout for w in HELP[line])
    }
    assert wrong == {}
    usage = done[("routing", "add")].stdout
    assert usage.startswith("Usage: gridflow-admin routing add [OPTIONS]"), usage


def test_the_installed_script_is_the_same_entry_point() -> None:
    script = shutil.which("gridflow-admin", path=str(Path(sys.executable).parent))
    assert script is not None, "pip install -e . declares it ([project.scripts])"
    done = help_of([script], ("routing", "preview"))
    assert done.returncode == 0 and all(w in done.stdout for w in HELP[("routing", "preview")])
