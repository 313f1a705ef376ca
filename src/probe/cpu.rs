//! CPUs this process can really use: online CPUs, its affinity mask, its cpuset and its CPU
//! quota, whichever is smallest.
//!
//! `nproc` and Python's `os.cpu_count()` report host CPUs inside a `--cpus 0.5` container
//! (domain.md §0.6), which is how Gunicorn's "2 × cores + 1" ends up with five workers on half a
//! CPU.

use super::Ctx;
use super::cgroup;
use super::procfs::parse_cpu_list;
use crate::facts::Facts;
use crate::facts::Unit;
use crate::facts::registry::{FactSpec, FactType, boolean, int};

pub const FACTS: &[FactSpec] = &[
    int(
        "cpu.online",
        "CPUs online on the host (/sys/devices/system/cpu/online, else /proc/cpuinfo)",
    ),
    int(
        "cpu.affinity",
        "CPUs this process may run on (/proc/self/status Cpus_allowed_list)",
    ),
    int("cpu.cpuset", "CPUs in this process's cgroup cpuset"),
    cpus(
        "cpu.quota",
        "cgroup CPU quota in CPUs (quota / period), smallest among ancestors; unknown when none",
    ),
    cpus(
        "cpu.effective",
        "CPUs usable: min(online, affinity, cpuset, quota)",
    ),
    boolean(
        "cpu.limited",
        "True when affinity, cpuset or quota leaves fewer CPUs than are online",
    ),
];

/// A float fact counted in CPUs (fractions come from quotas: `--cpus 0.5`).
const fn cpus(name: &'static str, help: &'static str) -> FactSpec {
    FactSpec::new(name, FactType::Float, Some(Unit::Cpus), help)
}

/// Counts `processor` lines, the fallback when sysfs is not mounted.
pub fn parse_cpuinfo(text: &str) -> i64 {
    #[allow(clippy::cast_possible_wrap)]
    let n = text
        .lines()
        .filter(|l| l.split(':').next().is_some_and(|k| k.trim() == "processor"))
        .count() as i64;
    n
}

/// `Cpus_allowed_list` from `/proc/<pid>/status`.
pub fn parse_status_affinity(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .map(str::trim)
}

fn online(ctx: &Ctx) -> Result<(i64, String), String> {
    let path = "/sys/devices/system/cpu/online";
    let first = ctx
        .host
        .read(path)
        .and_then(|t| parse_cpu_list(&t).map_err(|e| format!("cannot parse {path}: {e}")));
    match first {
        Ok(n) if n > 0 => Ok((n, path.to_string())),
        other => {
            let why = other.err().unwrap_or_else(|| format!("{path} is empty"));
            let t = ctx
                .host
                .read("/proc/cpuinfo")
                .map_err(|e| format!("{why}; {e}"))?;
            match parse_cpuinfo(&t) {
                0 => Err(format!("{why}; /proc/cpuinfo lists no processor")),
                n => Ok((n, "/proc/cpuinfo processor lines".to_string())),
            }
        }
    }
}

pub fn collect(ctx: &Ctx, facts: &mut Facts) {
    let online = online(ctx);
    let affinity = ctx.host.read("/proc/self/status").and_then(|t| {
        let list =
            parse_status_affinity(&t).ok_or("/proc/self/status has no Cpus_allowed_list line")?;
        parse_cpu_list(list).map_err(|e| format!("cannot parse Cpus_allowed_list: {e}"))
    });
    let layout = cgroup::read_layout(ctx);
    let quota = layout
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|l| cgroup::read_cpu_quota(ctx, l));
    let cpuset = layout
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|l| cgroup::read_cpuset(ctx, l));

    match &online {
        Ok((n, src)) => facts.set("cpu.online", *n, src.as_str()),
        Err(r) => facts.unknown("cpu.online", r.clone()),
    }
    match &affinity {
        Ok(n) => facts.set("cpu.affinity", *n, "/proc/self/status Cpus_allowed_list"),
        Err(r) => facts.unknown("cpu.affinity", r.clone()),
    }
    match &cpuset {
        Ok(Some((n, src))) => facts.set("cpu.cpuset", *n, src.as_str()),
        Ok(None) => facts.unknown("cpu.cpuset", "no cgroup cpuset"),
        Err(r) => facts.unknown("cpu.cpuset", r.clone()),
    }
    match &quota {
        Ok(Some((q, src))) => facts.set("cpu.quota", *q, src.as_str()),
        Ok(None) => facts.unknown("cpu.quota", "no CPU quota"),
        Err(r) => facts.unknown("cpu.quota", r.clone()),
    }

    // Effective needs the host count; each other bound only tightens it. An unreadable bound is
    // skipped rather than poisoning the answer, and named in the source.
    let Ok((n_online, _)) = &online else {
        facts.unknown("cpu.effective", online.err().unwrap_or_default());
        facts.unknown("cpu.limited", "online CPUs unknown");
        return;
    };
    let mut eff = (to_f64(*n_online), "online CPUs".to_string());
    let mut consider = |v: f64, what: &str| {
        if v < eff.0 {
            eff = (v, what.to_string());
        }
    };
    if let Ok(a) = &affinity {
        consider(to_f64(*a), "affinity (Cpus_allowed_list)");
    }
    if let Ok(Some((c, _))) = &cpuset {
        consider(to_f64(*c), "cgroup cpuset");
    }
    if let Ok(Some((q, src))) = &quota {
        consider(*q, src);
    }
    let mut src = format!("min(online {n_online}");
    if let Ok(a) = &affinity {
        src.push_str(&format!(", affinity {a}"));
    }
    if let Ok(Some((c, _))) = &cpuset {
        src.push_str(&format!(", cpuset {c}"));
    }
    if let Ok(Some((q, _))) = &quota {
        src.push_str(&format!(", quota {q}"));
    }
    src.push_str(&format!("): {}", eff.1));
    let limited = eff.0 < to_f64(*n_online);
    facts.set("cpu.effective", eff.0, src.clone());
    facts.set("cpu.limited", limited, src);
}

/// CPU counts are small; the cast is exact.
#[allow(clippy::cast_precision_loss)]
fn to_f64(n: i64) -> f64 {
    n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpuinfo_counts_processors() {
        let t = "processor\t: 0\nmodel name\t: x\nflags\t\t: fpu hypervisor\n\nprocessor\t: 1\n";
        assert_eq!(parse_cpuinfo(t), 2);
        assert_eq!(parse_cpuinfo("garbage"), 0);
    }

    #[test]
    fn affinity_line() {
        let t = "Name:\tsleeper\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n";
        assert_eq!(parse_status_affinity(t), Some("0-1"));
        assert_eq!(parse_status_affinity("Name: x"), None);
    }
}
