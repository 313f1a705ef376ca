//! cgroups: the memory, swap and CPU limits the kernel really enforces on this process.
//!
//! Inside a container `/proc/meminfo` and `nproc` show the host (domain.md §0.6); only the
//! cgroup files know about `docker run -m 512m --cpus 0.5`. This module finds this process's own
//! cgroup in v1, v2 and hybrid layouts (domain.md §4.5: `/proc/self/cgroup` made relative to the
//! mount's `root` in `/proc/self/mountinfo`), then walks up to the mount root taking the smallest
//! limit, because a parent slice or `--cgroup-parent` may be tighter than the leaf
//! (the approach of sysinfo's `cgroup.rs`, extended to ancestors and swap).

use super::Ctx;
use super::mountinfo::{self, Mount};
use super::procfs::{ParseError, keyed_int, parse_cpu_list, quote};
use crate::facts::Facts;
use crate::facts::registry::{FactSpec, boolean, bytes, int, string};
use crate::facts::units;

pub const FACTS: &[FactSpec] = &[
    string(
        "cgroup.version",
        "cgroup layout: v1, v2, hybrid (v1 controllers plus an empty cgroup2 mount) or none",
    ),
    string(
        "cgroup.path",
        "This process's memory cgroup as /proc/self/cgroup names it",
    ),
    bytes(
        "memory.cgroup_limit",
        "Smallest cgroup hard memory limit on this process and its ancestors (v2 memory.max, v1 memory.limit_in_bytes); unknown when unlimited",
    ),
    boolean(
        "memory.cgroup_limited",
        "True when a cgroup hard memory limit applies",
    ),
    bytes(
        "memory.cgroup_high",
        "Smallest cgroup v2 memory.high (throttling threshold) on this process and its ancestors",
    ),
    bytes(
        "memory.cgroup_usage",
        "Memory charged to this process's cgroup (v2 memory.current, v1 memory.usage_in_bytes), page cache included",
    ),
    bytes(
        "memory.cgroup_peak",
        "Highest memory use the cgroup has seen (v2 memory.peak, kernel 5.19+; v1 memory.max_usage_in_bytes)",
    ),
    bytes(
        "memory.cgroup_inactive_file",
        "Reclaimable page cache in the cgroup (memory.stat inactive_file / total_inactive_file)",
    ),
    bytes(
        "swap.cgroup_limit",
        "Swap the cgroup may use (v2 memory.swap.max; v1 memory.memsw.limit_in_bytes − memory.limit_in_bytes); unknown when unlimited",
    ),
    boolean("swap.cgroup_limited", "True when a cgroup limits swap use"),
    int(
        "oom.cgroup_kills",
        "Processes the OOM killer killed in this cgroup (v2 memory.events oom_kill, v1 memory.oom_control oom_kill)",
    ),
    int(
        "oom.cgroup_events",
        "Times this cgroup hit its limit and invoked the OOM killer (v2 memory.events oom)",
    ),
];

/// The reason given when this process has a memory cgroup that no mount makes visible.
pub const HIDDEN: &str = "/proc/self/cgroup names a memory cgroup but no cgroup filesystem is mounted (/sys/fs/cgroup): its limit cannot be read";

/// Values at or above 2^62 mean "no limit": v1 prints LONG_MAX rounded down to the page size
/// (`9223372036854771712` with 4 KiB pages, another number with 64 KiB pages), so one sentinel
/// would not do (domain.md §0.8).
pub const UNLIMITED_FROM: i64 = 1 << 62;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
    Hybrid,
    None,
}

impl Version {
    pub fn name(self) -> &'static str {
        match self {
            Version::V1 => "v1",
            Version::V2 => "v2",
            Version::Hybrid => "hybrid",
            Version::None => "none",
        }
    }
}

/// `/proc/self/cgroup`: the v2 path (`0::/path`) and the v1 `controllers → path` lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcCgroup {
    pub unified: Option<String>,
    pub v1: Vec<(Vec<String>, String)>,
}

