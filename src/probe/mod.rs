//! Probes: read the machine (through a [`Host`]) and turn what they read into [`Facts`].
//!
//! Each probe is a pure `parse(text)` plus a thin `read`/`collect` that goes through
//! [`Host::path`], so tests can point every probe at a fixture tree instead of `/`. Probes only
//! read; a probe that cannot answer records an unknown fact with its reason and never aborts the
//! run. The planner asks for the fact names the selected rules need, and only the probe groups
//! that produce one of them run.

pub mod cgroup;
pub mod cpu;
pub mod disk;
pub mod host;
pub mod inputs;
pub mod loadavg;
pub mod machine;
pub mod meminfo;
pub mod memory;
pub mod mountinfo;
pub mod pressure;
pub mod procfs;
pub mod swaps;
pub mod sysctl;
pub mod vmstat;

pub use host::Host;
pub use inputs::Inputs;

use crate::facts::{FactSpec, Facts};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// A group of facts produced together by one probe (they share the files they read).
pub struct Group {
    /// Short name shown by `--timings`.
    pub name: &'static str,
    pub facts: &'static [FactSpec],
    pub collect: fn(&Ctx, &mut Facts),
}

/// Everything a probe may look at: the machine and what the user pointed headroom at.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub host: Host,
    pub inputs: Inputs,
}

/// Every probe group, in dependency order: later groups may read facts of earlier ones
/// (effective memory needs the cgroup limit, which needs the host total).
pub fn groups() -> Vec<Group> {
    let mut g = host_groups();
    g.extend(other_groups());
    g
}

/// The Linux host probes (meminfo, cgroups, CPUs, disks, where it runs). Each reads only files
/// under `Host::root`; `memory` derives from meminfo and cgroup by reading them itself, so it is
/// correct even when the planner runs it alone.
pub fn host_groups() -> Vec<Group> {
    vec![
        Group {
            name: "meminfo",
            facts: meminfo::FACTS,
            collect: meminfo::collect,
        },
        Group {
            name: "swaps",
            facts: swaps::FACTS,
            collect: swaps::collect,
        },
        Group {
            name: "sysctl",
            facts: sysctl::FACTS,
            collect: sysctl::collect,
        },
        Group {
            name: "vmstat",
            facts: vmstat::FACTS,
            collect: vmstat::collect,
        },
        Group {
            name: "loadavg",
            facts: loadavg::FACTS,
            collect: loadavg::collect,
        },
        Group {
            name: "pressure",
            facts: pressure::FACTS,
            collect: pressure::collect,
        },
        Group {
            name: "cgroup",
            facts: cgroup::FACTS,
            collect: cgroup::collect,
        },
        Group {
            name: "cpu",
            facts: cpu::FACTS,
            collect: cpu::collect,
        },
        Group {
            name: "disk",
            facts: disk::FACTS,
            collect: disk::collect,
        },
        Group {
            name: "machine",
            facts: machine::FACTS,
            collect: machine::collect,
        },
        Group {
            name: "memory",
            facts: memory::FACTS,
            collect: memory::collect,
        },
    ]
}

/// Every host fact at once (all of [`host_groups`], in order): for callers that want the whole
/// machine without going through the planner.
pub fn collect_host(ctx: &Ctx) -> Facts {
    let mut facts = Facts::new();
    for g in host_groups() {
        (g.collect)(ctx, &mut facts);
    }
    facts
}

/// Groups of the other areas (gunicorn, postgres, compose, docker) join here.
fn other_groups() -> Vec<Group> {
    vec![
        // Compose first: the Gunicorn and PostgreSQL groups read the services it finds.
        Group {
            name: "compose",
            facts: crate::compose::FACTS,
            collect: crate::compose::collect,
        },
        crate::gunicorn::GROUP,
        crate::gunicorn::LOG_GROUP,
        crate::postgres::group(),
        Group {
            name: "docker",
            facts: crate::docker::FACTS,
            collect: crate::docker::collect,
        },
    ]
}

/// The fact tables of every group, for the registry.
pub fn fact_tables() -> Vec<&'static [FactSpec]> {
    groups().into_iter().map(|g| g.facts).collect()
}

/// How long one probe group took, for `--timings`.
#[derive(Clone, Debug)]
pub struct Timing {
    pub probe: &'static str,
    pub took: Duration,
}

/// Runs the groups that produce at least one needed fact (all groups when `needed` is `None`).
pub fn collect(ctx: &Ctx, needed: Option<&BTreeSet<String>>) -> (Facts, Vec<Timing>) {
    let mut facts = Facts::new();
    let mut timings = Vec::new();
    for g in groups() {
        let wanted = needed.is_none_or(|n| {
            n.iter()
                .any(|name| g.facts.iter().any(|spec| spec.matches(name)))
        });
        if !wanted {
            continue;
        }
        let start = Instant::now();
        (g.collect)(ctx, &mut facts);
        timings.push(Timing {
            probe: g.name,
            took: start.elapsed(),
        });
    }
    (facts, timings)
}
