//! Gunicorn: the settings it will really run with, resolved exactly as Gunicorn resolves them.
//!
//! The seeds' failures (`WORKER TIMEOUT`, OOM-killed workers) depend on numbers a user rarely
//! sees in one place: `-w` on a Dockerfile `CMD`, `WEB_CONCURRENCY` from the platform,
//! `GUNICORN_CMD_ARGS`, a `gunicorn.conf.py` computing `cpu_count() * 2 + 1`. This module finds the
//! Gunicorn command (`--gunicorn-cmd`, or a Procfile `web:` line), resolves it ([`resolve`]) and
//! turns the result into `gunicorn.*` facts whose sources name the winning origin. The Compose
//! integration calls [`resolve::resolve`] directly with a service's command and environment.

pub mod argv;
pub mod conf_py;
pub mod logs;
pub mod options;
pub mod pyint;
pub mod resolve;
pub mod shlex;

pub use resolve::{Resolved, Val, resolve};

use crate::facts::Facts;
use crate::facts::registry::{FactSpec, boolean, int, secs, string};
use crate::probe::{Ctx, Group};
use std::path::PathBuf;

/// Every fact this module sets.
pub const FACTS: &[FactSpec] = &[
    int(
        "gunicorn.workers",
        "Worker processes Gunicorn starts (-w / WEB_CONCURRENCY / config).",
    ),
    int("gunicorn.threads", "Threads per worker (--threads)."),
    string(
        "gunicorn.worker_class",
        "The worker class Gunicorn really runs: sync with threads > 1 runs gthread.",
    ),
    string(
        "gunicorn.worker_class_configured",
        "The worker class as configured (-k), what --print-config shows.",
    ),
    secs(
        "gunicorn.timeout",
        "Seconds without a heartbeat before a worker is killed (0 = off).",
    ),
    secs(
        "gunicorn.graceful_timeout",
        "Seconds workers get to finish after a restart or stop signal.",
    ),
    secs(
        "gunicorn.keepalive",
        "Seconds to wait for the next request on a keep-alive connection.",
    ),
    int(
        "gunicorn.max_requests",
        "Requests after which a worker restarts (0 = never).",
    ),
    int(
        "gunicorn.max_requests_jitter",
        "Random extra requests added to max_requests per worker.",
    ),
    string(
        "gunicorn.worker_tmp_dir",
        "Directory of the worker heartbeat file (the effective one when the setting is None).",
    ),
    boolean(
        "gunicorn.preload_app",
        "Whether the app is loaded in the master before forking.",
    ),
    int(
        "gunicorn.worker_connections",
        "Max simultaneous clients per worker (gthread/gevent).",
    ),
    string("gunicorn.bind", "The first address Gunicorn binds."),
    int("gunicorn.bind_count", "How many addresses Gunicorn binds."),
    int(
        "gunicorn.limit_request_line",
        "Max bytes of the HTTP request line (0 = unlimited).",
    ),
    int(
        "gunicorn.limit_request_fields",
        "Max number of HTTP header fields.",
    ),
    int(
        "gunicorn.limit_request_field_size",
        "Max bytes of one HTTP header field.",
    ),
    string("gunicorn.config_file", "The config file Gunicorn loads."),
    string(
        "gunicorn.app",
        "The WSGI application Gunicorn loads (APP_MODULE or wsgi_app).",
    ),
    string(
        "gunicorn.config_error",
        "Why Gunicorn would exit before serving (\"\" when nothing was found).",
    ),
];

/// Facts from Gunicorn error logs (`--log FILE`, `-` for stdin).
pub const LOG_FACTS: &[FactSpec] = &[
    int(
        "gunicorn.log.timeouts",
        "`WORKER TIMEOUT` lines in the logs.",
    ),
    int(
        "gunicorn.log.sigkills",
        "Workers killed by SIGKILL (`Perhaps out of memory?` / signal 9).",
    ),
    int(
        "gunicorn.log.sigkills_after_timeout",
        "SIGKILLs of a pid that had a WORKER TIMEOUT first: timeout escalation, not OOM.",
    ),
    int(
        "gunicorn.log.possible_oom_kills",
        "SIGKILLs with no WORKER TIMEOUT for that pid: possible OOM kills (confirm from the kernel).",
    ),
    int(
        "gunicorn.log.boots",
        "`Booting worker` lines (initial boots and respawns).",
    ),
    int(
        "gunicorn.log.boot_failures",
        "`Worker failed to boot` / `App failed to load` halts.",
    ),
    string(
        "gunicorn.log.first",
        "Timestamp of the first Gunicorn line in the logs.",
    ),
    string(
        "gunicorn.log.last",
        "Timestamp of the last Gunicorn line in the logs.",
    ),
    string(
        "gunicorn.log.timeout_pids",
        "Pids that hit WORKER TIMEOUT (first 20).",
    ),
    string(
        "gunicorn.log.possible_oom_pids",
        "Pids SIGKILLed without a timeout (first 20).",
    ),
];

