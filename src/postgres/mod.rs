//! PostgreSQL: the memory settings a server will run with, and what they can cost at worst.
//!
//! Three ways in, one set of facts out. A `postgresql.conf` ([`conf`]) is read exactly as the
//! server reads it and resolved against the compiled-in defaults of the server's major version
//! ([`params`]); a running server is asked directly ([`live`], `--postgres URL`); with neither, the
//! defaults of the assumed version stand, and every fact's source says which of these it came
//! from. A Compose service's `command: postgres -c name=value` is read by [`settings_from_args`]
//! for the Compose probe. [`model`] then turns the settings into a worst-case memory figure
//! whose every term is its own fact, so a rule can say which term is too big.

pub mod conf;
pub mod live;
pub mod model;
pub mod params;

use crate::facts::registry::{bytes, float, int, string};
use crate::facts::{FactSpec, Facts};
use crate::probe::{Ctx, Group};
use conf::{Entry, Loaded, Problem};
use params::{PARAMS, PgValue};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every fact this module sets.
pub const FACTS: &[FactSpec] = &[
    bytes(
        "postgres.shared_buffers",
        "shared_buffers: the main buffer cache, allocated in full at start",
    ),
    bytes(
        "postgres.work_mem",
        "work_mem: per sort/hash operation, per process (hash nodes × hash_mem_multiplier)",
    ),
    bytes(
        "postgres.maintenance_work_mem",
        "maintenance_work_mem: per VACUUM / CREATE INDEX",
    ),
    bytes(
        "postgres.autovacuum_work_mem",
        "autovacuum_work_mem in effect (maintenance_work_mem when set to -1), per autovacuum worker",
    ),
    bytes(
        "postgres.effective_cache_size",
        "effective_cache_size: a planner hint, allocates nothing",
    ),
    bytes(
        "postgres.wal_buffers",
        "wal_buffers in effect (-1 → shared_buffers/32 clamped to 64 kB … 16 MB)",
    ),
    bytes(
        "postgres.temp_buffers",
        "temp_buffers: per session that uses temporary tables",
    ),
    float(
        "postgres.hash_mem_multiplier",
        "hash_mem_multiplier: hash nodes may use work_mem × this (1.0 in 13–14, 2.0 from 15)",
    ),
    bytes(
        "postgres.logical_decoding_work_mem",
        "logical_decoding_work_mem: per walsender doing logical decoding",
    ),
    int(
        "postgres.max_connections",
        "max_connections: connection slots, each costing shared memory even when idle",
    ),
    int(
        "postgres.superuser_reserved_connections",
        "superuser_reserved_connections: slots ordinary roles cannot use",
    ),
    int(
        "postgres.reserved_connections",
        "reserved_connections (16+; 0 before): slots kept for pg_use_reserved_connections",
    ),
    int(
        "postgres.autovacuum_max_workers",
        "autovacuum_max_workers: concurrent autovacuum workers",
    ),
    int(
        "postgres.max_worker_processes",
        "max_worker_processes: background worker slots (parallel workers come from these)",
    ),
    int(
        "postgres.max_parallel_workers",
        "max_parallel_workers: parallel workers at once, server-wide",
    ),
    int(
        "postgres.max_parallel_workers_per_gather",
        "max_parallel_workers_per_gather: parallel workers per query node",
    ),
    int(
        "postgres.max_parallel_maintenance_workers",
        "max_parallel_maintenance_workers: parallel workers per CREATE INDEX / VACUUM",
    ),
    string("postgres.huge_pages", "huge_pages: off, on or try"),
    string(
        "postgres.dynamic_shared_memory_type",
        "dynamic_shared_memory_type: posix (/dev/shm), sysv or mmap",
    ),
    string(
        "postgres.shared_memory_type",
        "shared_memory_type: mmap (anonymous, not /dev/shm) or sysv",
    ),
    int("postgres.version", "server major version (13–18 modelled)"),
    string(
        "postgres.source",
        "where the settings came from: file, live, command (a Compose command: line) or defaults",
    ),
    int(
        "postgres.conf_errors",
        "problems in postgresql.conf that make PostgreSQL refuse to start (0 when none)",
    ),
    int(
        "postgres.connections_in_use",
        "client backends connected now (live only, pg_stat_activity)",
    ),
    bytes(
        "postgres.worst_case_bytes",
        "upper bound of PostgreSQL's memory: the sum of the postgres.model.* terms",
    ),
    bytes(
        "postgres.typical_bytes",
        "shared memory + every open connection idle (no query memory, no vacuum)",
    ),
    bytes(
        "postgres.model.shared",
        "main shared memory segment (≈ shared_memory_size)",
    ),
    bytes(
        "postgres.model.backends",
        "private memory and page tables of every possible process",
    ),
    bytes(
        "postgres.model.work_mem",
        "every connection and parallel worker running one sort and one hash node",
    ),
    bytes(
        "postgres.model.autovacuum",
        "autovacuum_max_workers × autovacuum_work_mem (capped at 1 GB before 17)",
    ),
    bytes(
        "postgres.model.maintenance",
        "one manual VACUUM / CREATE INDEX using maintenance_work_mem",
    ),
    int(
        "postgres.model.processes",
        "processes counted in the model: connections, autovacuum and parallel workers, auxiliaries",
    ),
    string(
        "postgres.model.formula",
        "the worst-case arithmetic with its numbers, printable",
    ),
];

