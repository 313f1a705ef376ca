#!/usr/bin/env bash
# Installs what the PostgreSQL tests (tests/postgres_*.rs) need on a fresh Debian 12 machine:
# the server binaries under /usr/lib/postgresql/<major>/bin (Debian 12 ships 15), psql, and the
# `postgres` system user the tests run servers as (never root). Idempotent.
#
# Note: /usr/local/bin/pg_ctl may be a wrapper on some images; the tests call
# /usr/lib/postgresql/<major>/bin/* directly.
set -euo pipefail

have_server() { compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; }

if ! have_server || ! compgen -G '/usr/lib/postgresql/*/bin/psql' >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y postgresql postgresql-client
fi

if ! id postgres >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

command -v runuser >/dev/null || apt-get install -y util-linux

ls -d /usr/lib/postgresql/*/bin/postgres
