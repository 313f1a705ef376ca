#!/usr/bin/env bash
# A Gunicorn venv with setproctitle for tests/gunicorn_live.rs: with setproctitle installed the
# processes' command lines become titles ("gunicorn: master [app:app]"), which the live probe must
# still recognise and trace back to the venv. Idempotent; runs as root on a fresh Debian 12
# machine (after scripts/setup/gunicorn.sh, which installs python3-venv), or as any user with
# python3 and its venv module.
set -euo pipefail

GUNICORN_VERSION=27.0.1
FLASK_VERSION=3.0.3
SETPROCTITLE_VERSION=1.3.8
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$ROOT/.test-env/venv-gunicorn-setproctitle"
PY="${PYTHON:-python3}"

if [ -x "$venv/bin/gunicorn" ] &&
    "$venv/bin/python" -c "import setproctitle, flask, gunicorn; assert gunicorn.__version__ == '$GUNICORN_VERSION'" >/dev/null 2>&1; then
    echo "ok: $venv"
    exit 0
fi
if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y python3 python3-venv python3-pip
    else
        echo "python3 with the venv module is required (Debian: apt-get install python3-venv)" >&2
        exit 1
    fi
fi
mkdir -p "$ROOT/.test-env"
rm -rf "$venv"
"$PY" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    "gunicorn==$GUNICORN_VERSION" "flask==$FLASK_VERSION" "setproctitle==$SETPROCTITLE_VERSION"
echo "created: $venv"