/// The log probe group: scans the logs the user gave.
pub const LOG_GROUP: Group = Group::local("gunicorn-logs", LOG_FACTS, collect_logs);

const NO_LOG: &str = "no Gunicorn log given (use --log FILE, or - for stdin)";

fn collect_logs(ctx: &Ctx, facts: &mut Facts) {
    if ctx.inputs.logs.is_empty() {
        for spec in LOG_FACTS {
            facts.unknown(spec.name, NO_LOG);
        }
        return;
    }
    let mut sc = logs::Scanner::new();
    let mut names = Vec::new();
    for p in &ctx.inputs.logs {
        let res = if p.as_os_str() == "-" {
            names.push("stdin".to_string());
            sc.read(std::io::stdin().lock())
        } else {
            let path = if p.is_absolute() {
                p.clone()
            } else {
                ctx.host.cwd.join(p)
            };
            names.push(p.display().to_string());
            std::fs::File::open(&path).and_then(|f| sc.read(std::io::BufReader::new(f)))
        };
        if let Err(e) = res {
            let why = format!(
                "cannot read log {}: {}",
                p.display(),
                crate::probe::host::describe(&e)
            );
            for spec in LOG_FACTS {
                facts.unknown(spec.name, why.clone());
            }
            return;
        }
    }
    log_facts(&sc.summary, &names.join(", "), facts);
}

/// The facts for a log summary; `from` names the logs read.
pub fn log_facts(s: &logs::LogSummary, from: &str, facts: &mut Facts) {
    let src = format!("log {from} ({} lines)", s.lines);
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    facts.set("gunicorn.log.timeouts", n(s.timeouts), src.clone());
    facts.set("gunicorn.log.sigkills", n(s.sigkills), src.clone());
    facts.set(
        "gunicorn.log.sigkills_after_timeout",
        n(s.sigkills_after_timeout),
        src.clone(),
    );
    facts.set(
        "gunicorn.log.possible_oom_kills",
        n(s.possible_oom_kills),
        src.clone(),
    );
    facts.set("gunicorn.log.boots", n(s.boots), src.clone());
    facts.set(
        "gunicorn.log.boot_failures",
        n(s.boot_failures),
        src.clone(),
    );
    let pids = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    facts.set(
        "gunicorn.log.timeout_pids",
        pids(&s.timeout_pids),
        src.clone(),
    );
    facts.set(
        "gunicorn.log.possible_oom_pids",
        pids(&s.possible_oom_pids),
        src.clone(),
    );
    for (name, v) in [
        ("gunicorn.log.first", &s.first),
        ("gunicorn.log.last", &s.last),
    ] {
        match v {
            Some(t) => facts.set(name, t.clone(), src.clone()),
            None => facts.unknown(name, format!("no line in Gunicorn's log format in {from}")),
        }
    }
}

/// The probe group: resolves the Gunicorn command the user pointed headroom at.
pub const GROUP: Group = Group::local("gunicorn", FACTS, collect);

const NO_COMMAND: &str = "no Gunicorn command given (use --gunicorn-cmd, a Procfile, or a Compose service running gunicorn)";

/// Integer settings reported as they are.
const INTS: &[&str] = &[
    "workers",
    "threads",
    "max_requests",
    "max_requests_jitter",
    "worker_connections",
    "limit_request_line",
    "limit_request_fields",
    "limit_request_field_size",
];

/// Integer settings that are durations in seconds.
const SECS: &[&str] = &["timeout", "graceful_timeout", "keepalive"];