impl ProcCgroup {
    /// The v1 path of a controller (`memory`, `cpu`, `cpuset`).
    pub fn v1_path(&self, controller: &str) -> Option<&str> {
        self.v1
            .iter()
            .find(|(c, _)| c.iter().any(|n| n == controller))
            .map(|(_, p)| p.as_str())
    }
}

/// Parses `/proc/self/cgroup` (`hierarchy-ID:controller-list:path` per line).
pub fn parse_proc_cgroup(text: &str) -> Result<ProcCgroup, ParseError> {
    let mut out = ProcCgroup::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut it = line.splitn(3, ':');
        let (Some(id), Some(ctrl), Some(path)) = (it.next(), it.next(), it.next()) else {
            return Err(ParseError::at(
                i + 1,
                format!("malformed line {}", quote(line)),
            ));
        };
        if id == "0" && ctrl.is_empty() {
            out.unified = Some(path.to_string());
        } else {
            let names = ctrl.split(',').map(str::to_string).collect();
            out.v1.push((names, path.to_string()));
        }
    }
    if out.unified.is_none() && out.v1.is_empty() {
        return Err(ParseError::new("no cgroup lines"));
    }
    Ok(out)
}

/// Which hierarchy a directory belongs to; decides file names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    V1,
    V2,
}

/// A cgroup directory for one controller: where the hierarchy is mounted and this process's
/// place inside that mount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dir {
    pub kind: Kind,
    pub mount_point: String,
    /// Path below the mount point, `""` for the mount point itself, else starting with `/`.
    pub rel: String,
    /// The path as `/proc/self/cgroup` names it.
    pub cgroup_path: String,
}

impl Dir {
    pub fn abs(&self) -> String {
        format!("{}{}", self.mount_point, self.rel)
    }

    /// This directory and each parent up to the mount point, innermost first.
    pub fn ancestors(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut rel = self.rel.as_str();
        loop {
            out.push(format!("{}{rel}", self.mount_point));
            match rel.rfind('/') {
                Some(i) if !rel.is_empty() => rel = &rel[..i],
                _ => break,
            }
        }
        out
    }
}

/// Where this process's cgroups are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub version: Version,
    pub memory: Option<Dir>,
    pub cpu: Option<Dir>,
    pub cpuset: Option<Dir>,
    /// `/proc/self/cgroup` puts this process in a memory cgroup, but no mount shows it (a
    /// container without `/sys/fs/cgroup`): a limit may exist and cannot be read.
    pub memory_hidden: bool,
}

/// Joins `/proc/self/cgroup` and the mounts. A v1 mount carrying the controller wins (on hybrid
/// hosts the cgroup2 mount has no controllers, domain.md §4.5.4); otherwise the cgroup2 mount.
pub fn locate(pc: &ProcCgroup, mounts: &[Mount]) -> Layout {
    let has_v1 = mounts.iter().any(|m| m.fstype == "cgroup");
    let v2_mount = mounts.iter().rev().find(|m| m.fstype == "cgroup2");
    let version = match (has_v1, v2_mount.is_some()) {
        (true, true) => Version::Hybrid,
        (true, false) => Version::V1,
        (false, true) => Version::V2,
        (false, false) => Version::None,
    };
    let find = |controller: &str| -> Option<Dir> {
        let v1 = mounts
            .iter()
            .rev()
            .find(|m| m.fstype == "cgroup" && m.has_opt(controller));
        if let Some(m) = v1 {
            let path = pc.v1_path(controller)?;
            return Some(dir_in(Kind::V1, m, path));
        }
        let m = v2_mount?;
        let path = pc.unified.as_deref()?;
        Some(dir_in(Kind::V2, m, path))
    };
    let memory = find("memory");
    let memory_hidden = memory.is_none()
        && (pc.v1_path("memory").is_some() || (pc.unified.is_some() && v2_mount.is_none()));
    Layout {
        version,
        memory_hidden,
        memory,
        cpu: find("cpu"),
        cpuset: find("cpuset"),
    }
}

