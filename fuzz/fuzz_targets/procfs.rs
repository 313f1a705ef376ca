//! The /proc and cgroup parsers: meminfo, mountinfo, /proc/self/cgroup, memory.max-style limits,
//! cpu.max, and PSI pressure files.
#![no_main]
use headroom::probe::{cgroup, meminfo, mountinfo, pressure};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = meminfo::parse(text);
    let _ = mountinfo::parse(text);
    let _ = cgroup::parse_proc_cgroup(text);
    let _ = cgroup::parse_limit(text);
    let _ = cgroup::parse_cpu_max(text);
    let _ = pressure::parse(text);
});
