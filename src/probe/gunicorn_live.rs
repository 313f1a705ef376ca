//! Running Gunicorn: the masters and workers in `/proc`, what they really use and how they run.
//!
//! Configuration says what Gunicorn *should* do (`crate::gunicorn` resolves it); this probe says
//! what the processes on the machine *are* doing: how many workers each master has, each one's
//! proportional memory (PSS, the figure that adds up across forked processes, domain.md §1.7), the
//! Gunicorn release in the interpreter's site-packages, the command line and environment in force,
//! and where the heartbeat file lives (an unlinked `wgunicorn-*` file held open by master and
//! workers, domain.md §1.4) with that directory's filesystem type (tmpfs vs a disk or overlay,
//! §1.6). Processes in containers are in the host's `/proc` too, and their files are reached
//! through `/proc/<pid>/root`, so run on the host this sees every container's Gunicorn.
//!
//! With several masters (two stacks on one box, a USR2 upgrade in progress) the facts describe
//! the largest by total PSS, or the one `HEADROOM_GUNICORN_PID` names, and their sources say so.
//!
//! Cheap by construction: one small `stat` read per process to get `comm` and the parent, and only
//! processes named `gunicorn*`/`python*`/`pypy*` get their command line read. Everything goes
//! through `Host::path`, so fixture trees stand in for `/proc` in tests.

use super::Ctx;
use super::host::{Host, describe};
use super::mountinfo;
use super::procfs::{ParseError, quote};
use crate::facts::Facts;
use crate::facts::registry::{FactSpec, bytes, int, string};
use crate::facts::units;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every fact this probe sets.
pub const FACTS: &[FactSpec] = &[
    int(
        "gunicorn.live.masters",
        "Running Gunicorn masters found in /proc.",
    ),
    int(
        "gunicorn.live.pid",
        "Pid of the Gunicorn master the live facts describe (the largest by total PSS).",
    ),
    int(
        "gunicorn.live.workers",
        "Workers (child processes) of that master.",
    ),
    bytes(
        "gunicorn.live.worker_pss_max",
        "PSS of its largest worker (/proc/<pid>/smaps_rollup).",
    ),
    bytes("gunicorn.live.worker_pss_avg", "Mean PSS of its workers."),
    bytes(
        "gunicorn.live.worker_rss_max",
        "RSS of its largest worker (/proc/<pid>/status VmRSS; counts shared pages in full).",
    ),
    bytes("gunicorn.live.master_pss", "PSS of the master."),
    bytes(
        "gunicorn.live.total_pss",
        "PSS of the master and all its workers: what this Gunicorn really costs.",
    ),
    string(
        "gunicorn.live.version",
        "Gunicorn release in the running interpreter's site-packages.",
    ),
    int(
        "gunicorn.live.version_major",
        "Major version of the running Gunicorn (22 changed how booting workers time out).",
    ),
    string(
        "gunicorn.live.heartbeat_dir",
        "Directory of the open wgunicorn-* heartbeat files (worker_tmp_dir in force).",
    ),
    string(
        "gunicorn.live.heartbeat_fstype",
        "Filesystem type of that directory, from the master's mountinfo (tmpfs, overlay, ext4…).",
    ),
    string(
        "gunicorn.live.cmdline",
        "The master's command line (/proc/<pid>/cmdline).",
    ),
    string(
        "gunicorn.live.env",
        "GUNICORN_CMD_ARGS, WEB_CONCURRENCY and TMPDIR in the master's environment (\"\" when none is set).",
    ),
];

/// Names the master to describe when several run (a pid of the master or of one of its workers).
/// An environment variable rather than a flag so the command line stays the stack's own.
pub const PID_VAR: &str = "HEADROOM_GUNICORN_PID";

/// Why every fact is unknown when nothing runs.
pub const NONE_RUNNING: &str = "no running Gunicorn found in /proc";

/// Environment variables that change what Gunicorn does (domain.md §1.2), shown as in force.
pub const ENV_KEYS: &[&str] = &["GUNICORN_CMD_ARGS", "WEB_CONCURRENCY", "TMPDIR"];

/// Only processes whose `comm` starts with one of these get their command line read. The kernel
/// sets `comm` to the script's name for `#!` scripts (`gunicorn`), to the interpreter's for
/// `python -m gunicorn`, and setproctitle sets it to the title (`gunicorn: maste`).
const COMM_PREFIXES: &[&str] = &["gunicorn", "python", "pypy"];

/// The fields of `/proc/<pid>/stat` the scan needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    pub pid: i32,
    pub comm: String,
    pub ppid: i32,
}

/// A running Gunicorn master and what it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Master {
    pub pid: i32,
    pub argv: Vec<String>,
    /// The [`ENV_KEYS`] set in its environment; `Err` when environ is not readable.
    pub env: Result<BTreeMap<String, String>, String>,
    /// VmRSS in bytes.
    pub rss: Result<i64, String>,
    pub pss: Result<Pss, String>,
    /// Its worker processes, by pid.
    pub workers: Vec<Worker>,
    pub version: Result<Version, String>,
    pub heartbeat: Result<Heartbeat, String>,
}

/// One worker (a direct child of the master that runs Gunicorn).
#[derive(Clone, Debug, PartialEq)]
pub struct Worker {
    pub pid: i32,
    pub rss: Result<i64, String>,
    pub pss: Result<Pss, String>,
}

/// A PSS figure and the file it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pss {
    pub bytes: i64,
    /// `/proc/<pid>/smaps_rollup`, or `/proc/<pid>/smaps` on kernels before 4.14.
    pub file: String,
}

/// The Gunicorn release the process imports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub version: String,
    /// The `gunicorn-X.Y.Z.dist-info` (or `.egg-info`) path, in the process's filesystem.
    pub metadata: String,
    /// How the interpreter's prefix was found (for the fact's source).
    pub via: String,
}

/// Where the heartbeat files live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heartbeat {
    /// `/proc/<pid>/fd/<n>`, the link that showed it.
    pub fd: String,
    /// The link's target, e.g. `/tmp/wgunicorn-x1y2z3 (deleted)`.
    pub file: String,
    pub dir: String,
    /// The filesystem type of `dir` in the master's mount namespace, and the mount point.
    pub fs: Result<(String, String), String>,
}

