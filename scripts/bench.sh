#!/usr/bin/env bash
# Speed and size of `headroom check` on this machine, against /bin/true in the same run.
# Prints: hyperfine medians and their ratio, peak RSS (/usr/bin/time -v), release binary size.
# Usage: scripts/bench.sh [extra headroom args...]   (e.g. --compose compose.yaml)
#        BENCH_STATIC=1 scripts/bench.sh              (also the static binary, same run)
#        BENCH_BASELINE=<commit> scripts/bench.sh     (also that commit's binary, same run)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup/lib.sh
apt_install hyperfine time jq

cargo build --release --locked -q
bin=target/release/headroom
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# With BENCH_STATIC=1 the static binary (scripts/build-static.sh) is timed in the same run.
extra=()
labels=()
if [ -n "${BENCH_STATIC:-}" ]; then
  static_bin=$(scripts/build-static.sh)
  extra+=("$static_bin check $*")
  labels+=("static binary: headroom check")
fi
# With BENCH_BASELINE=<commit> that commit's release binary is built in a scratch worktree (its
# own target dir) and timed in the same run: before/after figures from one run only.
if [ -n "${BENCH_BASELINE:-}" ]; then
  rev=$(git rev-parse --short "$BENCH_BASELINE")
  wt="${TMPDIR:-/tmp}/headroom-baseline-$rev"
  [ -d "$wt" ] || git worktree add --detach -q "$wt" "$rev"
  (cd "$wt" && CARGO_TARGET_DIR="$wt/target" cargo build --release --locked -q)
  extra+=("$wt/target/release/headroom check $*")
  labels+=("baseline $rev: headroom check")
fi

# headroom exits 1 when a rule fails; that is a verdict, not a benchmark error (-i).
# One run, so every figure shares the machine's mood of the moment: medians, then ratios.
hyperfine -N -i --warmup 20 --runs 300 --export-json "$out/h.json" \
  "/bin/true" "$bin check $*" "$bin --version" "$bin check --only memory,swap,cpu,disk $*" \
  "${extra[@]}" >&2

median() { jq -r ".results[$1].median" "$out/h.json"; }
t_true=$(median 0); t_check=$(median 1)
ratio=$(awk -v a="$t_check" -v b="$t_true" 'BEGIN { printf "%.2f", a / b }')
row() {
  local t; t=$(median "$2")
  printf '%-44s %8.3f ms  %5.2f x\n' "$1" "$(awk -v t="$t" 'BEGIN { print t * 1000 }')" \
    "$(awk -v a="$t" -v b="$t_true" 'BEGIN { print a / b }')"
}

rss_kb=0
for _ in 1 2 3 4 5; do
  kb=$(/usr/bin/time -v "$bin" check "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }')
  [ "$kb" -gt "$rss_kb" ] && rss_kb=$kb
done
size=$(stat -c %s "$bin")

echo
row "/bin/true" 0
row "headroom --version" 2
row "headroom check --only memory,swap,cpu,disk" 3
for i in "${!labels[@]}"; do row "${labels[$i]}" $((4 + i)); done
row "headroom check (median)" 1
printf '%-44s %8s     %5s x (target <= 5)\n' "ratio" "" "$ratio"
printf '%-44s %8.2f MiB (target <= 8)\n' "peak RSS (max of 5)" "$(awk -v k="$rss_kb" 'BEGIN { print k / 1024 }')"
printf '%-44s %8.2f MiB (target <= 8)\n' "release binary" "$(awk -v s="$size" 'BEGIN { print s / 1048576 }')"