/// The mount's `root` is stripped from the front of the path: a Docker v1 container mounts
/// `/docker/<id>` at `/sys/fs/cgroup/memory` and its own path is `/docker/<id>`, so its files are
/// at the mount point itself. A path outside the mount's root (`/../..`, seen with some
/// namespace setups) cannot be reached and falls back to the mount point.
fn dir_in(kind: Kind, m: &Mount, path: &str) -> Dir {
    let root = m.root.trim_end_matches('/');
    let rel = if mountinfo::is_under(path, if root.is_empty() { "/" } else { root }) {
        path[root.len()..].trim_end_matches('/').to_string()
    } else {
        String::new()
    };
    let rel = if rel.contains("/..") || rel == "/" {
        String::new()
    } else {
        rel
    };
    Dir {
        kind,
        mount_point: m.mount_point.trim_end_matches('/').to_string(),
        rel,
        cgroup_path: path.to_string(),
    }
}

/// Where this process's cgroups are, worked out once per run (four probes ask).
pub fn read_layout(ctx: &Ctx) -> Result<Layout, String> {
    (*ctx.host.memo("cgroup.layout", || find_layout(ctx))).clone()
}

fn find_layout(ctx: &Ctx) -> Result<Layout, String> {
    // A kernel built without cgroups has no such file, and then no limits either.
    if !ctx.host.exists("/proc/self/cgroup") && ctx.host.exists("/proc/self") {
        return Ok(Layout {
            version: Version::None,
            memory: None,
            cpu: None,
            cpuset: None,
            memory_hidden: false,
        });
    }
    let text = ctx.host.read("/proc/self/cgroup")?;
    let pc =
        parse_proc_cgroup(&text).map_err(|e| format!("cannot parse /proc/self/cgroup: {e}"))?;
    let mounts = mountinfo::read(ctx)?;
    Ok(locate(&pc, &mounts))
}

/// A limit file's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    Unlimited,
    Bytes(i64),
}

/// Parses a v2 `memory.max`/`memory.high`/`memory.swap.max` or a v1 `*limit_in_bytes` file.
pub fn parse_limit(text: &str) -> Result<Limit, ParseError> {
    let t = text.trim();
    if t == "max" {
        return Ok(Limit::Unlimited);
    }
    match t.parse::<i64>() {
        Ok(v) if v >= UNLIMITED_FROM => Ok(Limit::Unlimited),
        Ok(v) if v >= 0 => Ok(Limit::Bytes(v)),
        // v1 accepts writing -1 and reports the sentinel, but be lenient if a kernel prints it.
        Ok(-1) => Ok(Limit::Unlimited),
        _ => Err(ParseError::new(format!(
            "expected a byte count or \"max\", found {}",
            quote(text)
        ))),
    }
}

/// The smallest limit found walking up, and the file that set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub limit: Limit,
    /// The file that holds the winning limit (as the user sees it, e.g.
    /// `/sys/fs/cgroup/memory/memory.limit_in_bytes`); for `Unlimited`, the leaf's file.
    pub file: String,
}

/// Walks from the directory up to the mount point reading `file` at each level and keeps the
/// smallest limit. A level without the file has no limit there (the root cgroup has no
/// `memory.max`); the leaf directory itself missing is an error, since then nothing is known.
pub fn smallest_limit(ctx: &Ctx, dir: &Dir, file: &str) -> Result<Found, String> {
    if !ctx.host.path(&dir.abs()).is_dir() {
        return Err(format!("cgroup directory {} not found", dir.abs()));
    }
    let mut best = Found {
        limit: Limit::Unlimited,
        file: format!("{}/{file}", dir.abs()),
    };
    for (i, d) in dir.ancestors().into_iter().enumerate() {
        // v1 before 5.x allowed `memory.use_hierarchy = 0`: such a parent is not charged for its
        // children, so neither its limit nor any above it applies.
        if i > 0
            && dir.kind == Kind::V1
            && file.starts_with("memory.")
            && ctx
                .host
                .read(&format!("{d}/memory.use_hierarchy"))
                .is_ok_and(|t| t.trim() == "0")
        {
            break;
        }
        let path = format!("{d}/{file}");
        let text = match ctx.host.read(&path) {
            Ok(t) => t,
            Err(_) if !ctx.host.exists(&path) => continue,
            Err(e) => return Err(e),
        };
        let lim = parse_limit(&text).map_err(|e| format!("cannot parse {path}: {e}"))?;
        if let Limit::Bytes(v) = lim {
            let smaller = match best.limit {
                Limit::Unlimited => true,
                Limit::Bytes(b) => v < b,
            };
            if smaller {
                best = Found {
                    limit: lim,
                    file: path,
                };
            }
        }
    }
    Ok(best)
}

