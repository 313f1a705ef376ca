#!/usr/bin/env bash
# Tools the whole suite needs: strace (read-only proof), python3-venv (Gunicorn oracle), procps.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
apt_install strace python3-venv procps ca-certificates
command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust (rustup) first" >&2; exit 1; }
