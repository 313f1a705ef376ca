#!/usr/bin/env python3
"""The lab: does headroom's verdict, made before Gunicorn starts, match what then really happens?

Why it exists: headroom's rules rest on figures (per-worker memory, timeouts, RAM tiers) that the
seeds assert but never show. Here each scenario is a real memory limit (a child cgroup, no swap) and
a real Gunicorn serving a real Flask + SQLAlchemy app (app.py). For every scenario the runner
  1. asks headroom for its prediction, from INSIDE the cgroup so it sees the limit as a user's
     container would: `headroom check --format json --gunicorn-cmd "<the command>"`;
  2. starts Gunicorn inside the same cgroup, waits (bounded) for it to answer, drives a bounded,
     seeded load on loopback from outside the cgroup (so the load generator is not charged), stops it;
  3. records what happened: OOM kills (cgroup oom_control / memory.events, and the host-wide
     /proc/vmstat delta), WORKER TIMEOUT and SIGKILL lines in Gunicorn's log, failed requests, boot time;
  4. writes JSON and a Markdown table comparing prediction and observation.

Needs root (cgroup creation) and .test-env/venv-lab (scripts/setup/lab.sh). Only processes this
runner started are ever signalled: they are exactly the members of the cgroup it created.

Usage: run.py [--scenario MIB:CONFIG ...] [--duration S] [--clients N] [--json F] [--markdown F]
CONFIG is seed-default (-w 3 -t 30, the seeds' 2xCPU+1 on 1 vCPU), tuned (what `headroom tune
--format flags` prints for that limit; the seeds' tier table if the binary has no `tune`), or
one-worker (-w 1 -t 30). Default: 256 512 768 1024 2048 x seed-default tuned.
"""

import argparse
import http.client
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

LAB = Path(__file__).resolve().parent
ROOT = LAB.parent.parent
MIB = 1024 * 1024

# Rules whose verdict is a prediction about this configuration on this limit. Left out: rules that
# report history (OOM kills since boot, log lines), which say nothing about the scenario to come,
# and areas (docker, compose, postgres, disk, cpu) that the lab does not exercise.
PREDICTIVE_AREAS = {"memory", "gunicorn", "swap", "budget"}
HISTORY_RULES = {"MEM004", "MEM005", "GUN009", "GUN010", "DKR002", "DKR003"}

# The seeds' RAM-tier table (seeds/000, "Solution Implementation" blocks), used only when the
# binary has no `tune`. Ranges in the seed ("2-3", "4-8 CPU based") take their lower end; below
# 512 MB the seed calls the box "not viable" and prescribes its minimum configuration (1 worker,
# 120 s, pool 3), which is what is run.
SEED_TIERS = [  # (upper bound MiB exclusive, workers, timeout, max_requests or None)
    (768, 1, 120, 100),
    (1024, 2, 90, None),
    (2048, 2, 60, None),
    (None, 4, 30, None),
]

# The load: a fixed, seeded mix. /alloc holds 64 MiB for half a second, the kind of spike the
# seeds describe (a large attachment); /slow stays well under every timeout, so a WORKER TIMEOUT
# in the log means the worker stalled, not that the lab asked for a long request.
MIX = [("/", 45), ("/db", 20), ("/alloc?mb=64&hold=0.5", 25), ("/slow?s=2", 10)]
REQUEST_TIMEOUT = 40.0


