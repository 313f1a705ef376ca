#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (Debian packages,
# PostgreSQL, a virtualenv with Gunicorn), then runs formatting, lints and every test.
# Usage: scripts/test.sh            (CI runs exactly this via .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."

for s in scripts/setup/*.sh; do
  echo "== setup: $s" >&2
  bash "$s"
done

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --locked --all-targets -- -D warnings
echo "== cargo test" >&2
# Snapshots are never written in CI: a changed message must be reviewed and committed.
CI=true INSTA_UPDATE=no cargo test --locked --all-targets -- --test-threads=2
