//! Gunicorn's effective configuration, resolved the way `Application.load_config()` does it.
//!
//! Order, lowest to highest (domain.md §1.2; gunicorn `app/base.py`): defaults, some read from the
//! environment when `gunicorn.config` is imported (`WEB_CONCURRENCY` → workers, `PORT` → bind);
//! then ONE config file (`-c` from the command line, else `--config` inside `GUNICORN_CMD_ARGS`,
//! else `gunicorn.conf.py` in the working directory); then `GUNICORN_CMD_ARGS`; then the command
//! line. Every value keeps the origin that won, and every value Gunicorn would refuse becomes an
//! error that says what Gunicorn would do, instead of a number headroom made up.

use super::argv::{self, Parsed, Raw};
use super::conf_py::{self, Binding, PyVal};
use super::pyint;
use super::shlex;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How Gunicorn validates a setting (`config.py` validators).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// `validate_pos_int`
    PosInt,
    /// `validate_bool`
    Bool,
    /// `validate_string` (may be None)
    Str,
    /// `validate_class` for a string
    Class,
    /// `validate_list_string`
    List,
}

/// A validated setting value, as Gunicorn holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Int(i64),
    Bool(bool),
    Str(String),
    List(Vec<String>),
    None,
}

impl Val {
    /// The text `gunicorn --print-config` prints for this value (Python `str()`).
    pub fn py_str(&self) -> String {
        match self {
            Val::Int(i) => i.to_string(),
            Val::Bool(true) => "True".into(),
            Val::Bool(false) => "False".into(),
            Val::Str(s) => s.clone(),
            Val::None => "None".into(),
            Val::List(v) => {
                let items: Vec<String> = v.iter().map(|s| argv::pyrepr(s)).collect();
                format!("[{}]", items.join(", "))
            }
        }
    }
}

/// The settings headroom resolves, with Gunicorn's validator for each.
pub const TRACKED: &[(&str, Check)] = &[
    ("bind", Check::List),
    ("graceful_timeout", Check::PosInt),
    ("keepalive", Check::PosInt),
    ("limit_request_field_size", Check::PosInt),
    ("limit_request_fields", Check::PosInt),
    ("limit_request_line", Check::PosInt),
    ("max_requests", Check::PosInt),
    ("max_requests_jitter", Check::PosInt),
    ("preload_app", Check::Bool),
    ("threads", Check::PosInt),
    ("timeout", Check::PosInt),
    ("worker_class", Check::Class),
    ("worker_connections", Check::PosInt),
    ("worker_tmp_dir", Check::Str),
    ("workers", Check::PosInt),
];

/// One resolved setting: its value (or why it is not known) and where the winning value came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub value: Result<Val, String>,
    pub source: String,
}

/// The effective configuration of one Gunicorn invocation.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    /// Every name in [`TRACKED`].
    pub settings: BTreeMap<&'static str, Setting>,
    /// The app (`APP_MODULE` argument or `wsgi_app` in the config file) and its origin.
    pub app: Result<(String, String), String>,
    /// The config file that is loaded and why it is the one, or why there is none.
    pub config_file: Result<(String, String), String>,
    /// What would stop Gunicorn before it serves, in the order Gunicorn would meet them. Gunicorn
    /// reports only the first; the rest are listed so one fix round finds them all.
    pub errors: Vec<String>,
    /// The environment the command runs with (the caller's plus `VAR=value` prefixes).
    pub env: BTreeMap<String, String>,
}

