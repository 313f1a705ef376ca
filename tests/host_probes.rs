//! The Linux host probes end to end: fixture host trees (captured from real machines, or
//! hand-made where one machine cannot show the case, each with a README) and the live machine,
//! checked against what independent tools (coreutils, procps) report.

use headroom::facts::{Fact, Facts};
use headroom::probe::{self, Ctx, Host, Inputs};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const FIXTURES: &[&str] = &[
    "cgroup1-hybrid-host",
    "cgroup1-docker-512m",
    "cgroup2-container-512m-noswap",
    "cgroup2-unlimited",
    "cgroup1-unlimited-sentinel",
    "cgroup2-nested-parent-smaller",
    "unreadable-meminfo",
    "cgroup-garbage",
];

const MIB: i64 = 1024 * 1024;

fn fixture_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hosts")
        .join(name)
}

fn ctx_for(host: Host) -> Ctx {
    Ctx {
        host,
        inputs: Inputs::default(),
    }
}

fn collect_host(ctx: &Ctx) -> Facts {
    probe::collect_host(ctx)
}

fn fixture(name: &str) -> Facts {
    let dir = fixture_dir(name);
    assert!(dir.is_dir(), "missing fixture {}", dir.display());
    collect_host(&ctx_for(Host::fixture(dir)))
}

fn int(f: &Facts, name: &str) -> i64 {
    f.int(name)
        .unwrap_or_else(|| panic!("{name} not a known int: {:?}", f.get(name)))
}

fn float(f: &Facts, name: &str) -> f64 {
    f.float(name)
        .unwrap_or_else(|| panic!("{name} not a known number: {:?}", f.get(name)))
}

fn string<'a>(f: &'a Facts, name: &str) -> &'a str {
    f.str(name)
        .unwrap_or_else(|| panic!("{name} not a known string: {:?}", f.get(name)))
}

fn source<'a>(f: &'a Facts, name: &str) -> &'a str {
    f.source(name)
        .unwrap_or_else(|| panic!("{name} has no source: {:?}", f.get(name)))
}

fn unknown<'a>(f: &'a Facts, name: &str) -> &'a str {
    match f.get(name) {
        Some(Fact::Unknown { unknown }) => unknown,
        other => panic!("{name} should be unknown, is {other:?}"),
    }
}

#[test]
fn hybrid_host_is_unlimited_vm_not_container() {
    let f = fixture("cgroup1-hybrid-host");
    assert_eq!(string(&f, "cgroup.version"), "hybrid");
    assert_eq!(
        string(&f, "cgroup.path"),
        "/process_api/025a584991d009cc139efcc9b940f94e"
    );
    assert_eq!(int(&f, "memory.host_total"), 24_683_656 * 1024);
    assert_eq!(int(&f, "memory.effective_total"), 24_683_656 * 1024);
    assert_eq!(
        source(&f, "memory.effective_total"),
        "/proc/meminfo MemTotal (no cgroup memory limit)"
    );
    assert_eq!(unknown(&f, "memory.cgroup_limit"), "no cgroup memory limit");
    assert_eq!(f.bool("memory.cgroup_limited"), Some(false));
    assert_eq!(int(&f, "swap.effective_total"), 0);
    assert_eq!(float(&f, "cpu.effective"), 2.0);
    assert_eq!(f.bool("cpu.limited"), Some(false));
    assert_eq!(unknown(&f, "cpu.quota"), "no CPU quota");
    // The leftover /.dockerenv must not make this VM a container.
    assert_eq!(f.bool("machine.container"), Some(false));
    assert!(source(&f, "machine.container").contains("leftover"));
    assert_eq!(string(&f, "machine.kind"), "vm");
    assert_eq!(string(&f, "machine.os"), "Debian GNU/Linux 12 (bookworm)");
    assert_eq!(string(&f, "disk.tmp_fstype"), "ext4");
    assert_eq!(string(&f, "disk.shm_fstype"), "tmpfs");
    assert_eq!(int(&f, "disk.docker_free"), 82_889_650_176);
}

