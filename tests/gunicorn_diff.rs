//! Differential test: headroom's Gunicorn resolution against REAL Gunicorn.
//!
//! For every case, the real `gunicorn --print-config` (from the virtualenvs that
//! `scripts/setup/gunicorn.sh` creates, one per pinned release) runs in a temporary directory
//! holding the case's files and a tiny importable `app.py`, with a cleared environment plus the
//! case's variables. Its printed settings are the oracle: headroom's `resolve` on the same
//! command, environment and directory must give the same value for every tracked setting, and
//! must report a config error exactly when Gunicorn refuses to start.

use headroom::gunicorn::resolve::{self, Resolved, TRACKED};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const VERSIONS: &[&str] = &["27.0.1", "21.2.0"];

struct Case {
    name: &'static str,
    /// The command, shell-like; `VENV` stands for the virtualenv directory.
    cmd: &'static str,
    env: &'static [(&'static str, &'static str)],
    files: &'static [(&'static str, &'static str)],
    /// Settings headroom must report as unknown (beyond its static reach); Gunicorn's value for
    /// them is not compared.
    unknown: &'static [&'static str],
}

const fn case(name: &'static str, cmd: &'static str) -> Case {
    Case {
        name,
        cmd,
        env: &[],
        files: &[],
        unknown: &[],
    }
}

const fn with(
    name: &'static str,
    cmd: &'static str,
    env: &'static [(&'static str, &'static str)],
    files: &'static [(&'static str, &'static str)],
) -> Case {
    Case {
        name,
        cmd,
        env,
        files,
        unknown: &[],
    }
}

/// Every tracked setting but `timeout` (given on the command line in that case).
const ALL_UNKNOWN: &[&str] = &[
    "bind",
    "graceful_timeout",
    "keepalive",
    "limit_request_field_size",
    "limit_request_fields",
    "limit_request_line",
    "max_requests",
    "max_requests_jitter",
    "preload_app",
    "threads",
    "worker_class",
    "worker_connections",
    "worker_tmp_dir",
    "workers",
];