/// The probe group for the registry and the collector.
pub fn group() -> Group {
    // Network: with --postgres it waits for a server that may never answer.
    Group::network("postgres", FACTS, collect, |ctx| {
        ctx.inputs.postgres_url.is_some()
    })
}

/// The server major version and how it was learned.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    pub major: u32,
    pub source: String,
}

impl Version {
    /// The version assumed when nothing names one.
    pub fn assumed() -> Self {
        Self {
            major: params::DEFAULT_MAJOR,
            source: "assumed: no PG_VERSION next to the file and no --postgres-version".to_string(),
        }
    }

    /// How a default's source names the version it is the default of.
    fn phrase(&self) -> String {
        let m = self.modelled();
        if m != self.major {
            return format!(
                "PostgreSQL {m} default (version {} from {} is outside the modelled 13–18)",
                self.major, self.source
            );
        }
        if self.source.starts_with("assumed") {
            format!("PostgreSQL {} default, version {}", self.major, self.source)
        } else {
            format!(
                "PostgreSQL {} default (version from {})",
                self.major, self.source
            )
        }
    }

    /// The major whose defaults apply (versions outside 13–18 use the nearest modelled one).
    fn modelled(&self) -> u32 {
        self.major.clamp(params::MIN_MAJOR, params::MAX_MAJOR)
    }
}

/// A parameter's value with its source, or the reason it is unknown.
pub type Resolved = BTreeMap<&'static str, Result<(PgValue, String), String>>;

/// Reads the settings of a server command line: `postgres -c name=value`, `-cname=value`,
/// `--name=value`, `-B` (shared_buffers), `-N` (max_connections), `-S` (work_mem), in the forms
/// `postmaster.c`'s getopt accepts. Leading words that are not options (`postgres`,
/// `docker-entrypoint.sh`) are skipped. Errors name the bad argument.
pub fn settings_from_args(args: &[String]) -> Result<Vec<Entry>, String> {
    // Options of postmaster.c's getopt string that take an argument and set nothing we model.
    const WITH_ARG: &[char] = &['C', 'D', 'd', 'f', 'h', 'k', 'p', 'r', 't', 'W'];
    let mut out = Vec::new();
    let mut i = 0;
    let push = |out: &mut Vec<Entry>, name: &str, value: &str, shown: String| {
        out.push(Entry {
            name: name.to_ascii_lowercase().replace('-', "_"),
            value: value.to_string(),
            origin: format!("command line {shown}"),
        });
    };
    while i < args.len() {
        let a = args[i].as_str();
        i += 1;
        if let Some(long) = a.strip_prefix("--") {
            let (n, v) = long
                .split_once('=')
                .ok_or_else(|| format!("command line {a}: --{long} requires a value"))?;
            push(&mut out, n, v, a.to_string());
            continue;
        }
        let Some(opt) = a.strip_prefix('-') else {
            continue;
        };
        let mut chars = opt.chars();
        let Some(letter) = chars.next() else {
            continue;
        };
        let attached = chars.as_str();
        let takes_arg = matches!(letter, 'c' | 'B' | 'N' | 'S') || WITH_ARG.contains(&letter);
        if !takes_arg {
            continue;
        }
        let arg = if attached.is_empty() {
            let v = args
                .get(i)
                .ok_or_else(|| format!("command line {a}: option requires an argument"))?;
            i += 1;
            v.clone()
        } else {
            attached.to_string()
        };
        match letter {
            'c' => {
                let (n, v) = arg
                    .split_once('=')
                    .ok_or_else(|| format!("command line -c {arg}: -c {arg} requires a value"))?;
                push(&mut out, n, v, format!("-c {arg}"));
            }
            'B' => push(&mut out, "shared_buffers", &arg, format!("-B {arg}")),
            'N' => push(&mut out, "max_connections", &arg, format!("-N {arg}")),
            'S' => push(&mut out, "work_mem", &arg, format!("-S {arg}")),
            _ => {}
        }
    }
    Ok(out)
}