impl Master {
    /// Master plus every worker; `Err` names the first figure that could not be read.
    pub fn total_pss(&self) -> Result<i64, String> {
        let mut sum = self.pss.as_ref().map_err(Clone::clone)?.bytes;
        for w in &self.workers {
            sum = sum.saturating_add(w.pss.as_ref().map_err(Clone::clone)?.bytes);
        }
        Ok(sum)
    }

    /// The largest worker by PSS; `Err` when there is none or one could not be read.
    pub fn worker_pss_max(&self) -> Result<(&Worker, i64), String> {
        let mut best: Option<(&Worker, i64)> = None;
        for w in &self.workers {
            let p = w.pss.as_ref().map_err(Clone::clone)?.bytes;
            if best.is_none_or(|(_, b)| p > b) {
                best = Some((w, p));
            }
        }
        best.ok_or_else(|| self.no_workers())
    }

    /// Mean worker PSS, rounded down.
    pub fn worker_pss_avg(&self) -> Result<i64, String> {
        if self.workers.is_empty() {
            return Err(self.no_workers());
        }
        let mut sum: i64 = 0;
        for w in &self.workers {
            sum = sum.saturating_add(w.pss.as_ref().map_err(Clone::clone)?.bytes);
        }
        Ok(sum / i64::try_from(self.workers.len()).unwrap_or(i64::MAX))
    }

    fn no_workers(&self) -> String {
        format!(
            "Gunicorn master {} has no workers running (booting, or every worker died)",
            self.pid
        )
    }

    /// What the master weighs, for choosing among several: PSS when readable, else RSS.
    fn weight(&self) -> i64 {
        if let Ok(t) = self.total_pss() {
            return t;
        }
        let mut sum = self.rss.clone().unwrap_or(0);
        for w in &self.workers {
            sum = sum.saturating_add(w.rss.clone().unwrap_or(0));
        }
        sum
    }
}

/// Parses `/proc/<pid>/stat`. `comm` is in parentheses and may itself contain spaces and `)`,
/// so the last `)` ends it (kernel `Documentation/filesystems/proc.rst`, table 1-4).
pub fn parse_stat(text: &str) -> Result<Stat, ParseError> {
    let bad = || ParseError::new(format!("not a /proc/<pid>/stat line: {}", quote(text)));
    let open = text.find(" (").ok_or_else(bad)?;
    let close = text.rfind(')').ok_or_else(bad)?;
    if close < open + 2 {
        return Err(bad());
    }
    let pid = text
        .get(..open)
        .and_then(|p| p.trim().parse().ok())
        .ok_or_else(bad)?;
    let comm = text.get(open + 2..close).ok_or_else(bad)?.to_string();
    let mut rest = text.get(close + 1..).ok_or_else(bad)?.split_whitespace();
    let _state = rest.next().ok_or_else(bad)?;
    let ppid = rest.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    Ok(Stat { pid, comm, ppid })
}

/// Parses `/proc/<pid>/cmdline` (NUL-separated). setproctitle may leave NUL or space padding
/// after a shorter title; empty arguments at the end are dropped.
pub fn parse_cmdline(text: &str) -> Vec<String> {
    let mut argv: Vec<String> = text.split('\0').map(str::to_string).collect();
    while argv.last().is_some_and(|a| a.trim().is_empty()) {
        argv.pop();
    }
    if argv.len() == 1
        && let Some(only) = argv.first_mut()
    {
        *only = only.trim_end().to_string();
    }
    argv
}

/// Parses `/proc/<pid>/environ` (NUL-separated `KEY=value`).
pub fn parse_environ(text: &str) -> BTreeMap<String, String> {
    text.split('\0')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// VmRSS from `/proc/<pid>/status`, in bytes (the kernel's "kB" is KiB). A zombie or kernel
/// thread has no VmRSS line.
pub fn parse_status_rss(text: &str) -> Result<i64, ParseError> {
    for (i, line) in text.lines().enumerate() {
        if let Some(v) = line.strip_prefix("VmRSS:") {
            return kib(v).ok_or_else(|| ParseError::at(i + 1, "malformed VmRSS line"));
        }
    }
    Err(ParseError::new("no VmRSS line (a zombie or kernel thread)"))
}

/// PSS in bytes from `smaps_rollup` (one `Pss:` line) or `smaps` (one per mapping, summed).
/// `Pss_Anon:`, `Pss_Dirty:` and `SwapPss:` are other figures and are not added.
pub fn parse_pss(text: &str) -> Result<i64, ParseError> {
    let mut sum: Option<i64> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(v) = line.strip_prefix("Pss:") {
            let b = kib(v).ok_or_else(|| ParseError::at(i + 1, "malformed Pss line"))?;
            sum = Some(sum.unwrap_or(0).saturating_add(b));
        }
    }
    sum.ok_or_else(|| ParseError::new("no Pss line"))
}

/// `   16556 kB` → bytes.
fn kib(v: &str) -> Option<i64> {
    let v = v.trim();
    let n = v.strip_suffix("kB").unwrap_or(v).trim();
    n.parse::<i64>().ok().map(|k| k.saturating_mul(1024))
}

/// True when a command line runs Gunicorn: the `gunicorn` script (directly or through an
/// interpreter), `python -m gunicorn[.app.wsgiapp]`, or a setproctitle title `gunicorn: …`.
pub fn is_gunicorn(argv: &[String]) -> bool {
    let Some(argv0) = argv.first() else {
        return false;
    };
    if argv0.starts_with("gunicorn:") || basename(argv0) == "gunicorn" {
        return true;
    }
    if !is_interpreter(argv0) {
        return false;
    }
    match python_target(argv) {
        Some(Target::Module(m)) => m == "gunicorn" || m.starts_with("gunicorn."),
        Some(Target::Script(s)) => basename(&s) == "gunicorn",
        None => false,
    }
}

/// What a Python command line runs.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    Module(String),
    Script(String),
}

fn is_interpreter(argv0: &str) -> bool {
    let b = basename(argv0);
    b.starts_with("python") || b.starts_with("pypy")
}

/// Skips the interpreter's own options to find `-m MODULE` or the script (CPython `--help`:
/// `-W arg` and `-X opt` take the next argument; `-c` runs code, not gunicorn).
fn python_target(argv: &[String]) -> Option<Target> {
    let mut it = argv.iter().skip(1);
    while let Some(a) = it.next() {
        if a == "-m" {
            return it.next().map(|m| Target::Module(m.clone()));
        }
        if let Some(m) = a.strip_prefix("-m") {
            return Some(Target::Module(m.to_string()));
        }
        if a.starts_with("-c") {
            return None;
        }
        if a == "-W" || a == "-X" {
            it.next();
            continue;
        }
        if a.starts_with('-') {
            continue;
        }
        return Some(Target::Script(a.clone()));
    }
    None
}

fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// Every running master, largest (by total PSS) first. An unreadable `/proc` gives none.
pub fn find(host: &Host) -> Vec<Master> {
    scan(host).unwrap_or_default()
}

/// Like [`find`], but says why `/proc` could not be listed.
pub fn scan(host: &Host) -> Result<Vec<Master>, String> {
    let dir = host.path("/proc");
    let rd = std::fs::read_dir(&dir).map_err(|e| format!("cannot list /proc: {}", describe(&e)))?;
    let mut stats: BTreeMap<i32, Stat> = BTreeMap::new();
    for entry in rd.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        // `comm` first: the kernel renders it far more cheaply than `stat` (which gathers the
        // task's memory and timing figures), and almost every process fails the prefix test.
        // Fixture trees may hold only `stat`; then it is the one read.
        if let Ok(comm) = host.read_fresh(&format!("/proc/{pid}/comm"))
            && !COMM_PREFIXES.iter().any(|p| comm.starts_with(p))
        {
            continue;
        }
        // A process that exits between the listing and the read is simply gone.
        let Ok(text) = host.read_fresh(&format!("/proc/{pid}/stat")) else {
            continue;
        };
        if let Ok(st) = parse_stat(&text)
            && COMM_PREFIXES.iter().any(|p| st.comm.starts_with(p))
        {
            stats.insert(pid, st);
        }
    }
    let mut argvs: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for &pid in stats.keys() {
        if let Ok(text) = host.read(&format!("/proc/{pid}/cmdline")) {
            let argv = parse_cmdline(&text);
            if is_gunicorn(&argv) {
                argvs.insert(pid, argv);
            }
        }
    }
    let mut children: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    for &pid in argvs.keys() {
        if let Some(st) = stats.get(&pid) {
            children.entry(st.ppid).or_default().push(pid);
        }
    }
    let mut masters = Vec::new();
    for (&pid, argv) in &argvs {
        let parent_runs_gunicorn = stats
            .get(&pid)
            .is_some_and(|st| argvs.contains_key(&st.ppid));
        let Some(kids) = children.get(&pid) else {
            continue;
        };
        if parent_runs_gunicorn {
            continue;
        }
        masters.push(read_master(host, pid, argv.clone(), kids));
    }
    masters.sort_by_key(|m| std::cmp::Reverse(m.weight()));
    Ok(masters)
}

fn read_master(host: &Host, pid: i32, argv: Vec<String>, kids: &[i32]) -> Master {
    let environ = host
        .read(&format!("/proc/{pid}/environ"))
        .map(|t| parse_environ(&t));
    let env = environ
        .clone()
        .map(|e| {
            e.into_iter()
                .filter(|(k, _)| ENV_KEYS.contains(&k.as_str()))
                .collect()
        })
        .map_err(with_hint);
    let workers: Vec<Worker> = kids
        .iter()
        .map(|&w| Worker {
            pid: w,
            rss: read_rss(host, w),
            pss: read_pss(host, w),
        })
        .collect();
    let version = find_version(host, pid, &argv, environ.as_ref().ok());
    let mut heartbeat = find_heartbeat(host, pid);
    // The master may be unreadable while a worker is not (a worker running as another user).
    for w in &workers {
        if heartbeat.is_ok() {
            break;
        }
        if let Ok(h) = find_heartbeat(host, w.pid) {
            heartbeat = Ok(h);
        }
    }
    Master {
        pid,
        argv,
        env,
        rss: read_rss(host, pid),
        pss: read_pss(host, pid),
        workers,
        version,
        heartbeat,
    }
}

fn read_rss(host: &Host, pid: i32) -> Result<i64, String> {
    let path = format!("/proc/{pid}/status");
    let text = host.read(&path)?;
    parse_status_rss(&text).map_err(|e| format!("cannot parse {path}: {e}"))
}

/// smaps_rollup (Linux 4.14+), else the per-mapping smaps summed. Both need ptrace access to
/// the process: another user's Gunicorn is unreadable unless headroom runs as root.
fn read_pss(host: &Host, pid: i32) -> Result<Pss, String> {
    let rollup = format!("/proc/{pid}/smaps_rollup");
    let first = match host.read(&rollup) {
        Ok(text) => {
            return parse_pss(&text)
                .map(|bytes| Pss {
                    bytes,
                    file: rollup.clone(),
                })
                .map_err(|e| format!("cannot parse {rollup}: {e}"));
        }
        Err(e) => e,
    };
    let smaps = format!("/proc/{pid}/smaps");
    match host.read(&smaps) {
        Ok(text) => parse_pss(&text)
            .map(|bytes| Pss {
                bytes,
                file: smaps.clone(),
            })
            .map_err(|e| format!("cannot parse {smaps}: {e}")),
        Err(_) => Err(with_hint(first)),
    }
}

/// Adds what to do when the kernel refused: the usual reason is another user's process.
fn with_hint(reason: String) -> String {
    if reason.ends_with("permission denied") {
        format!("{reason} (Gunicorn runs as another user: run headroom as that user or as root)")
    } else {
        reason
    }
}

/// Where the process's own files are: `/proc/<pid>/root` (its container's filesystem, or `/`
/// for a process on the host), falling back to the host's root when that link is not readable.
fn fs_root(host: &Host, pid: i32) -> (PathBuf, bool) {
    let proot = host.path(&format!("/proc/{pid}/root"));
    if std::fs::read_dir(&proot).is_ok() {
        (proot, true)
    } else {
        (host.root.clone(), false)
    }
}

fn under(root: &Path, abs: &str) -> PathBuf {
    root.join(abs.trim_start_matches('/'))
}