#[test]
fn docker_v1_512m_container_sees_its_limit() {
    let f = fixture("cgroup1-docker-512m");
    assert_eq!(string(&f, "cgroup.version"), "v1");
    assert_eq!(int(&f, "memory.effective_total"), 512 * MIB);
    assert_eq!(
        source(&f, "memory.effective_total"),
        "cgroup v1 memory.limit_in_bytes (/sys/fs/cgroup/memory) < host total 23.5 GiB"
    );
    // /proc/meminfo inside still shows the host (domain.md §0.6).
    assert!(int(&f, "memory.host_total") > 20 * 1024 * MIB);
    assert_eq!(int(&f, "swap.cgroup_limit"), 0);
    assert_eq!(int(&f, "swap.effective_total"), 0);
    let avail = int(&f, "memory.effective_available");
    assert!(avail > 500 * MIB && avail <= 512 * MIB, "{avail}");
    assert_eq!(float(&f, "cpu.quota"), 0.5);
    assert_eq!(float(&f, "cpu.effective"), 0.5);
    assert_eq!(f.bool("cpu.limited"), Some(true));
    assert_eq!(int(&f, "cpu.online"), 2);
    assert_eq!(string(&f, "machine.kind"), "container");
    assert_eq!(string(&f, "machine.container_runtime"), "docker");
    assert_eq!(int(&f, "disk.shm_total"), 64 * MIB);
    assert_eq!(string(&f, "disk.tmp_fstype"), "fuse.fuse-overlayfs");
    assert!(unknown(&f, "machine.os").contains("os-release"));
    assert!(unknown(&f, "oom.cgroup_events").contains("cgroup v1"));
    assert_eq!(int(&f, "oom.cgroup_kills"), 0);
}

#[test]
fn v2_container_512m_without_swap() {
    let f = fixture("cgroup2-container-512m-noswap");
    assert_eq!(string(&f, "cgroup.version"), "v2");
    assert_eq!(int(&f, "memory.effective_total"), 512 * MIB);
    assert_eq!(
        source(&f, "memory.effective_total"),
        "cgroup v2 memory.max (/sys/fs/cgroup) < host total 3.8 GiB"
    );
    assert_eq!(int(&f, "swap.total"), 2_097_148 * 1024);
    assert_eq!(int(&f, "swap.effective_total"), 0);
    assert!(source(&f, "swap.effective_total").contains("memory.swap.max"));
    // 512 MiB − (46 MiB usage − 12 MiB inactive file).
    assert_eq!(
        int(&f, "memory.effective_available"),
        512 * MIB - (48_234_496 - 12 * MIB)
    );
    assert_eq!(float(&f, "cpu.effective"), 0.5);
    assert_eq!(int(&f, "oom.cgroup_kills"), 1);
    assert_eq!(int(&f, "oom.cgroup_events"), 2);
    assert_eq!(float(&f, "pressure.memory_some_avg10"), 3.25);
    assert!(source(&f, "pressure.memory_some_avg10").starts_with("cgroup v2"));
    assert_eq!(string(&f, "machine.container_runtime"), "docker");
    assert_eq!(unknown(&f, "memory.cgroup_high"), "no cgroup memory.high");
    assert_eq!(int(&f, "memory.cgroup_peak"), 60 * MIB);
}

#[test]
fn v2_max_means_unlimited() {
    let f = fixture("cgroup2-unlimited");
    assert_eq!(unknown(&f, "memory.cgroup_limit"), "no cgroup memory limit");
    assert_eq!(int(&f, "memory.effective_total"), 3_935_360 * 1024);
    assert_eq!(int(&f, "memory.effective_available"), 3_500_000 * 1024);
    assert_eq!(int(&f, "swap.effective_total"), 2_097_148 * 1024);
    assert_eq!(unknown(&f, "cpu.quota"), "no CPU quota");
    assert_eq!(float(&f, "cpu.effective"), 2.0);
    assert_eq!(string(&f, "machine.kind"), "bare-metal");
    assert_eq!(string(&f, "machine.virtualization"), "none");
}