impl Resolved {
    /// A resolution where nothing is known, each setting with the same reason.
    pub fn nothing(reason: &str) -> Self {
        let settings = TRACKED
            .iter()
            .map(|(n, _)| {
                (
                    *n,
                    Setting {
                        value: Err(reason.to_string()),
                        source: String::new(),
                    },
                )
            })
            .collect();
        Self {
            settings,
            app: Err(reason.to_string()),
            config_file: Err(reason.to_string()),
            errors: Vec::new(),
            env: BTreeMap::new(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Setting> {
        self.settings.get(name)
    }

    /// The value of a setting, if known.
    pub fn value(&self, name: &str) -> Option<&Val> {
        self.settings.get(name).and_then(|s| s.value.as_ref().ok())
    }

    /// The worker class Gunicorn really runs: `sync` with `threads > 1` runs `gthread`
    /// (`Config.worker_class`); `--print-config` still shows the configured one.
    pub fn effective_worker_class(&self) -> Result<(String, String), String> {
        let wc = self.settings.get("worker_class").ok_or("not resolved")?;
        let class = match &wc.value {
            Ok(Val::Str(s)) => s.clone(),
            Ok(other) => return Err(format!("worker_class is {}", other.py_str())),
            Err(e) => return Err(e.clone()),
        };
        let is_sync = class == "sync" || class.ends_with("SyncWorker");
        if !is_sync {
            return Ok((class, wc.source.clone()));
        }
        let th = self.settings.get("threads").ok_or("not resolved")?;
        match &th.value {
            Ok(Val::Int(t)) if *t > 1 => Ok((
                "gthread".into(),
                format!(
                    "{} with threads {t} ({}): sync runs as gthread",
                    wc.source, th.source
                ),
            )),
            Ok(_) => Ok((class, wc.source.clone())),
            Err(e) => Err(format!("threads unknown, so sync may run as gthread: {e}")),
        }
    }
}

/// Resolves a command (`gunicorn …`, `python -m gunicorn …`, `/venv/bin/gunicorn …`) run in `cwd`
/// with `env`. `host_cpus` is what Python's `os.cpu_count()` returns on the host (not a cgroup
/// quota). Files are read from the real filesystem.
pub fn resolve(
    argv: &[String],
    env: &BTreeMap<String, String>,
    cwd: &Path,
    host_cpus: i64,
) -> Resolved {
    resolve_in(argv, env, cwd, None, Some(host_cpus))
}

/// [`resolve`] with absolute config paths looked up under `root` (a fixture tree) and an unknown
/// CPU count allowed.
pub fn resolve_in(
    argv: &[String],
    env: &BTreeMap<String, String>,
    cwd: &Path,
    root: Option<&Path>,
    cpus: Option<i64>,
) -> Resolved {
    let Some((args, extra_env)) = find_gunicorn(argv, 0) else {
        let shown: Vec<String> = argv.iter().map(|w| shlex::quote(w)).collect();
        return Resolved::nothing(&format!(
            "the command does not run gunicorn: {}",
            shown.join(" ")
        ));
    };
    let mut env = env.clone();
    env.extend(extra_env);
    Resolver {
        env: &env,
        cwd,
        root,
        cpus,
    }
    .run(&args)
}

struct Resolver<'a> {
    env: &'a BTreeMap<String, String>,
    cwd: &'a Path,
    root: Option<&'a Path>,
    cpus: Option<i64>,
}

/// One layer's say about a setting.
enum Layer {
    Set(Val, String),
    Unknown(String),
    Invalid(String),
}

const EXIT_BEFORE: &str = "gunicorn exits before starting";

impl Resolver<'_> {
    fn run(&self, args: &[String]) -> Resolved {
        let mut errors = Vec::new();
        let mut invalid: BTreeMap<&str, String> = BTreeMap::new();

        // 1. Defaults, with the ones `gunicorn.config` reads from the environment at import.
        let mut defaults: BTreeMap<&str, (Val, String)> = BTreeMap::new();
        for (name, _) in TRACKED {
            defaults.insert(name, (default_of(name), "default".into()));
        }
        if let Some(wc) = self.env.get("WEB_CONCURRENCY") {
            match pyint::int10(wc) {
                Ok(v) if v >= 0 => {
                    defaults.insert(
                        "workers",
                        (Val::Int(v), format!("WEB_CONCURRENCY={wc} (environment)")),
                    );
                }
                Ok(v) => {
                    let e = format!(
                        "WEB_CONCURRENCY={} is negative: gunicorn exits with 'Error: Value must be positive: {v}' before starting",
                        argv::pyrepr(wc)
                    );
                    invalid.insert("workers", e.clone());
                    errors.push(e);
                }
                Err(_) => {
                    let e = format!(
                        "WEB_CONCURRENCY={} is not an integer: gunicorn exits with ValueError before starting",
                        argv::pyrepr(wc)
                    );
                    invalid.insert("workers", e.clone());
                    errors.push(e);
                }
            }
        }
        if let Some(port) = self.env.get("PORT") {
            defaults.insert(
                "bind",
                (
                    Val::List(vec![format!("0.0.0.0:{port}")]),
                    format!("PORT={port} (environment)"),
                ),
            );
        }

        // 2. The command line (parsed first by Gunicorn, applied last).
        let cli = argv::parse(args);
        if let Some(e) = &cli.exit {
            // `--help` / `--version` exit 0, argparse errors exit 2: neither serves.
            let status = if e.starts_with("--") { 0 } else { 2 };
            errors.push(format!(
                "command line: {e}: gunicorn exits with status {status} without serving"
            ));
        }

        // 3. GUNICORN_CMD_ARGS.
        let envargs = match self.env.get("GUNICORN_CMD_ARGS") {
            None => Parsed::default(),
            Some(s) => match shlex::split(s) {
                Ok(words) => {
                    let p = argv::parse(&words);
                    if let Some(e) = &p.exit {
                        errors.push(format!(
                            "GUNICORN_CMD_ARGS: {e}: gunicorn exits with status 2"
                        ));
                    }
                    p
                }
                Err(e) => {
                    errors.push(format!(
                        "GUNICORN_CMD_ARGS cannot be split ({e}): {EXIT_BEFORE}"
                    ));
                    Parsed::default()
                }
            },
        };

        // 4. The one config file.
        let (config_file, file_layer, file_app) = self.config_file(&cli, &envargs, &mut errors);

        // 5. Apply: file, then GUNICORN_CMD_ARGS, then the command line.
        let mut settings = BTreeMap::new();
        for (name, check) in TRACKED {
            let mut layers: Vec<Layer> = Vec::new();
            let (dv, ds) = defaults
                .remove(name)
                .unwrap_or((Val::None, "default".into()));
            layers.push(Layer::Set(dv, ds));
            if let Some(l) = file_layer.get(*name) {
                match l {
                    Layer::Set(v, s) => layers.push(Layer::Set(v.clone(), s.clone())),
                    Layer::Unknown(s) => layers.push(Layer::Unknown(s.clone())),
                    Layer::Invalid(s) => layers.push(Layer::Invalid(s.clone())),
                }
            }
            for (p, origin) in [(&envargs, "GUNICORN_CMD_ARGS"), (&cli, "command line")] {
                if let Some((raw, shown)) = p.last(name) {
                    match from_raw(*check, raw) {
                        Ok(v) => layers.push(Layer::Set(v, format!("{origin} {shown}"))),
                        Err(e) => {
                            let msg = format!(
                                "{origin} {shown}: {e}: gunicorn exits with 'Error: {e}' before starting"
                            );
                            errors.push(msg.clone());
                            layers.push(Layer::Invalid(msg));
                        }
                    }
                }
            }
            let mut setting = Setting {
                value: Err("not set".into()),
                source: String::new(),
            };
            for l in layers {
                match l {
                    Layer::Set(v, s) => {
                        setting = Setting {
                            value: Ok(v),
                            source: s,
                        }
                    }
                    Layer::Unknown(why) => {
                        setting = Setting {
                            value: Err(why),
                            source: String::new(),
                        }
                    }
                    Layer::Invalid(why) => {
                        invalid.entry(name).or_insert(why);
                    }
                }
            }
            if let Some(why) = invalid.get(name) {
                setting.value = Err(why.clone());
            }
            settings.insert(*name, setting);
        }

        // 6. The app: the first positional word, else `wsgi_app` from the config file.
        let app = match cli.positionals.first() {
            Some(a) => Ok((a.clone(), format!("command line {}", shlex::quote(a)))),
            None => match file_app {
                Some(Ok(v)) => Ok(v),
                Some(Err(why)) => Err(why),
                None => {
                    let e = "no application module given (no APP_MODULE argument and no wsgi_app in a config file): gunicorn exits with 'Error: No application module specified.'".to_string();
                    if cli.exit.is_none() {
                        errors.push(e.clone());
                    }
                    Err(e)
                }
            },
        };

        Resolved {
            settings,
            app,
            config_file,
            errors,
            env: self.env.clone(),
        }
    }

    /// Picks and reads the config file; returns its description, each tracked setting's layer,
    /// and `wsgi_app` if the file sets it.
    #[allow(clippy::type_complexity)]
    fn config_file(
        &self,
        cli: &Parsed,
        envargs: &Parsed,
        errors: &mut Vec<String>,
    ) -> (
        Result<(String, String), String>,
        BTreeMap<&'static str, Layer>,
        Option<Result<(String, String), String>>,
    ) {
        let mut layer = BTreeMap::new();
        let given = |p: &Parsed| match p.last("config") {
            Some((Raw::Str(s), shown)) if !s.is_empty() => Some((s, shown)),
            _ => None,
        };
        let (location, why, shown_name) = if let Some((loc, shown)) = given(cli) {
            let name = loc.strip_prefix("file:").unwrap_or(&loc).to_string();
            (loc, format!("command line {shown}"), name)
        } else if let Some((loc, shown)) = given(envargs) {
            let name = loc.strip_prefix("file:").unwrap_or(&loc).to_string();
            (loc, format!("GUNICORN_CMD_ARGS {shown}"), name)
        } else {
            let implicit = self.cwd.join("gunicorn.conf.py");
            if !implicit.exists() {
                return (
                    Err(format!(
                        "no config file: no -c/--config and no gunicorn.conf.py in {}",
                        self.cwd.display()
                    )),
                    layer,
                    None,
                );
            }
            (
                implicit.display().to_string(),
                format!(
                    "gunicorn.conf.py in the working directory {}",
                    self.cwd.display()
                ),
                "gunicorn.conf.py".to_string(),
            )
        };
        if let Some(module) = location.strip_prefix("python:") {
            let why_unknown = format!(
                "config module python:{module} may set it; headroom reads config files statically and cannot import a module"
            );
            for (name, _) in TRACKED {
                layer.insert(*name, Layer::Unknown(why_unknown.clone()));
            }
            return (Ok((location.clone(), why)), layer, Some(Err(why_unknown)));
        }
        let filename = location.strip_prefix("file:").unwrap_or(&location);
        let path = self.locate(filename);
        let text = match std::fs::metadata(&path) {
            Err(_) => {
                let e = format!(
                    "config file {} doesn't exist: gunicorn exits with 'Error: {} doesn't exist'",
                    argv::pyrepr(filename),
                    argv::pyrepr(filename)
                );
                errors.push(e.clone());
                for (name, _) in TRACKED {
                    layer.insert(*name, Layer::Unknown(e.clone()));
                }
                return (Err(e.clone()), layer, Some(Err(e)));
            }
            Ok(_) => match crate::probe::host::read_text(&path) {
                Ok(t) => t,
                Err(e) => {
                    let e = format!("cannot read config file {filename}: {e}");
                    for (name, _) in TRACKED {
                        layer.insert(*name, Layer::Unknown(e.clone()));
                    }
                    return (Ok((filename.to_string(), why)), layer, Some(Err(e)));
                }
            },
        };
        let conf = conf_py::parse(
            &text,
            &conf_py::Env {
                vars: Some(self.env),
                cpus: self.cpus,
            },
        );
        for e in &conf.errors {
            errors.push(format!(
                "{shown_name}:{}: gunicorn exits with 'Failed to read config file: {filename}'",
                e.trim_start_matches("line ")
            ));
        }
        let star = conf.get("*").cloned();
        for (name, check) in TRACKED {
            let l = match conf.get(name) {
                Some(Binding::Value(v, line)) => match from_py(*check, v) {
                    Ok(val) => Layer::Set(val, format!("{shown_name}:{line}")),
                    Err(e) => {
                        let shown = v.py_repr().unwrap_or_else(|| v.type_name_pub().into());
                        let msg = format!(
                            "{shown_name}:{line}: {name} = {shown} is invalid ({e}): gunicorn exits with 'Invalid value for {name}' before starting"
                        );
                        errors.push(msg.clone());
                        Layer::Invalid(msg)
                    }
                },
                Some(Binding::Unknown(why)) => {
                    Layer::Unknown(format!("{shown_name}:{}", why.trim_start_matches("line ")))
                }
                None => match &star {
                    Some(Binding::Unknown(why)) => Layer::Unknown(format!("{shown_name}: {why}")),
                    _ => continue,
                },
            };
            layer.insert(*name, l);
        }
        let app = match conf.get("wsgi_app") {
            Some(Binding::Value(PyVal::Str(s), line)) => Some(Ok((
                s.trim().to_string(),
                format!("{shown_name}:{line} wsgi_app"),
            ))),
            Some(Binding::Value(PyVal::None, _)) => None,
            Some(Binding::Value(_, line)) => Some(Err(format!(
                "{shown_name}:{line}: wsgi_app is not a string"
            ))),
            Some(Binding::Unknown(why)) => Some(Err(format!(
                "{shown_name}:{}",
                why.trim_start_matches("line ")
            ))),
            None => None,
        };
        (Ok((filename.to_string(), why)), layer, app)
    }

    /// A config path as Gunicorn opens it: relative to the working directory; absolute paths
    /// under the fixture root when there is one.
    fn locate(&self, filename: &str) -> PathBuf {
        let p = Path::new(filename);
        if p.is_absolute() {
            match self.root {
                Some(r) => r.join(filename.trim_start_matches('/')),
                None => p.to_path_buf(),
            }
        } else {
            self.cwd.join(p)
        }
    }
}

impl PyVal {
    fn type_name_pub(&self) -> &'static str {
        match self {
            PyVal::Object(_) => "an object",
            _ => "a value",
        }
    }
}

