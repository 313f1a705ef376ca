#!/bin/sh
# Tools the host-probe tests compare headroom against (tests/host_probes.rs): free (procps),
# nproc/df/stat/uname (coreutils). Idempotent; runs as root on a fresh Debian 12.
set -eu
need=""
command -v free >/dev/null 2>&1 || need="$need procps"
for t in nproc df stat uname; do
    command -v "$t" >/dev/null 2>&1 || { need="$need coreutils"; break; }
done
if [ -n "$need" ]; then
    apt-get update
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y $need
fi
