#!/bin/sh
# node_exporter textfile collector job: run from cron or a systemd timer, e.g.
#   */15 * * * * root /usr/local/bin/headroom-textfile.sh /var/lib/node_exporter/textfile_collector
# Writes headroom.prom atomically (node_exporter must never read a half-written file).
# Exit 1 from headroom means "findings", which the metrics carry; only 2 is an error.
set -eu
dir=${1:?usage: headroom-textfile.sh TEXTFILE_DIR [headroom args]}
shift
tmp="$dir/.headroom.prom.$$"
trap 'rm -f "$tmp"' EXIT
status=0
headroom check --format prometheus "$@" > "$tmp" || status=$?
[ "$status" -le 1 ] || exit "$status"
mv "$tmp" "$dir/headroom.prom"
