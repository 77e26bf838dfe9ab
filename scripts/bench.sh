#!/usr/bin/env bash
# The benchmark (docs/benchmarks.md): starts its own stack in a temp dir, measures, and writes
# docs/benchmarks.md with its plots in docs/benchmarks/.
#   bash scripts/bench.sh [--smoke|--quick|--full] [--backlog 10000,100000] [--out DIR] ...
# (python -m bench --help lists every option)
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
gridflow_root
ensure_venv
exec .venv/bin/python -m bench "$@"
