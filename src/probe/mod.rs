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
pub mod gunicorn_live;
pub mod host;
pub mod inputs;
pub mod latency;
pub mod loadavg;
pub mod machine;
pub mod meminfo;
pub mod memory;
pub mod mountinfo;
pub mod pressure;
pub mod procfs;
pub mod swaps;
pub mod sysctl;
pub mod threads;
pub mod vmstat;

pub use host::Host;
pub use inputs::Inputs;

use crate::facts::{FactSpec, Facts};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What a probe group runs: read through the context, record into the facts.
pub type Collect = fn(&Ctx, &mut Facts);

/// A group of facts produced together by one probe (they share the files they read).
pub struct Group {
    /// Short name shown by `--timings`.
    pub name: &'static str,
    pub facts: &'static [FactSpec],
    pub collect: fn(&Ctx, &mut Facts),
    pub kind: Kind,
    /// For network groups: whether this run gives them anything to ask (a URL, a socket). Idle
    /// ones run inline: spawning a thread costs more than recording "not asked".
    pub active: fn(&Ctx) -> bool,
}

/// When a group runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Reads local files, in order; cheap.
    Local,
    /// Talks to something that may not answer (a socket, a server), or scans something large
    /// (every process in /proc). Active network groups run on their own threads, alongside the
    /// local groups and each other, each bounded by `--timeout`: three dead endpoints cost one
    /// timeout. They read only the context, never another group's facts.
    Network,
    /// Computed from the facts of every other group (the memory budget); runs last, and when
    /// needed pulls in every other group.
    Derived,
}

/// Everything a probe may look at: the machine and what the user pointed headroom at.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub host: Host,
    pub inputs: Inputs,
}

fn always(_: &Ctx) -> bool {
    true
}

impl Group {
    pub const fn local(
        name: &'static str,
        facts: &'static [FactSpec],
        collect: fn(&Ctx, &mut Facts),
    ) -> Self {
        Self {
            name,
            facts,
            collect,
            kind: Kind::Local,
            active: always,
        }
    }
    pub const fn network(
        name: &'static str,
        facts: &'static [FactSpec],
        collect: fn(&Ctx, &mut Facts),
        active: fn(&Ctx) -> bool,
    ) -> Self {
        Self {
            name,
            facts,
            collect,
            kind: Kind::Network,
            active,
        }
    }
    pub const fn derived(
        name: &'static str,
        facts: &'static [FactSpec],
        collect: fn(&Ctx, &mut Facts),
    ) -> Self {
        Self {
            name,
            facts,
            collect,
            kind: Kind::Derived,
            active: always,
        }
    }
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
        Group::local("meminfo", meminfo::FACTS, meminfo::collect),
        Group::local("swaps", swaps::FACTS, swaps::collect),
        Group::local("sysctl", sysctl::FACTS, sysctl::collect),
        Group::local("vmstat", vmstat::FACTS, vmstat::collect),
        Group::local("loadavg", loadavg::FACTS, loadavg::collect),
        Group::local("pressure", pressure::FACTS, pressure::collect),
        Group::local("cgroup", cgroup::FACTS, cgroup::collect),
        Group::local("cpu", cpu::FACTS, cpu::collect),
        Group::local("disk", disk::FACTS, disk::collect),
        Group::local("machine", machine::FACTS, machine::collect),
        Group::local("memory", memory::FACTS, memory::collect),
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
        Group::local("compose", crate::compose::FACTS, crate::compose::collect),
        Group::local("stack", crate::stack::FACTS, crate::stack::collect),
        crate::gunicorn::GROUP,
        crate::gunicorn::LOG_GROUP,
        // Scans every process in /proc: alongside the local groups, on its own thread.
        Group::network(
            "gunicorn-live",
            gunicorn_live::FACTS,
            gunicorn_live::collect,
            |_| true,
        ),
        Group::network("latency", latency::FACTS, latency::collect, |ctx| {
            !ctx.inputs.urls.is_empty()
        }),
        crate::postgres::group(),
        Group::network(
            "docker",
            crate::docker::FACTS,
            crate::docker::collect,
            crate::docker::asked,
        ),
        Group::derived("budget", crate::budget::FACTS, crate::budget::collect),
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

/// The local groups of a run, taken one at a time by the main thread and by every helper thread
/// that has finished its own network group: no group reads another's facts (shared inputs go
/// through [`Host::memo`]), so any thread may run any of them, and the work spreads over the CPUs
/// the process has without a fixed split to tune.
struct Queue {
    groups: Vec<(&'static str, Collect)>,
    next: AtomicUsize,
    done: Vec<AtomicBool>,
}

impl Queue {
    fn run(&self, ctx: &Ctx, facts: &mut Facts, timings: &mut Vec<Timing>) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(&(probe, collect)) = self.groups.get(i) else {
                return;
            };
            let start = Instant::now();
            collect(ctx, facts);
            timings.push(Timing {
                probe,
                took: start.elapsed(),
            });
            if let Some(d) = self.done.get(i) {
                d.store(true, Ordering::Release);
            }
        }
    }
}