/// The memory facts a derived probe needs, typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Memory {
    pub version: Version,
    pub dir: Dir,
    pub limit: Result<Found, String>,
    pub usage: Result<i64, String>,
    pub inactive_file: Result<i64, String>,
    /// Swap the cgroup may use, when limited; `Ok(None)` when unlimited.
    pub swap: Result<Option<(i64, String)>, String>,
}

/// Reads the memory controller's limit, usage and swap limit. `None` when there is no memory
/// cgroup at all (no controller mounted, not a Linux host).
pub fn read_memory(ctx: &Ctx, layout: &Layout) -> Option<Memory> {
    let dir = layout.memory.clone()?;
    let abs = dir.abs();
    let (limit_file, usage_file, inactive_key) = match dir.kind {
        Kind::V2 => ("memory.max", "memory.current", "inactive_file"),
        Kind::V1 => (
            "memory.limit_in_bytes",
            "memory.usage_in_bytes",
            "total_inactive_file",
        ),
    };
    let limit = smallest_limit(ctx, &dir, limit_file);
    let usage_path = format!("{abs}/{usage_file}");
    let usage = ctx.host.read(&usage_path).and_then(|t| {
        super::procfs::parse_int(&t).map_err(|e| format!("cannot parse {usage_path}: {e}"))
    });
    let stat_path = format!("{abs}/memory.stat");
    let inactive_file = ctx.host.read(&stat_path).and_then(|t| {
        let v = keyed_int(&t, inactive_key)
            .and_then(|v| match v {
                Some(v) => Ok(Some(v)),
                None => keyed_int(&t, "inactive_file"),
            })
            .map_err(|e| format!("cannot parse {stat_path}: {e}"))?;
        v.ok_or_else(|| format!("{stat_path} has no {inactive_key} line"))
    });
    let swap = match dir.kind {
        Kind::V2 => smallest_limit(ctx, &dir, "memory.swap.max").map(|f| match f.limit {
            Limit::Bytes(b) => Some((b, format!("cgroup v2 memory.swap.max ({})", f.file))),
            Limit::Unlimited => None,
        }),
        Kind::V1 => v1_swap(ctx, &dir, &limit),
    };
    Some(Memory {
        version: layout.version,
        dir,
        limit,
        usage,
        inactive_file,
        swap,
    })
}

/// v1 limits memory+swap together; the swap allowance is the difference. Without swap
/// accounting (`swapaccount=0`, the file is absent) the cgroup's swap is not limited at all.
fn v1_swap(
    ctx: &Ctx,
    dir: &Dir,
    mem: &Result<Found, String>,
) -> Result<Option<(i64, String)>, String> {
    if !ctx
        .host
        .exists(&format!("{}/memory.memsw.limit_in_bytes", dir.abs()))
    {
        return Ok(None);
    }
    let memsw = smallest_limit(ctx, dir, "memory.memsw.limit_in_bytes")?;
    let Limit::Bytes(sw) = memsw.limit else {
        return Ok(None);
    };
    let mem = mem.as_ref().map_err(Clone::clone)?;
    let m = match mem.limit {
        Limit::Bytes(m) => m,
        // memsw limited but memory not: the kernel refuses this, memsw ≥ memory always.
        Limit::Unlimited => sw,
    };
    Ok(Some((
        (sw - m).max(0),
        format!(
            "cgroup v1 memory.memsw.limit_in_bytes − memory.limit_in_bytes ({}: {} − {})",
            memsw.file,
            units::bytes(sw),
            units::bytes(m)
        ),
    )))
}