/// Gunicorn's built-in default for a tracked setting (unchanged 20.x–27.x, domain.md §1.1).
fn default_of(name: &str) -> Val {
    match name {
        "workers" | "threads" => Val::Int(1),
        "worker_class" => Val::Str("sync".into()),
        "timeout" | "graceful_timeout" => Val::Int(30),
        "keepalive" => Val::Int(2),
        "max_requests" | "max_requests_jitter" => Val::Int(0),
        "worker_connections" => Val::Int(1000),
        "preload_app" => Val::Bool(false),
        "bind" => Val::List(vec!["127.0.0.1:8000".into()]),
        "limit_request_line" => Val::Int(4094),
        "limit_request_fields" => Val::Int(100),
        "limit_request_field_size" => Val::Int(8190),
        _ => Val::None,
    }
}

/// A command-line value (already converted by argparse) through Gunicorn's validator.
fn from_raw(check: Check, raw: Raw) -> Result<Val, String> {
    match (check, raw) {
        (Check::PosInt, Raw::Int(i)) if i < 0 => Err(format!("Value must be positive: {i}")),
        (Check::PosInt, Raw::Int(i)) => Ok(Val::Int(i)),
        (Check::Bool, Raw::Bool(b)) => Ok(Val::Bool(b)),
        (Check::Str | Check::Class, Raw::Str(s)) => Ok(Val::Str(s.trim().to_string())),
        (Check::List, Raw::List(v)) => {
            Ok(Val::List(v.iter().map(|s| s.trim().to_string()).collect()))
        }
        (Check::List, Raw::Str(s)) => Ok(Val::List(vec![s.trim().to_string()])),
        (_, other) => Err(format!("unexpected value {other:?}")),
    }
}