/// The facts of a group whose probe died, each unknown with that reason.
fn failed(g: &Group) -> Facts {
    let mut f = Facts::new();
    for spec in g.facts {
        f.unknown(spec.name, format!("the {} probe failed", g.name));
    }
    f
}

/// Runs the groups that produce at least one needed fact (all groups when `needed` is `None`):
/// every active network group on its own thread, the local groups on this thread and on helpers
/// that are done, then the derived groups.
pub fn collect(ctx: &Ctx, needed: Option<&BTreeSet<String>>) -> (Facts, Vec<Timing>) {
    let all = groups();
    let wants = |g: &Group| {
        needed.is_none_or(|n| {
            n.iter()
                .any(|name| g.facts.iter().any(|spec| spec.matches(name)))
        })
    };
    // A derived group reads everything, so needing it means needing every group.
    let everything = all.iter().any(|g| g.kind == Kind::Derived && wants(g));
    let chosen: Vec<&Group> = all.iter().filter(|g| everything || wants(g)).collect();
    let mut facts = Facts::new();
    let mut timings = Vec::new();
    let (network, idle): (Vec<&&Group>, Vec<&&Group>) = chosen
        .iter()
        .filter(|g| g.kind == Kind::Network)
        .partition(|g| (g.active)(ctx));
    let locals: Vec<_> = chosen
        .iter()
        .filter(|g| g.kind == Kind::Local)
        .chain(idle.iter().copied())
        .map(|g| (g.name, g.collect))
        .collect();
    let queue = Arc::new(Queue {
        done: locals.iter().map(|_| AtomicBool::new(false)).collect(),
        groups: locals,
        next: AtomicUsize::new(0),
    });
    // Network groups (and the /proc scan for live Gunicorn) read no other group's facts, only
    // the context: they run on their own threads, steered to another CPU (see `threads`), and
    // then help with the local groups, so a check costs the slowest of them, not the sum.
    // A run with no network group (`--only memory,swap`) still gets one helper for the queue
    // when there is a second CPU and enough groups to share.
    let stealer = network.is_empty() && queue.groups.len() >= 4 && threads::cpus() >= 2;
    let mut jobs: Vec<Option<&Group>> = network.iter().map(|g| Some(**g)).collect();
    if stealer {
        jobs.push(None);
    }
    let shared = (!jobs.is_empty()).then(|| Arc::new(ctx.clone()));
    let helpers: Vec<_> = jobs
        .into_iter()
        .map(|g| {
            let (ctx, queue) = (shared.clone(), queue.clone());
            let own_group = g.map(|g| (g.name, g.collect));
            let helper = threads::spawn(g.map_or("probe", |g| g.name), move || {
                let mut own = Facts::new();
                let mut times = Vec::new();
                if let Some(ctx) = ctx {
                    if let Some((probe, collect)) = own_group {
                        let start = Instant::now();
                        collect(&ctx, &mut own);
                        times.push(Timing {
                            probe,
                            took: start.elapsed(),
                        });
                    }
                    queue.run(&ctx, &mut own, &mut times);
                }
                (own, times)
            });
            (g, helper)
        })
        .collect();
    queue.run(ctx, &mut facts, &mut timings);
    for (g, helper) in helpers {
        let (f, t) = match (helper, g) {
            // A helper that died: its own group's facts are unknown (its stolen local group is
            // run again below).
            (Ok(h), g) => h
                .join()
                .unwrap_or_else(|| (g.map(failed).unwrap_or_default(), Vec::new())),
            // No thread to be had (the process or the machine is at its limit): run it here.
            (Err(_), Some(g)) => {
                let start = Instant::now();
                let mut f = Facts::new();
                (g.collect)(ctx, &mut f);
                let took = start.elapsed();
                (
                    f,
                    vec![Timing {
                        probe: g.name,
                        took,
                    }],
                )
            }
            (Err(_), None) => continue,
        };
        facts.extend(f);
        timings.extend(t);
    }
    // A helper that died took the facts of the local group it was running: run that one here.
    for (i, &(probe, collect)) in queue.groups.iter().enumerate() {
        if !queue.done.get(i).is_some_and(|d| d.load(Ordering::Acquire)) {
            let start = Instant::now();
            collect(ctx, &mut facts);
            timings.push(Timing {
                probe,
                took: start.elapsed(),
            });
        }
    }
    for g in chosen.iter().filter(|g| g.kind == Kind::Derived) {
        let start = Instant::now();
        (g.collect)(ctx, &mut facts);
        timings.push(Timing {
            probe: g.name,
            took: start.elapsed(),
        });
    }
    (facts, timings)
}