fn cases() -> Vec<Case> {
    vec![
        // --- command-line forms
        case("defaults", "gunicorn app:app"),
        case("short -w 3", "gunicorn -w 3 app:app"),
        case("attached -w4", "gunicorn -w4 app:app"),
        case("long --workers=4", "gunicorn --workers=4 app:app"),
        case(
            "repeated last wins",
            "gunicorn --workers 5 -w 2 -t 10 --timeout 20 app:app",
        ),
        case("options after the app", "gunicorn app:app -w 3 --threads 4"),
        case(
            "flags keep the app",
            "gunicorn --preload -R --reload app:app -t 10",
        ),
        case(
            "daemon flag before app",
            "gunicorn -D --capture-output app:app --keep-alive 9",
        ),
        case("chained short flags", "gunicorn -Rw4 app:app"),
        case(
            "abbreviated long options",
            "gunicorn --timeo 45 --max-requests-j 7 --grace 3 app:app",
        ),
        case(
            "gthread one thread",
            "gunicorn -k gthread --threads 1 app:app",
        ),
        case("sync with threads", "gunicorn -k sync --threads 8 app:app"),
        case(
            "gevent class stays",
            "gunicorn -k gevent --threads 4 app:app",
        ),
        case(
            "timeouts",
            "gunicorn -t 0 --graceful-timeout 5 --keep-alive 10 app:app",
        ),
        case(
            "recycling",
            "gunicorn --max-requests 1000 --max-requests-jitter 50 app:app",
        ),
        case(
            "worker tmp dir",
            "gunicorn --worker-tmp-dir /dev/shm app:app",
        ),
        case(
            "tmp dir stripped",
            "gunicorn --worker-tmp-dir ' /dev/shm ' app:app",
        ),
        case(
            "two binds",
            "gunicorn -b 0.0.0.0:80 -b unix:/tmp/g.sock app:app",
        ),
        case("bind equals", "gunicorn --bind=127.0.0.1:9000 app:app"),
        case(
            "request limits",
            "gunicorn --limit-request-line 8190 --limit-request-fields 50 --limit-request-field_size 1024 app:app",
        ),
        case(
            "worker connections",
            "gunicorn --worker-connections 200 -k gthread app:app",
        ),
        case("python -m", "python -m gunicorn -w 2 app:app"),
        case(
            "python3 -m with =",
            "python3 -m gunicorn --threads=3 app:app",
        ),
        case(
            "python -m wsgiapp module",
            "python3 -m gunicorn.app.wsgiapp -w 2 app:app",
        ),
        case("venv path", "VENV/bin/gunicorn -w 6 --preload app:app"),
        case("value after --", "gunicorn -w 2 -- app:app"),
        case("cli leading zeros are base 10", "gunicorn -t 0030 app:app"),
        case("negative timeout refused", "gunicorn -t -5 app:app"),
        case("non-integer workers refused", "gunicorn -w abc app:app"),
        case("unknown option refused", "gunicorn --bogus app:app"),
        case("no app refused", "gunicorn -w 2"),
        // --- environment
        with(
            "WEB_CONCURRENCY",
            "gunicorn app:app",
            &[("WEB_CONCURRENCY", "3")],
            &[],
        ),
        with(
            "WEB_CONCURRENCY under -w",
            "gunicorn -w 2 app:app",
            &[("WEB_CONCURRENCY", "3")],
            &[],
        ),
        with(
            "WEB_CONCURRENCY auto",
            "gunicorn app:app",
            &[("WEB_CONCURRENCY", "auto")],
            &[],
        ),
        with(
            "WEB_CONCURRENCY spaces",
            "gunicorn app:app",
            &[("WEB_CONCURRENCY", " 4 ")],
            &[],
        ),
        with("PORT", "gunicorn app:app", &[("PORT", "5000")], &[]),
        with(
            "PORT under -b",
            "gunicorn -b 127.0.0.1:1234 app:app",
            &[("PORT", "5000")],
            &[],
        ),
        with(
            "GUNICORN_CMD_ARGS",
            "gunicorn app:app",
            &[("GUNICORN_CMD_ARGS", "--timeout 60 -w 3")],
            &[],
        ),
        with(
            "CMD_ARGS under cli",
            "gunicorn -w 5 app:app",
            &[("GUNICORN_CMD_ARGS", "-w 3 --threads 2")],
            &[],
        ),
        with(
            "CMD_ARGS bad quote",
            "gunicorn app:app",
            &[("GUNICORN_CMD_ARGS", "'--timeout 60")],
            &[],
        ),
        with(
            "CMD_ARGS --config",
            "gunicorn app:app",
            &[("GUNICORN_CMD_ARGS", "--config other.py")],
            &[
                ("other.py", "workers = 7\n"),
                ("gunicorn.conf.py", "workers = 2\ntimeout = 11\n"),
            ],
        ),
        with(
            "CMD_ARGS binds over file",
            "gunicorn app:app",
            &[("GUNICORN_CMD_ARGS", "-b a:1 -b b:2")],
            &[("gunicorn.conf.py", "bind = ['c:3']\n")],
        ),
        // --- config files
        with(
            "implicit conf literals",
            "gunicorn app:app",
            &[],
            &[(
                "gunicorn.conf.py",
                "workers = 3\ntimeout = 120\nkeepalive = 5\npreload_app = True\n",
            )],
        ),
        with(
            "conf multiprocessing.cpu_count",
            "gunicorn app:app",
            &[],
            &[(
                "gunicorn.conf.py",
                "import multiprocessing\n\nworkers = multiprocessing.cpu_count() * 2 + 1\n",
            )],
        ),
        with(
            "conf os.cpu_count max",
            "gunicorn app:app",
            &[],
            &[(
                "gunicorn.conf.py",
                "import os\nthreads = max(2, os.cpu_count() // 2)\nworkers = min(4, (os.cpu_count() or 1) + 1)\n",
            )],
        ),
        with(
            "conf environ.get set",
            "gunicorn app:app",
            &[("WORKERS", "6")],
            &[(
                "gunicorn.conf.py",
                "import os\nworkers = int(os.environ.get('WORKERS', '2'))\ntimeout = int(os.environ.get('TIMEOUT', 75))\n",
            )],
        ),
        with(
            "conf environ index",
            "gunicorn app:app",
            &[("GUNICORN_TIMEOUT", "0x3c")],
            &[(
                "gunicorn.conf.py",
                "import os\ntimeout = os.environ['GUNICORN_TIMEOUT']\n",
            )],
        ),
        with(
            "conf getenv default",
            "gunicorn app:app",
            &[],
            &[(
                "gunicorn.conf.py",
                "from os import getenv\nmax_requests = int(getenv('MAX_REQ', 500))\nmax_requests_jitter = getenv('JITTER', '25')\n",
            )],
        ),
        with(
            "conf str and bool",
            "gunicorn app:app",
            &[],
            &[(
                "gunicorn.conf.py",
                "preload_app = bool(1)\nworker_tmp_dir = str('/dev/shm')\nworker_class = 'gthread'\n",
            )],
        ),
        with(
            "conf hex string",
            "gunicorn app:app",
            &[],
            &[("gunicorn.conf.py", "timeout = '0x78'\n")],
        ),
        with(
            "conf bad duration string",
            "gunicorn app:app",
            &[],
            &[("gunicorn.conf.py", "timeout = '30s'\n")],
        ),
        with(
            "conf leading zero string",
            "gunicorn app:app",
            &[],
            &[("gunicorn.conf.py", "keepalive = '010'\n")],
        ),
        with(
            "conf true division",
            "gunicorn app:app",
            &[],
            &[("gunicorn.conf.py", "workers = 4 / 2\n")],
        ),
        with(
            "conf boolean string",
            "gunicorn app:app",
            &[],
            &[("gunicorn.conf.py", "preload_app = 'TRUE'\n")],
        ),
        with(
            "conf names earlier",
            "gunicorn app:app",
            &[],
            &[(
                "gunicorn.conf.py",
                "base = 10\nmax_requests = base * 100\nmax_requests_jitter = max_requests // 10\nlimit_request_line = (base + 2) % 5 * 1000\n",
            )],
        ),
        with(
            "conf bind string",
            "gunicorn app:app",
            &[("PORT", "9999")],
            &[("gunicorn.conf.py", "bind = ' 0.0.0.0:7000 '\n")],
        ),
        with(
            "conf bind f-string",
            "gunicorn app:app",
            &[("PORT", "1234")],
            &[(
                "gunicorn.conf.py",
                "import os\nport = os.environ.get(\"PORT\", \"8000\")\nbind = [f\"0.0.0.0:{port}\", 'unix:/tmp/x.sock']\n",
            )],
        ),
        with(
            "conf -c explicit",
            "gunicorn -c custom.py app:app",
            &[],
            &[
                ("custom.py", "workers = 9\n"),
                ("gunicorn.conf.py", "workers = 2\ntimeout = 11\n"),
            ],
        ),
        with(
            "conf -c file:",
            "gunicorn -c file:conf/g.py app:app",
            &[],
            &[(
                "conf/g.py",
                "threads = 3 # comment\ngraceful_timeout = 7; keepalive = 3\n",
            )],
        ),
        with(
            "cli -c beats CMD_ARGS --config",
            "gunicorn -c a.py app:app",
            &[("GUNICORN_CMD_ARGS", "--config b.py -t 44")],
            &[
                ("a.py", "workers = 3\ntimeout = 5\n"),
                ("b.py", "workers = 8\n"),
            ],
        ),
        with(
            "empty -c falls back",
            "gunicorn -c '' app:app",
            &[],
            &[("gunicorn.conf.py", "workers = 6\n")],
        ),
        with(
            "conf -c missing",
            "gunicorn -c missing.py app:app",
            &[],
            &[],
        ),
        with(
            "conf wsgi_app",
            "gunicorn -w 2",
            &[],
            &[("gunicorn.conf.py", "wsgi_app = 'app:app'\n")],
        ),
        with(
            "all sources combined",
            "gunicorn -w 3 app:app --max-requests 10",
            &[
                ("WEB_CONCURRENCY", "9"),
                ("GUNICORN_CMD_ARGS", "--timeout 60 --max-requests 99"),
                ("PORT", "8080"),
            ],
            &[(
                "gunicorn.conf.py",
                "workers = 2\ntimeout = 90\ngraceful_timeout = 45\nbind = '0.0.0.0:1'\n",
            )],
        ),
        with(
            "conf undefined name",
            "gunicorn app:app",
            &[],
            &[("gunicorn.conf.py", "workers = cpu_count() * 2\n")],
        ),
        with(
            "conf int of non-number",
            "gunicorn app:app",
            &[("WORKERS", "auto")],
            &[(
                "gunicorn.conf.py",
                "import os\nworkers = int(os.getenv('WORKERS', 2))\n",
            )],
        ),
        case("short option with =", "gunicorn -w=3 app:app"),
        case(
            "flag with a value refused",
            "gunicorn --preload=yes app:app",
        ),
        case(
            "cli value with spaces",
            "gunicorn --max-requests ' 5' app:app",
        ),
        with(
            "WEB_CONCURRENCY zero",
            "gunicorn app:app",
            &[("WEB_CONCURRENCY", "0")],
            &[],
        ),
        with(
            "WEB_CONCURRENCY negative",
            "gunicorn app:app",
            &[("WEB_CONCURRENCY", "-1")],
            &[],
        ),
        with(
            "WEB_CONCURRENCY underscore",
            "gunicorn app:app",
            &[("WEB_CONCURRENCY", "1_0")],
            &[],
        ),
        with(
            "WEB_CONCURRENCY empty",
            "gunicorn -w 2 app:app",
            &[("WEB_CONCURRENCY", "")],
            &[],
        ),
        with(
            "CMD_ARGS positional ignored",
            "gunicorn app:app",
            &[("GUNICORN_CMD_ARGS", "other:app --preload")],
            &[],
        ),
        with(
            "CMD_ARGS bad option",
            "gunicorn app:app",
            &[("GUNICORN_CMD_ARGS", "--nope 3")],
            &[],
        ),
        with(
            "conf without .py extension",
            "gunicorn -c gunicorn.cfg app:app",
            &[],
            &[("gunicorn.cfg", "workers = 4\n")],
        ),
        with(
            "conf odd types",
            "gunicorn app:app",
            &[],
            &[(
                "gunicorn.conf.py",
                "workers = '4'\ntimeout = True\nbind = ('a:1', 'b:2')\npreload_app = None\nworker_tmp_dir = None\n",
            )],
        ),
        with(
            "conf negative refused",
            "gunicorn app:app",
            &[],
            &[("gunicorn.conf.py", "threads = -1\n")],
        ),
        with(
            "conf layout",
            "gunicorn app:app",
            &[],
            &[(
                "gunicorn.conf.py",
                "\"\"\"Gunicorn config.\n\nworkers = 99 inside a docstring\n\"\"\"\nworkers = (\n    2 +\n    3\n)\ntimeout = 10 + \\\n    20\n\ndef post_fork(server, worker):\n    workers = 1\n    server.log.info('forked')\n\nprint('loaded')\nkeepalive = 4; graceful_timeout = 8\n",
            )],
        ),
        with(
            "conf conditional expressions",
            "gunicorn app:app",
            &[("X", "1"), ("BIND", "a:1,b:2")],
            &[(
                "gunicorn.conf.py",
                "import os\nworkers = 2 if os.environ.get('X') else 3\nthreads = int(os.environ.get('T', 0) or 4)\nbind = os.environ.get('BIND', '0.0.0.0:8000').split(',')\nmax_requests = int(os.environ.get('X') == '1') * 100\n",
            )],
        ),
        with(
            "conf formatting",
            "gunicorn app:app",
            &[],
            &[(
                "gunicorn.conf.py",
                "import os\nbind = '%s:%d' % ('0.0.0.0', 80)\nworker_tmp_dir = '/dev/' + 'shm'\nmax_requests = str(os.cpu_count() * 100)\n",
            )],
        ),
        with(
            "conf aliases and augmented",
            "gunicorn app:app",
            &[],
            &[(
                "gunicorn.conf.py",
                "import multiprocessing as mp\nfrom multiprocessing import cpu_count as cc\nworkers = mp.cpu_count()\nworkers += 1\nthreads, keepalive = cc(), 3\nlimit_request_fields = 2 ** 6\n",
            )],
        ),
        with(
            "conf try import block",
            "gunicorn app:app",
            &[],
            &[(
                "gunicorn.conf.py",
                "try:\n    import multiprocessing\nexcept ImportError:\n    multiprocessing = None\nworkers = 3\n",
            )],
        ),
        Case {
            name: "conf if-block is unknown",
            cmd: "gunicorn app:app",
            env: &[("DEBUG", "1")],
            files: &[(
                "gunicorn.conf.py",
                "import os\ntimeout = 30\nif os.environ.get('DEBUG'):\n    timeout = 600\nworkers = 2\n",
            )],
            unknown: &["timeout"],
        },
        Case {
            name: "python: module config",
            cmd: "gunicorn -c python:mymod -t 5 app:app",
            env: &[],
            files: &[("mymod.py", "workers = 5\n")],
            unknown: ALL_UNKNOWN,
        },
        Case {
            name: "conf star import",
            cmd: "gunicorn -w 2 app:app",
            env: &[],
            files: &[
                ("base_conf.py", "timeout = 99\n"),
                ("gunicorn.conf.py", "from base_conf import *\n"),
            ],
            unknown: ALL_UNKNOWN_BUT_WORKERS,
        },
    ]
}

