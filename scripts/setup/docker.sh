#!/bin/sh
# What the Docker probe tests need on a fresh Debian 12 machine (run as root; safe to re-run):
# a running Docker Engine (Debian's docker.io), gcc with static glibc to build the one-file test
# image (tests/fixtures/docker/memhog.c), tar, and runuser to run the probe as `nobody`.
set -eu

need=""
command -v dockerd >/dev/null 2>&1 || need="$need docker.io"
command -v gcc >/dev/null 2>&1 || need="$need gcc"
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || [ -f /usr/lib/aarch64-linux-gnu/libc.a ] || need="$need libc6-dev"
command -v tar >/dev/null 2>&1 || need="$need tar"
command -v runuser >/dev/null 2>&1 || need="$need util-linux"

if [ -n "$need" ]; then
    apt-get update
    # shellcheck disable=SC2086
    apt-get install -y $need
fi

if ! docker info >/dev/null 2>&1; then
    if command -v systemctl >/dev/null 2>&1 && systemctl start docker 2>/dev/null; then
        :
    else
        # No systemd (a container or a minimal VM): start the daemon in the background.
        nohup dockerd >/var/log/dockerd.log 2>&1 &
        for _ in 1 2 3 4 5 6 7 8 9 10; do docker info >/dev/null 2>&1 && break; sleep 1; done
    fi
fi
docker version --format 'Engine {{.Server.Version}}'
