//! A real Gunicorn for the live tests: a pinned release from `scripts/setup/gunicorn.sh`, a small
//! Flask app written to a temporary directory, a free port on 127.0.0.1, and a guard that stops
//! the whole process group on drop (so no worker outlives a failed test).
//!
//! The app drops a `booted-<pid>` file when a worker has imported it, so a test waits for real
//! workers instead of sleeping. A missing venv fails the test with the command that creates it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const APP: &str = r#"
import os, time
from flask import Flask

_dir = os.path.dirname(os.path.abspath(__file__))
# Something a real app would hold: a few MiB of private memory per worker.
_ballast = bytearray(8 * 1024 * 1024)
for _i in range(0, len(_ballast), 4096):
    _ballast[_i] = 1

app = Flask(__name__)

@app.route("/")
def index():
    return "ok"

@app.route("/slow")
def slow():
    time.sleep(0.3)
    return "slow"

@app.route("/fail")
def fail():
    return "broken", 500

open(os.path.join(_dir, "booted-%d" % os.getpid()), "w").close()
"#;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The venv of one pinned release; panics with the setup command when it is missing.
pub fn venv(version: &str) -> PathBuf {
    let v = root().join(format!(".test-env/venv-gunicorn-{version}"));
    assert!(
        v.join("bin/gunicorn").is_file(),
        "{} is missing: run scripts/setup/gunicorn.sh (installs gunicorn {version} and Flask from PyPI)",
        v.display()
    );
    v
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on 127.0.0.1")
}

/// A running Gunicorn; stopped (SIGTERM, then SIGKILL to its process group) on drop.
pub struct Server {
    pub child: Child,
    pub pid: i32,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Server {
    /// Starts `argv[0]` (a path in the venv, or `python -m gunicorn`) with `extra` arguments
    /// after `-b 127.0.0.1:<port> app:app`, and waits for `workers` booted workers.
    pub fn start(
        program: &[PathBuf],
        extra: &[&str],
        workers: usize,
        env: &[(&str, &str)],
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("app.py"), APP).expect("write app.py");
        let port = free_port();
        let (prog, pre) = program.split_first().expect("a program");
        let mut cmd = Command::new(prog);
        cmd.args(pre)
            .args(["-b", &format!("127.0.0.1:{port}"), "--chdir"])
            .arg(dir.path())
            .args(extra)
            .arg("app:app")
            .current_dir(dir.path())
            .env_remove("TMPDIR")
            .env_remove("GUNICORN_CMD_ARGS")
            .env_remove("WEB_CONCURRENCY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(dir.path().join("gunicorn.log"))
                    .map(Stdio::from)
                    .unwrap_or_else(|_| Stdio::null()),
            );
        for (k, v) in env {
            cmd.env(k, v);
        }
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", prog.display()));
        let pid = i32::try_from(child.id()).expect("pid");
        let s = Server {
            child,
            pid,
            port,
            dir,
        };
        s.wait_booted(workers);
        s
    }

    /// The venv's `gunicorn` script, the usual way.
    pub fn gunicorn(version: &str, extra: &[&str], workers: usize) -> Self {
        let w = workers.to_string();
        let mut args = vec!["-w", &w];
        args.extend_from_slice(extra);
        Self::start(&[venv(version).join("bin/gunicorn")], &args, workers, &[])
    }

    /// Worker pids: children of the master that have imported the app.
    pub fn workers(&self) -> Vec<i32> {
        let mut out: Vec<i32> = children(self.pid)
            .into_iter()
            .filter(|p| self.dir.path().join(format!("booted-{p}")).exists())
            .collect();
        out.sort_unstable();
        out
    }

    fn wait_booted(&self, n: usize) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if self.workers().len() >= n {
                // Let the fresh workers settle their first page faults before anyone measures.
                std::thread::sleep(Duration::from_millis(300));
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let log = std::fs::read_to_string(self.dir.path().join("gunicorn.log")).unwrap_or_default();
        panic!(
            "Gunicorn pid {} did not boot {n} workers in 30 s; log:\n{log}",
            self.pid
        );
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: kill has no memory preconditions; the pid and group are our own child's.
        unsafe {
            libc::kill(self.pid, libc::SIGTERM);
        }
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // SAFETY: as above; the negative pid is the process group the server was started in.
        unsafe {
            libc::kill(-self.pid, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// Pids whose parent is `ppid`, from /proc/*/stat.
pub fn children(ppid: i32) -> Vec<i32> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    let rest = s.get(s.rfind(')')? + 1..)?.to_string();
                    rest.split_whitespace().nth(1)?.parse::<i32>().ok()
                })
                == Some(ppid)
        })
        .collect()
}

/// `Pss:` of `/proc/<pid>/smaps_rollup`, in bytes: what the kernel says, read independently of
/// headroom's parser.
pub fn pss(pid: i32) -> i64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .unwrap_or_else(|e| panic!("read /proc/{pid}/smaps_rollup: {e}"));
    let line = text
        .lines()
        .find(|l| l.starts_with("Pss:"))
        .unwrap_or_else(|| panic!("no Pss: in smaps_rollup of {pid}"));
    let kb: i64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("Pss value");
    kb * 1024
}

/// Runs `headroom facts --format json` with `args` and returns the facts object.
pub fn facts(args: &[&str], env: &[(&str, &str)]) -> serde_json::Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_headroom"));
    cmd.args(["facts", "--format", "json", "--no-redact"])
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run headroom");
    assert!(
        out.status.success(),
        "headroom facts failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("facts JSON");
    j["facts"].clone()
}

/// `findmnt`'s filesystem type for a path: util-linux's view, not headroom's.
pub fn fstype_of(path: &Path) -> String {
    let out = Command::new("findmnt")
        .args(["-n", "-o", "FSTYPE", "--target"])
        .arg(path)
        .output()
        .expect("findmnt (util-linux) is needed: apt-get install util-linux");
    // Stacked mounts on one point are listed in order; the last one is what a path resolves to.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string()
}