#[test]
fn v1_sentinel_means_unlimited() {
    let f = fixture("cgroup1-unlimited-sentinel");
    assert_eq!(string(&f, "cgroup.version"), "v1");
    assert_eq!(unknown(&f, "memory.cgroup_limit"), "no cgroup memory limit");
    assert_eq!(int(&f, "memory.effective_total"), 2_014_208 * 1024);
    // No swap accounting: the cgroup does not limit swap, the host's 1 GiB applies.
    assert_eq!(unknown(&f, "swap.cgroup_limit"), "no cgroup swap limit");
    assert_eq!(int(&f, "swap.effective_total"), 1_048_572 * 1024);
    assert_eq!(unknown(&f, "cpu.quota"), "no CPU quota");
    assert_eq!(float(&f, "cpu.effective"), 2.0);
    assert_eq!(int(&f, "oom.cgroup_kills"), 3);
    assert_eq!(string(&f, "machine.virtualization"), "kvm");
}

#[test]
fn smaller_parent_limit_wins() {
    let f = fixture("cgroup2-nested-parent-smaller");
    assert_eq!(int(&f, "memory.cgroup_limit"), 512 * MIB);
    assert_eq!(int(&f, "memory.effective_total"), 512 * MIB);
    assert_eq!(
        source(&f, "memory.effective_total"),
        "cgroup v2 memory.max (/sys/fs/cgroup/app.slice) < host total 7.7 GiB"
    );
    assert_eq!(int(&f, "memory.cgroup_high"), 768 * MIB);
    assert_eq!(float(&f, "cpu.quota"), 1.5);
    assert_eq!(float(&f, "cpu.effective"), 1.5);
    assert_eq!(int(&f, "swap.effective_total"), 0);
}

#[test]
fn unreadable_meminfo_gives_reasons_not_guesses() {
    let f = fixture("unreadable-meminfo");
    assert_eq!(
        unknown(&f, "memory.host_total"),
        "cannot read /proc/meminfo: is a directory"
    );
    assert!(unknown(&f, "memory.effective_total").contains("is a directory"));
    assert!(unknown(&f, "memory.effective_available").contains("is a directory"));
    assert!(unknown(&f, "swap.effective_total").contains("is a directory"));
    assert_eq!(
        unknown(&f, "swap.devices"),
        "cannot read /proc/swaps: no such file"
    );
    assert!(unknown(&f, "disk.root_free").contains("fixture"));
    // The rest of the machine is still described.
    assert_eq!(string(&f, "cgroup.version"), "hybrid");
    assert_eq!(float(&f, "cpu.effective"), 2.0);
    assert_eq!(int(&f, "vm.swappiness"), 60);
}

#[test]
fn garbage_cgroup_files_give_reasons_not_panics() {
    let f = fixture("cgroup-garbage");
    let r = unknown(&f, "memory.effective_total");
    assert!(
        r.contains("/sys/fs/cgroup/web/memory.max") && r.contains("lots of memory"),
        "{r}"
    );
    assert!(unknown(&f, "memory.cgroup_limit").contains("lots of memory"));
    assert!(unknown(&f, "swap.effective_total").contains("memory.swap.max"));
    assert!(unknown(&f, "cpu.quota").contains("banana"));
    // A broken quota does not hide the CPUs that are known.
    assert_eq!(float(&f, "cpu.effective"), 2.0);
    assert!(unknown(&f, "pressure.memory_some_avg10").contains("memory.pressure"));
    assert_eq!(int(&f, "memory.host_total"), 4_020_736 * 1024);
}

