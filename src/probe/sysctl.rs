//! `/proc/sys/vm/*`: the kernel's swapping and overcommit policy (domain.md §4.2).
//!
//! Each sysctl is a file holding one integer; a missing file (an old kernel, a locked-down
//! container) makes only that fact unknown.

use super::Ctx;
use super::procfs::parse_int;
use crate::facts::Facts;
use crate::facts::registry::{FactSpec, int};

pub const FACTS: &[FactSpec] = &[
    int(
        "vm.swappiness",
        "vm.swappiness (0–200 since 5.8, default 60): how eagerly anonymous memory is swapped",
    ),
    int(
        "vm.overcommit_memory",
        "vm.overcommit_memory: 0 heuristic (default), 1 always, 2 strict (CommitLimit enforced)",
    ),
    int(
        "vm.overcommit_ratio",
        "vm.overcommit_ratio (default 50): % of RAM counted in CommitLimit when overcommit_memory = 2",
    ),
    int(
        "vm.panic_on_oom",
        "vm.panic_on_oom: non-zero makes an OOM panic the machine instead of killing a process",
    ),
    int(
        "vm.oom_kill_allocating_task",
        "vm.oom_kill_allocating_task: non-zero kills the task that asked for memory, not the biggest one",
    ),
];

pub fn collect(ctx: &Ctx, facts: &mut Facts) {
    for spec in FACTS {
        let key = spec.name.trim_start_matches("vm.");
        let path = format!("/proc/sys/vm/{key}");
        let value = ctx
            .host
            .read(&path)
            .and_then(|t| parse_int(&t).map_err(|e| format!("cannot parse {path}: {e}")));
        match value {
            Ok(v) => facts.set(spec.name, v, path),
            Err(reason) => facts.unknown(spec.name, reason),
        }
    }
}
