# Shared helpers for scripts/up.sh and scripts/test.sh (source it, don't run it).
#   gridflow_root      cd to the repository root
#   apt_install PKG..  install Debian packages (as root directly, else through sudo)
#   ensure_venv        create .venv if missing; pip install -e '.[test]' when pyproject.toml changed
set -euo pipefail

gridflow_root() {
    cd "$(dirname "${BASH_SOURCE[0]}")/.."
}

_as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "error: need root (or sudo) to run: $*" >&2
        return 1
    fi
}

_APT_UPDATED=0
apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "error: apt-get not found; please install these packages yourself: $*" >&2
        return 1
    fi
    echo ">> installing Debian packages: $*" >&2
    if [ "$_APT_UPDATED" -eq 0 ]; then
        _as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        _APT_UPDATED=1
    fi
    _as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

_python() {
    local py="${PYTHON:-python3}"
    if ! command -v "$py" >/dev/null 2>&1; then
        echo "error: $py not found (gridflow needs Python >= 3.11)" >&2
        return 1
    fi
    if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        echo "error: $py is $("$py" -V 2>&1); gridflow needs Python >= 3.11" >&2
        return 1
    fi
    echo "$py"
}

ensure_venv() {
    local py stamp want
    if [ ! -x .venv/bin/python ] || ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
        py="$(_python)"
        rm -rf .venv
        echo ">> creating .venv with $("$py" -V 2>&1)" >&2
        if ! "$py" -m venv .venv 2>/dev/null; then
            # Debian ships venv/ensurepip separately.
            rm -rf .venv
            apt_install python3-venv
            "$py" -m venv .venv
        fi
    fi
    stamp=.venv/.gridflow-pyproject.sha256
    want="$(cat pyproject.toml <(.venv/bin/python -V 2>&1) | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
        echo ">> installing gridflow and its dependencies into .venv (pyproject.toml changed)" >&2
        .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
        echo "$want" > "$stamp"
    fi
}