/// A v1 parent with `memory.use_hierarchy = 0` is not charged for its children (kernels before
/// 5.x allowed it), so its limit must not be taken as the child's.
#[test]
fn v1_parent_without_hierarchy_does_not_limit_child() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    let w = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "proc/meminfo",
        "MemTotal: 2097152 kB\nMemAvailable: 1048576 kB\nSwapTotal: 0 kB\n",
    );
    w("proc/self/cgroup", "3:memory:/parent/child\n");
    w(
        "proc/self/mountinfo",
        "34 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
    );
    let m = "sys/fs/cgroup/memory";
    w(&format!("{m}/parent/memory.limit_in_bytes"), "268435456\n");
    w(
        &format!("{m}/parent/child/memory.limit_in_bytes"),
        "9223372036854771712\n",
    );
    w(
        &format!("{m}/parent/child/memory.usage_in_bytes"),
        "1048576\n",
    );
    w(&format!("{m}/parent/memory.use_hierarchy"), "1\n");
    let ctx = ctx_for(Host::fixture(root));
    let f = collect_host(&ctx);
    assert_eq!(int(&f, "memory.effective_total"), 256 * MIB);
    w(&format!("{m}/parent/memory.use_hierarchy"), "0\n");
    // A new run: a context caches what it read.
    let ctx = ctx_for(Host::fixture(root));
    let f = collect_host(&ctx);
    assert_eq!(int(&f, "memory.effective_total"), 2 * 1024 * MIB);
    assert_eq!(unknown(&f, "memory.cgroup_limit"), "no cgroup memory limit");
}

/// A container whose /proc/self/cgroup names a cgroup that no mount shows may well be limited:
/// the effective memory must be unknown, not the host's RAM.
#[test]
fn unmounted_cgroupfs_is_unknown_not_unlimited() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    let w = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "proc/meminfo",
        "MemTotal: 2097152 kB\nMemAvailable: 1048576 kB\nSwapTotal: 0 kB\n",
    );
    w("proc/self/cgroup", "0::/\n");
    w(
        "proc/self/mountinfo",
        "598 511 0:52 / / rw - overlay overlay rw,upperdir=/x\n",
    );
    let f = collect_host(&ctx_for(Host::fixture(root)));
    assert!(unknown(&f, "memory.effective_total").contains("cannot be read"));
    assert!(unknown(&f, "memory.cgroup_limited").contains("no cgroup filesystem"));
    assert_eq!(string(&f, "cgroup.version"), "none");
    // A kernel without cgroups at all: no /proc/self/cgroup, no limit, the host's RAM.
    std::fs::remove_file(root.join("proc/self/cgroup")).unwrap();
    let f = collect_host(&ctx_for(Host::fixture(root)));
    assert_eq!(int(&f, "memory.effective_total"), 2 * 1024 * MIB);
}

/// Every group sets only facts its table declares, and every declared fact, known or unknown,
/// on every fixture and on this machine: a rule never meets a silently missing host fact.
#[test]
fn every_fact_set_is_declared_and_every_declared_fact_is_set() {
    let mut hosts: Vec<(String, Host)> = FIXTURES
        .iter()
        .map(|n| ((*n).to_string(), Host::fixture(fixture_dir(n))))
        .collect();
    hosts.push(("live".into(), Host::live(Duration::from_secs(2))));
    for (name, host) in hosts {
        let ctx = ctx_for(host);
        for g in probe::host_groups() {
            let mut f = Facts::new();
            (g.collect)(&ctx, &mut f);
            for (fact, _) in f.iter() {
                assert!(
                    g.facts.iter().any(|s| s.matches(fact)),
                    "{name}: group {} set undeclared fact {fact}",
                    g.name
                );
                assert!(
                    headroom::facts::lookup(fact).is_some(),
                    "{fact} not in registry"
                );
            }
            for spec in g.facts {
                assert!(
                    f.get(spec.name).is_some(),
                    "{name}: group {} never set {}",
                    g.name,
                    spec.name
                );
            }
        }
    }
}