fn collect(ctx: &Ctx, facts: &mut Facts) {
    let host = &ctx.host;
    let cmd = match command(ctx) {
        Ok(Some(c)) => c,
        Ok(None) => match compose_command(ctx) {
            Some(c) => c,
            None => return set_all_unknown(facts, NO_COMMAND),
        },
        Err(e) => return set_all_unknown(facts, &e),
    };
    let Command {
        words,
        origin,
        env,
        cwd,
    } = cmd;
    let cpus = host_cpus(ctx);
    let r = resolve::resolve_in(
        &words,
        env.as_ref().unwrap_or(&host.env),
        cwd.as_deref().unwrap_or(&host.cwd),
        (!host.live).then_some(host.root.as_path()),
        cpus,
    );
    to_facts(&r, &origin, facts);
}

/// A Gunicorn command and the environment and directory it resolves in.
struct Command {
    words: Vec<String>,
    origin: String,
    /// The container's environment for a Compose service; `None` means this process's.
    env: Option<std::collections::BTreeMap<String, String>>,
    /// Where `./gunicorn.conf.py` is looked for; `None` means `Host::cwd`.
    cwd: Option<std::path::PathBuf>,
}

/// The gunicorn service of the Compose project, resolved with the service's own environment
/// (what the container sees) in the project directory (where a bind-mounted or copied
/// `gunicorn.conf.py` usually comes from).
fn compose_command(ctx: &Ctx) -> Option<Command> {
    let project = crate::stack::project(ctx)?;
    let svc = crate::stack::gunicorn_service(&project)?;
    let words = crate::stack::argv(svc);
    if words.is_empty() {
        return None; // the image's own command: not readable from the Compose file
    }
    let dir = ctx.inputs.compose_files.first().and_then(|f| {
        ctx.host
            .cwd
            .join(f)
            .parent()
            .map(std::path::Path::to_path_buf)
    });
    Some(Command {
        words,
        origin: format!("compose service {} ({})", svc.name, svc.at),
        env: Some(svc.environment.clone()),
        cwd: dir,
    })
}

/// The Gunicorn command and a description of where it came from.
fn command(ctx: &Ctx) -> Result<Option<Command>, String> {
    let plain = |words, origin| Command {
        words,
        origin,
        env: None,
        cwd: None,
    };
    if let Some(c) = &ctx.inputs.gunicorn_cmd {
        let words = shlex::split(c).map_err(|e| format!("--gunicorn-cmd cannot be split: {e}"))?;
        return Ok(Some(plain(words, "--gunicorn-cmd".into())));
    }
    let path = match &ctx.inputs.procfile {
        Some(p) => p.clone(),
        None => {
            let p = ctx.host.cwd.join("Procfile");
            if !p.exists() {
                return Ok(None);
            }
            p
        }
    };
    let text = crate::probe::host::read_text(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    match procfile_web(&text) {
        Some((line_no, line)) => {
            let expanded = resolve::expand(&line, &ctx.host.env);
            let words = shlex::split(&expanded)
                .map_err(|e| format!("{}:{line_no}: cannot be split: {e}", path.display()))?;
            Ok(Some(plain(words, format!("{}:{line_no}", display(&path)))))
        }
        None => Err(format!("{} has no web: line", path.display())),
    }
}

fn display(p: &std::path::Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The `web:` process line of a Procfile, with its 1-based line number.
pub fn procfile_web(text: &str) -> Option<(usize, String)> {
    text.lines().enumerate().find_map(|(i, l)| {
        let (name, cmd) = l.split_once(':')?;
        (name.trim() == "web").then(|| (i + 1, cmd.trim().to_string()))
    })
}

/// What Python's `os.cpu_count()` reports: the online CPUs of the host, not a cgroup quota.
/// glibc's `sysconf(_SC_NPROCESSORS_ONLN)` reads `/sys/devices/system/cpu/online`.
fn host_cpus(ctx: &Ctx) -> Option<i64> {
    let text = ctx.host.read("/sys/devices/system/cpu/online").ok()?;
    parse_cpu_list(&text)
}

/// Counts the CPUs in a kernel CPU list such as `0-3,8,10-11`.
pub fn parse_cpu_list(text: &str) -> Option<i64> {
    let mut n: i64 = 0;
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<i64>().ok()?, b.trim().parse::<i64>().ok()?),
            None => {
                let v = part.trim().parse::<i64>().ok()?;
                (v, v)
            }
        };
        if b < a {
            return None;
        }
        n = n.checked_add(b - a + 1)?;
    }
    (n > 0).then_some(n)
}