def log(msg):
    print(f"[lab {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# cgroups


def own_memory_cgroup():
    """(directory of this process's memory cgroup, is_v2). v1 first: hybrid hosts keep memory there
    (domain.md §4.5); the mount's root field is stripped from the path, as in a container."""
    mountinfo = Path("/proc/self/mountinfo").read_text()
    cgroup = Path("/proc/self/cgroup").read_text()
    for line in mountinfo.splitlines():
        pre, _, post = line.partition(" - ")
        pre, post = pre.split(" "), post.split(" ")
        if len(pre) < 5 or len(post) < 3:
            continue
        if post[0] == "cgroup" and "memory" in post[2].split(","):
            root, mnt = pre[3], pre[4]
            for cl in cgroup.splitlines():
                parts = cl.split(":", 2)
                if len(parts) == 3 and "memory" in parts[1].split(","):
                    rel = parts[2]
                    if rel.startswith(root):
                        rel = rel[len(root):]
                    return Path(mnt) / rel.lstrip("/"), False
            raise RuntimeError("no memory line in /proc/self/cgroup")
    for line in mountinfo.splitlines():
        if " - cgroup2 " in line:
            mnt = line.split(" ")[4]
            for cl in cgroup.splitlines():
                if cl.startswith("0::"):
                    return Path(mnt) / cl[3:].lstrip("/"), True
    raise RuntimeError("no cgroup memory controller mounted")


class Cgroup:
    """A child memory cgroup limited to `mib` MiB with no swap; on exit every process in it is
    killed and the directory removed, whatever happened inside."""

    def __init__(self, name, mib):
        parent, self.v2 = own_memory_cgroup()
        self.dir = parent / f"headroom-lab-{os.getpid()}-{name}"
        self.limit = mib * MIB

    def __enter__(self):
        self.dir.mkdir()
        try:
            if self.v2:
                (self.dir / "memory.max").write_text(str(self.limit))
                swap = self.dir / "memory.swap.max"
                if swap.exists():
                    swap.write_text("0")
            else:
                (self.dir / "memory.limit_in_bytes").write_text(str(self.limit))
                # memsw (memory+swap) equal to the limit = no swap; it exists only with swap accounting.
                memsw = self.dir / "memory.memsw.limit_in_bytes"
                if memsw.exists():
                    memsw.write_text(str(self.limit))
        except OSError:
            self.__exit__(None, None, None)
            raise
        return self

    @property
    def procs(self):
        return self.dir / "cgroup.procs"

    def pids(self):
        try:
            return [int(p) for p in self.procs.read_text().split()]
        except OSError:
            return []

    def oom_kills(self):
        f = self.dir / ("memory.events" if self.v2 else "memory.oom_control")
        try:
            for line in f.read_text().splitlines():
                k, _, v = line.partition(" ")
                if k == "oom_kill":
                    return int(v)
        except (OSError, ValueError):
            pass
        return None

    def peak(self):
        f = self.dir / ("memory.peak" if self.v2 else "memory.max_usage_in_bytes")
        try:
            return int(f.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def kill_all(self, deadline=10.0):
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            pids = self.pids()
            if not pids:
                return True
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        return not self.pids()

    def __exit__(self, *exc):
        self.kill_all()
        for _ in range(50):
            try:
                self.dir.rmdir()
                return False
            except FileNotFoundError:
                return False
            except OSError:
                time.sleep(0.1)
        log(f"could not remove {self.dir}")
        return False


def in_cgroup(cg, argv):
    """argv wrapped so the process joins the cgroup before it execs (its children follow)."""
    return ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(cg.procs), *argv]


def vmstat_oom_kill():
    try:
        for line in Path("/proc/vmstat").read_text().splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


# ---------------------------------------------------------------------------------------------
# configurations and the prediction


def seed_tier(mib):
    for upper, w, t, mr in SEED_TIERS:
        if upper is None or mib < upper:
            flags = ["-w", str(w), "-t", str(t)]
            if mr:
                flags += ["--max-requests", str(mr)]
            return flags
    raise AssertionError("unreachable")


def lab_flags(text):
    """The Gunicorn flags in `tune --format flags` output, bare or as a whole `gunicorn APP …` line
    (comments and `\\` continuations allowed), minus the bind address and app, which the lab sets."""
    lines = [l.strip().rstrip("\\") for l in text.splitlines()]
    words = shlex.split(" ".join(l for l in lines if l and not l.startswith("#")))
    if words and Path(words[0]).name == "gunicorn":
        words = words[1:]
    out, i = [], 0
    while i < len(words):
        w = words[i]
        if w in ("-b", "--bind"):
            i += 2
            continue
        if w.startswith("--bind=") or (w.startswith("-b") and len(w) > 2):
            i += 1
            continue
        if not w.startswith("-") and re.fullmatch(r"[\w.]+:[\w.()]+", w) and not (out and out[-1].startswith("-") and "=" not in out[-1]):
            i += 1  # the APP_MODULE positional
            continue
        out.append(w)
        i += 1
    if not out:
        raise ValueError("no flags")
    return out


def tuned_flags(headroom, cg, env):
    """(flags, label). The flags `headroom tune --format flags` prints inside the cgroup, or the seed
    tier table when this binary has no `tune` (label says which)."""
    try:
        p = subprocess.run(
            in_cgroup(cg, [headroom, "tune", "--format", "flags"]),
            cwd=LAB, env=env, capture_output=True, text=True, timeout=60,
        )
    except subprocess.TimeoutExpired:
        return None, "tune timed out"
    # Exit 1 = "even the smallest configuration does not fit"; tune still prints that configuration,
    # and running it is exactly the question the lab asks.
    if p.returncode in (0, 1) and p.stdout.strip():
        label = "tuned (headroom tune)" if p.returncode == 0 else "tuned (headroom tune, exit 1: does not fit)"
        try:
            return lab_flags(p.stdout), label
        except ValueError as e:
            return None, f"tune output not understood ({e})"
    if p.returncode == 2 and "unrecognized subcommand" in p.stderr:
        return None, "seed-tier (tune not available)"
    return None, f"tune failed (exit {p.returncode}): {(p.stderr or p.stdout).strip()[:200]}"


def predict(headroom, cg, env, cmd):
    try:
        p = subprocess.run(
            in_cgroup(cg, [headroom, "check", "--format", "json", "--gunicorn-cmd", cmd]),
            cwd=LAB, env=env, capture_output=True, text=True, timeout=90,
        )
    except subprocess.TimeoutExpired:
        return {"exit": None, "verdict": "error", "error": "headroom check timed out"}
    out = {"exit": p.returncode}
    try:
        doc = json.loads(p.stdout)
    except json.JSONDecodeError:
        out.update(verdict="error", error=(p.stderr or p.stdout).strip()[:300])
        return out
    findings = doc.get("findings", [])
    by = {s: sorted(f["id"] for f in findings if f.get("status") == s) for s in ("fail", "warn", "skip")}
    relevant = [
        f for f in findings
        if f.get("area") in PREDICTIVE_AREAS and f.get("id") not in HISTORY_RULES
    ]
    rel_fail = sorted(f["id"] for f in relevant if f.get("status") == "fail")
    rel_warn = sorted(f["id"] for f in relevant if f.get("status") == "warn")
    # Which areas the failing rules belong to: an OOM kill predicted only by a timeout rule is a
    # match for the wrong reason, and the table says so.
    fail_areas = sorted({f.get("area") for f in relevant if f.get("status") == "fail"})
    out.update(
        verdict="fail" if rel_fail else "warn" if rel_warn else "pass",
        fail=rel_fail,
        fail_areas=fail_areas,
        warn=rel_warn,
        all_fail=by["fail"],
        all_warn=by["warn"],
        skipped=by["skip"],
        messages={f["id"]: f.get("message", "") for f in relevant if f.get("status") in ("fail", "warn")},
        facts={
            k: doc.get("facts", {}).get(k, {}).get("value")
            for k in ("memory.effective_total", "gunicorn.workers", "gunicorn.timeout")
        },
    )
    return out


# ---------------------------------------------------------------------------------------------
# Gunicorn and the load


def http_get(url, timeout):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
        # A worker killed mid-response gives a dropped connection or a short body: both are a
        # failed request, named by kind (RemoteDisconnected, IncompleteRead, timeout, ...).
        return type(getattr(e, "reason", e)).__name__


def wait_for_boot(base, proc, limit):
    """Seconds until the first 200 on `/`, or None if none within `limit` or the master exited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if proc.poll() is not None:
            return None
        if http_get(base + "/", 2.0) == 200:
            return time.monotonic() - t0
        time.sleep(0.2)
    return None


def drive_load(base, clients, duration, seed):
    paths = [p for p, _ in MIX]
    weights = [w for _, w in MIX]
    results = []
    lock = threading.Lock()
    end = time.monotonic() + duration

    def client(i):
        rng = random.Random(seed * 1000 + i)
        while time.monotonic() < end:
            path = rng.choices(paths, weights)[0]
            status = http_get(base + path, REQUEST_TIMEOUT)
            with lock:
                results.append((path, status))
            if status != 200:
                time.sleep(0.2)  # a dead server must not turn into a busy loop

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + REQUEST_TIMEOUT + 5)
    return results


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LOG_PATTERNS = {
    "worker_timeouts": re.compile(r"\[CRITICAL\] WORKER TIMEOUT"),
    "sigkill_lines": re.compile(r"was sent SIGKILL|terminated due to signal 9"),
    "workers_booted": re.compile(r"Booting worker with pid"),
    "boot_failures": re.compile(r"Worker failed to boot|Reason: App failed to load"),
}


def read_log_with_headroom(headroom, glog):
    """gunicorn.log.* facts of `headroom facts --log FILE`, or the error."""
    try:
        p = subprocess.run([headroom, "facts", "--format", "json", "--log", str(glog)],
                           capture_output=True, text=True, timeout=60)
        facts = json.loads(p.stdout)["facts"]
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
        return {"error": f"{type(e).__name__}: {e}"}
    out = {}
    for k in ("timeouts", "sigkills", "sigkills_after_timeout", "possible_oom_kills"):
        out[k] = facts.get(f"gunicorn.log.{k}", {}).get("value")
    return out


def run_scenario(args, mib, config, env_base):
    name = f"{mib}-{config}"
    res = {"scenario": name, "limit_mib": mib, "config": config}
    work = Path(tempfile.mkdtemp(prefix=f"headroom-lab-{name}-"))
    port = free_port()
    env = dict(env_base, HOME=str(work), LAB_DB=str(work / "lab.sqlite"), NO_COLOR="1")
    t_start = time.monotonic()
    try:
        with Cgroup(name, mib) as cg:
            if config == "seed-default":
                flags, label = ["-w", "3", "-t", "30"], "seed-default"
            elif config == "one-worker":
                flags, label = ["-w", "1", "-t", "30"], "one-worker"
            elif config == "tuned":
                flags, label = tuned_flags(args.headroom, cg, env)
                if flags is None:
                    flags = seed_tier(mib)
            else:
                raise ValueError(f"unknown config {config}")
            cmd = ["gunicorn", "app:app", "-b", f"127.0.0.1:{port}", *flags]
            res.update(label=label, command=shlex.join(cmd))

            res["predicted"] = predict(args.headroom, cg, env, shlex.join(cmd))
            p = res["predicted"]
            log(f"{name}: predicted {p.get('verdict')} fail={p.get('fail')} warn={p.get('warn')} {p.get('error', '')}")

            vm0, cg0 = vmstat_oom_kill(), cg.oom_kills()
            glog = work / "gunicorn.log"
            with open(glog, "wb") as lf:
                argv = [str(args.venv / "bin" / "gunicorn"), *cmd[1:]]
                proc = subprocess.Popen(
                    in_cgroup(cg, argv), cwd=LAB, env=env, stdout=lf, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                try:
                    base = f"http://127.0.0.1:{port}"
                    boot = wait_for_boot(base, proc, args.boot_timeout)
                    res["boot_s"] = None if boot is None else round(boot, 1)
                    if boot is not None:
                        results = drive_load(base, args.clients, args.duration, args.seed)
                    else:
                        results = []
                    res["requests"] = len(results)
                    res["failed_requests"] = sum(1 for _, s in results if s != 200)
                    errs = {}
                    for _, s in results:
                        if s != 200:
                            errs[str(s)] = errs.get(str(s), 0) + 1
                    res["failures_by_kind"] = errs
                    res["master_alive"] = proc.poll() is None
                    res["peak_bytes"] = cg.peak()
                finally:
                    if proc.poll() is None:
                        try:
                            os.kill(proc.pid, signal.SIGTERM)
                        except ProcessLookupError:
                            pass
                        try:
                            proc.wait(10)
                        except subprocess.TimeoutExpired:
                            pass
                    cg.kill_all()
                    try:
                        proc.wait(5)
                    except subprocess.TimeoutExpired:
                        pass
            cg1, vm1 = cg.oom_kills(), vmstat_oom_kill()
            res["oom_kills"] = None if cg0 is None or cg1 is None else cg1 - cg0
            res["host_oom_kill_delta"] = None if vm0 is None or vm1 is None else vm1 - vm0
            text = glog.read_text(errors="replace")
            for k, pat in LOG_PATTERNS.items():
                res[k] = len(pat.findall(text))
            res["log_tail"] = text.splitlines()[-15:]
            # headroom's own reading of the same log: a real OOM kill must come out as a
            # possible OOM kill, not as timeout escalation (issue 3's log forensics).
            res["headroom_log"] = read_log_with_headroom(args.headroom, glog)
    except Exception as e:  # one broken scenario must not lose the others' results
        res["error"] = f"{type(e).__name__}: {e}"
        log(f"{name}: error {res['error']}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res["wall_s"] = round(time.monotonic() - t_start, 1)

    trouble = []
    if res.get("boot_s") is None and "error" not in res:
        trouble.append("no boot")
    if res.get("oom_kills"):
        trouble.append(f"{res['oom_kills']} OOM kill(s)")
    if res.get("worker_timeouts"):
        trouble.append(f"{res['worker_timeouts']} WORKER TIMEOUT")
    if res.get("failed_requests"):
        trouble.append(f"{res['failed_requests']}/{res['requests']} requests failed")
    res["observed"] = "trouble" if trouble else "clean"
    res["trouble"] = trouble
    verdict = res.get("predicted", {}).get("verdict")
    if "error" in res or verdict in (None, "error"):
        res["match"] = None
    else:
        # headroom is right when it fails exactly the scenarios that went wrong.
        res["match"] = (verdict == "fail") == bool(trouble)
        memory_areas = {"memory", "budget", "swap"}
        fail_areas = set(res["predicted"].get("fail_areas", []))
        if res["match"] and res.get("oom_kills") and not memory_areas & fail_areas:
            res["match_note"] = "OOM kills observed, but only a non-memory rule failed"
    log(f"{name}: observed {res['observed']} {trouble}; match={res['match']} ({res['wall_s']} s)")
    return res


# ---------------------------------------------------------------------------------------------
# output


def markdown(results, meta):
    rows = [
        "| limit | config | command flags | predicted (rules) | OOM kills | WORKER TIMEOUT | SIGKILL lines | failed req | boot s | peak MiB | match |",
        "|---:|---|---|---|---:|---:|---:|---:|---:|---:|:-:|",
    ]
    for r in results:
        p = r.get("predicted", {})
        pred = p.get("verdict", "?")
        ids = p.get("fail") if pred == "fail" else p.get("warn") if pred == "warn" else []
        if ids:
            pred += " " + ",".join(ids)
        flags = r.get("command", "").split(" ", 4)[-1] if r.get("command") else ""
        peak = r.get("peak_bytes")
        boot = r.get("boot_s")
        failed = f"{r.get('failed_requests', '-')}/{r.get('requests', '-')}"
        match = {True: "yes", False: "**NO**", None: "n/a"}[r.get("match")]
        if r.get("match_note"):
            match += f" ({r['match_note']})"
        cfg = r.get("label", r["config"])
        rows.append(
            f"| {r['limit_mib']} MiB | {cfg} | `{flags}` | {pred} | {r.get('oom_kills', '-')} "
            f"| {r.get('worker_timeouts', '-')} | {r.get('sigkill_lines', '-')} | {failed} "
            f"| {'no boot' if boot is None else boot} | {'-' if peak is None else peak // MIB} | {match} |"
        )
    n = [r for r in results if r.get("match") is not None]
    head = [
        f"Measured {meta['date']} on {meta['host']}: headroom {meta['headroom_version']}, "
        f"gunicorn {meta['gunicorn']}, {meta['clients']} clients x {meta['duration']} s per scenario, "
        f"load mix {', '.join(f'{p} {w}%' for p, w in MIX)}; full run {meta['total_s']} s.",
        "",
        f"Matches: {sum(1 for r in n if r['match'])}/{len(n)} "
        "(a match = headroom fails the scenario exactly when OOM kills, timeouts, failed requests "
        "or a failed boot were observed; predictions count only memory/gunicorn/swap/budget rules "
        "that look ahead, not history rules).",
        "",
    ]
    return "\n".join(head + rows) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", action="append", help="MIB:CONFIG (repeatable)")
    ap.add_argument("--duration", type=float, default=40.0, help="load seconds per scenario")
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--boot-timeout", type=float, default=45.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--headroom", default=None, help="headroom binary (default: target/debug)")
    ap.add_argument("--venv", type=Path, default=ROOT / ".test-env" / "venv-lab")
    ap.add_argument("--json", type=Path, default=LAB / "results.json")
    ap.add_argument("--markdown", type=Path, default=LAB / "results.md")
    args = ap.parse_args()

    if not (args.venv / "bin" / "gunicorn").exists():
        sys.exit(f"lab: {args.venv}/bin/gunicorn missing: run scripts/setup/lab.sh")
    if args.headroom is None:
        target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
        args.headroom = str(target / "debug" / "headroom")
    if not os.access(args.headroom, os.X_OK):
        sys.exit(f"lab: no headroom binary at {args.headroom} (cargo build, or pass --headroom)")
    if os.geteuid() != 0:
        sys.exit("lab: needs root to create cgroups")

    scenarios = []
    for s in args.scenario or [f"{m}:{c}" for m in (256, 512, 768, 1024, 2048) for c in ("seed-default", "tuned")]:
        m, _, c = s.partition(":")
        scenarios.append((int(m), c or "seed-default"))

    env = dict(os.environ)
    env["PATH"] = f"{args.venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
    for k in ("GUNICORN_CMD_ARGS", "WEB_CONCURRENCY"):
        env.pop(k, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # keep scripts/lab free of __pycache__

    t0 = time.monotonic()
    results = []

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        for mib, config in scenarios:
            results.append(run_scenario(args, mib, config, env))
    except KeyboardInterrupt:
        log("interrupted; writing what was measured")
    ver = subprocess.run([args.headroom, "--version"], capture_output=True, text=True).stdout.strip()
    ver = ver.removeprefix("headroom ").strip()
    gver = subprocess.run(
        [str(args.venv / "bin" / "python"), "-c", "import gunicorn; print(gunicorn.__version__)"],
        capture_output=True, text=True,
    ).stdout.strip()
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "host": f"{os.cpu_count()} CPUs, kernel {os.uname().release}",
        "headroom_version": ver,
        "gunicorn": gver,
        "clients": args.clients,
        "duration": args.duration,
        "total_s": round(time.monotonic() - t0, 1),
    }
    args.json.write_text(json.dumps({"meta": meta, "mix": MIX, "results": results}, indent=2) + "\n")
    args.markdown.write_text(markdown(results, meta))
    log(f"wrote {args.json} and {args.markdown} ({meta['total_s']} s)")


if __name__ == "__main__":
    main()
