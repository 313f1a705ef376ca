//! Network probes share one `--timeout` and run at the same time: a check against several dead
//! endpoints costs about one timeout, not one per endpoint. `--timings` shows each probe.

use std::net::TcpListener;
use std::os::unix::net::UnixListener;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn three_dead_endpoints_cost_one_timeout_together() {
    // A PostgreSQL port and a Docker socket that accept connections and never answer.
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = tcp.local_addr().unwrap().port();
    let http = TcpListener::bind("127.0.0.1:0").unwrap();
    let http_port = http.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("docker.sock");
    let unix = UnixListener::bind(&sock).unwrap();
    let keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        let _ = tcp.set_nonblocking(true);
        let _ = http.set_nonblocking(true);
        let _ = unix.set_nonblocking(true);
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            if let Ok((s, _)) = tcp.accept() {
                held.push(Box::new(s) as Box<dyn Send>);
            }
            if let Ok((s, _)) = http.accept() {
                held.push(Box::new(s) as Box<dyn Send>);
            }
            if let Ok((s, _)) = unix.accept() {
                held.push(Box::new(s) as Box<dyn Send>);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let start = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_headroom"))
        .args(["check", "--timeout", "2", "--timings", "--format", "json"])
        .arg("--postgres")
        .arg(format!("postgres://app:pw@127.0.0.1:{port}/app"))
        .arg("--url")
        .arg(format!("http://127.0.0.1:{http_port}/slow"))
        .env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .output()
        .unwrap();
    let took = start.elapsed();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        took < Duration::from_secs(3),
        "took {took:?} with three dead endpoints and --timeout 2\n{err}"
    );
    assert!(
        took >= Duration::from_millis(1900),
        "returned before the timeout: {took:?}"
    );
    // All three probes ran, concurrently, and gave up with a reason.
    assert!(
        v_errors(&o.stdout) >= 1,
        "the silent URL should count as errors"
    );
    assert!(
        err.contains("timing: postgres")
            && err.contains("timing: docker")
            && err.contains("timing: latency"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let pg = v["facts"]["postgres.shared_buffers"]["unknown"]
        .as_str()
        .unwrap_or_default();
    let dk = v["facts"]["docker.reachable"].to_string();
    assert!(
        !pg.is_empty(),
        "postgres facts should be unknown: {}",
        v["facts"]["postgres.shared_buffers"]
    );
    assert!(dk.contains("false") || dk.contains("unknown"), "{dk}");
    assert!(
        !pg.contains("pw"),
        "the password leaked into a reason: {pg}"
    );
    drop(keep);
}

fn v_errors(stdout: &[u8]) -> i64 {
    let v: serde_json::Value = serde_json::from_slice(stdout).unwrap_or_default();
    v["facts"]["url.errors"]["value"].as_i64().unwrap_or(0)
}