/// The text naming a limit's origin in facts' sources.
pub fn limit_source(kind: Kind, f: &Found) -> String {
    let (v, name) = match kind {
        Kind::V2 => ("v2", f.file.rsplit('/').next().unwrap_or("memory.max")),
        Kind::V1 => (
            "v1",
            f.file.rsplit('/').next().unwrap_or("memory.limit_in_bytes"),
        ),
    };
    let dir = f.file.rsplit_once('/').map_or("", |(d, _)| d);
    format!("cgroup {v} {name} ({dir})")
}

/// CPU quota in CPUs (quota / period), smallest among ancestors, with its file.
pub fn read_cpu_quota(ctx: &Ctx, layout: &Layout) -> Result<Option<(f64, String)>, String> {
    let Some(dir) = layout.cpu.as_ref() else {
        return Err("no cpu cgroup controller mounted".to_string());
    };
    if !ctx.host.path(&dir.abs()).is_dir() {
        return Err(format!("cgroup directory {} not found", dir.abs()));
    }
    let mut best: Option<(f64, String)> = None;
    for d in dir.ancestors() {
        let q = match dir.kind {
            Kind::V2 => {
                let path = format!("{d}/cpu.max");
                if !ctx.host.exists(&path) {
                    continue;
                }
                let t = ctx.host.read(&path)?;
                parse_cpu_max(&t)
                    .map_err(|e| format!("cannot parse {path}: {e}"))?
                    .map(|q| (q, format!("cgroup v2 cpu.max ({d})")))
            }
            Kind::V1 => {
                let qp = format!("{d}/cpu.cfs_quota_us");
                let pp = format!("{d}/cpu.cfs_period_us");
                if !ctx.host.exists(&qp) {
                    continue;
                }
                let quota = ctx.host.read(&qp).and_then(|t| {
                    super::procfs::parse_int(&t).map_err(|e| format!("cannot parse {qp}: {e}"))
                })?;
                let period = ctx.host.read(&pp).and_then(|t| {
                    super::procfs::parse_int(&t).map_err(|e| format!("cannot parse {pp}: {e}"))
                })?;
                quota_cpus(quota, period).map(|q| {
                    (
                        q,
                        format!("cgroup v1 cpu.cfs_quota_us / cpu.cfs_period_us ({d})"),
                    )
                })
            }
        };
        if let Some((q, src)) = q
            && best.as_ref().is_none_or(|(b, _)| q < *b)
        {
            best = Some((q, src));
        }
    }
    Ok(best)
}

/// v2 `cpu.max`: `max 100000` (no quota) or `50000 100000` (half a CPU).
pub fn parse_cpu_max(text: &str) -> Result<Option<f64>, ParseError> {
    let mut it = text.split_whitespace();
    let bad = || ParseError::new(format!("expected \"$MAX $PERIOD\", found {}", quote(text)));
    let q = it.next().ok_or_else(bad)?;
    let period: i64 = match it.next() {
        Some(p) => p.parse().map_err(|_| bad())?,
        None => 100_000,
    };
    if q == "max" {
        return Ok(None);
    }
    let quota: i64 = q.parse().map_err(|_| bad())?;
    if period <= 0 {
        return Err(bad());
    }
    Ok(quota_cpus(quota, period))
}

#[allow(clippy::cast_precision_loss)]
fn quota_cpus(quota: i64, period: i64) -> Option<f64> {
    if quota <= 0 || period <= 0 {
        return None;
    }
    Some(quota as f64 / period as f64)
}

