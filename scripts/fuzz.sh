#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for SECONDS each (default 600), seeded from the test fixtures
# and the shared corpus of real Compose / env / postgresql.conf files.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Needs the nightly toolchain (installed) and cargo-fuzz (installed from crates.io if missing).
# Corpora are copied into fuzz/corpus/<target>/, which is gitignored; crashes land in
# fuzz/artifacts/<target>/ and make this script exit 1.
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