/// Resolves every modelled parameter from settings in application order (last wins) over the
/// defaults of `version`. A problem (syntax error, unreadable include) that comes after a
/// parameter's last setting makes it unknown: the server refuses such a file, and what the
/// broken part meant to set cannot be known.
pub fn resolve(version: &Version, entries: &[Entry], problems: &[Problem]) -> Resolved {
    let major = version.modelled();
    let mut out = Resolved::new();
    for p in PARAMS {
        let last = entries.iter().rposition(|e| e.name == p.name);
        let poison = problems
            .iter()
            .rev()
            .find(|pr| pr.name.as_deref().is_none_or(|n| n == p.name));
        if let Some(pr) = poison
            && last.is_none_or(|i| i < pr.at)
        {
            out.insert(
                p.name,
                Err(format!("{} (PostgreSQL refuses to start)", pr.reason)),
            );
            continue;
        }
        let r = match last.and_then(|i| entries.get(i)) {
            Some(e) if !p.exists_in(major) => Err(format!(
                "{}: {} does not exist in PostgreSQL {} (PostgreSQL refuses to start)",
                e.origin, p.name, version.major
            )),
            Some(e) => p
                .parse(&e.value, major)
                .map(|v| (v, e.origin.clone()))
                .map_err(|err| format!("{}: {err}", e.origin)),
            None if !p.exists_in(major) => Ok((
                p.default_value(major),
                format!(
                    "not in PostgreSQL {} (added in {}): nothing reserved",
                    version.major, p.since
                ),
            )),
            None => Ok((p.default_value(major), version.phrase())),
        };
        out.insert(p.name, r);
    }
    derive(&mut out);
    out
}

/// Names one or two edits away from a modelled parameter (`shared_bufers`, `work-mem` after
/// the `-`→`_` of long options is not one): PostgreSQL refuses to start on an unrecognized name,
/// and the parameter the line meant to set cannot be known. No real parameter of PostgreSQL 15
/// is that close to a modelled one (checked against `postgres --describe-config` in
/// tests/postgres_diff.rs); dotted names are extension placeholders and always allowed.
pub fn misspellings(entries: &[Entry]) -> Vec<Problem> {
    let mut out = Vec::new();
    for e in entries {
        if e.name.contains('.') || params::find(&e.name).is_some() {
            continue;
        }
        if let Some(p) = PARAMS.iter().find(|p| edit_distance(&e.name, p.name) <= 2) {
            out.push(Problem {
                at: entries.len(),
                name: Some(p.name.to_string()),
                reason: format!(
                    "{}: unrecognized configuration parameter \"{}\" (did you mean {}?)",
                    e.origin, e.name, p.name
                ),
            });
        }
    }
    out
}

/// Levenshtein distance over bytes (parameter names are ASCII).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// `max_wal_senders` default (not modelled), part of MaxBackends.
const MAX_WAL_SENDERS: i64 = 10;

/// MaxBackends (max_connections + autovacuum_max_workers + 1 + max_worker_processes +
/// max_wal_senders) may not exceed MAX_BACKENDS (262143): `check_max_connections` and friends
/// (≤ 15) or `InitializeMaxBackends` (16+) refuse the server otherwise.
fn cross_check(r: &mut Resolved) {
    let int = |r: &Resolved, n: &str| match r.get(n) {
        Some(Ok((PgValue::Int(v), _))) => Some(*v),
        _ => None,
    };
    let (Some(mc), Some(av), Some(wp)) = (
        int(r, "max_connections"),
        int(r, "autovacuum_max_workers"),
        int(r, "max_worker_processes"),
    ) else {
        return;
    };
    let total = mc + av + 1 + wp + MAX_WAL_SENDERS;
    if total > 0x3FFFF
        && let Some(Ok((_, src))) = r.get("max_connections").cloned()
    {
        r.insert(
            "max_connections",
            Err(format!(
                "{src}: max_connections {mc} + autovacuum_max_workers {av} + max_worker_processes {wp} \
                 + max_wal_senders {MAX_WAL_SENDERS} + 1 = {total} server processes, more than 262143 \
                 (PostgreSQL refuses to start)"
            )),
        );
    }
}

