//! Log forensics on REAL Gunicorn output.
//!
//! Starts the real Gunicorn (each pinned release from `scripts/setup/gunicorn.sh`) with `-t 2` and
//! an app that ignores SIGABRT, so a 5-second request provokes a real `WORKER TIMEOUT` that
//! Gunicorn escalates to SIGKILL ("Perhaps out of memory?", though it is not). Then the new worker
//! is killed with `kill -9`, the way the kernel OOM killer would. headroom must count one timeout,
//! two SIGKILLs, and classify one as timeout escalation and one as a possible OOM kill.

use headroom::facts::Facts;
use headroom::gunicorn::logs::Scanner;
use headroom::probe::{Ctx, Host, Inputs};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const APP: &str = r#"
import os, signal, time
# Ignoring SIGABRT makes the worker survive Gunicorn's timeout signal, so the master escalates to
# SIGKILL, as it does for a worker stuck where the signal handler cannot run.
signal.signal(signal.SIGABRT, signal.SIG_IGN)

def app(environ, start_response):
    if environ.get("PATH_INFO") == "/slow":
        time.sleep(5)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"#;

fn venv(version: &str) -> PathBuf {
    let v = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!(".test-env/venv-gunicorn-{version}"));
    assert!(
        v.join("bin/gunicorn").exists(),
        "{} is missing: run scripts/setup/gunicorn.sh (installs gunicorn {version} from PyPI)",
        v.display()
    );
    v
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

struct Running {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    fn text(&self) -> String {
        self.lines.lock().map(|l| l.join("\n")).unwrap_or_default()
    }

    /// Waits until `f` finds something in the log so far.
    fn wait_for<T>(&self, what: &str, secs: u64, f: impl Fn(&[String]) -> Option<T>) -> T {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Ok(l) = self.lines.lock()
                && let Some(v) = f(&l)
            {
                return v;
            }
            assert!(
                Instant::now() < end,
                "timed out waiting for {what}; log so far:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn stop(mut self) -> String {
        let pid = i32::try_from(self.child.id()).unwrap_or(0);
        // SAFETY: signalling our own child process by pid.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let end = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().ok().flatten().is_none() {
            if Instant::now() > end {
                let _ = self.child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.wait();
        if let Some(h) = self.reader.take() {
            let _ = h.join();
        }
        self.text()
    }
}

fn pid_after(line: &str, marker: &str) -> Option<i64> {
    let at = line.find(marker)? + marker.len();
    line[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

fn boots(lines: &[String]) -> Vec<i64> {
    lines
        .iter()
        .filter_map(|l| pid_after(l, "Booting worker with pid: "))
        .collect()
}

fn start(version: &str, dir: &std::path::Path, port: u16) -> Running {
    let mut child = Command::new(venv(version).join("bin/gunicorn"))
        .args([
            "-w",
            "1",
            "-t",
            "2",
            "-b",
            &format!("127.0.0.1:{port}"),
            "app:app",
        ])
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start gunicorn {version}: {e}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let reader = std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(mut v) = sink.lock() {
                v.push(l);
            }
        }
    });
    Running {
        child,
        lines,
        reader: Some(reader),
    }
}

fn slow_request(port: u16) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
            let _ = s.write_all(b"GET /slow HTTP/1.0\r\nHost: localhost\r\n\r\n");
            let mut buf = Vec::new();
            let _ = s.read_to_end(&mut buf);
        }
    })
}

fn scenario(version: &str) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("app.py"), APP).unwrap_or_else(|e| panic!("{e}"));
    let port = free_port();
    let g = start(version, dir.path(), port);
    let first = g.wait_for("the first worker", 20, |l| boots(l).first().copied());
    g.wait_for("Listening", 20, |l| {
        l.iter().any(|x| x.contains("Listening at")).then_some(())
    });

    let req = slow_request(port);
    let marker = format!("WORKER TIMEOUT (pid:{first})");
    g.wait_for("WORKER TIMEOUT", 20, |l| {
        l.iter().any(|x| x.contains(&marker)).then_some(())
    });
    let second = g.wait_for("the respawned worker", 20, |l| boots(l).get(1).copied());
    let _ = req.join();

    // The "OOM kill": SIGKILL from outside, no timeout before it.
    // SAFETY: the pid is a worker of the Gunicorn this test started.
    unsafe {
        libc::kill(i32::try_from(second).unwrap_or(0), libc::SIGKILL);
    }
    g.wait_for("the third worker", 20, |l| boots(l).get(2).copied());
    let log = g.stop();

    // Stream the real log through the parser, as `--log -` would.
    let mut sc = Scanner::new();
    sc.read(std::io::Cursor::new(log.as_bytes()))
        .unwrap_or_else(|e| panic!("{e}"));
    let s = sc.summary;
    let ctx = format!("gunicorn {version} log:\n{log}\nsummary: {s:?}");
    assert_eq!(s.timeouts, 1, "{ctx}");
    assert_eq!(s.sigkills, 2, "{ctx}");
    assert_eq!(s.sigkills_after_timeout, 1, "{ctx}");
    assert_eq!(s.possible_oom_kills, 1, "{ctx}");
    assert_eq!(s.possible_oom_pids, [second], "{ctx}");
    assert_eq!(s.timeout_pids, [first], "{ctx}");
    assert!(s.boots >= 3, "{ctx}");
    assert!(s.first.is_some() && s.last.is_some(), "{ctx}");

    // The same through the probe, from a file given as `--log`.
    let logfile = dir.path().join("error.log");
    std::fs::write(&logfile, &log).unwrap_or_else(|e| panic!("{e}"));
    let host = Host::fixture(dir.path());
    let c = Ctx {
        host,
        inputs: Inputs {
            logs: vec![logfile],
            ..Inputs::default()
        },
    };
    let (facts, _): (Facts, _) = headroom::probe::collect(&c, None);
    assert_eq!(
        facts.int("gunicorn.log.sigkills_after_timeout"),
        Some(1),
        "{ctx}"
    );
    assert_eq!(
        facts.int("gunicorn.log.possible_oom_kills"),
        Some(1),
        "{ctx}"
    );
    assert_eq!(
        facts.str("gunicorn.log.possible_oom_pids"),
        Some(second.to_string().as_str())
    );
}

#[test]
fn real_timeout_and_kill_27() {
    scenario("27.0.1");
}

#[test]
fn real_timeout_and_kill_21() {
    scenario("21.2.0");
}
