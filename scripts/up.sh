#!/usr/bin/env bash
# Bring the whole embedded stack up on this machine: Temporal dev server, worker, API.
# Data (tickets, Temporal history) persists under data/. Ctrl-C stops everything.
#   bash scripts/up.sh [--port 8000] [--temporal-port 7233] [--ui-port 8233] [--data-dir data]
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
gridflow_root
ensure_venv embedded  # the runtime set and the dev server, no test tools
exec .venv/bin/python devstack.py "$@"
