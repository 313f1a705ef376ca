#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for SECONDS each (default 600), seeded from the test fixtures
# and the shared corpus of real Compose / env / postgresql.conf files.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Needs the nightly toolchain (installed) and cargo-fuzz (installed from crates.io if missing).
# Corpora are copied into fuzz/corpus/<target>/, which is gitignored; crashes land in
# fuzz/artifacts/<target>/ and make this script exit 1. Targets build optimised with debug
# assertions and overflow checks on (cargo fuzz's default without -O), so an arithmetic overflow
# that would wrap silently in the release binary is a crash here.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
secs="${1:-600}"
shift || true
shared="${HEADROOM_SHARED_CORPUS:-$here/../shared/corpus}"
fx="$here/tests/fixtures"

if ! command -v cargo-fuzz >/dev/null 2>&1 && ! [ -x "$HOME/.cargo/bin/cargo-fuzz" ]; then
    echo "installing cargo-fuzz from crates.io" >&2
    cargo install cargo-fuzz --locked
fi
export PATH="$HOME/.cargo/bin:$PATH"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(rules condition compose envfile gunicorn postgres_conf gunicorn_logs snapshot procfs)
fi

# seed TARGET FILE...: copies files (not directories) into the target's corpus, named by hash so
# reruns do not duplicate them.
seed() {
    local t="$1"; shift
    local dir="$here/fuzz/corpus/$t"
    mkdir -p "$dir"
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        cp "$f" "$dir/seed-$(sha1sum "$f" | cut -c1-16)"
    done
}
files() { find "$@" -type f -size -256k 2>/dev/null || true; }

seed_all() {
    mapfile -t rulefiles < <(files "$here/rules" "$fx/rulefiles" -name '*.yaml')
    seed rules "${rulefiles[@]}"
    # Conditions and templates: one `when:` / `message:` string per seed file.
    mkdir -p "$here/fuzz/corpus/condition"
    grep -rhoE '(when|message): ".*"' "$here/rules" 2>/dev/null | sed -E 's/^(when|message): "(.*)"$/\2/' |
        while IFS= read -r line; do
            printf '%s' "$line" > "$here/fuzz/corpus/condition/seed-$(printf '%s' "$line" | sha1sum | cut -c1-16)"
        done
    mapfile -t compose < <(files "$fx/compose" "$shared" -name '*.y*ml')
    seed compose "${compose[@]}"
    mapfile -t envs < <(files "$fx/compose" "$shared" -name '*env*')
    seed envfile "${envs[@]}"
    mapfile -t gun < <(files "$fx" "$shared" -name '*.py' -o -name 'Procfile*')
    seed gunicorn "${gun[@]}"
    # Hand-made seeds: command line, NUL, GUNICORN_CMD_ARGS, NUL, gunicorn.conf.py.
    local g="$here/fuzz/corpus/gunicorn"
    printf 'gunicorn -w 3 -k gthread --threads 4 -t 30 --max-requests 1000 app:app\0--timeout 60 --workers=2\0import multiprocessing\nworkers = multiprocessing.cpu_count() * 2 + 1\ntimeout = int(os.environ.get("TIMEOUT", "30"))\nworker_tmp_dir = "/dev/shm"\n' > "$g/seed-hand-1"
    printf 'python -m gunicorn -c gunicorn.conf.py --bind 0.0.0.0:8000 app.wsgi\0-w 4\0bind = ["0.0.0.0:80", "unix:/tmp/g.sock"]\nmax_requests_jitter = 50\npreload_app = True\n' > "$g/seed-hand-2"
    local l="$here/fuzz/corpus/gunicorn_logs"
    mkdir -p "$l"
    printf '[2024-05-01 12:00:00 +0000] [1] [INFO] Starting gunicorn 22.0.0\n[2024-05-01 12:00:00 +0000] [7] [INFO] Booting worker with pid: 7\n[2024-05-01 12:00:31 +0000] [1] [CRITICAL] WORKER TIMEOUT (pid:7)\n[2024-05-01 12:00:32 +0000] [1] [ERROR] Worker (pid:7) was sent SIGKILL! Perhaps out of memory?\n[2024-05-01 12:00:33 +0000] [1] [ERROR] Worker (pid:8) was sent code 134!\n[2024-05-01 12:00:34 +0000] [9] [ERROR] Exception in worker process\n' > "$l/seed-hand-1"
    mapfile -t pg < <(files "$fx" "$shared" -name '*.conf')
    seed postgres_conf "${pg[@]}"
    mapfile -t logs < <(files "$fx" "$shared" -name '*.log')
    seed gunicorn_logs "${logs[@]}"
    mapfile -t snaps < <(files "$fx/facts" "$fx/rule-cases" -name '*.json')
    seed snapshot "${snaps[@]}"
    mapfile -t procs < <(files "$fx/hosts" -path '*/proc/*' -o -path '*/sys/fs/cgroup/*')
    seed procfs "${procs[@]}"
}
seed_all

cd "$here/fuzz"
status=0
for t in "${targets[@]}"; do
    echo "== fuzz $t for ${secs}s" >&2
    mkdir -p "artifacts/$t"
    if ! cargo +nightly fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=1024 -timeout=10 -max_len=65536 \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1; then
        echo "fuzz $t found a crash: see fuzz/artifacts/$t/" >&2
        status=1
    fi
done
exit $status
