//! Derived memory facts: what the stack can really use, combining the host's `/proc/meminfo`
//! with every cgroup limit above this process.
//!
//! This is the number the sizing rules need. `/proc/meminfo` alone is wrong inside a container
//! (domain.md §0.6) and the cgroup limit alone is wrong when it is larger than the RAM, so the
//! smaller wins and the source says which one and why.

use super::Ctx;
use super::cgroup::{self, Limit};
use super::meminfo::{self, Meminfo};
use crate::facts::Facts;
use crate::facts::registry::{FactSpec, bytes};
use crate::facts::units;

pub const FACTS: &[FactSpec] = &[
    bytes(
        "memory.effective_total",
        "Memory this process's cgroup can use: min(host MemTotal, every cgroup hard limit)",
    ),
    bytes(
        "memory.effective_available",
        "Memory still available to it: min(MemAvailable, limit − (usage − inactive_file)) when limited",
    ),
    bytes(
        "swap.effective_total",
        "Swap this process's cgroup can use: min(host SwapTotal, cgroup swap limit)",
    ),
];

/// What the cgroup says about memory, reduced to what the derivation needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CgroupMemory {
    /// No memory controller, or no limit anywhere up the tree.
    Unlimited,
    Limited {
        limit: i64,
        source: String,
        /// `usage − inactive_file`, the part that cannot be reclaimed cheaply.
        working_set: Result<i64, String>,
    },
    Unknown(String),
}

/// Swap the cgroup allows: `None` when it sets no swap limit.
pub type CgroupSwap = Result<Option<(i64, String)>, String>;

/// The derived facts, computed from typed inputs so they can be tested without files.
pub fn derive(
    host: &Result<Meminfo, String>,
    cg: &CgroupMemory,
    cg_swap: &CgroupSwap,
    facts: &mut Facts,
) {
    let total = host.as_ref().map_err(Clone::clone).and_then(|m| {
        m.mem_total
            .ok_or_else(|| "/proc/meminfo has no MemTotal".to_string())
    });
    match (&total, cg) {
        (_, CgroupMemory::Unknown(r)) => {
            facts.unknown(
                "memory.effective_total",
                format!("cgroup memory limit unknown: {r}"),
            );
            facts.unknown(
                "memory.effective_available",
                format!("cgroup memory limit unknown: {r}"),
            );
        }
        (Err(r), _) => {
            facts.unknown(
                "memory.effective_total",
                format!("host memory unknown: {r}"),
            );
            facts.unknown(
                "memory.effective_available",
                format!("host memory unknown: {r}"),
            );
        }
        (Ok(t), CgroupMemory::Unlimited) => {
            facts.set(
                "memory.effective_total",
                *t,
                "/proc/meminfo MemTotal (no cgroup memory limit)",
            );
            set_available(facts, host, None);
        }
        (
            Ok(t),
            CgroupMemory::Limited {
                limit,
                source,
                working_set,
            },
        ) => {
            if limit < t {
                let src = format!("{source} < host total {}", units::bytes(*t));
                facts.set("memory.effective_total", *limit, src);
            } else {
                let src = format!(
                    "/proc/meminfo MemTotal (cgroup limit {} from {source} is not smaller)",
                    units::bytes(*limit)
                );
                facts.set("memory.effective_total", *t, src);
            }
            set_available(facts, host, Some((*limit, working_set)));
        }
    }

    let host_swap = host.as_ref().map_err(Clone::clone).and_then(|m| {
        m.swap_total
            .ok_or_else(|| "/proc/meminfo has no SwapTotal".to_string())
    });
    match (host_swap, cg_swap) {
        (Err(r), _) => facts.unknown("swap.effective_total", format!("host swap unknown: {r}")),
        (_, Err(r)) => facts.unknown(
            "swap.effective_total",
            format!("cgroup swap limit unknown: {r}"),
        ),
        (Ok(s), Ok(None)) => facts.set(
            "swap.effective_total",
            s,
            "/proc/meminfo SwapTotal (no cgroup swap limit)",
        ),
        (Ok(s), Ok(Some((lim, src)))) if *lim < s => facts.set(
            "swap.effective_total",
            *lim,
            format!("{src} < host swap {}", units::bytes(s)),
        ),
        (Ok(s), Ok(Some((lim, _)))) => facts.set(
            "swap.effective_total",
            s,
            format!(
                "/proc/meminfo SwapTotal (cgroup swap limit {} is not smaller)",
                units::bytes(*lim)
            ),
        ),
    }
}