/// Everything in a loaded configuration that makes PostgreSQL refuse it: syntax errors,
/// unreadable includes, and invalid values of the modelled parameters (PostgreSQL only checks the
/// last setting of each name). Invalid values of parameters headroom does not model go unseen.
pub fn conf_errors(version: &Version, loaded: &Loaded) -> Vec<String> {
    let major = version.modelled();
    let mut out: Vec<String> = loaded.problems.iter().map(|p| p.reason.clone()).collect();
    for p in PARAMS {
        let Some(e) = loaded.entries.iter().rev().find(|e| e.name == p.name) else {
            continue;
        };
        if !p.exists_in(major) {
            out.push(format!(
                "{}: unrecognized configuration parameter \"{}\" in PostgreSQL {}",
                e.origin, p.name, version.major
            ));
        } else if let Err(err) = p.parse(&e.value, major) {
            out.push(format!("{}: {err}", e.origin));
        }
    }
    out
}

/// Replaces the `-1` ("derived") values with what the server computes, and applies the checks
/// that span parameters.
pub(crate) fn derive(r: &mut Resolved) {
    cross_check(r);
    let int = |r: &Resolved, n: &str| match r.get(n) {
        Some(Ok((PgValue::Int(v), src))) => Ok((*v, src.clone())),
        Some(Err(e)) => Err(e.clone()),
        _ => Err(format!("{n} unknown")),
    };
    if let Ok((-1, src)) = int(r, "wal_buffers") {
        let v = int(r, "shared_buffers").map(|(sb, sb_src)| {
            // XLOGChooseNumBuffers: NBuffers / 32, at least 8 pages, at most one WAL segment.
            let pages = (sb / params::BLOCK / 32).clamp(8, params::WAL_SEGMENT / params::BLOCK);
            (
                PgValue::Int(pages * params::BLOCK),
                format!(
                    "shared_buffers/32 clamped to 64 kB … 16 MB, as wal_buffers is -1 ({src}); \
                     shared_buffers from {sb_src}"
                ),
            )
        });
        r.insert(
            "wal_buffers",
            v.map_err(|e| format!("wal_buffers is -1 (derived from shared_buffers), and {e}")),
        );
    }
    if let Ok((-1, src)) = int(r, "autovacuum_work_mem") {
        let v = int(r, "maintenance_work_mem").map(|(m, m_src)| {
            (
                PgValue::Int(m),
                format!("maintenance_work_mem ({m_src}), as autovacuum_work_mem is -1 ({src})"),
            )
        });
        r.insert(
            "autovacuum_work_mem",
            v.map_err(|e| {
                format!("autovacuum_work_mem is -1 (uses maintenance_work_mem), and {e}")
            }),
        );
    }
}

/// Records resolved settings as facts. Call [`model::record`] once every postgres fact is set.
pub fn record(version: &Version, resolved: &Resolved, source_kind: &str, facts: &mut Facts) {
    for (name, r) in resolved {
        let fact = format!("postgres.{name}");
        match r {
            Ok((PgValue::Int(v), src)) => facts.set(&fact, *v, src.clone()),
            Ok((PgValue::Real(v), src)) => facts.set(&fact, *v, src.clone()),
            Ok((PgValue::Enum(v), src)) => facts.set(&fact, v.clone(), src.clone()),
            Err(reason) => facts.unknown(&fact, reason.clone()),
        }
    }
    facts.set(
        "postgres.version",
        i64::from(version.major),
        version.source.clone(),
    );
    facts.set(
        "postgres.source",
        source_kind,
        source_kind_help(source_kind),
    );
}

