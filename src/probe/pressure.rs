//! Pressure stall information (PSI, kernel 4.20+): the share of time tasks waited for memory,
//! CPU or I/O. Non-zero memory `full` means the workload is already thrashing.
//!
//! With cgroup v2 the memory numbers come from this process's cgroup `memory.pressure` (what the
//! stack itself suffers); otherwise, and for cpu and io, from `/proc/pressure/*`. The files are
//! absent when the kernel is built without `CONFIG_PSI` or booted with `psi=0`
//! (kernel `Documentation/accounting/psi.rst`).

use super::Ctx;
use super::cgroup::{self, Kind};
use super::procfs::{ParseError, quote};
use crate::facts::Facts;
use crate::facts::registry::{FactSpec, percent};

pub const FACTS: &[FactSpec] = &[
    percent(
        "pressure.memory_some_avg10",
        "% of the last 10 s some task stalled on memory (PSI; cgroup memory.pressure on v2)",
    ),
    percent(
        "pressure.memory_full_avg10",
        "% of the last 10 s all non-idle tasks stalled on memory at once",
    ),
    percent(
        "pressure.memory_some_avg60",
        "% of the last 60 s some task stalled on memory",
    ),
    percent(
        "pressure.memory_full_avg60",
        "% of the last 60 s all non-idle tasks stalled on memory",
    ),
    percent(
        "pressure.cpu_some_avg10",
        "% of the last 10 s some runnable task waited for a CPU (/proc/pressure/cpu)",
    ),
    percent(
        "pressure.io_some_avg10",
        "% of the last 10 s some task waited for I/O (/proc/pressure/io)",
    ),
    percent(
        "pressure.io_full_avg10",
        "% of the last 10 s all non-idle tasks waited for I/O",
    ),
];

/// One PSI line: averages are percentages (0–100), `total` is stall time in µs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Line {
    pub avg10: f64,
    pub avg60: f64,
    pub avg300: f64,
    pub total_us: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Pressure {
    pub some: Option<Line>,
    /// Absent in `/proc/pressure/cpu` before 5.13.
    pub full: Option<Line>,
}

/// Parses `some avg10=0.00 avg60=0.00 avg300=0.00 total=0` / `full …` lines.
pub fn parse(text: &str) -> Result<Pressure, ParseError> {
    let mut p = Pressure::default();
    for (i, line) in text.lines().enumerate() {
        let mut it = line.split_whitespace();
        let slot = match it.next() {
            Some("some") => &mut p.some,
            Some("full") => &mut p.full,
            Some(_) => return Err(ParseError::at(i + 1, format!("unexpected {}", quote(line)))),
            None => continue,
        };
        let mut l = Line::default();
        for kv in it {
            let bad = || ParseError::at(i + 1, format!("bad field {}", quote(kv)));
            let (k, v) = kv.split_once('=').ok_or_else(bad)?;
            let f = || {
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .ok_or_else(bad)
            };
            match k {
                "avg10" => l.avg10 = f()?,
                "avg60" => l.avg60 = f()?,
                "avg300" => l.avg300 = f()?,
                "total" => l.total_us = v.parse().map_err(|_| bad())?,
                _ => {}
            }
        }
        *slot = Some(l);
    }
    if p.some.is_none() {
        return Err(ParseError::new("no \"some\" line"));
    }
    Ok(p)
}

/// Reads a PSI file; a missing file means PSI is off, said in those words.
fn read(ctx: &Ctx, path: &str) -> Result<Pressure, String> {
    // The file is looked for only when it could not be read (one system call less per file).
    let text = match ctx.host.read(path) {
        Ok(t) => t,
        Err(_) if !ctx.host.exists(path) => {
            return Err(format!("PSI not enabled in this kernel (no {path})"));
        }
        Err(e) => return Err(e),
    };
    parse(&text).map_err(|e| format!("cannot parse {path}: {e}"))
}

fn set(facts: &mut Facts, name: &str, v: Option<f64>, src: &str, missing: &str) {
    match v {
        Some(v) => facts.set(name, v, src),
        None => facts.unknown(name, format!("{src} has no {missing} line")),
    }
}

pub fn collect(ctx: &Ctx, facts: &mut Facts) {
    // The cgroup's own file when memory is on v2 (domain.md §4.3); the host file otherwise.
    let cg_file = cgroup::read_layout(ctx)
        .ok()
        .and_then(|l| l.memory)
        .filter(|d| d.kind == Kind::V2)
        .map(|d| format!("{}/memory.pressure", d.abs()))
        .filter(|p| ctx.host.exists(p));
    let mem_src = cg_file.unwrap_or_else(|| "/proc/pressure/memory".to_string());
    let mem_label = if mem_src.starts_with("/proc") {
        mem_src.clone()
    } else {
        format!("cgroup v2 {mem_src}")
    };
    match read(ctx, &mem_src) {
        Ok(p) => {
            let (s, f) = (p.some, p.full);
            set(
                facts,
                "pressure.memory_some_avg10",
                s.map(|l| l.avg10),
                &mem_label,
                "some",
            );
            set(
                facts,
                "pressure.memory_some_avg60",
                s.map(|l| l.avg60),
                &mem_label,
                "some",
            );
            set(
                facts,
                "pressure.memory_full_avg10",
                f.map(|l| l.avg10),
                &mem_label,
                "full",
            );
            set(
                facts,
                "pressure.memory_full_avg60",
                f.map(|l| l.avg60),
                &mem_label,
                "full",
            );
        }
        Err(r) => {
            for n in [
                "pressure.memory_some_avg10",
                "pressure.memory_some_avg60",
                "pressure.memory_full_avg10",
                "pressure.memory_full_avg60",
            ] {
                facts.unknown(n, r.clone());
            }
        }
    }
    let cpu = "/proc/pressure/cpu";
    match read(ctx, cpu) {
        Ok(p) => set(
            facts,
            "pressure.cpu_some_avg10",
            p.some.map(|l| l.avg10),
            cpu,
            "some",
        ),
        Err(r) => facts.unknown("pressure.cpu_some_avg10", r),
    }
    let io = "/proc/pressure/io";
    match read(ctx, io) {
        Ok(p) => {
            set(
                facts,
                "pressure.io_some_avg10",
                p.some.map(|l| l.avg10),
                io,
                "some",
            );
            set(
                facts,
                "pressure.io_full_avg10",
                p.full.map(|l| l.avg10),
                io,
                "full",
            );
        }
        Err(r) => {
            facts.unknown("pressure.io_some_avg10", r.clone());
            facts.unknown("pressure.io_full_avg10", r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_some_and_full() {
        let p = parse(
            "some avg10=1.50 avg60=0.25 avg300=0.00 total=19507\nfull avg10=0.75 avg60=0.10 avg300=0.00 total=9000\n",
        )
        .unwrap();
        assert_eq!(p.some.unwrap().avg10, 1.5);
        assert_eq!(p.some.unwrap().total_us, 19507);
        assert_eq!(p.full.unwrap().avg60, 0.10);
    }

    #[test]
    fn old_cpu_file_has_no_full() {
        let p = parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n").unwrap();
        assert!(p.full.is_none());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse("").is_err());
        assert!(parse("some avg10=x").is_err());
        assert!(parse("some avg10=NaN").is_err());
        assert!(parse("hello world").is_err());
    }
}
