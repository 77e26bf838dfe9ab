#!/usr/bin/env bash
# The fault tests and the load test with longer defaults: bash scripts/faults.sh [pytest args...]
# (the same tests/test_faults.py, tests/test_faults_audit.py and tests/test_faults_cluster.py the
# default suite runs; sizes from GRIDFLOW_FAULTS_*):
#   GRIDFLOW_FAULTS_LOAD_SECONDS    how long the load runs (default here 300; in the suite 120)
#   GRIDFLOW_FAULTS_TICKETS         tickets under way when the worker is killed (200)
#   GRIDFLOW_FAULTS_OUTAGE_SECONDS  how long the read model is away (30)
#   GRIDFLOW_FAULTS_CLUSTER_TICKETS tickets behind nginx when a worker and an API are killed (40)
#   GRIDFLOW_FAULTS_GRID_WORKERS / _STAFF / _REPORT_EVERY / _DRAIN_SECONDS  the load's people
# Figures are printed (-s) and the load's kept in test-artifacts/faults/load.txt, the stack's
# process logs of the last run in test-artifacts/faults/logs/.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
gridflow_root
ensure_venv
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    apt_install postgresql
fi
export GRIDFLOW_FAULTS_LOAD_SECONDS="${GRIDFLOW_FAULTS_LOAD_SECONDS:-300}"
exec .venv/bin/pytest -p no:cacheprovider -s -m faults --durations=0 tests/test_faults.py \
    tests/test_faults_audit.py tests/test_faults_cluster.py "$@"