fn source_kind_help(kind: &str) -> String {
    match kind {
        "live" => "settings read from the running server".to_string(),
        "file" => "settings read from postgresql.conf".to_string(),
        "command" => {
            "server command line (-c name=value) over the compiled-in defaults".to_string()
        }
        _ => "compiled-in defaults of a stock server".to_string(),
    }
}

/// Every fact unknown for the same reason (a live probe that could not answer).
fn all_unknown(reason: &str, facts: &mut Facts) {
    for spec in FACTS {
        facts.unknown(spec.name, reason);
    }
}

/// The version of the server whose configuration `conf` is: `PG_VERSION` next to it (a data
/// directory), in its `data_directory`, or a Debian-style `/etc/postgresql/<major>/<cluster>/`.
pub fn version_for_conf(ctx: &Ctx, conf: &Path, data_dir: Option<&Path>) -> Option<Version> {
    let mut dirs: Vec<PathBuf> = conf.parent().map(Path::to_path_buf).into_iter().collect();
    dirs.extend(data_dir.map(Path::to_path_buf));
    for d in dirs {
        let f = d.join("PG_VERSION");
        if let Ok(text) = crate::probe::host::read_text(&conf::resolve(&ctx.host, &f))
            && let Some(major) = parse_pg_version(&text)
        {
            return Some(Version {
                major,
                source: format!("{}", f.display()),
            });
        }
    }
    let comps: Vec<String> = conf
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    comps
        .windows(3)
        .find(|w| w[0] == "etc" && w[1] == "postgresql")
        .and_then(|w| w[2].parse::<u32>().ok())
        .map(|major| Version {
            major,
            source: format!("Debian layout {}", conf.display()),
        })
}

/// `PG_VERSION` holds `15` (or `9.6` for old servers).
fn parse_pg_version(text: &str) -> Option<u32> {
    text.trim().split('.').next()?.parse().ok()
}

/// Reads a `postgresql.conf` with its includes, and `postgresql.auto.conf` of its data directory.
pub fn load_conf(ctx: &Ctx, path: &Path) -> (Version, Loaded) {
    let mut loaded = conf::load(&ctx.host, path);
    let data_dir = loaded
        .entries
        .iter()
        .rev()
        .find(|e| e.name == "data_directory")
        .map(|e| PathBuf::from(&e.value));
    let version = version_for_conf(ctx, path, data_dir.as_deref())
        .or_else(|| {
            ctx.inputs.postgres_version.map(|major| Version {
                major,
                source: "--postgres-version".to_string(),
            })
        })
        .unwrap_or_else(Version::assumed);
    // ALTER SYSTEM's file is read after postgresql.conf, from the data directory.
    let auto_dir = data_dir.or_else(|| {
        let dir = path.parent()?;
        conf::resolve(&ctx.host, &dir.join("PG_VERSION"))
            .exists()
            .then(|| dir.to_path_buf())
    });
    if let Some(d) = auto_dir {
        conf::load_more(&ctx.host, &d.join("postgresql.auto.conf"), &mut loaded);
    }
    let typos = misspellings(&loaded.entries);
    loaded.problems.extend(typos);
    (version, loaded)
}