/// Truncated and corrupted copies of every fixture file must never panic a parser.
#[test]
fn parsers_survive_truncation_and_corruption() {
    use headroom::probe::{cgroup, loadavg, machine, meminfo, mountinfo, pressure, swaps};
    let mut texts = Vec::new();
    for n in FIXTURES {
        for rel in [
            "proc/meminfo",
            "proc/swaps",
            "proc/self/mountinfo",
            "proc/self/cgroup",
            "proc/pressure/memory",
            "proc/loadavg",
            "proc/uptime",
        ] {
            if let Ok(t) = std::fs::read_to_string(fixture_dir(n).join(rel)) {
                texts.push(t);
            }
        }
    }
    assert!(texts.len() > 30);
    for t in &texts {
        let mut cuts: Vec<String> = (0..t.len())
            .step_by(7)
            .filter(|i| t.is_char_boundary(*i))
            .map(|i| t[..i].to_string())
            .collect();
        cuts.push(t.replace(' ', ""));
        cuts.push(t.replace(':', " "));
        cuts.push(t.replace('0', "\u{fffd}"));
        for c in &cuts {
            let _ = meminfo::parse(c);
            let _ = swaps::parse(c);
            let _ = mountinfo::parse(c);
            let _ = cgroup::parse_proc_cgroup(c);
            let _ = cgroup::parse_limit(c);
            let _ = cgroup::parse_cpu_max(c);
            let _ = pressure::parse(c);
            let _ = loadavg::parse(c);
            let _ = machine::parse_uptime(c);
            let _ = machine::parse_os_release(c);
        }
    }
}

// ---- The live machine, checked against independent tools ----

fn tool(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run {cmd}: {e}; install it (scripts/setup/host.sh: coreutils, procps)")
    });
    assert!(out.status.success(), "{cmd} {args:?} failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn live() -> Facts {
    collect_host(&ctx_for(Host::live(Duration::from_secs(2))))
}

#[test]
fn live_memory_matches_free() {
    let f = live();
    // `free -b`: "Mem:  total used free shared buff/cache available".
    let out = tool("free", &["-b"]);
    let mem: Vec<i64> = out
        .lines()
        .find(|l| l.starts_with("Mem:"))
        .expect("free prints a Mem: line")
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    assert_eq!(int(&f, "memory.host_total"), mem[0], "MemTotal vs free -b");
    let swap: Vec<i64> = out
        .lines()
        .find(|l| l.starts_with("Swap:"))
        .expect("free prints a Swap: line")
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    assert_eq!(int(&f, "swap.total"), swap[0], "SwapTotal vs free -b");
    assert!(int(&f, "memory.effective_total") <= int(&f, "memory.host_total"));
}

#[test]
fn live_cpus_match_nproc() {
    let f = live();
    let all: i64 = tool("nproc", &["--all"])
        .trim()
        .parse()
        .expect("nproc --all");
    // `nproc` honours the affinity mask (and, in coreutils ≥ 9.1, a cgroup v2 quota).
    let usable: f64 = tool("nproc", &[]).trim().parse().expect("nproc");
    assert_eq!(int(&f, "cpu.online"), all);
    assert!(
        float(&f, "cpu.effective") <= usable,
        "{:?}",
        f.get("cpu.effective")
    );
    assert!(float(&f, "cpu.effective") > 0.0);
}

#[test]
fn live_disk_matches_df_and_stat() {
    let f = live();
    // `df -B1 --output=size /`: the same statvfs f_blocks × f_frsize.
    let out = tool("df", &["-B1", "--output=size", "/"]);
    let size: i64 = out
        .lines()
        .nth(1)
        .unwrap_or("")
        .trim()
        .parse()
        .expect("df size");
    assert_eq!(int(&f, "disk.root_total"), size);
    assert!(int(&f, "disk.root_free") <= size);
    // `stat -f -c %T` names the filesystem type of /dev/shm (tmpfs on any usual machine).
    let t = tool("stat", &["-f", "-c", "%T", "/dev/shm"]);
    assert_eq!(string(&f, "disk.shm_fstype"), t.trim());
    let shm = tool("df", &["-B1", "--output=size", "/dev/shm"]);
    let shm: i64 = shm
        .lines()
        .nth(1)
        .unwrap_or("")
        .trim()
        .parse()
        .expect("df size");
    assert_eq!(int(&f, "disk.shm_total"), shm);
}