/// Finds the Gunicorn release the process imports: the interpreter's prefix from the command
/// line (the shebang's interpreter is argv0; a `gunicorn` script's `#!` line names it), `PATH`,
/// `VIRTUAL_ENV`, or `/proc/<pid>/exe`; then `gunicorn-*.dist-info` in that prefix's
/// site-packages. (exe alone is not enough: a venv's `bin/python` is a symlink to the system
/// interpreter, and the kernel resolves it.)
fn find_version(
    host: &Host,
    pid: i32,
    argv: &[String],
    env: Option<&BTreeMap<String, String>>,
) -> Result<Version, String> {
    let (root, own_root) = fs_root(host, pid);
    let mut prefixes: Vec<(String, String)> = Vec::new();
    let mut add = |p: Option<String>, via: String| {
        if let Some(p) = p
            && !p.is_empty()
            && !prefixes.iter().any(|(q, _)| *q == p)
        {
            prefixes.push((p, via));
        }
    };
    let path_var = env.and_then(|e| e.get("PATH")).map(String::as_str);
    let resolve = |prog: &str| -> Option<String> {
        if prog.starts_with('/') {
            return Some(prog.to_string());
        }
        if prog.contains('/') {
            return None;
        }
        path_var?
            .split(':')
            .filter(|d| d.starts_with('/'))
            .map(|d| format!("{}/{prog}", d.trim_end_matches('/')))
            .find(|p| under(&root, p).is_file())
    };
    let cmd = format!("/proc/{pid}/cmdline");
    let mut scripts: Vec<String> = Vec::new();
    if let Some(argv0) = argv.first() {
        if is_interpreter(argv0) {
            if let Some(p) = resolve(argv0) {
                add(prefix_of(&p), format!("interpreter {p} ({cmd})"));
            }
            if let Some(Target::Script(s)) = python_target(argv) {
                scripts.push(s);
            }
        } else if basename(argv0) == "gunicorn" {
            scripts.push(argv0.clone());
        }
    }
    for s in scripts {
        if let Some(p) = resolve(&s) {
            if let Some(interp) = shebang(&under(&root, &p)) {
                add(prefix_of(&interp), format!("#! line of {p}"));
            }
            add(prefix_of(&p), format!("script {p} ({cmd})"));
        }
    }
    if let Some(v) = env.and_then(|e| e.get("VIRTUAL_ENV")) {
        add(
            Some(v.trim_end_matches('/').to_string()),
            format!("VIRTUAL_ENV in /proc/{pid}/environ"),
        );
    }
    if let Some(g) = resolve("gunicorn")
        && let Some(interp) = shebang(&under(&root, &g))
    {
        add(prefix_of(&interp), format!("#! line of {g} on PATH"));
    }
    if let Ok(exe) = std::fs::read_link(host.path(&format!("/proc/{pid}/exe"))) {
        let exe = exe.to_string_lossy().into_owned();
        let p = prefix_of(&exe);
        add(p.clone(), format!("/proc/{pid}/exe → {exe}"));
        if p.as_deref() == Some("/usr") {
            add(
                Some("/usr/local".into()),
                format!("/proc/{pid}/exe → {exe} (Debian pip prefix)"),
            );
        }
    }
    // What the interpreter has really loaded comes first: with setproctitle the command line is
    // a title (`gunicorn: master [app]`), but its C extension is mapped from the venv's
    // site-packages.
    let maps = format!("/proc/{pid}/maps");
    for site in host
        .read(&maps)
        .map(|t| site_dirs_in_maps(&t))
        .unwrap_or_default()
    {
        if let Some((version, name)) = dist_info(&under(&root, &site)) {
            return Ok(Version {
                version,
                metadata: format!("{site}/{name}"),
                via: format!("{maps}: a library is mapped from {site}"),
            });
        }
    }
    if prefixes.is_empty() {
        return Err(format!(
            "cannot tell which Python runs Gunicorn pid {pid}: no interpreter path in {cmd}, no PATH or VIRTUAL_ENV, /proc/{pid}/exe unreadable"
        ));
    }
    for (prefix, via) in &prefixes {
        for site in site_dirs(&root, prefix) {
            if let Some((version, name)) = dist_info(&under(&root, &site)) {
                return Ok(Version {
                    version,
                    metadata: format!("{site}/{name}"),
                    via: via.clone(),
                });
            }
        }
    }
    let shown: Vec<&str> = prefixes.iter().map(|(p, _)| p.as_str()).collect();
    let place = if own_root {
        format!("/proc/{pid}/root")
    } else {
        "the host's filesystem (/proc/<pid>/root not readable)".to_string()
    };
    Err(format!(
        "no gunicorn-*.dist-info in the site-packages of {} (looked in {place})",
        shown.join(", ")
    ))
}

/// The site-packages directories that mapped files live in (`…/site-packages/x/_c.so` →
/// `…/site-packages`), in order of first appearance.
pub fn site_dirs_in_maps(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let Some(at) = line.find(" /") else {
            continue;
        };
        let path = line.get(at + 1..).unwrap_or_default();
        for seg in ["/site-packages/", "/dist-packages/"] {
            if let Some(i) = path.find(seg) {
                let dir = path
                    .get(..i + seg.len() - 1)
                    .unwrap_or_default()
                    .to_string();
                if !out.contains(&dir) {
                    out.push(dir);
                }
            }
        }
    }
    out
}

/// `/venv/bin/python3` → `/venv`.
fn prefix_of(path: &str) -> Option<String> {
    let bin = Path::new(path).parent()?;
    let prefix = bin.parent()?;
    Some(prefix.to_string_lossy().into_owned())
}

/// The interpreter named on a script's `#!` line (`#!/usr/bin/env python3` gives nothing: it
/// depends on PATH, which the other candidates cover).
fn shebang(path: &Path) -> Option<String> {
    let text = super::host::read_text(path).ok()?;
    let first = text.lines().next()?.strip_prefix("#!")?.trim();
    let interp = first.split_whitespace().next()?;
    (interp.starts_with('/') && is_interpreter(interp)).then(|| interp.to_string())
}

/// `<prefix>/lib/python3.X/site-packages`, Debian's `dist-packages` and `lib/python3/dist-packages`.
fn site_dirs(root: &Path, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for lib in ["lib", "lib64", "local/lib"] {
        let dir = format!("{prefix}/{lib}");
        let Ok(rd) = std::fs::read_dir(under(root, &dir)) else {
            continue;
        };
        let mut pys: Vec<String> = rd
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| n.starts_with("python") || n.starts_with("pypy"))
            .collect();
        pys.sort();
        for py in pys {
            for site in ["site-packages", "dist-packages"] {
                out.push(format!("{dir}/{py}/{site}"));
            }
        }
    }
    out
}

