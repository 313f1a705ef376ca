#!/usr/bin/env bash
# What the PostgreSQL tests (tests/postgres_*.rs) need: the server binaries under
# /usr/lib/postgresql/<major>/bin (Debian 12 ships 15), psql, the packaged postgresql.conf.sample,
# and the `postgres` system user the tests run servers as (never root). Idempotent.
#
# The tests call /usr/lib/postgresql/<major>/bin/* directly: /usr/local/bin/pg_ctl may be a
# wrapper on some images.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null \
  || ! compgen -G '/usr/lib/postgresql/*/bin/psql' >/dev/null \
  || ! compgen -G '/usr/share/postgresql/*/postgresql.conf.sample' >/dev/null; then
  apt_install postgresql postgresql-client
fi
apt_install util-linux # runuser

if ! id postgres >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to create the postgres user (sudo useradd --system postgres)" >&2
    exit 1
  fi
  useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi
