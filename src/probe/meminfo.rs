//! `/proc/meminfo`: the host's RAM, swap and commit accounting.
//!
//! Inside a container these are still the **host's** numbers (domain.md §0.6, §4.1); the cgroup
//! probe supplies the limit and `memory.rs` combines both into what the stack can really use.

use super::Ctx;
use super::procfs::{ParseError, quote};
use crate::facts::Facts;
use crate::facts::registry::{FactSpec, bytes};

pub const FACTS: &[FactSpec] = &[
    bytes(
        "memory.host_total",
        "RAM the kernel manages (/proc/meminfo MemTotal); host value even inside a container",
    ),
    bytes(
        "memory.host_available",
        "RAM available to new programs without swapping (MemAvailable), host-wide",
    ),
    bytes(
        "memory.committed",
        "Memory the current workload could touch in the worst case (Committed_AS)",
    ),
    bytes(
        "memory.commit_limit",
        "CommitLimit: swap + RAM × overcommit_ratio; enforced only when vm.overcommit_memory = 2",
    ),
    bytes(
        "memory.shmem",
        "tmpfs and shared memory in use (Shmem), including /dev/shm and PostgreSQL shared memory",
    ),
    bytes(
        "memory.hugepages",
        "RAM reserved as huge pages (HugePages_Total × Hugepagesize): not usable by ordinary processes",
    ),
    bytes("swap.total", "Swap configured on the host (SwapTotal)"),
    bytes("swap.free", "Swap not in use on the host (SwapFree)"),
];

/// The meminfo fields headroom uses, in bytes. `None` when the kernel does not print the field
/// (MemAvailable appeared in 3.14).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meminfo {
    pub mem_total: Option<i64>,
    pub mem_available: Option<i64>,
    pub swap_total: Option<i64>,
    pub swap_free: Option<i64>,
    pub committed_as: Option<i64>,
    pub commit_limit: Option<i64>,
    pub shmem: Option<i64>,
    /// A count of pages, not bytes.
    pub hugepages_total: Option<i64>,
    pub hugepage_size: Option<i64>,
}

/// Parses meminfo text. Values are printed in "kB" which the kernel means as KiB
/// (`show_val_kb()` shifts by 10), so they are multiplied by 1024. A file without `MemTotal` is
/// not meminfo and is an error.
pub fn parse(text: &str) -> Result<Meminfo, ParseError> {
    let mut m = Meminfo::default();
    for (i, line) in text.lines().enumerate() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        let slot = match key.trim() {
            "MemTotal" => &mut m.mem_total,
            "MemAvailable" => &mut m.mem_available,
            "SwapTotal" => &mut m.swap_total,
            "SwapFree" => &mut m.swap_free,
            "Committed_AS" => &mut m.committed_as,
            "CommitLimit" => &mut m.commit_limit,
            "Shmem" => &mut m.shmem,
            "HugePages_Total" => &mut m.hugepages_total,
            "Hugepagesize" => &mut m.hugepage_size,
            _ => continue,
        };
        let mut it = rest.split_whitespace();
        let n: i64 = it.next().and_then(|v| v.parse().ok()).ok_or_else(|| {
            ParseError::at(
                i + 1,
                format!("{}: not a number: {}", key.trim(), quote(rest)),
            )
        })?;
        let scale = match it.next() {
            Some("kB") => 1024,
            None => 1,
            Some(u) => {
                return Err(ParseError::at(
                    i + 1,
                    format!("unexpected unit {}", quote(u)),
                ));
            }
        };
        *slot = Some(n.saturating_mul(scale));
    }
    if m.mem_total.is_none() {
        return Err(ParseError::new("no MemTotal line"));
    }
    Ok(m)
}

/// Reads `/proc/meminfo` under the host root.
pub fn read(ctx: &Ctx) -> Result<Meminfo, String> {
    let text = ctx.host.read("/proc/meminfo")?;
    parse(&text).map_err(|e| format!("cannot parse /proc/meminfo: {e}"))
}

pub fn collect(ctx: &Ctx, facts: &mut Facts) {
    let m = match read(ctx) {
        Ok(m) => m,
        Err(reason) => {
            for spec in FACTS {
                facts.unknown(spec.name, reason.clone());
            }
            return;
        }
    };
    let huge = match (m.hugepages_total, m.hugepage_size) {
        (Some(0), _) => Some(0),
        (Some(n), Some(s)) => Some(n.saturating_mul(s)),
        _ => None,
    };
    let fields = [
        ("memory.host_total", m.mem_total, "MemTotal"),
        ("memory.host_available", m.mem_available, "MemAvailable"),
        ("memory.committed", m.committed_as, "Committed_AS"),
        ("memory.commit_limit", m.commit_limit, "CommitLimit"),
        ("memory.shmem", m.shmem, "Shmem"),
        ("memory.hugepages", huge, "HugePages_Total × Hugepagesize"),
        ("swap.total", m.swap_total, "SwapTotal"),
        ("swap.free", m.swap_free, "SwapFree"),
    ];
    for (name, value, key) in fields {
        match value {
            Some(v) => facts.set(name, v, format!("/proc/meminfo {key}")),
            None => facts.unknown(name, format!("/proc/meminfo has no {key} line")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Head of /proc/meminfo on the project's build host (Debian 12, kernel 6.18, 24 GB, no swap).
    const HOST: &str = "\
MemTotal:       24683656 kB
MemFree:        23913840 kB
MemAvailable:   24234316 kB
Buffers:            8616 kB
Cached:           490116 kB
SwapCached:            0 kB
SwapTotal:             0 kB
SwapFree:              0 kB
Shmem:              8952 kB
CommitLimit:    12341828 kB
Committed_AS:     201352 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
";

    #[test]
    fn kb_means_kib() {
        let m = parse(HOST).unwrap();
        assert_eq!(m.mem_total, Some(24_683_656 * 1024));
        assert_eq!(m.mem_available, Some(24_234_316 * 1024));
        assert_eq!(m.swap_total, Some(0));
        assert_eq!(m.commit_limit, Some(12_341_828 * 1024));
        assert_eq!(m.committed_as, Some(201_352 * 1024));
        assert_eq!(m.shmem, Some(8952 * 1024));
        assert_eq!(m.hugepages_total, Some(0));
        assert_eq!(m.hugepage_size, Some(2048 * 1024));
    }

    #[test]
    fn missing_available_is_none_not_zero() {
        let m = parse("MemTotal: 1024 kB\n").unwrap();
        assert_eq!(m.mem_available, None);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(parse("").is_err());
        assert!(parse("MemTotal: lots kB").is_err());
        assert!(parse("MemTotal: 1 MB").is_err());
        assert!(parse("\u{0}\u{1}garbage:::").is_err());
    }
}
