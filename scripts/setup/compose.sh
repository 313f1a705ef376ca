#!/bin/sh
# What the Compose tests need on a fresh Debian 12 machine (run as root; safe to run again).
#
# tests/compose_diff.rs compares headroom with the real docker-compose. Debian 12 ships only
# Compose v1 (docker-compose 1.29.2, python); if a Compose v2 package ever appears in the
# configured sources it is installed too, but the tests use v1's `docker-compose config`.
# tests/compose_v1_oracle.py runs under /usr/bin/python3 with the python3-docker and python3-yaml
# modules that docker-compose itself depends on. Its last test creates real containers, so the
# Docker Engine and the test-image toolchain (scripts/setup/docker.sh) are needed too.
set -eu

need=""
command -v docker-compose >/dev/null 2>&1 || need="$need docker-compose"
[ -x /usr/bin/python3 ] || need="$need python3"
/usr/bin/python3 -c 'import yaml, docker, compose' 2>/dev/null || need="$need python3-yaml python3-docker docker-compose"

if [ -n "$need" ]; then
    apt-get update
    # shellcheck disable=SC2086
    apt-get install -y $need
fi

for v2 in docker-compose-v2 docker-compose-plugin; do
    if apt-cache policy "$v2" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        dpkg -s "$v2" >/dev/null 2>&1 || apt-get install -y "$v2"
    fi
done

docker-compose version
/usr/bin/python3 -c 'import yaml, docker, compose; print("oracle modules: ok")'
sh "$(dirname "$0")/docker.sh"