#[test]
fn live_cgroup_matches_proc_self_cgroup_and_kernel() {
    let f = live();
    let uname = tool("uname", &["-r"]);
    assert_eq!(string(&f, "machine.kernel"), uname.trim());
    // Our own /proc/self/cgroup (this test process) names the same memory cgroup.
    let text = std::fs::read_to_string("/proc/self/cgroup").expect("read /proc/self/cgroup");
    let want = text
        .lines()
        .find_map(|l| {
            let mut p = l.splitn(3, ':');
            let (_, c, path) = (p.next()?, p.next()?, p.next()?);
            (c.split(',').any(|c| c == "memory") || (c.is_empty() && !text.contains(":memory:")))
                .then(|| path.to_string())
        })
        .expect("a memory or unified line");
    assert_eq!(string(&f, "cgroup.path"), want);
}

/// scripts/capture-host.sh copies what the probes read; the copy must describe this machine
/// exactly as the live probes do (for every fact that does not move from one second to the next).
/// This keeps the fixture trees honest: they are what the probes would have seen.
#[test]
fn captured_tree_reproduces_live_facts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/capture-host.sh");
    let out = tool(
        "sh",
        &[script.to_str().unwrap(), tmp.path().to_str().unwrap()],
    );
    assert!(out.contains("captured"), "{out}");
    let live = live();
    let captured = collect_host(&ctx_for(Host::fixture(tmp.path())));
    let stable = [
        "memory.host_total",
        "swap.total",
        "memory.hugepages",
        "cgroup.version",
        "cgroup.path",
        "memory.cgroup_limit",
        "memory.cgroup_limited",
        "memory.cgroup_high",
        "swap.cgroup_limit",
        "swap.cgroup_limited",
        "memory.effective_total",
        "swap.effective_total",
        "cpu.online",
        "cpu.affinity",
        "cpu.cpuset",
        "cpu.quota",
        "cpu.effective",
        "cpu.limited",
        "machine.kind",
        "machine.container",
        "machine.container_runtime",
        "machine.virtualization",
        "machine.os",
        "machine.kernel",
        "vm.swappiness",
        "vm.overcommit_memory",
        "vm.overcommit_ratio",
        "vm.panic_on_oom",
        "vm.oom_kill_allocating_task",
        "disk.root_total",
        "disk.shm_total",
        "disk.tmp_fstype",
        "disk.shm_fstype",
    ];
    let mut mismatches = Vec::new();
    for name in stable {
        if live.get(name) != captured.get(name) {
            mismatches.push(format!(
                "{name}: live {:?} / captured {:?}",
                live.get(name),
                captured.get(name)
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// The planner spreads the local groups over threads (the main one and helpers done with their
/// own work). Whichever thread runs which group, every fixture must come out exactly as the
/// groups run one after another, many times over (the split differs from run to run).
#[test]
fn facts_do_not_depend_on_which_thread_ran_a_group() {
    for name in FIXTURES {
        let ctx = ctx_for(Host::fixture(fixture_dir(name)));
        let alone = collect_host(&ctx);
        for _ in 0..20 {
            // A fresh context each time: nothing read or memoised by an earlier run.
            let ctx = ctx_for(Host::fixture(fixture_dir(name)));
            let (all, timings) = probe::collect(&ctx, None);
            let host: Facts = Facts(
                all.0
                    .into_iter()
                    .filter(|(k, _)| alone.0.contains_key(k))
                    .collect(),
            );
            assert_eq!(
                host, alone,
                "{name}: facts differ when groups share threads"
            );
            let mut ran: Vec<&str> = timings.iter().map(|t| t.probe).collect();
            ran.sort_unstable();
            let before = ran.len();
            ran.dedup();
            assert_eq!(before, ran.len(), "{name}: a group ran twice: {ran:?}");
        }
    }
}
