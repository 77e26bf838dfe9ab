# Shared helpers for scripts/up.sh and scripts/test.sh (source it, don't run it).
#   gridflow_root      cd to the repository root
#   apt_install PKG..  install Debian packages (as root directly, else through sudo)
#   ensure_venv [SET]  create .venv if missing; pip install -e '.[SET]' (default test; up.sh: embedded,
#                      the runtime set and the dev server) when pyproject.toml changed since SET or
#                      a superset of it was installed
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

# Which installed set also holds SET's packages: test holds everything embedded does.
_venv_sets_holding() {
    case "$1" in
        embedded) echo "embedded test" ;;
        *) echo "$1" ;;
    esac
}

ensure_venv() {
    local set="${1:-test}" py want have
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
    want="$(cat pyproject.toml <(.venv/bin/python -V 2>&1) | sha256sum | cut -d' ' -f1)"
    # One stamp per installed set: up.sh after test.sh installs nothing, test.sh after up.sh adds
    # the test tools, and either one reinstalls when pyproject.toml changed.
    for have in $(_venv_sets_holding "$set"); do
        if [ "$(cat ".venv/.gridflow-$have.sha256" 2>/dev/null || true)" = "$want" ]; then
            return 0
        fi
    done
    echo ">> installing gridflow[$set] into .venv (not yet for this pyproject.toml)" >&2
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$set]"
    echo "$want" > ".venv/.gridflow-$set.sha256"
}