/// The probe: live server first (it is the truth), else the configuration file, else defaults.
pub fn collect(ctx: &Ctx, facts: &mut Facts) {
    let mut live_err = None;
    if let Some(url) = &ctx.inputs.postgres_url {
        match live::read(url, ctx.host.timeout) {
            Ok(l) => {
                record(&l.version, &l.resolved, "live", facts);
                facts.set("postgres.conf_errors", 0_i64, "not read: live server");
                facts.set(
                    "postgres.connections_in_use",
                    l.connections_in_use,
                    l.source.clone(),
                );
                model::record(facts);
                return;
            }
            Err(e) => live_err = Some(e),
        }
    }
    if let Some(path) = &ctx.inputs.postgres_conf {
        let (version, loaded) = load_conf(ctx, path);
        let resolved = resolve(&version, &loaded.entries, &loaded.problems);
        record(&version, &resolved, "file", facts);
        let errors = conf_errors(&version, &loaded);
        let n = i64::try_from(errors.len()).unwrap_or(i64::MAX);
        let src = errors.first().map_or_else(
            || format!("{} (and its includes)", path.display()),
            Clone::clone,
        );
        facts.set("postgres.conf_errors", n, src);
        facts.unknown(
            "postgres.connections_in_use",
            live_err.unwrap_or_else(|| "no --postgres URL: only a live server knows".to_string()),
        );
        model::record(facts);
        return;
    }
    if let Some(e) = live_err {
        all_unknown(&e, facts);
        return;
    }
    // A Compose service running the postgres image: its `-c` flags over its version's defaults.
    if ctx.inputs.postgres_version.is_none()
        && let Some(project) = crate::stack::project(ctx)
        && let Some(svc) = crate::stack::postgres_service(&project)
    {
        let (major, src) = svc
            .image
            .as_ref()
            .and_then(|i| crate::stack::postgres_major(&i.value))
            .unwrap_or((
                params::DEFAULT_MAJOR,
                "assumed: the image tag names no version".into(),
            ));
        let version = Version {
            major,
            source: format!("compose service {}: {src}", svc.name),
        };
        let args = crate::stack::postgres_args(svc);
        if let Err(e) = record_command(&version, &args, facts) {
            all_unknown(
                &format!("compose service {} ({}): {e}", svc.name, svc.at),
                facts,
            );
        }
        return;
    }
    // Without any PostgreSQL to look at, defaults would judge a server that may not exist; only
    // an explicit version says "this stack runs a stock PostgreSQL N".
    let Some(major) = ctx.inputs.postgres_version else {
        all_unknown(NOTHING_GIVEN, facts);
        return;
    };
    let version = Version {
        major,
        source: "--postgres-version".to_string(),
    };
    record_command(&version, &[], facts).unwrap_or_else(|e| all_unknown(&e, facts));
}

/// Why the postgres facts are unknown when the user pointed headroom at no PostgreSQL.
pub const NOTHING_GIVEN: &str = "no PostgreSQL given: --postgres-conf FILE, --postgres URL, \
     or --postgres-version N for a stock server's defaults";