fn set_all_unknown(facts: &mut Facts, reason: &str) {
    for spec in FACTS {
        facts.unknown(spec.name, reason);
    }
}

/// The facts for one resolution. `origin` says where the command came from.
pub fn to_facts(r: &Resolved, origin: &str, facts: &mut Facts) {
    let with_origin = |s: &str| {
        if origin.is_empty() || origin == "--gunicorn-cmd" {
            s.to_string()
        } else {
            format!("{s} ({origin})")
        }
    };
    for name in INTS.iter().chain(SECS) {
        let fact = format!("gunicorn.{name}");
        match r.get(name).map(|s| (&s.value, &s.source)) {
            Some((Ok(Val::Int(i)), src)) => {
                if SECS.contains(name) {
                    #[allow(clippy::cast_precision_loss)]
                    facts.set(&fact, *i as f64, with_origin(src));
                } else {
                    facts.set(&fact, *i, with_origin(src));
                }
            }
            Some((Ok(other), _)) => facts.unknown(&fact, format!("{name} is {}", other.py_str())),
            Some((Err(e), _)) => facts.unknown(&fact, e.clone()),
            None => facts.unknown(&fact, "not resolved"),
        }
    }
    match r.effective_worker_class() {
        Ok((c, s)) => facts.set("gunicorn.worker_class", c, with_origin(&s)),
        Err(e) => facts.unknown("gunicorn.worker_class", e),
    }
    match r.get("worker_class").map(|s| (&s.value, &s.source)) {
        Some((Ok(Val::Str(c)), src)) => {
            facts.set(
                "gunicorn.worker_class_configured",
                c.clone(),
                with_origin(src),
            );
        }
        Some((Ok(other), _)) => {
            facts.unknown(
                "gunicorn.worker_class_configured",
                format!("worker_class is {}", other.py_str()),
            );
        }
        Some((Err(e), _)) => facts.unknown("gunicorn.worker_class_configured", e.clone()),
        None => facts.unknown("gunicorn.worker_class_configured", "not resolved"),
    }
    match r.get("worker_tmp_dir").map(|s| (&s.value, &s.source)) {
        Some((Ok(Val::Str(d)), src)) if !d.is_empty() => {
            facts.set("gunicorn.worker_tmp_dir", d.clone(), with_origin(src));
        }
        Some((Ok(_), src)) => {
            let (dir, why) = effective_tmpdir(&r.env);
            facts.set(
                "gunicorn.worker_tmp_dir",
                dir,
                with_origin(&format!(
                    "{src}: worker_tmp_dir is None, so tempfile uses {why}"
                )),
            );
        }
        Some((Err(e), _)) => facts.unknown("gunicorn.worker_tmp_dir", e.clone()),
        None => facts.unknown("gunicorn.worker_tmp_dir", "not resolved"),
    }
    match r.get("preload_app").map(|s| (&s.value, &s.source)) {
        Some((Ok(Val::Bool(b)), src)) => facts.set("gunicorn.preload_app", *b, with_origin(src)),
        Some((Ok(_), src)) => facts.set(
            "gunicorn.preload_app",
            false,
            with_origin(&format!("{src} (None)")),
        ),
        Some((Err(e), _)) => facts.unknown("gunicorn.preload_app", e.clone()),
        None => facts.unknown("gunicorn.preload_app", "not resolved"),
    }
    match r.get("bind").map(|s| (&s.value, &s.source)) {
        Some((Ok(Val::List(v)), src)) => {
            facts.set(
                "gunicorn.bind_count",
                i64::try_from(v.len()).unwrap_or(i64::MAX),
                with_origin(src),
            );
            match v.first() {
                Some(b) => facts.set("gunicorn.bind", b.clone(), with_origin(src)),
                None => facts.unknown("gunicorn.bind", format!("bind is an empty list ({src})")),
            }
        }
        Some((Ok(other), _)) => {
            facts.unknown("gunicorn.bind", format!("bind is {}", other.py_str()));
            facts.unknown("gunicorn.bind_count", format!("bind is {}", other.py_str()));
        }
        Some((Err(e), _)) => {
            facts.unknown("gunicorn.bind", e.clone());
            facts.unknown("gunicorn.bind_count", e.clone());
        }
        None => {
            facts.unknown("gunicorn.bind", "not resolved");
            facts.unknown("gunicorn.bind_count", "not resolved");
        }
    }
    match &r.config_file {
        Ok((f, why)) => facts.set("gunicorn.config_file", f.clone(), with_origin(why)),
        Err(e) => facts.unknown("gunicorn.config_file", e.clone()),
    }
    match &r.app {
        Ok((a, src)) => facts.set("gunicorn.app", a.clone(), with_origin(src)),
        Err(e) => facts.unknown("gunicorn.app", e.clone()),
    }
    if r.errors.is_empty() {
        facts.set(
            "gunicorn.config_error",
            "",
            with_origin("resolution found no error"),
        );
    } else {
        facts.set(
            "gunicorn.config_error",
            r.errors.join("; "),
            with_origin("Gunicorn's own validation, replayed"),
        );
    }
}