/// A config-file value through Gunicorn's validator (`validate_pos_int` uses `int(s, 0)`).
fn from_py(check: Check, v: &PyVal) -> Result<Val, String> {
    let show = |v: &PyVal| v.py_str().unwrap_or_else(|| "<object>".into());
    match check {
        Check::PosInt => {
            let i = match v {
                PyVal::Int(i) => *i,
                PyVal::Bool(b) => i64::from(*b),
                PyVal::Str(s) => pyint::int0(s)?,
                _ => return Err("int() can't convert non-string with explicit base".into()),
            };
            if i < 0 {
                return Err(format!("Value must be positive: {i}"));
            }
            Ok(Val::Int(i))
        }
        Check::Bool => match v {
            PyVal::Bool(b) => Ok(Val::Bool(*b)),
            PyVal::None => Ok(Val::None),
            PyVal::Str(s) => match s.trim().to_lowercase().as_str() {
                "true" => Ok(Val::Bool(true)),
                "false" => Ok(Val::Bool(false)),
                _ => Err(format!("Invalid boolean: {s}")),
            },
            other => Err(format!("Invalid type for casting: {}", show(other))),
        },
        Check::Str | Check::Class => match v {
            PyVal::None => Ok(Val::None),
            PyVal::Str(s) => Ok(Val::Str(s.trim().to_string())),
            PyVal::Object(_) if check == Check::Class => {
                Err("a class object: headroom cannot tell which worker it is".into())
            }
            other => Err(format!("Not a string: {}", show(other))),
        },
        Check::List => {
            if !v.truthy() {
                return Ok(Val::List(vec![]));
            }
            match v {
                PyVal::Str(s) => Ok(Val::List(vec![s.trim().to_string()])),
                PyVal::List(items) | PyVal::Tuple(items) => items
                    .iter()
                    .map(|i| match i {
                        PyVal::Str(s) => Ok(s.trim().to_string()),
                        other => Err(format!("Not a string: {}", show(other))),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Val::List),
                other => Err(format!("'{}' object is not iterable", py_type(other))),
            }
        }
    }
}

fn py_type(v: &PyVal) -> &'static str {
    match v {
        PyVal::Int(_) => "int",
        PyVal::Float(_) => "float",
        PyVal::Bool(_) => "bool",
        _ => "object",
    }
}

