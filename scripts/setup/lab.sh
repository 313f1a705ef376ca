#!/usr/bin/env bash
# The lab's Python side (scripts/lab/, tests/lab.rs): one virtualenv, .test-env/venv-lab, holding a
# real Gunicorn release and the imports a SimpleLogin-like Flask app pays for at boot (Flask,
# SQLAlchemy, cryptography). The lab app uses SQLite through SQLAlchemy, so no PostgreSQL driver.
# Idempotent: a venv that already imports every pinned package at the pinned version is left alone.
# Runs as root on a fresh Debian 12 machine (python3-venv comes from scripts/setup/base.sh's list).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
apt_install python3 python3-venv

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="$ROOT/.test-env/venv-lab"
PY="${PYTHON:-python3}"
# gunicorn 27.0.1 = the release domain.md §1.5 describes; the others are recent, pinned for repeatability.
PINS=(gunicorn==27.0.1 flask==3.0.3 SQLAlchemy==2.0.36 cryptography==43.0.3)

check() {
    "$VENV/bin/python" - "$@" <<'PY' >/dev/null 2>&1
import sys
from importlib.metadata import version
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    if version(name) != want:
        sys.exit(1)
import flask, sqlalchemy, cryptography.hazmat.primitives.asymmetric.rsa, gunicorn  # noqa
PY
}

if [ -x "$VENV/bin/python" ] && check "${PINS[@]}"; then
    echo "ok: $VENV"
    exit 0
fi
rm -rf "$VENV"
mkdir -p "$ROOT/.test-env"
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "${PINS[@]}"
check "${PINS[@]}" || { echo "setup: $VENV was created but does not import the pinned packages" >&2; exit 1; }
echo "created: $VENV"
