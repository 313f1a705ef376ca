//! TEMPORARY: host fact names until the host probes land (removed at merge).
use crate::facts::FactSpec;
use crate::facts::registry::{bytes, float, int, percent, secs};
pub const FACTS: &[FactSpec] = &[
    bytes("memory.host_total", ""),
    bytes("memory.effective_total", ""),
    bytes("memory.effective_available", ""),
    bytes("memory.committed", ""),
    bytes("memory.commit_limit", ""),
    int("oom.host_kills", ""),
    int("oom.cgroup_kills", ""),
    secs("machine.uptime", ""),
    percent("pressure.memory_some_avg60", ""),
    percent("pressure.memory_full_avg60", ""),
    bytes("swap.total", ""),
    bytes("swap.effective_total", ""),
    int("vm.swappiness", ""),
    int("vm.overcommit_memory", ""),
    int("vm.overcommit_ratio", ""),
    int("cpu.online", ""),
    float("cpu.effective", ""),
    float("load.avg5", ""),
    bytes("disk.root_free", ""),
    bytes("disk.root_total", ""),
    bytes("disk.docker_free", ""),
    bytes("disk.shm_total", ""),
];