fn set_available(
    facts: &mut Facts,
    host: &Result<Meminfo, String>,
    limited: Option<(i64, &Result<i64, String>)>,
) {
    let avail = match host {
        Ok(m) => m
            .mem_available
            .ok_or_else(|| "/proc/meminfo has no MemAvailable".to_string()),
        Err(r) => Err(r.clone()),
    };
    let name = "memory.effective_available";
    match (avail, limited) {
        (Err(r), _) => facts.unknown(name, r),
        (Ok(a), None) => facts.set(
            name,
            a,
            "/proc/meminfo MemAvailable (no cgroup memory limit)",
        ),
        (Ok(_), Some((_, Err(r)))) => facts.unknown(name, format!("cgroup usage unknown: {r}")),
        (Ok(a), Some((limit, Ok(ws)))) => {
            let room = (limit - ws).max(0);
            if room < a {
                facts.set(
                    name,
                    room,
                    format!(
                        "cgroup limit {} − working set {} (usage − inactive_file) < host MemAvailable {}",
                        units::bytes(limit),
                        units::bytes(*ws),
                        units::bytes(a)
                    ),
                );
            } else {
                facts.set(
                    name,
                    a,
                    "/proc/meminfo MemAvailable (below the cgroup's headroom)",
                );
            }
        }
    }
}

/// Reads the inputs (again: each read is a few small files, cheaper than coupling groups) and
/// derives the facts.
pub fn collect(ctx: &Ctx, facts: &mut Facts) {
    let host = meminfo::read(ctx);
    let (cg, swap) = match cgroup::read_layout(ctx) {
        Err(r) => (CgroupMemory::Unknown(r.clone()), Err(r)),
        Ok(layout) => match cgroup::read_memory(ctx, &layout) {
            None if layout.memory_hidden => (
                CgroupMemory::Unknown(cgroup::HIDDEN.to_string()),
                Err(cgroup::HIDDEN.to_string()),
            ),
            None => (CgroupMemory::Unlimited, Ok(None)),
            Some(m) => {
                let cg = match &m.limit {
                    Err(r) => CgroupMemory::Unknown(r.clone()),
                    Ok(f) => match f.limit {
                        Limit::Unlimited => CgroupMemory::Unlimited,
                        Limit::Bytes(b) => CgroupMemory::Limited {
                            limit: b,
                            source: cgroup::limit_source(m.dir.kind, f),
                            working_set: match (&m.usage, &m.inactive_file) {
                                (Ok(u), Ok(i)) => Ok((u - i).max(0)),
                                // Without memory.stat, count all usage: errs on the safe side.
                                (Ok(u), Err(_)) => Ok(*u),
                                (Err(r), _) => Err(r.clone()),
                            },
                        },
                    },
                };
                (cg, m.swap.clone())
            }
        },
    };
    derive(&host, &cg, &swap, facts);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::units::{GIB, MIB};

    fn host(total: i64, avail: i64, swap: i64) -> Result<Meminfo, String> {
        Ok(Meminfo {
            mem_total: Some(total),
            mem_available: Some(avail),
            swap_total: Some(swap),
            ..Meminfo::default()
        })
    }

    #[test]
    fn limit_below_host_wins_and_says_so() {
        let mut f = Facts::new();
        let cg = CgroupMemory::Limited {
            limit: 512 * MIB,
            source: "cgroup v1 memory.limit_in_bytes (/sys/fs/cgroup/memory)".into(),
            working_set: Ok(100 * MIB),
        };
        derive(
            &host(24 * GIB, 20 * GIB, 0),
            &cg,
            &Ok(Some((0, "memsw".into()))),
            &mut f,
        );
        assert_eq!(f.int("memory.effective_total"), Some(512 * MIB));
        assert_eq!(
            f.source("memory.effective_total"),
            Some("cgroup v1 memory.limit_in_bytes (/sys/fs/cgroup/memory) < host total 24 GiB")
        );
        assert_eq!(f.int("memory.effective_available"), Some(412 * MIB));
        assert_eq!(f.int("swap.effective_total"), Some(0));
    }

    #[test]
    fn limit_above_host_loses() {
        let mut f = Facts::new();
        let cg = CgroupMemory::Limited {
            limit: 64 * GIB,
            source: "x".into(),
            working_set: Ok(0),
        };
        derive(&host(2 * GIB, GIB, GIB), &cg, &Ok(None), &mut f);
        assert_eq!(f.int("memory.effective_total"), Some(2 * GIB));
        assert!(
            f.source("memory.effective_total")
                .unwrap()
                .contains("is not smaller")
        );
        assert_eq!(f.int("swap.effective_total"), Some(GIB));
    }

    #[test]
    fn unknowns_propagate_with_reasons() {
        let mut f = Facts::new();
        derive(
            &Err("cannot read /proc/meminfo: is a directory".into()),
            &CgroupMemory::Unlimited,
            &Ok(None),
            &mut f,
        );
        assert!(
            f.why_unknown("memory.effective_total")
                .contains("is a directory")
        );
        assert!(
            f.why_unknown("swap.effective_total")
                .contains("is a directory")
        );
        let mut f = Facts::new();
        derive(
            &host(GIB, GIB, 0),
            &CgroupMemory::Unknown("garbage".into()),
            &Ok(None),
            &mut f,
        );
        assert!(f.why_unknown("memory.effective_total").contains("garbage"));
    }
}