/// Finds the Gunicorn invocation in a command and returns its arguments and any `VAR=value`
/// prefixes. Understands `exec`, `env`, `python -m gunicorn`, a path to a `gunicorn` script,
/// runners (`poetry run`, `uv run`, …) and `sh -c "… && gunicorn …"`.
pub fn find_gunicorn(
    argv: &[String],
    depth: usize,
) -> Option<(Vec<String>, BTreeMap<String, String>)> {
    let mut env = BTreeMap::new();
    let mut i = 0;
    while let Some(w) = argv.get(i) {
        let base = w.rsplit('/').next().unwrap_or(w);
        if let Some((k, v)) = assignment(w) {
            env.insert(k, v);
            i += 1;
            continue;
        }
        match base {
            "exec" | "nice" | "tini" | "dumb-init" | "ddtrace-run" | "opentelemetry-instrument" => {
                i += 1;
                // `tini --`, `nice -n 5`: skip their own options.
                while argv.get(i).is_some_and(|a| a.starts_with('-')) {
                    i += 1;
                }
                continue;
            }
            "env" => {
                i += 1;
                while argv.get(i).is_some_and(|a| a.starts_with('-')) {
                    i += 1;
                }
                continue;
            }
            "gunicorn" => return Some((argv[i + 1..].to_vec(), env)),
            "poetry" | "pipenv" | "uv" | "pdm" | "hatch" | "rye"
                if argv.get(i + 1).is_some_and(|a| a == "run") =>
            {
                i += 2;
                continue;
            }
            "newrelic-admin" if argv.get(i + 1).is_some_and(|a| a == "run-program") => {
                i += 2;
                continue;
            }
            "sh" | "bash" | "dash" | "ash" if depth < 3 => {
                let script = argv
                    .iter()
                    .skip(i + 1)
                    .position(|a| a.starts_with('-') && a.contains('c'))
                    .and_then(|p| argv.get(i + 2 + p))?;
                let words = shlex::split(script).ok()?;
                for seg in words.split(|w| matches!(w.as_str(), "&&" | "||" | ";" | "|")) {
                    if let Some((a, mut e)) = find_gunicorn(seg, depth + 1) {
                        let mut all = env.clone();
                        all.append(&mut e);
                        return Some((a, all));
                    }
                }
                return None;
            }
            _ if is_python(base) => {
                let mut j = i + 1;
                // `python -m gunicorn` and the module the `gunicorn` script itself runs.
                let is_gunicorn = |m: &str| m == "gunicorn" || m == "gunicorn.app.wsgiapp";
                while let Some(a) = argv.get(j) {
                    if a == "-m" {
                        return argv
                            .get(j + 1)
                            .is_some_and(|m| is_gunicorn(m))
                            .then(|| (argv[(j + 2).min(argv.len())..].to_vec(), env));
                    }
                    if a.strip_prefix("-m").is_some_and(is_gunicorn) {
                        return Some((argv[j + 1..].to_vec(), env));
                    }
                    if a == "-X" || a == "-W" {
                        j += 2;
                    } else if a.starts_with('-') {
                        j += 1;
                    } else {
                        return None;
                    }
                }
                return None;
            }
            _ => return None,
        }
    }
    None
}

