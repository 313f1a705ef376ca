#!/usr/bin/python3
"""Normalise `docker-compose config` (Compose v1, 1.29.x) output for tests/compose_diff.rs.

Reads the YAML that `docker-compose config` prints on stdin and writes, per service, the values
headroom reads, converted with Compose v1's own code so the comparison does not reuse any of
headroom's parsing: sizes with docker-py's `parse_bytes`, durations with compose's
`parse_nanoseconds_int`, string commands with `shlex.split` (what docker-py's `split_command`
does when v1 creates the container). Must run under the interpreter docker-compose uses
(/usr/bin/python3 on Debian).
"""
import json
import shlex
import sys

import yaml
from docker.utils import parse_bytes
from compose.utils import parse_nanoseconds_int


def unescape(v):
    # `config` re-escapes every `$` as `$$` so its output can be loaded again; the container gets
    # the single `$`.
    return v.replace("$$", "$") if isinstance(v, str) else v


def argv(v):
    if v is None:
        return None
    if isinstance(v, str):
        return shlex.split(unescape(v))
    return [unescape(str(x)) for x in v]


def size(v):
    return None if v is None else int(parse_bytes(v))


def main():
    doc = yaml.safe_load(sys.stdin) or {}
    out = {}
    for name, s in (doc.get("services") or {}).items():
        env = s.get("environment") or {}
        if isinstance(env, list):
            env = dict(e.split("=", 1) if "=" in e else (e, None) for e in env)
        grace = s.get("stop_grace_period")
        out[name] = {
            "image": unescape(s.get("image")),
            "command": argv(s.get("command")),
            "entrypoint": argv(s.get("entrypoint")),
            "environment": {k: unescape(str(v)) for k, v in env.items() if v is not None},
            "mem_limit": size(s.get("mem_limit")),
            "memswap_limit": size(s.get("memswap_limit")),
            "mem_reservation": size(s.get("mem_reservation")),
            "shm_size": size(s.get("shm_size")),
            "stop_grace_period": None if grace is None else parse_nanoseconds_int(grace) / 1e9,
            "restart": s.get("restart"),
        }
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


main()
