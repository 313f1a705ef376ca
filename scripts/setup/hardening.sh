#!/usr/bin/env bash
# What the hardening tests need on a fresh Debian 12 machine (idempotent, run as root):
# strace (tests/read_only.rs), GNU time for peak RSS (tests/bad_input.rs), file(1) to check
# that scripts/build-static.sh made a static binary, and the PostgreSQL server packages for the
# password row of the bad-input matrix. cargo-fuzz is installed by scripts/fuzz.sh when used.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"
apt_install strace time file util-linux tar
"$here/postgres.sh"