/// The version in `gunicorn-27.0.1.dist-info` / `gunicorn-20.1.0.egg-info`
/// (`gunicorn-19.9.0-py3.7.egg-info`) in a site-packages directory.
fn dist_info(site: &Path) -> Option<(String, String)> {
    let rd = std::fs::read_dir(site).ok()?;
    let mut found: Vec<(String, String)> = rd
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter_map(|n| parse_dist_name(&n).map(|v| (v, n)))
        .collect();
    found.sort();
    found.pop()
}

/// `gunicorn-27.0.1.dist-info` → `27.0.1`.
pub fn parse_dist_name(name: &str) -> Option<String> {
    let rest = name
        .strip_suffix(".dist-info")
        .or_else(|| name.strip_suffix(".egg-info"))?;
    let rest = rest
        .strip_prefix("gunicorn-")
        .or_else(|| rest.strip_prefix("Gunicorn-"))?;
    let v = rest.split('-').next()?;
    v.starts_with(|c: char| c.is_ascii_digit())
        .then(|| v.to_string())
}

/// Finds the open `wgunicorn-*` file among the process's fds and its filesystem type.
fn find_heartbeat(host: &Host, pid: i32) -> Result<Heartbeat, String> {
    let fd_dir = format!("/proc/{pid}/fd");
    let rd = std::fs::read_dir(host.path(&fd_dir))
        .map_err(|e| with_hint(format!("cannot list {fd_dir}: {}", describe(&e))))?;
    let mut links: Vec<(i64, String)> = rd
        .flatten()
        .filter_map(|e| {
            let n: i64 = e.file_name().to_str()?.parse().ok()?;
            let t = std::fs::read_link(e.path()).ok()?;
            Some((n, t.to_string_lossy().into_owned()))
        })
        .collect();
    links.sort();
    let (n, target) = links
        .into_iter()
        .find(|(_, t)| t.starts_with('/') && basename(t).starts_with("wgunicorn-"))
        .ok_or_else(|| {
            format!("no wgunicorn-* heartbeat file open in {fd_dir} (workers not booted yet?)")
        })?;
    let file = target
        .strip_suffix(" (deleted)")
        .unwrap_or(&target)
        .to_string();
    let dir = Path::new(&file)
        .parent()
        .map_or_else(|| "/".to_string(), |d| d.to_string_lossy().into_owned());
    let mi = format!("/proc/{pid}/mountinfo");
    let fs = host.read(&mi).and_then(|t| {
        let mounts = mountinfo::parse(&t).map_err(|e| format!("cannot parse {mi}: {e}"))?;
        mountinfo::mount_of(&mounts, &dir)
            .map(|m| (m.fstype.clone(), m.mount_point.clone()))
            .ok_or_else(|| format!("no mount holds {dir} in {mi}"))
    });
    Ok(Heartbeat {
        fd: format!("{fd_dir}/{n}"),
        file: target,
        dir,
        fs,
    })
}