fn is_python(base: &str) -> bool {
    base.strip_prefix("python")
        .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

fn assignment(w: &str) -> Option<(String, String)> {
    let (k, v) = w.split_once('=')?;
    let ok = !k.is_empty()
        && !k.starts_with(|c: char| c.is_ascii_digit())
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then(|| (k.to_string(), v.to_string()))
}

/// Expands `$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME-default}` as a shell would in a
/// Procfile line (not inside single quotes). Unset names expand to nothing.
pub fn expand(s: &str, env: &BTreeMap<String, String>) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut single = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            single = !single;
            out.push(c);
            i += 1;
            continue;
        }
        if c != '$' || single {
            out.push(c);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'{') {
            let Some(end) = chars[i..].iter().position(|c| *c == '}') else {
                out.push(c);
                i += 1;
                continue;
            };
            let inner: String = chars[i + 2..i + end].iter().collect();
            let (name, default, colon) = if let Some((n, d)) = inner.split_once(":-") {
                (n.to_string(), Some(d.to_string()), true)
            } else if let Some((n, d)) = inner.split_once('-') {
                (n.to_string(), Some(d.to_string()), false)
            } else {
                (inner.clone(), None, false)
            };
            let v = env.get(&name);
            let use_default = match v {
                None => true,
                Some(v) => colon && v.is_empty(),
            };
            if use_default {
                out.push_str(default.as_deref().unwrap_or(""));
            } else {
                out.push_str(v.map_or("", String::as_str));
            }
            i += end + 1;
            continue;
        }
        let mut j = i + 1;
        while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
            j += 1;
        }
        if j == i + 1 {
            out.push(c);
            i += 1;
            continue;
        }
        let name: String = chars[i + 1..j].iter().collect();
        out.push_str(env.get(&name).map_or("", String::as_str));
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        shlex::split(s).unwrap_or_default()
    }

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
    }

    #[test]
    fn precedence_and_sources() {
        let d = dir();
        std::fs::write(
            d.path().join("gunicorn.conf.py"),
            "workers = 2\ntimeout = 90\nthreads = 4\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let e = env(&[
            ("WEB_CONCURRENCY", "7"),
            ("GUNICORN_CMD_ARGS", "--timeout 60"),
        ]);
        let r = resolve(&words("gunicorn -w 3 app:app"), &e, d.path(), 2);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let w = r.get("workers").unwrap_or_else(|| panic!("workers"));
        assert_eq!(w.value, Ok(Val::Int(3)));
        assert_eq!(w.source, "command line -w 3");
        let t = r.get("timeout").unwrap_or_else(|| panic!("timeout"));
        assert_eq!(
            (t.value.clone(), t.source.as_str()),
            (Ok(Val::Int(60)), "GUNICORN_CMD_ARGS --timeout 60")
        );
        let th = r.get("threads").unwrap_or_else(|| panic!("threads"));
        assert_eq!(th.source, "gunicorn.conf.py:3");
        assert_eq!(
            r.effective_worker_class().map(|x| x.0),
            Ok("gthread".to_string())
        );
        assert_eq!(r.app.as_ref().map(|a| a.0.as_str()), Ok("app:app"));
    }

    #[test]
    fn web_concurrency_not_an_integer() {
        let d = dir();
        let r = resolve(
            &words("gunicorn app:app"),
            &env(&[("WEB_CONCURRENCY", "auto")]),
            d.path(),
            2,
        );
        assert_eq!(
            r.errors.first().map(String::as_str),
            Some(
                "WEB_CONCURRENCY='auto' is not an integer: gunicorn exits with ValueError before starting"
            )
        );
        assert!(r.get("workers").is_some_and(|w| w.value.is_err()));
    }

    #[test]
    fn python_module_config_is_unknown() {
        let d = dir();
        let r = resolve(
            &words("python3 -m gunicorn -c python:conf -t 5 app:app"),
            &env(&[]),
            d.path(),
            2,
        );
        assert!(
            r.get("workers")
                .is_some_and(|w| w.value.as_ref().is_err_and(|e| e.contains("python:conf")))
        );
        assert_eq!(r.value("timeout"), Some(&Val::Int(5)));
    }

    #[test]
    fn finds_gunicorn_in_wrappers() {
        for cmd in [
            "gunicorn app:app",
            "/venv/bin/gunicorn app:app",
            "python -m gunicorn app:app",
            "python3.11 -u -m gunicorn app:app",
            "exec gunicorn app:app",
            "sh -c 'flask db upgrade && exec gunicorn app:app'",
            "poetry run gunicorn app:app",
            "python -m gunicorn.app.wsgiapp app:app",
            "python3 -mgunicorn app:app",
        ] {
            let found = find_gunicorn(&words(cmd), 0);
            assert_eq!(
                found.map(|f| f.0),
                Some(vec!["app:app".to_string()]),
                "{cmd}"
            );
        }
        assert!(find_gunicorn(&words("uwsgi --http :80"), 0).is_none());
        let (_, e) =
            find_gunicorn(&words("WEB_CONCURRENCY=4 gunicorn app:app"), 0).unwrap_or_default();
        assert_eq!(e.get("WEB_CONCURRENCY").map(String::as_str), Some("4"));
    }

    #[test]
    fn never_panics_on_random_commands() {
        let vocab = [
            "gunicorn",
            "python",
            "-m",
            "-w",
            "-w4",
            "--workers=",
            "--workers",
            "-t",
            "-5",
            "--",
            "-c",
            "python:x",
            "file:",
            "gunicorn.conf.py",
            "app:app",
            "-Dw",
            "-b",
            "--bind=",
            "=",
            "--pre",
            "--work",
            "-",
            "sh",
            "-c",
            "&&",
            "''",
            "WEB_CONCURRENCY=x",
            "--threads",
            "0x1",
            "--proxy-protocol",
            "-k",
            "sync",
            "é",
            "--limit-request-field_size",
            "-R",
            "-DRw",
        ];
        let d = dir();
        std::fs::write(d.path().join("gunicorn.conf.py"), "workers = (\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let mut s: u64 = 0x2545_F491_4F6C_DD1D;
        for n in 0..3000 {
            let mut words = Vec::new();
            for _ in 0..(n % 9) {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let k = usize::try_from(s % vocab.len() as u64).unwrap_or(0);
                words.push(vocab[k].to_string());
            }
            let mut e = env(&[]);
            if n % 3 == 0 {
                e.insert("GUNICORN_CMD_ARGS".into(), words.join(" "));
            }
            let _ = resolve(&words, &e, d.path(), 2);
            let mut with_prog = vec!["gunicorn".to_string()];
            with_prog.extend(words);
            let _ = resolve(&with_prog, &e, d.path(), 2);
        }
    }

    #[test]
    fn expands_like_a_shell() {
        let e = env(&[("PORT", "5000"), ("EMPTY", "")]);
        assert_eq!(expand("-b 0.0.0.0:$PORT", &e), "-b 0.0.0.0:5000");
        assert_eq!(
            expand("${WEB:-3} ${EMPTY:-x} ${EMPTY-y} '$PORT'", &e),
            "3 x  '$PORT'"
        );
    }
}