/// Records the facts of a server started with `args` (a Compose service's `command:`, `postgres
/// -c name=value …`; empty for a stock server) over the defaults of `version`, model included.
/// `postgres.source` is `defaults` without arguments and `command` with them. An argument
/// PostgreSQL would reject is an error naming it.
pub fn record_command(version: &Version, args: &[String], facts: &mut Facts) -> Result<(), String> {
    let entries = settings_from_args(args)?;
    let problems = misspellings(&entries);
    let resolved = resolve(version, &entries, &problems);
    let kind = if entries.is_empty() {
        "defaults"
    } else {
        "command"
    };
    record(version, &resolved, kind, facts);
    let loaded = Loaded {
        entries,
        problems,
        ..Loaded::default()
    };
    let errors = conf_errors(version, &loaded);
    let n = i64::try_from(errors.len()).unwrap_or(i64::MAX);
    let src = errors
        .first()
        .cloned()
        .unwrap_or_else(|| "no postgresql.conf: server command line and defaults".to_string());
    facts.set("postgres.conf_errors", n, src);
    facts.unknown(
        "postgres.connections_in_use",
        "no --postgres URL: only a live server knows",
    );
    model::record(facts);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::Inputs;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn command_line_forms() {
        let e = settings_from_args(&args(
            "postgres -c shared_buffers=256MB -cwork_mem=8MB --max-connections=50 -B 1000 -N 20 -S 128 -p 5433 -k /tmp",
        ))
        .unwrap();
        let got: Vec<(&str, &str)> = e
            .iter()
            .map(|e| (e.name.as_str(), e.value.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("shared_buffers", "256MB"),
                ("work_mem", "8MB"),
                ("max_connections", "50"),
                ("shared_buffers", "1000"),
                ("max_connections", "20"),
                ("work_mem", "128"),
            ]
        );
        assert_eq!(e[0].origin, "command line -c shared_buffers=256MB");
        assert!(settings_from_args(&args("postgres -c work_mem")).is_err());
        assert!(settings_from_args(&args("postgres -c")).is_err());
    }

    fn entry(name: &str, value: &str, line: u32) -> Entry {
        Entry {
            name: name.into(),
            value: value.into(),
            origin: format!("postgresql.conf:{line}"),
        }
    }

    fn v15() -> Version {
        Version {
            major: 15,
            source: "test".into(),
        }
    }

    #[test]
    fn last_setting_wins_and_derived_values_follow() {
        let r = resolve(
            &v15(),
            &[
                entry("shared_buffers", "64MB", 1),
                entry("shared_buffers", "1GB", 2),
                entry("maintenance_work_mem", "256MB", 3),
            ],
            &[],
        );
        assert_eq!(
            r["shared_buffers"].as_ref().unwrap().0,
            PgValue::Int(1 << 30)
        );
        assert_eq!(r["wal_buffers"].as_ref().unwrap().0, PgValue::Int(16 << 20));
        assert_eq!(
            r["autovacuum_work_mem"].as_ref().unwrap().0,
            PgValue::Int(256 << 20)
        );
        assert_eq!(
            r["hash_mem_multiplier"].as_ref().unwrap().0,
            PgValue::Real(2.0)
        );
        assert!(
            r["reserved_connections"]
                .as_ref()
                .unwrap()
                .1
                .contains("added in 16")
        );
    }

    #[test]
    fn invalid_value_makes_only_that_fact_unknown() {
        let r = resolve(&v15(), &[entry("work_mem", "4mb", 7)], &[]);
        assert_eq!(
            r["work_mem"].as_ref().unwrap_err(),
            "postgresql.conf:7: invalid value for work_mem: '4mb' (units are case-sensitive: B kB MB GB TB)"
        );
        assert!(r["shared_buffers"].is_ok());
    }

    fn ctx(inputs: Inputs) -> Ctx {
        Ctx {
            host: crate::probe::Host::fixture("/nonexistent"),
            inputs,
        }
    }

    #[test]
    fn nothing_given_means_unknown_not_defaults() {
        let mut f = Facts::new();
        collect(&ctx(Inputs::default()), &mut f);
        assert_eq!(f.why_unknown("postgres.shared_buffers"), NOTHING_GIVEN);
        assert_eq!(f.why_unknown("postgres.worst_case_bytes"), NOTHING_GIVEN);

        let mut f = Facts::new();
        collect(
            &ctx(Inputs {
                postgres_version: Some(14),
                ..Inputs::default()
            }),
            &mut f,
        );
        assert_eq!(f.str("postgres.source"), Some("defaults"));
        assert_eq!(f.float("postgres.hash_mem_multiplier"), Some(1.0));
        assert_eq!(
            f.source("postgres.shared_buffers"),
            Some("PostgreSQL 14 default (version from --postgres-version)")
        );
    }

    #[test]
    fn compose_command_is_recorded_with_its_errors() {
        let mut f = Facts::new();
        record_command(
            &v15(),
            &args("postgres -c work_mem=4mb -c max_connections=50"),
            &mut f,
        )
        .unwrap();
        assert_eq!(f.str("postgres.source"), Some("command"));
        assert_eq!(f.int("postgres.max_connections"), Some(50));
        assert_eq!(f.int("postgres.conf_errors"), Some(1));
        assert!(
            f.source("postgres.conf_errors")
                .unwrap()
                .starts_with("command line -c work_mem=4mb: invalid value for work_mem")
        );
        assert!(f.int("postgres.worst_case_bytes").is_none());
        assert!(record_command(&v15(), &args("postgres -c"), &mut f).is_err());
    }

    #[test]
    fn missing_conf_file_is_a_reason() {
        let mut f = Facts::new();
        collect(
            &ctx(Inputs {
                postgres_conf: Some("/etc/postgresql/15/main/postgresql.conf".into()),
                ..Inputs::default()
            }),
            &mut f,
        );
        assert_eq!(
            f.int("postgres.version"),
            Some(15),
            "Debian layout names the version"
        );
        assert_eq!(f.int("postgres.conf_errors"), Some(1));
        assert!(
            f.why_unknown("postgres.shared_buffers")
                .contains("could not open configuration file \"/etc/postgresql/15/main/postgresql.conf\": no such file"),
            "{}",
            f.why_unknown("postgres.shared_buffers")
        );
    }

    /// A Debian-style layout under a fixture root: the conf in /etc names its data directory,
    /// whose PG_VERSION and postgresql.auto.conf (ALTER SYSTEM) apply; absolute includes map
    /// through the root too.
    #[test]
    fn debian_layout_under_a_fixture_root() {
        let root = tempfile::tempdir().unwrap();
        let w = |rel: &str, text: &str| {
            let p = root.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        w(
            "etc/postgresql/14/main/postgresql.conf",
            "data_directory = '/var/lib/postgresql/13/main'\n\
             shared_buffers = 256MB\n\
             include_dir 'conf.d'\n\
             include '/srv/pg/extra.conf'\n",
        );
        w(
            "etc/postgresql/14/main/conf.d/10-mem.conf",
            "work_mem = 8MB\n",
        );
        w("srv/pg/extra.conf", "max_connections = 40\n");
        w("var/lib/postgresql/13/main/PG_VERSION", "13\n");
        w(
            "var/lib/postgresql/13/main/postgresql.auto.conf",
            "# Do not edit this file manually!\nshared_buffers = '512MB'\n",
        );
        let mut f = Facts::new();
        collect(
            &Ctx {
                host: crate::probe::Host::fixture(root.path()),
                inputs: Inputs {
                    postgres_conf: Some("/etc/postgresql/14/main/postgresql.conf".into()),
                    ..Inputs::default()
                },
            },
            &mut f,
        );
        // PG_VERSION of the data directory beats the /etc/postgresql/14 path.
        assert_eq!(f.int("postgres.version"), Some(13));
        assert_eq!(
            f.source("postgres.version"),
            Some("/var/lib/postgresql/13/main/PG_VERSION")
        );
        assert_eq!(f.float("postgres.hash_mem_multiplier"), Some(1.0));
        assert_eq!(f.int("postgres.shared_buffers"), Some(512 << 20));
        assert_eq!(
            f.source("postgres.shared_buffers"),
            Some("/var/lib/postgresql/13/main/postgresql.auto.conf:2")
        );
        assert_eq!(f.int("postgres.work_mem"), Some(8 << 20));
        assert_eq!(
            f.source("postgres.work_mem"),
            Some("/etc/postgresql/14/main/conf.d/10-mem.conf:1")
        );
        assert_eq!(f.int("postgres.max_connections"), Some(40));
        assert_eq!(f.int("postgres.conf_errors"), Some(0));
    }

    #[test]
    fn misspelled_parameter_is_an_error_for_the_meant_one() {
        let mut f = Facts::new();
        record_command(
            &v15(),
            &args("postgres -c shared_bufers=2GB -c auto_explain.log_min_duration=5s -c log_connections=on"),
            &mut f,
        )
        .unwrap();
        assert_eq!(f.int("postgres.conf_errors"), Some(1));
        assert_eq!(
            f.why_unknown("postgres.shared_buffers"),
            "command line -c shared_bufers=2GB: unrecognized configuration parameter \"shared_bufers\" \
             (did you mean shared_buffers?) (PostgreSQL refuses to start)"
        );
        assert_eq!(f.int("postgres.max_connections"), Some(100));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn old_versions_use_the_oldest_modelled_defaults_and_say_so() {
        let v = Version {
            major: 12,
            source: "image postgres:12.6".into(),
        };
        let r = resolve(&v, &[], &[]);
        let (val, src) = r["hash_mem_multiplier"].as_ref().unwrap();
        assert_eq!(*val, PgValue::Real(1.0));
        assert_eq!(
            src,
            "PostgreSQL 13 default (version 12 from image postgres:12.6 is outside the modelled 13–18)"
        );
    }

    #[test]
    fn every_fact_set_is_in_the_table() {
        let mut f = Facts::new();
        let v = v15();
        record(&v, &resolve(&v, &[], &[]), "defaults", &mut f);
        f.set("postgres.conf_errors", 0_i64, "test");
        f.unknown("postgres.connections_in_use", "test");
        model::record(&mut f);
        for (name, _) in f.iter() {
            assert!(
                FACTS.iter().any(|s| s.matches(name)),
                "{name} is not in FACTS"
            );
        }
        for spec in FACTS {
            assert!(f.get(spec.name).is_some(), "{} is never set", spec.name);
        }
    }

    #[test]
    fn problems_poison_what_they_could_have_set() {
        let problems = vec![Problem {
            at: 1,
            name: None,
            reason: "postgresql.conf:2: could not open configuration file \"x.conf\": no such file"
                .into(),
        }];
        let r = resolve(
            &v15(),
            &[
                entry("work_mem", "8MB", 1),
                entry("max_connections", "20", 3),
            ],
            &problems,
        );
        assert!(r["work_mem"].is_err());
        assert!(r["max_connections"].is_ok());
        assert!(r["shared_buffers"].as_ref().unwrap_err().contains("x.conf"));
    }
}