/// A command line as a shell would need it typed (arguments with spaces or quotes quoted).
pub fn shell_join(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+[]".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Turns the masters into facts: the largest by total PSS, said so when there are several.
pub fn collect(ctx: &Ctx, facts: &mut Facts) {
    let masters = match scan(&ctx.host) {
        Ok(m) => m,
        Err(e) => {
            for s in FACTS {
                facts.unknown(s.name, e.clone());
            }
            return;
        }
    };
    if masters.is_empty() {
        for s in FACTS {
            facts.unknown(s.name, NONE_RUNNING);
        }
        return;
    }
    match choose(&masters, ctx.host.env(PID_VAR)) {
        Ok((m, why)) => set_facts(m, &masters, &why, facts),
        Err(e) => {
            for s in FACTS {
                facts.unknown(s.name, e.clone());
            }
        }
    }
}

/// Picks the master the facts describe: the one `HEADROOM_GUNICORN_PID` names (a master or one
/// of its workers), else the largest by total PSS (`masters` is sorted that way). The string
/// says why, for the sources; empty when there is only one master.
pub fn choose<'a>(
    masters: &'a [Master],
    wanted: Option<&str>,
) -> Result<(&'a Master, String), String> {
    let pids = || {
        masters
            .iter()
            .map(|x| x.pid.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(raw) = wanted.map(str::trim).filter(|w| !w.is_empty()) {
        let pid: i32 = raw
            .parse()
            .map_err(|_| format!("{PID_VAR}={raw:?} is not a pid"))?;
        return masters
            .iter()
            .find(|m| m.pid == pid || m.workers.iter().any(|w| w.pid == pid))
            .map(|m| (m, format!("; master chosen by {PID_VAR}={pid}")))
            .ok_or_else(|| {
                format!(
                    "{PID_VAR}={pid} is neither a running Gunicorn master nor one of its workers (masters: {})",
                    pids()
                )
            });
    }
    let first = masters.first().ok_or_else(|| NONE_RUNNING.to_string())?;
    let why = if masters.len() > 1 {
        format!(
            "; largest of {} masters (pids {}) by total PSS",
            masters.len(),
            pids()
        )
    } else {
        String::new()
    };
    Ok((first, why))
}

fn set_facts(m: &Master, masters: &[Master], which: &str, facts: &mut Facts) {
    let pid = m.pid;
    let pids: Vec<String> = masters.iter().map(|x| x.pid.to_string()).collect();
    facts.set(
        "gunicorn.live.masters",
        i64::try_from(masters.len()).unwrap_or(i64::MAX),
        format!("/proc: Gunicorn master pid {}", pids.join(", ")),
    );
    facts.set("gunicorn.live.pid", i64::from(pid), format!("/proc{which}"));
    let wpids: BTreeSet<i32> = m.workers.iter().map(|w| w.pid).collect();
    let wlist = wpids
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    facts.set(
        "gunicorn.live.workers",
        i64::try_from(m.workers.len()).unwrap_or(i64::MAX),
        format!("/proc/*/stat children of pid {pid}: {wlist}{which}"),
    );
    let n = m.workers.len();
    facts.set_result(
        "gunicorn.live.worker_pss_max",
        m.worker_pss_max().map(|(w, b)| {
            let file = w.pss.as_ref().map_or("", |p| p.file.as_str());
            (b, format!("{file} Pss (largest of {n} workers){which}"))
        }),
    );
    let old_kernel = m
        .workers
        .iter()
        .filter_map(|w| w.pss.as_ref().ok())
        .any(|p| p.file.ends_with("/smaps"));
    let file = if old_kernel { "smaps" } else { "smaps_rollup" };
    facts.set_result(
        "gunicorn.live.worker_pss_avg",
        m.worker_pss_avg().map(|b| {
            (
                b,
                format!("/proc/{{{wlist}}}/{file} Pss, mean of {n} workers{which}"),
            )
        }),
    );
    let rss_max = (|| {
        let mut best: Option<(i32, i64)> = None;
        for w in &m.workers {
            let r = w.rss.clone()?;
            if best.is_none_or(|(_, b)| r > b) {
                best = Some((w.pid, r));
            }
        }
        best.map(|(p, r)| {
            (
                r,
                format!("/proc/{p}/status VmRSS (largest of {n} workers){which}"),
            )
        })
        .ok_or_else(|| m.no_workers())
    })();
    facts.set_result("gunicorn.live.worker_rss_max", rss_max);
    facts.set_result(
        "gunicorn.live.master_pss",
        m.pss
            .clone()
            .map(|p| (p.bytes, format!("{} Pss{which}", p.file))),
    );
    facts.set_result(
        "gunicorn.live.total_pss",
        m.total_pss().map(|t| {
            let master = m.pss.as_ref().map_or(0, |p| p.bytes);
            let avg = m.worker_pss_avg().unwrap_or(0);
            (
                t,
                format!(
                    "master {} + {n} workers × avg {} (/proc/*/{file} Pss, pid {pid}){which}",
                    units::bytes(master),
                    units::bytes(avg)
                ),
            )
        }),
    );
    facts.set_result(
        "gunicorn.live.version_major",
        m.version.clone().and_then(|v| {
            let major = v
                .version
                .split('.')
                .next()
                .and_then(|m| m.parse::<i64>().ok());
            major
                .map(|n| (n, format!("{} ({}){which}", v.version, v.metadata)))
                .ok_or_else(|| format!("version {} has no numeric major", v.version))
        }),
    );
    facts.set_result(
        "gunicorn.live.version",
        m.version.clone().map(|v| {
            (
                v.version,
                format!("{} (prefix from {}){which}", v.metadata, v.via),
            )
        }),
    );
    match &m.heartbeat {
        Ok(h) => {
            facts.set(
                "gunicorn.live.heartbeat_dir",
                h.dir.as_str(),
                format!("{} → {}{which}", h.fd, h.file),
            );
            facts.set_result(
                "gunicorn.live.heartbeat_fstype",
                h.fs.clone().map(|(fstype, mp)| {
                    (
                        fstype,
                        format!("/proc/{pid}/mountinfo: {} is on mount {mp}{which}", h.dir),
                    )
                }),
            );
        }
        Err(e) => {
            facts.unknown("gunicorn.live.heartbeat_dir", e.clone());
            facts.unknown("gunicorn.live.heartbeat_fstype", e.clone());
        }
    }
    facts.set(
        "gunicorn.live.cmdline",
        shell_join(&m.argv),
        format!("/proc/{pid}/cmdline{which}"),
    );
    facts.set_result(
        "gunicorn.live.env",
        m.env.clone().map(|e| {
            let s = e
                .iter()
                .map(|(k, v)| shell_join(&[format!("{k}={v}")]))
                .collect::<Vec<_>>()
                .join(" ");
            (s, format!("/proc/{pid}/environ{which}"))
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn argv(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| (*a).to_string()).collect()
    }

    // Captured from a Gunicorn 27.0.1 master on this project's build host.
    const STAT: &str = "9601 (gunicorn) S 9594 9594 17303 0 -1 4194304 5908 0 4 0 8 4 0 0 20 0 2 0 398260 108191744 6609 18446744073709551615";

    #[test]
    fn stat_comm_may_hold_spaces_and_parens() {
        let st = parse_stat(STAT).unwrap();
        assert_eq!(
            (st.pid, st.comm.as_str(), st.ppid),
            (9601, "gunicorn", 9594)
        );
        let st = parse_stat("7 (gunicorn: (x) y) R 1 7 7").unwrap();
        assert_eq!((st.comm.as_str(), st.ppid), ("gunicorn: (x) y", 1));
        for bad in [
            "",
            "7",
            "7 (x",
            "x (y) S 1",
            "7 (y) S",
            "7 (y) S notapid",
            ") (",
            "1 ()",
        ] {
            assert!(parse_stat(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cmdline_drops_setproctitle_padding() {
        assert_eq!(
            parse_cmdline("/v/bin/python3\0/v/bin/gunicorn\0-w\x002\0"),
            argv(&["/v/bin/python3", "/v/bin/gunicorn", "-w", "2"])
        );
        assert_eq!(
            parse_cmdline("gunicorn: master [app:app]      \0\0\0"),
            argv(&["gunicorn: master [app:app]"])
        );
        assert!(parse_cmdline("").is_empty());
    }

    #[test]
    fn recognises_the_ways_gunicorn_is_started() {
        let yes: &[&[&str]] = &[
            &["gunicorn", "app:app"],
            &[
                "/venv/bin/python3",
                "/venv/bin/gunicorn",
                "-w",
                "2",
                "app:app",
            ],
            &["python", "-m", "gunicorn", "app:app"],
            &[
                "python3.11",
                "-u",
                "-X",
                "dev",
                "-m",
                "gunicorn.app.wsgiapp",
                "app",
            ],
            &["python3", "-mgunicorn"],
            &["gunicorn: master [app:app]"],
            &["gunicorn: worker [app:app]"],
            &["/usr/local/bin/gunicorn", "--config", "/etc/g.py"],
        ];
        for a in yes {
            assert!(is_gunicorn(&argv(a)), "{a:?}");
        }
        let no: &[&[&str]] = &[
            &[],
            &["python3", "manage.py", "runserver"],
            &["python3", "-c", "import gunicorn"],
            &["python3", "-m", "gunicornish"],
            &["python3"],
            &["uvicorn", "app:app"],
            &["/usr/bin/bash", "gunicorn"],
            &["celery", "-A", "gunicorn"],
        ];
        for a in no {
            assert!(!is_gunicorn(&argv(a)), "{a:?}");
        }
    }

    #[test]
    fn pss_is_the_pss_line_not_its_cousins() {
        let rollup = "55d0-7ffd ---p 00000000 00:00 0 [rollup]\nRss: 19000 kB\nPss: 16556 kB\nPss_Dirty: 11569 kB\nPss_Anon: 11569 kB\nSwapPss: 3 kB\n";
        assert_eq!(parse_pss(rollup).unwrap(), 16556 * 1024);
        let smaps =
            "a-b r-xp 0 0:0 0 /x\nPss: 10 kB\nPss_Dirty: 5 kB\nc-d rw-p 0 0:0 0\nPss: 22 kB\n";
        assert_eq!(parse_pss(smaps).unwrap(), 32 * 1024);
        assert!(parse_pss("Rss: 3 kB\n").is_err());
        assert!(parse_pss("Pss: lots\n").is_err());
        assert_eq!(
            parse_status_rss("Name:\tgunicorn\nVmRSS:\t   26436 kB\n").unwrap(),
            26436 * 1024
        );
        assert!(parse_status_rss("Name:\tkthreadd\n").is_err());
    }

    #[test]
    fn site_packages_from_mapped_files() {
        let maps = "\
7f00-7f01 r--p 00000000 08:01 123 /srv/venv/lib/python3.11/site-packages/_setproctitle.cpython-311-x86_64-linux-gnu.so
7f02-7f03 r-xp 00001000 08:01 123 /srv/venv/lib/python3.11/site-packages/_setproctitle.cpython-311-x86_64-linux-gnu.so
7f04-7f05 r--p 00000000 08:01 124 /usr/lib/python3/dist-packages/markupsafe/_speedups.so
7f06-7f07 rw-p 00000000 00:00 0 [heap]
7f08-7f09 r--p 00000000 08:01 125 /usr/lib/x86_64-linux-gnu/libc.so.6
";
        assert_eq!(
            site_dirs_in_maps(maps),
            vec![
                "/srv/venv/lib/python3.11/site-packages".to_string(),
                "/usr/lib/python3/dist-packages".to_string()
            ]
        );
        assert!(site_dirs_in_maps("garbage\n\0 /site-packages").is_empty());
    }

    #[test]
    fn dist_info_names() {
        assert_eq!(
            parse_dist_name("gunicorn-27.0.1.dist-info").as_deref(),
            Some("27.0.1")
        );
        assert_eq!(
            parse_dist_name("gunicorn-20.1.0.egg-info").as_deref(),
            Some("20.1.0")
        );
        assert_eq!(
            parse_dist_name("gunicorn-19.9.0-py3.7.egg-info").as_deref(),
            Some("19.9.0")
        );
        assert_eq!(parse_dist_name("gunicorn_thrift-1.0.dist-info"), None);
        assert_eq!(parse_dist_name("gunicorn"), None);
        assert_eq!(parse_dist_name("gunicorn-.dist-info"), None);
    }

    #[test]
    fn shell_join_quotes_only_what_needs_it() {
        assert_eq!(
            shell_join(&argv(&[
                "gunicorn",
                "-b",
                "0.0.0.0:80",
                "--timeout",
                "",
                "a b",
                "it's"
            ])),
            "gunicorn -b 0.0.0.0:80 --timeout '' 'a b' 'it'\\''s'"
        );
    }

    /// A /proc tree: master 100 (two workers, heartbeat in /dev/shm, a venv found through the
    /// interpreter in argv0), master 300 (one small worker, started as `python -m gunicorn` with
    /// a bare `python3` found on PATH), and an unrelated Python process.
    fn tree() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let w = |p: &str, s: &str| {
            let p = r.join(p);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, s).unwrap();
        };
        let link = |p: &str, target: &str| {
            let p = r.join(p);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(target, p).unwrap();
        };
        let mountinfo =
            "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n2 1 0:5 / /dev/shm rw - tmpfs shm rw\n";
        let proc = |pid: i32, ppid: i32, comm: &str, cmd: &str, rss_kb: i64, pss_kb: i64| {
            w(
                &format!("proc/{pid}/stat"),
                &format!("{pid} ({comm}) S {ppid} 1 1 0"),
            );
            w(&format!("proc/{pid}/cmdline"), cmd);
            w(
                &format!("proc/{pid}/status"),
                &format!("Name:\t{comm}\nVmRSS:\t{rss_kb} kB\n"),
            );
            w(
                &format!("proc/{pid}/smaps_rollup"),
                &format!("Pss: {pss_kb} kB\n"),
            );
            w(&format!("proc/{pid}/mountinfo"), mountinfo);
        };
        let big = "/srv/venv/bin/python3\0/srv/venv/bin/gunicorn\0-w\x002\0app:app\0";
        proc(100, 1, "gunicorn", big, 30_000, 20_000);
        proc(101, 100, "gunicorn", big, 90_000, 60_000);
        proc(102, 100, "gunicorn", big, 80_000, 50_000);
        w(
            "proc/100/environ",
            "PATH=/usr/bin\0GUNICORN_CMD_ARGS=--timeout 60\0SECRET=x\0",
        );
        link("proc/100/fd/0", "/dev/null");
        link("proc/100/fd/5", "/dev/shm/wgunicorn-abc (deleted)");
        link("proc/101/fd/5", "/dev/shm/wgunicorn-abc (deleted)");
        link("proc/100/exe", "/usr/bin/python3.11");
        fs::create_dir_all(
            r.join("srv/venv/lib/python3.11/site-packages/gunicorn-27.0.1.dist-info"),
        )
        .unwrap();
        let small = "python3\0-m\0gunicorn\0app:app\0";
        proc(300, 1, "python3", small, 20_000, 10_000);
        proc(301, 300, "python3", small, 20_000, 10_000);
        w("proc/300/environ", "PATH=/opt/py/bin:/usr/bin\0");
        link("proc/300/fd/0", "/dev/null");
        w("opt/py/bin/python3", "");
        fs::create_dir_all(r.join("opt/py/lib/python3.12/site-packages/gunicorn-21.2.0.dist-info"))
            .unwrap();
        proc(
            400,
            1,
            "python3",
            "python3\0manage.py\0runserver\0",
            50_000,
            40_000,
        );
        w("proc/uptime", "1.0 1.0\n");
        t
    }

    #[test]
    fn finds_masters_workers_memory_version_and_heartbeat() {
        let t = tree();
        let host = Host::fixture(t.path());
        let masters = find(&host);
        assert_eq!(
            masters.iter().map(|m| m.pid).collect::<Vec<_>>(),
            vec![100, 300]
        );
        let m = &masters[0];
        assert_eq!(
            m.workers.iter().map(|w| w.pid).collect::<Vec<_>>(),
            vec![101, 102]
        );
        assert_eq!(m.total_pss().unwrap(), 130_000 * 1024);
        assert_eq!(m.version.as_ref().unwrap().version, "27.0.1");
        let h = m.heartbeat.as_ref().unwrap();
        assert_eq!(
            (h.dir.as_str(), h.fd.as_str()),
            ("/dev/shm", "/proc/100/fd/5")
        );
        assert_eq!(h.fs.as_ref().unwrap().0, "tmpfs");
        assert_eq!(
            m.env
                .as_ref()
                .unwrap()
                .get("GUNICORN_CMD_ARGS")
                .map(String::as_str),
            Some("--timeout 60")
        );
        assert!(!m.env.as_ref().unwrap().contains_key("SECRET"));
        // `python3` resolved on the process's PATH, not the checker's.
        assert_eq!(masters[1].version.as_ref().unwrap().version, "21.2.0");
        assert!(
            masters[1]
                .heartbeat
                .as_ref()
                .unwrap_err()
                .contains("no wgunicorn-*")
        );
        assert!(masters[1].env.as_ref().unwrap().is_empty());
    }

    #[test]
    fn facts_describe_the_largest_master_and_say_so() {
        let t = tree();
        let ctx = Ctx {
            host: Host::fixture(t.path()),
            inputs: super::super::Inputs::default(),
        };
        let mut f = Facts::new();
        collect(&ctx, &mut f);
        assert_eq!(f.int("gunicorn.live.masters"), Some(2));
        assert_eq!(f.int("gunicorn.live.pid"), Some(100));
        assert_eq!(f.int("gunicorn.live.workers"), Some(2));
        assert_eq!(f.int("gunicorn.live.worker_pss_max"), Some(60_000 * 1024));
        assert_eq!(f.int("gunicorn.live.worker_pss_avg"), Some(55_000 * 1024));
        assert_eq!(f.int("gunicorn.live.worker_rss_max"), Some(90_000 * 1024));
        assert_eq!(f.int("gunicorn.live.master_pss"), Some(20_000 * 1024));
        assert_eq!(f.int("gunicorn.live.total_pss"), Some(130_000 * 1024));
        assert_eq!(f.str("gunicorn.live.heartbeat_fstype"), Some("tmpfs"));
        assert_eq!(
            f.str("gunicorn.live.env"),
            Some("'GUNICORN_CMD_ARGS=--timeout 60'")
        );
        assert_eq!(
            f.str("gunicorn.live.cmdline"),
            Some("/srv/venv/bin/python3 /srv/venv/bin/gunicorn -w 2 app:app")
        );
        let src = f.source("gunicorn.live.total_pss").unwrap();
        assert!(
            src.contains("master 19.5 MiB + 2 workers × avg 53.7 MiB"),
            "{src}"
        );
        assert!(
            src.contains("largest of 2 masters (pids 100, 300)"),
            "{src}"
        );
        for s in FACTS {
            assert!(f.get(s.name).is_some(), "{} not set", s.name);
        }
    }

    #[test]
    fn a_pid_in_the_environment_picks_the_master() {
        let t = tree();
        let mut host = Host::fixture(t.path());
        host.env.insert(PID_VAR.into(), "301".into());
        let ctx = Ctx {
            host,
            inputs: super::super::Inputs::default(),
        };
        let mut f = Facts::new();
        collect(&ctx, &mut f);
        assert_eq!(f.int("gunicorn.live.pid"), Some(300));
        assert_eq!(f.str("gunicorn.live.version"), Some("21.2.0"));
        let why = f
            .get("gunicorn.live.heartbeat_dir")
            .unwrap()
            .unknown_reason()
            .unwrap();
        assert!(why.contains("no wgunicorn-*"), "{why}");
        let masters = find(&ctx.host);
        let e = choose(&masters, Some("400")).unwrap_err();
        assert!(e.contains("neither a running Gunicorn master"), "{e}");
        assert!(
            choose(&masters, Some("x"))
                .unwrap_err()
                .contains("not a pid")
        );
    }

    #[test]
    fn unreadable_memory_is_unknown_with_a_hint() {
        let t = tree();
        fs::remove_file(t.path().join("proc/102/smaps_rollup")).unwrap();
        let m = find(&Host::fixture(t.path()))
            .into_iter()
            .find(|m| m.pid == 100)
            .unwrap();
        let e = m.total_pss().unwrap_err();
        assert!(e.contains("/proc/102/smaps_rollup"), "{e}");
        assert!(m.worker_pss_avg().is_err());
        assert_eq!(m.workers[0].pss.as_ref().unwrap().bytes, 60_000 * 1024);
        assert!(with_hint("cannot read x: permission denied".into()).contains("as root"));
    }

    #[test]
    fn nothing_running_or_no_proc_is_unknown_everywhere() {
        let t = tempfile::tempdir().unwrap();
        let ctx = Ctx {
            host: Host::fixture(t.path()),
            inputs: super::super::Inputs::default(),
        };
        let mut f = Facts::new();
        collect(&ctx, &mut f);
        let why = f
            .get("gunicorn.live.workers")
            .unwrap()
            .unknown_reason()
            .unwrap();
        assert!(why.starts_with("cannot list /proc"), "{why}");
        fs::create_dir_all(t.path().join("proc/1")).unwrap();
        fs::write(t.path().join("proc/1/stat"), "1 (init) S 0").unwrap();
        let mut f = Facts::new();
        collect(&ctx, &mut f);
        for s in FACTS {
            assert_eq!(f.get(s.name).unwrap().unknown_reason(), Some(NONE_RUNNING));
        }
    }

    #[test]
    fn garbage_in_proc_files_never_panics() {
        let t = tree();
        let r = t.path();
        fs::write(r.join("proc/101/status"), "VmRSS: \u{0}\u{ff}").unwrap();
        fs::write(r.join("proc/102/smaps_rollup"), "Pss: -").unwrap();
        fs::write(r.join("proc/100/mountinfo"), "garbage").unwrap();
        fs::write(r.join("proc/300/cmdline"), "").unwrap();
        let m = find(&Host::fixture(r));
        assert_eq!(m.len(), 1);
        assert!(m[0].workers[0].rss.is_err());
        assert!(m[0].heartbeat.as_ref().unwrap().fs.is_err());
    }
}
