#!/bin/sh
# What the host-probe tests need, on a fresh Debian 12, as root. Idempotent.
# - tests/host_probes.rs compares the probes with free (procps) and nproc/df/stat/uname
#   (coreutils).
# - tests/host_in_container.rs runs the probes inside a real container: Docker Engine
#   (docker.io), ldd (libc-bin) and tar to build an image with `docker import`.
set -eu
need=""
command -v free >/dev/null 2>&1 || need="$need procps"
for t in nproc df stat uname; do
    command -v "$t" >/dev/null 2>&1 || { need="$need coreutils"; break; }
done
command -v ldd >/dev/null 2>&1 || need="$need libc-bin"
command -v tar >/dev/null 2>&1 || need="$need tar"
command -v docker >/dev/null 2>&1 || need="$need docker.io"
if [ -n "$need" ]; then
    apt-get update
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y $need
fi
# The engine must be running for the container test.
if ! docker info >/dev/null 2>&1; then
    systemctl start docker 2>/dev/null || service docker start 2>/dev/null || true
fi