/// Every tracked setting but `workers` (given on the command line in that case).
const ALL_UNKNOWN_BUT_WORKERS: &[&str] = &[
    "bind",
    "graceful_timeout",
    "keepalive",
    "limit_request_field_size",
    "limit_request_fields",
    "limit_request_line",
    "max_requests",
    "max_requests_jitter",
    "preload_app",
    "threads",
    "timeout",
    "worker_class",
    "worker_connections",
    "worker_tmp_dir",
];

const APP: &str =
    "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn venv(version: &str) -> PathBuf {
    let v = root().join(format!(".test-env/venv-gunicorn-{version}"));
    assert!(
        v.join("bin/gunicorn").exists(),
        "{} is missing: run scripts/setup/gunicorn.sh (installs gunicorn {version} from PyPI)",
        v.display()
    );
    v
}

fn python_cpu_count(venv: &Path) -> i64 {
    let out = Command::new(venv.join("bin/python"))
        .args(["-c", "import os; print(os.cpu_count())"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run the venv's python: {e}"));
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("os.cpu_count(): {e}"))
}

/// Runs the real Gunicorn; returns (exit ok, printed settings, stderr).
fn run_real(
    venv: &Path,
    words: &[String],
    env: &BTreeMap<String, String>,
    dir: &Path,
) -> (bool, BTreeMap<String, String>, String) {
    let (prog, args): (PathBuf, Vec<String>) = match words.first().map(String::as_str) {
        Some("gunicorn") => {
            let mut a = vec!["--print-config".to_string()];
            a.extend(words[1..].iter().cloned());
            (venv.join("bin/gunicorn"), a)
        }
        Some("python" | "python3") => {
            let mut a: Vec<String> = words[1..].to_vec();
            let at = a
                .iter()
                .position(|w| w == "gunicorn")
                .map_or(a.len(), |p| p + 1);
            a.insert(at, "--print-config".into());
            (venv.join("bin/python"), a)
        }
        Some(p) => {
            let mut a = vec!["--print-config".to_string()];
            a.extend(words[1..].iter().cloned());
            (PathBuf::from(p), a)
        }
        None => panic!("empty command"),
    };
    let out = Command::new(&prog)
        .args(&args)
        .env_clear()
        .envs(env)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", prog.display()));
    let mut printed = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((k, v)) = line.split_once(" = ") {
            printed.insert(k.trim().to_string(), v.to_string());
        }
    }
    (
        out.status.success(),
        printed,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn effective_from_print(p: &BTreeMap<String, String>) -> Option<String> {
    let wc = p.get("worker_class")?;
    let threads: i64 = p.get("threads")?.parse().ok()?;
    let sync = wc == "sync" || wc.ends_with("SyncWorker");
    Some(if sync && threads > 1 {
        "gthread".into()
    } else {
        wc.clone()
    })
}

#[test]
fn resolution_matches_real_gunicorn() {
    let cases = cases();
    assert!(cases.len() >= 40, "at least 40 cases");
    let mut rows: Vec<String> = Vec::new();
    let mut compared = 0usize;
    for version in VERSIONS {
        let venv = venv(version);
        let cpus = python_cpu_count(&venv);
        for c in &cases {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
            std::fs::write(dir.path().join("app.py"), APP).unwrap_or_else(|e| panic!("{e}"));
            for (name, text) in c.files {
                let p = dir.path().join(name);
                if let Some(parent) = p.parent() {
                    std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
                }
                std::fs::write(p, text).unwrap_or_else(|e| panic!("{e}"));
            }
            let cmd = c.cmd.replace("VENV", &venv.display().to_string());
            let words = headroom::gunicorn::shlex::split(&cmd).unwrap_or_else(|e| panic!("{e}"));
            let mut env: BTreeMap<String, String> = c
                .env
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect();
            env.insert("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into());

            let (ok, printed, stderr) = run_real(&venv, &words, &env, dir.path());
            let r: Resolved = resolve::resolve(&words, &env, dir.path(), cpus);
            let mut row = |setting: &str, real: &str, ours: &str| {
                rows.push(format!(
                    "{version:<7} | {:<32} | {setting:<24} | gunicorn: {real:<28} | headroom: {ours}",
                    c.name
                ));
            };
            if !ok {
                if r.errors.is_empty() {
                    let last = stderr
                        .lines()
                        .rev()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("");
                    row(
                        "(exit status)",
                        &format!("fails: {last}"),
                        "no config error",
                    );
                }
                compared += 1;
                continue;
            }
            if !r.errors.is_empty() {
                row("(exit status)", "starts", &r.errors.join("; "));
            }
            for (name, _) in TRACKED {
                let real = printed.get(*name).map_or("<missing>", String::as_str);
                let ours = r.get(name).map(|s| s.value.clone());
                compared += 1;
                match ours {
                    Some(Ok(v)) if c.unknown.contains(name) => {
                        row(name, real, &format!("{} (expected unknown)", v.py_str()));
                    }
                    Some(Ok(v)) => {
                        if v.py_str() != real {
                            row(name, real, &v.py_str());
                        }
                    }
                    Some(Err(e)) => {
                        if !c.unknown.contains(name) {
                            row(name, real, &format!("unknown: {e}"));
                        }
                    }
                    None => row(name, real, "<not resolved>"),
                }
            }
            let real_eff = effective_from_print(&printed).unwrap_or_default();
            match r.effective_worker_class() {
                Ok((eff, _)) if eff != real_eff => row("effective worker_class", &real_eff, &eff),
                Err(e) if !c.unknown.contains(&"worker_class") => {
                    row(
                        "effective worker_class",
                        &real_eff,
                        &format!("unknown: {e}"),
                    );
                }
                _ => {}
            }
        }
    }
    assert!(
        rows.is_empty(),
        "{} mismatches between headroom and real gunicorn ({} comparisons):\n{}",
        rows.len(),
        compared,
        rows.join("\n")
    );
    eprintln!(
        "gunicorn_diff: {} cases x {} versions, {compared} comparisons, 0 mismatches",
        cases.len(),
        VERSIONS.len()
    );
}