/// CPUs in the cgroup's cpuset (v2 `cpuset.cpus.effective`, v1 `cpuset.effective_cpus` or
/// `cpuset.cpus`), with its file. `Ok(None)` when no cpuset controller is mounted.
pub fn read_cpuset(ctx: &Ctx, layout: &Layout) -> Result<Option<(i64, String)>, String> {
    let Some(dir) = layout.cpuset.as_ref() else {
        return Ok(None);
    };
    let names: &[&str] = match dir.kind {
        Kind::V2 => &["cpuset.cpus.effective"],
        Kind::V1 => &["cpuset.effective_cpus", "cpuset.cpus"],
    };
    for name in names {
        let path = format!("{}/{name}", dir.abs());
        if !ctx.host.exists(&path) {
            continue;
        }
        let t = ctx.host.read(&path)?;
        let n = parse_cpu_list(&t).map_err(|e| format!("cannot parse {path}: {e}"))?;
        if n > 0 {
            return Ok(Some((n, path)));
        }
    }
    Ok(None)
}

pub fn collect(ctx: &Ctx, facts: &mut Facts) {
    let layout = match read_layout(ctx) {
        Ok(l) => l,
        Err(reason) => {
            for spec in FACTS {
                facts.unknown(spec.name, reason.clone());
            }
            return;
        }
    };
    facts.set(
        "cgroup.version",
        layout.version.name(),
        "/proc/self/mountinfo cgroup mounts",
    );
    let Some(mem) = read_memory(ctx, &layout) else {
        let reason = if layout.memory_hidden {
            HIDDEN
        } else {
            "no cgroup memory controller mounted"
        };
        facts.unknown("cgroup.path", reason);
        if layout.memory_hidden {
            facts.unknown("memory.cgroup_limited", reason);
            facts.unknown("swap.cgroup_limited", reason);
        } else {
            facts.set("memory.cgroup_limited", false, reason);
            facts.set("swap.cgroup_limited", false, reason);
        }
        for name in [
            "memory.cgroup_limit",
            "memory.cgroup_high",
            "memory.cgroup_usage",
            "memory.cgroup_peak",
            "memory.cgroup_inactive_file",
            "swap.cgroup_limit",
            "oom.cgroup_kills",
            "oom.cgroup_events",
        ] {
            facts.unknown(name, reason);
        }
        return;
    };
    facts.set(
        "cgroup.path",
        mem.dir.cgroup_path.as_str(),
        "/proc/self/cgroup",
    );
    let abs = mem.dir.abs();
    match &mem.limit {
        Ok(f) => match f.limit {
            Limit::Bytes(b) => {
                let src = limit_source(mem.dir.kind, f);
                facts.set("memory.cgroup_limit", b, src.clone());
                facts.set("memory.cgroup_limited", true, src);
            }
            Limit::Unlimited => {
                facts.unknown("memory.cgroup_limit", "no cgroup memory limit");
                facts.set(
                    "memory.cgroup_limited",
                    false,
                    format!("{} and its ancestors", f.file),
                );
            }
        },
        Err(reason) => {
            facts.unknown("memory.cgroup_limit", reason.clone());
            facts.unknown("memory.cgroup_limited", reason.clone());
        }
    }
    match mem.dir.kind {
        Kind::V2 => match smallest_limit(ctx, &mem.dir, "memory.high") {
            Ok(Found {
                limit: Limit::Bytes(b),
                file,
            }) => facts.set(
                "memory.cgroup_high",
                b,
                format!("cgroup v2 memory.high ({file})"),
            ),
            Ok(_) => facts.unknown("memory.cgroup_high", "no cgroup memory.high"),
            Err(reason) => facts.unknown("memory.cgroup_high", reason),
        },
        Kind::V1 => facts.unknown("memory.cgroup_high", "memory.high exists only in cgroup v2"),
    }
    let usage_file = match mem.dir.kind {
        Kind::V2 => "memory.current",
        Kind::V1 => "memory.usage_in_bytes",
    };
    match &mem.usage {
        Ok(u) => facts.set("memory.cgroup_usage", *u, format!("{abs}/{usage_file}")),
        Err(r) => facts.unknown("memory.cgroup_usage", r.clone()),
    }
    let peak_file = match mem.dir.kind {
        Kind::V2 => "memory.peak",
        Kind::V1 => "memory.max_usage_in_bytes",
    };
    let peak_path = format!("{abs}/{peak_file}");
    match ctx.host.read(&peak_path).and_then(|t| {
        super::procfs::parse_int(&t).map_err(|e| format!("cannot parse {peak_path}: {e}"))
    }) {
        Ok(v) => facts.set("memory.cgroup_peak", v, peak_path),
        Err(r) => facts.unknown("memory.cgroup_peak", r),
    }
    match &mem.inactive_file {
        Ok(v) => facts.set(
            "memory.cgroup_inactive_file",
            *v,
            format!("{abs}/memory.stat"),
        ),
        Err(r) => facts.unknown("memory.cgroup_inactive_file", r.clone()),
    }
    match &mem.swap {
        Ok(Some((b, src))) => {
            facts.set("swap.cgroup_limit", *b, src.clone());
            facts.set("swap.cgroup_limited", true, src.clone());
        }
        Ok(None) => {
            facts.unknown("swap.cgroup_limit", "no cgroup swap limit");
            let why = match mem.dir.kind {
                Kind::V2 => format!("{abs}/memory.swap.max and its ancestors"),
                Kind::V1 => {
                    format!("{abs}/memory.memsw.limit_in_bytes (absent = swap accounting off)")
                }
            };
            facts.set("swap.cgroup_limited", false, why);
        }
        Err(r) => {
            facts.unknown("swap.cgroup_limit", r.clone());
            facts.unknown("swap.cgroup_limited", r.clone());
        }
    }
    collect_oom(ctx, &mem.dir, facts);
}