/// `tempfile.gettempdir()`: the first of `$TMPDIR`, `$TEMP`, `$TMP` that is set, else `/tmp`.
/// (Python also skips unwritable candidates; headroom reports the first one named.)
fn effective_tmpdir(env: &std::collections::BTreeMap<String, String>) -> (String, String) {
    for var in ["TMPDIR", "TEMP", "TMP"] {
        if let Some(v) = env.get(var).filter(|v| !v.is_empty()) {
            return (v.clone(), format!("${var}"));
        }
    }
    ("/tmp".into(), "/tmp ($TMPDIR, $TEMP, $TMP unset)".into())
}

/// Where a relative Procfile path would be looked up (for callers building `Inputs`).
pub fn default_procfile(cwd: &std::path::Path) -> PathBuf {
    cwd.join("Procfile")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{Host, Inputs};

    #[test]
    fn no_command_makes_every_fact_unknown() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let ctx = Ctx {
            host: Host::fixture(d.path()),
            inputs: Inputs::default(),
        };
        let mut f = Facts::new();
        collect(&ctx, &mut f);
        assert_eq!(f.len(), FACTS.len());
        assert_eq!(f.why_unknown("gunicorn.workers"), NO_COMMAND);
    }

    #[test]
    fn procfile_with_port_and_cpu_list() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = d.path();
        std::fs::create_dir_all(root.join("sys/devices/system/cpu"))
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(root.join("sys/devices/system/cpu/online"), "0-3,6\n")
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            root.join("Procfile"),
            "release: flask db upgrade\nweb: gunicorn -b 0.0.0.0:$PORT -c conf.py app:app\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            root.join("conf.py"),
            "import multiprocessing\nworkers = multiprocessing.cpu_count() * 2 + 1\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut host = Host::fixture(root);
        host.env.insert("PORT".into(), "5000".into());
        let ctx = Ctx {
            host,
            inputs: Inputs::default(),
        };
        let mut f = Facts::new();
        collect(&ctx, &mut f);
        assert_eq!(f.int("gunicorn.workers"), Some(11));
        assert_eq!(f.source("gunicorn.workers"), Some("conf.py:2 (Procfile:2)"));
        assert_eq!(f.str("gunicorn.bind"), Some("0.0.0.0:5000"));
        assert_eq!(f.float("gunicorn.timeout"), Some(30.0));
        assert_eq!(f.str("gunicorn.worker_tmp_dir"), Some("/tmp"));
        assert_eq!(f.str("gunicorn.config_error"), Some(""));
    }

    #[test]
    fn every_fact_is_registered() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut host = Host::fixture(d.path());
        host.env.insert("WEB_CONCURRENCY".into(), "x".into());
        let ctx = Ctx {
            host,
            inputs: Inputs {
                gunicorn_cmd: Some("gunicorn --threads 2 app:app".into()),
                ..Inputs::default()
            },
        };
        let mut f = Facts::new();
        collect(&ctx, &mut f);
        for (name, _) in f.iter() {
            assert!(FACTS.iter().any(|s| s.matches(name)), "{name} not in FACTS");
        }
        assert_eq!(f.len(), FACTS.len());
        assert!(
            f.str("gunicorn.config_error")
                .is_some_and(|e| e.contains("WEB_CONCURRENCY='x'"))
        );
        assert_eq!(f.str("gunicorn.worker_class"), Some("gthread"));
    }
}
