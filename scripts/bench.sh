#!/usr/bin/env bash
# Speed and size of `headroom check` on this machine, against /bin/true in the same run.
# Prints: hyperfine medians and their ratio, peak RSS (/usr/bin/time -v), release binary size.
# Usage: scripts/bench.sh [extra headroom args...]   (e.g. --compose compose.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup/lib.sh
apt_install hyperfine time jq

cargo build --release --locked -q
bin=target/release/headroom
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# headroom exits 1 when a rule fails; that is a verdict, not a benchmark error (-i).
hyperfine -N -i --warmup 20 --runs 300 --export-json "$out/h.json" \
  "/bin/true" "$bin check $*" >&2

median() { jq -r ".results[$1].median" "$out/h.json"; }
t_true=$(median 0); t_check=$(median 1)
ratio=$(awk -v a="$t_check" -v b="$t_true" 'BEGIN { printf "%.2f", a / b }')

rss_kb=0
for _ in 1 2 3 4 5; do
  kb=$(/usr/bin/time -v "$bin" check "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }')
  [ "$kb" -gt "$rss_kb" ] && rss_kb=$kb
done
size=$(stat -c %s "$bin")

printf '\n%-28s %10.3f ms\n' "/bin/true median" "$(awk -v t="$t_true" 'BEGIN { print t * 1000 }')"
printf '%-28s %10.3f ms\n' "headroom check median" "$(awk -v t="$t_check" 'BEGIN { print t * 1000 }')"
printf '%-28s %10s x   (target <= 5)\n' "ratio" "$ratio"
printf '%-28s %10.2f MiB (target <= 8)\n' "peak RSS (max of 5)" "$(awk -v k="$rss_kb" 'BEGIN { print k / 1024 }')"
printf '%-28s %10.2f MiB (target <= 8)\n' "release binary" "$(awk -v s="$size" 'BEGIN { print s / 1048576 }')"
