#!/usr/bin/env bash
# Run the test suite: bash scripts/test.sh [pytest args...] (without args: scripts/lint.sh first)
# Installs what it needs: .venv (PyPI) and the Debian packages postgresql (for the PostgreSQL tests),
# chromium fonts-wqy-microhei (for the browser tests), nginx (deploy/nginx.conf checked) and
# prometheus (it scrapes the API and the worker: tests/test_prometheus_scrape.py).
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
gridflow_root
ensure_venv
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null \
    || ! compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null; then
    apt_install postgresql
fi
if { [ ! -x /usr/bin/chromium ] && [ -z "${GRIDFLOW_CHROMIUM:-}" ]; } \
    || [ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then
    apt_install chromium fonts-wqy-microhei  # the browser tests (tests/browser.py)
fi
if [ ! -x /usr/sbin/nginx ]; then
    apt_install nginx  # `nginx -t` on deploy/nginx.conf (tests/test_deploy_files.py)
fi
if [ ! -x /usr/bin/prometheus ]; then
    apt_install prometheus  # a real scraper of /metrics (tests/test_prometheus_scrape.py)
fi
if [ "$#" -eq 0 ]; then
    # The whole suite (CI's run) starts with the static checks: a lint or type error fails it.
    bash scripts/lint.sh
fi
exec .venv/bin/pytest "$@"
