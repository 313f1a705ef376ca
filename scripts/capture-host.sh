#!/bin/sh
# Copies the files headroom's host probes read into OUTDIR, laid out as under /, so the tree can
# be replayed with a fixture Host (tests/fixtures/hosts/<name>/) or attached to a bug report.
# Read-only on the machine; copies only small kernel text files, never application data.
#
#   scripts/capture-host.sh OUTDIR
#
# Add a README.md to OUTDIR saying where and when it was captured and what is unusual.
set -eu
out=${1:?usage: capture-host.sh OUTDIR}
mkdir -p "$out"

copy() { # copy ABSPATH if it is a readable regular file
    [ -f "$1" ] || return 0
    mkdir -p "$out$(dirname "$1")"
    cat "$1" > "$out$1" 2>/dev/null || rm -f "$out$1"
}

for f in /proc/meminfo /proc/swaps /proc/vmstat /proc/uptime /proc/loadavg /proc/cpuinfo \
    /proc/pressure/memory /proc/pressure/cpu /proc/pressure/io \
    /proc/sys/vm/swappiness /proc/sys/vm/overcommit_memory /proc/sys/vm/overcommit_ratio \
    /proc/sys/vm/panic_on_oom /proc/sys/vm/oom_kill_allocating_task /proc/sys/kernel/osrelease \
    /sys/devices/system/cpu/online /sys/class/dmi/id/sys_vendor /sys/class/dmi/id/product_name \
    /etc/os-release /usr/lib/os-release /etc/docker/daemon.json /.dockerenv /run/.containerenv \
    /proc/1/cgroup; do
    copy "$f"
done

# /proc/self is this shell: the same cgroup and mount namespace as a headroom run from it.
mkdir -p "$out/proc/self"
cat /proc/self/cgroup > "$out/proc/self/cgroup"
cat /proc/self/mountinfo > "$out/proc/self/mountinfo"
grep -E '^(Name|Cpus_allowed|Cpus_allowed_list|Mems_allowed_list):' /proc/self/status \
    > "$out/proc/self/status" || true

# Each cgroup mount × each path in /proc/self/cgroup, and every ancestor up to the mount: the
# probe strips the mount's root and walks up, so copying all candidates covers every layout.
mounts=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "-") {
    if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2") print $5; break } }' /proc/self/mountinfo)
paths=$(cut -d: -f3- /proc/self/cgroup | sort -u)
for m in $mounts; do
    for p in $paths; do
        d=${p%/}
        while :; do
            if [ -d "$m$d" ]; then
                mkdir -p "$out$m$d"
                for f in "$m$d"/memory.* "$m$d"/cpu.* "$m$d"/cpuset.* "$m$d"/cgroup.controllers; do
                    case $f in */memory.numa_stat | */memory.kmem.* | */memory.force_empty) continue ;; esac
                    copy "$f"
                done
            fi
            [ -z "$d" ] && break
            d=${d%/*}
        done
    done
done

# Sizes for the disk facts (statvfs is only called on a live host): df in bytes.
{
    printf '{'
    sep=''
    for p in / /var/lib/docker /dev/shm; do
        [ -d "$p" ] || continue
        df -B1 --output=size,avail "$p" 2>/dev/null | awk -v p="$p" -v s="$sep" \
            'NR == 2 { printf "%s\n  \"%s\": {\"total\": %s, \"free\": %s}", s, p, $1, $2 }'
        sep=','
    done
    printf '\n}\n'
} > "$out/statvfs.json"
mkdir -p "$out/tmp" "$out/dev/shm"
[ -d /var/lib/docker ] && mkdir -p "$out/var/lib/docker"
echo "captured into $out"
