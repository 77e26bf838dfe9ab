"""The layers import downwards only: domain ← workflows, readmodel ← activities, api, and the
admin commands (gridflow_admin), which no process that serves tickets imports.

A module that reached back up (readmodel importing api, domain importing the read model) would
drag the upper layer's dependencies and start-up into every tool and test of the lower one.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {
    "domain",
    "workflows",
    "readmodel",
    "activities",
    "api",
    "credentials",
    "settings",
    "logging_setup",
    "temporal_client",
    "temporal_codec",
    "worker",
    "devstack",
    "bench",
    "tests",
    "gridflow_admin",
}
MAY_IMPORT = {
    "domain": {"domain"},
    "workflows": {"workflows", "domain"},
    "readmodel": {"readmodel", "domain", "credentials", "settings"},
    "gridflow_admin": {
        "gridflow_admin",
        "readmodel",
        "domain",
        "settings",
        "logging_setup",
        "temporal_client",
    },
}


def imported(package: str) -> dict[str, set[str]]:
    """Our top-level modules each module of `package` imports, by file."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names & OURS
    return found


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_a_layer_imports_only_what_lies_below_it(package: str) -> None:
    upward = {
        path: sorted(names - MAY_IMPORT[package])
        for path, names in imported(package).items()
        if names - MAY_IMPORT[package]
    }
    assert upward == {}


def test_no_layer_imports_the_admin_commands() -> None:
    importers = sorted(
        path
        for package in ("domain", "workflows", "readmodel", "activities", "api", "bench")
        for path, names in imported(package).items()
        if "gridflow_admin" in names
    )
    assert importers == []


# Within the read model: the ticket projection reads reference data (categories, grids,
# departments); reference data and access (users, keys, the audit log) stand alone.
GROUPS_MAY_IMPORT = {
    "tickets": {"tickets", "reference"},
    "reference": {"reference"},
    "access": {"access"},
}


def groups_imported(group: str) -> dict[str, set[str]]:
    """The read model's groups each module of readmodel/`group` imports, by file."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "readmodel" / group).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {
                    a.name.split(".")[1] for a in node.names if a.name.startswith("readmodel.")
                }
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                parts = node.module.split(".")
                if parts[0] == "readmodel":
                    names |= {parts[1]} if len(parts) > 1 else {a.name for a in node.names}
        found[str(path.relative_to(ROOT))] = names & set(GROUPS_MAY_IMPORT)
    return found


@pytest.mark.parametrize("group", sorted(GROUPS_MAY_IMPORT))
def test_a_read_model_group_imports_only_what_it_reads(group: str) -> None:
    crossing = {
        path: sorted(names - GROUPS_MAY_IMPORT[group])
        for path, names in groups_imported(group).items()
        if names - GROUPS_MAY_IMPORT[group]
    }
    assert crossing == {}


def test_every_read_model_module_is_in_a_group_or_shared() -> None:
    shared = {"__init__.py", "db.py", "migrate.py", "seed.py", "timestamps.py"}
    loose = sorted(p.name for p in (ROOT / "readmodel").glob("*.py") if p.name not in shared)
    assert loose == []
