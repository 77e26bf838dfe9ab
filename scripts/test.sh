#!/usr/bin/env bash
# Run the test suite: bash scripts/test.sh [pytest args...]
# Installs what it needs: .venv (PyPI) and the Debian package postgresql (for the PostgreSQL tests).
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
gridflow_root
ensure_venv
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null \
    || ! compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null; then
    apt_install postgresql
fi
exec .venv/bin/pytest "$@"
