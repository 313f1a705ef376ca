//! Probes: read the machine (through a [`Host`]) and turn what they read into [`Facts`].
//!
//! Each probe is a pure `parse(text)` plus a thin `read`/`collect` that goes through
//! [`Host::path`], so tests can point every probe at a fixture tree instead of `/`. Probes only
//! read; a probe that cannot answer records an unknown fact with its reason and never aborts the
//! run. The planner asks for the fact names the selected rules need, and only the probe groups
//! that produce one of them run.

pub mod host;
pub mod inputs;
pub mod stub;

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
    vec![
        Group {
            name: "compose",
            facts: crate::compose::FACTS,
            collect: crate::compose::collect,
        },
        Group {
            name: "docker",
            facts: crate::docker::FACTS,
            collect: crate::docker::collect,
        },
    ]
}

/// The fact tables of every group, for the registry.
pub fn fact_tables() -> Vec<&'static [FactSpec]> {
    let mut t: Vec<&'static [FactSpec]> = groups().into_iter().map(|g| g.facts).collect();
    t.push(stub::FACTS);
    t
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
