#!/usr/bin/env bash
# Real Gunicorn releases for headroom's tests (tests/gunicorn_diff.rs, tests/gunicorn_logs.rs).
#
# Creates one virtualenv per pinned Gunicorn release under .test-env/venv-gunicorn-<ver>:
#   27.0.1  the current release on PyPI when this was written (2026-11)
#   21.2.0  the last release before the utime heartbeat / BaseException changes (domain.md §1.8)
# Each venv also gets Flask for the live-process tests. Idempotent: an existing venv with the right
# gunicorn version is left alone. Runs as root on a fresh Debian 12 machine, or as any user that
# already has python3 with the venv module.
set -euo pipefail

VERSIONS=(27.0.1 21.2.0)
FLASK_VERSION=3.0.3
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
ENVDIR="$ROOT/.test-env"
PY="${PYTHON:-python3}"

if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y python3 python3-venv python3-pip
    else
        echo "python3 with the venv module is required (Debian: apt-get install python3-venv)" >&2
        exit 1
    fi
fi

mkdir -p "$ENVDIR"
for v in "${VERSIONS[@]}"; do
    venv="$ENVDIR/venv-gunicorn-$v"
    if [ -x "$venv/bin/gunicorn" ] &&
        [ "$("$venv/bin/python" -c 'import gunicorn; print(gunicorn.__version__)' 2>/dev/null)" = "$v" ] &&
        "$venv/bin/python" -c 'import flask' >/dev/null 2>&1; then
        echo "ok: $venv (gunicorn $v)"
        continue
    fi
    rm -rf "$venv"
    "$PY" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "gunicorn==$v" "flask==$FLASK_VERSION"
    echo "created: $venv (gunicorn $v)"
done
