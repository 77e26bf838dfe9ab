#!/usr/bin/env bash
# Static checks: bash scripts/lint.sh
# ruff (lint rules and formatting, the whole tree) and mypy (the packages [tool.mypy] names, strict;
# see pyproject.toml; then the API, the read model, the admin CLI and the top-level modules, and
# tests/ and bench/, with the defaults, where a type: ignore that is no longer needed fails too).
# Every check runs even when one fails, so one run shows every finding.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
gridflow_root
ensure_venv
failed=()
check() {
    echo ">> $*" >&2
    "$@" || failed+=("$*")
}
check .venv/bin/ruff check .
check .venv/bin/ruff format --check .
check .venv/bin/mypy
check .venv/bin/mypy --warn-unused-ignores api readmodel gridflow_admin worker.py settings.py \
    devstack.py credentials.py temporal_client.py logging_setup.py
check .venv/bin/mypy --warn-unused-ignores tests bench
if [ "${#failed[@]}" -gt 0 ]; then
    printf 'failed: %s\n' "${failed[@]}" >&2
    exit 1
fi