fn collect_oom(ctx: &Ctx, dir: &Dir, facts: &mut Facts) {
    let abs = dir.abs();
    match dir.kind {
        Kind::V2 => {
            let path = format!("{abs}/memory.events");
            match ctx.host.read(&path) {
                Ok(t) => {
                    for (fact, key) in [
                        ("oom.cgroup_kills", "oom_kill"),
                        ("oom.cgroup_events", "oom"),
                    ] {
                        match keyed_int(&t, key) {
                            Ok(Some(v)) => facts.set(fact, v, format!("{path} {key}")),
                            Ok(None) => facts.unknown(fact, format!("{path} has no {key} line")),
                            Err(e) => facts.unknown(fact, format!("cannot parse {path}: {e}")),
                        }
                    }
                }
                Err(r) => {
                    facts.unknown("oom.cgroup_kills", r.clone());
                    facts.unknown("oom.cgroup_events", r);
                }
            }
        }
        Kind::V1 => {
            let path = format!("{abs}/memory.oom_control");
            let v = ctx.host.read(&path).and_then(|t| {
                keyed_int(&t, "oom_kill")
                    .map_err(|e| format!("cannot parse {path}: {e}"))?
                    .ok_or_else(|| format!("{path} has no oom_kill line (kernel older than 4.13)"))
            });
            match v {
                Ok(v) => facts.set("oom.cgroup_kills", v, format!("{path} oom_kill")),
                Err(r) => facts.unknown("oom.cgroup_kills", r),
            }
            facts.unknown(
                "oom.cgroup_events",
                "cgroup v1 has no OOM event counter (memory.failcnt counts limit hits, not OOMs)",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The build host (hybrid): v1 controllers, an empty cgroup2 at /sys/fs/cgroup/unified.
    const HOST_CGROUP: &str = "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/025a584991d009cc139efcc9b940f94e\n3:cpuset:/\n1:cpu:/\n0::/\n";
    const HOST_MOUNTS: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";
    // Docker 20.10, cgroup v1, --cgroupns=host: the path repeats the mount's root.
    const DOCKER_CGROUP: &str = "4:memory:/docker/38a90de05fc7266f0b4f4bf66d736e46ba4277489f5d4f5de68ef2682cb526e4\n0::/docker/38a90de05fc7266f0b4f4bf66d736e46ba4277489f5d4f5de68ef2682cb526e4\n";
    const DOCKER_MOUNTS: &str = "78 74 0:32 /docker/38a90de05fc7266f0b4f4bf66d736e46ba4277489f5d4f5de68ef2682cb526e4 /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,memory\n";

    fn layout(cg: &str, mi: &str) -> Layout {
        locate(
            &parse_proc_cgroup(cg).unwrap(),
            &mountinfo::parse(mi).unwrap(),
        )
    }

    #[test]
    fn hybrid_host_reads_memory_from_v1() {
        let l = layout(HOST_CGROUP, HOST_MOUNTS);
        assert_eq!(l.version, Version::Hybrid);
        let m = l.memory.unwrap();
        assert_eq!(m.kind, Kind::V1);
        assert_eq!(
            m.abs(),
            "/sys/fs/cgroup/memory/process_api/025a584991d009cc139efcc9b940f94e"
        );
        assert_eq!(
            m.ancestors(),
            vec![
                "/sys/fs/cgroup/memory/process_api/025a584991d009cc139efcc9b940f94e",
                "/sys/fs/cgroup/memory/process_api",
                "/sys/fs/cgroup/memory",
            ]
        );
        assert_eq!(l.cpu.unwrap().abs(), "/sys/fs/cgroup/cpu");
    }

    #[test]
    fn docker_v1_strips_mount_root() {
        let l = layout(DOCKER_CGROUP, DOCKER_MOUNTS);
        assert_eq!(l.version, Version::V1);
        let m = l.memory.unwrap();
        assert_eq!(m.abs(), "/sys/fs/cgroup/memory");
        assert_eq!(m.ancestors(), vec!["/sys/fs/cgroup/memory"]);
        assert!(l.cpu.is_none());
    }

    #[test]
    fn v2_private_namespace_is_mount_point() {
        let l = layout(
            "0::/\n",
            "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n",
        );
        assert_eq!(l.version, Version::V2);
        assert_eq!(l.memory.unwrap().abs(), "/sys/fs/cgroup");
        let l = layout(
            "0::/system.slice/docker-abc.scope\n",
            "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
        );
        assert_eq!(
            l.memory.unwrap().ancestors(),
            vec![
                "/sys/fs/cgroup/system.slice/docker-abc.scope",
                "/sys/fs/cgroup/system.slice",
                "/sys/fs/cgroup",
            ]
        );
    }

    #[test]
    fn path_outside_mount_root_falls_back_to_mount_point() {
        let l = layout(
            "0::/../../user.slice\n",
            "30 25 0:26 /docker/x /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
        );
        assert_eq!(l.memory.unwrap().abs(), "/sys/fs/cgroup");
    }

    #[test]
    fn limits_and_sentinels() {
        assert_eq!(parse_limit("max\n"), Ok(Limit::Unlimited));
        assert_eq!(parse_limit("9223372036854771712\n"), Ok(Limit::Unlimited));
        // arm64 with 64 KiB pages rounds LONG_MAX down differently.
        assert_eq!(parse_limit("9223372036854710272"), Ok(Limit::Unlimited));
        assert_eq!(parse_limit("536870912\n"), Ok(Limit::Bytes(536_870_912)));
        assert!(parse_limit("lots").is_err());
        assert!(parse_limit("").is_err());
        assert!(parse_limit("-5").is_err());
    }

    #[test]
    fn cpu_max_forms() {
        assert_eq!(parse_cpu_max("max 100000\n"), Ok(None));
        assert_eq!(parse_cpu_max("50000 100000\n"), Ok(Some(0.5)));
        assert_eq!(parse_cpu_max("150000 100000"), Ok(Some(1.5)));
        assert!(parse_cpu_max("half").is_err());
        assert!(parse_cpu_max("1 0").is_err());
        assert!(parse_cpu_max("").is_err());
    }

    #[test]
    fn proc_cgroup_garbage() {
        assert!(parse_proc_cgroup("").is_err());
        assert!(parse_proc_cgroup("nonsense").is_err());
        let pc = parse_proc_cgroup("0::/\n").unwrap();
        assert_eq!(pc.unified.as_deref(), Some("/"));
    }
}
