//! The Docker probe against this machine's real Engine, and against sockets that misbehave.
//!
//! The real-Engine test builds a one-file image (`tests/fixtures/docker/memhog.c`, compiled with
//! `gcc -static`, `docker import`ed — nothing is pulled), runs one container that holds 24 MiB
//! under a 64 MiB limit and one that asks for 200 MiB under a 32 MiB limit, so the kernel
//! OOM-kills it, and checks the probe reports what `docker inspect` / `docker info` say.
//! Needs: docker CLI + a running Engine, gcc with static glibc (`libc6-dev`), tar, runuser
//! (see scripts/setup/docker.sh). A missing one fails the test with what to install.

use headroom::docker;
use headroom::facts::{Fact, Facts};
use headroom::probe::{Ctx, Host, Inputs};
use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::{docker, image, run};

fn collect(host: Host) -> Facts {
    // As with `--docker`: the Engine is asked even without a Compose project.
    let ctx = Ctx {
        host,
        inputs: Inputs {
            docker: true,
            ..Inputs::default()
        },
    };
    let mut facts = Facts::new();
    docker::collect(&ctx, &mut facts);
    for (name, _) in facts.iter() {
        assert!(
            headroom::facts::lookup(name).is_some(),
            "fact {name} not in docker::FACTS"
        );
    }
    facts
}

/// Removes the test's containers even when an assertion fails.
struct Cleanup(Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for c in &self.0 {
            let _ = Command::new("docker").args(["rm", "-f", c]).output();
        }
    }
}

#[test]
fn reads_the_real_engine_and_sees_an_oom_kill() {
    let img = image();
    let pid = std::process::id();
    let holder = format!("headroom-compose-hold-{pid}");
    let victim = format!("headroom-compose-oom-{pid}");
    let free = format!("headroom-compose-nolimit-{pid}");
    let _cleanup = Cleanup(vec![holder.clone(), victim.clone(), free.clone()]);
    docker(&["run", "-d", "--name", &free, img, "/memhog", "1", "sleep"]);
    docker(&[
        "run",
        "-d",
        "--name",
        &holder,
        "--memory",
        "64m",
        "--label",
        "com.docker.compose.project=headroomtest",
        "--label",
        "com.docker.compose.service=hold",
        img,
        "/memhog",
        "24",
        "sleep",
    ]);
    // The victim asks for 200 MiB under a 32 MiB limit with no swap: the kernel kills it.
    let _ = Command::new("docker")
        .args([
            "run",
            "--name",
            &victim,
            "--memory",
            "32m",
            "--memory-swap",
            "32m",
            img,
            "/memhog",
            "200",
        ])
        .output();
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.OOMKilled}}", &victim]),
        "true",
        "the test container should have been OOM-killed"
    );
    // Give the holder a moment to have touched its 24 MiB.
    std::thread::sleep(Duration::from_millis(500));

    let facts = collect(Host::live(Duration::from_secs(10)));
    eprintln!(
        "{}",
        serde_json::to_string_pretty(&facts).unwrap_or_default()
    );
    let get = |n: &str| {
        facts.get(n).cloned().unwrap_or(Fact::Unknown {
            unknown: "missing".into(),
        })
    };
    assert_eq!(
        facts.bool("docker.reachable"),
        Some(true),
        "{:?}",
        get("docker.error")
    );
    assert_eq!(facts.str("docker.error"), Some(""));
    assert_eq!(
        facts.str("docker.version").unwrap_or_default(),
        docker(&["version", "-f", "{{.Server.Version}}"])
    );
    assert_eq!(
        facts.int("docker.mem_total").map(|v| v.to_string()),
        Some(docker(&["info", "-f", "{{.MemTotal}}"]))
    );
    assert_eq!(
        facts.int("docker.ncpu").map(|v| v.to_string()),
        Some(docker(&["info", "-f", "{{.NCPU}}"]))
    );
    assert_eq!(
        facts.int("docker.cgroup_version").map(|v| v.to_string()),
        Some(docker(&["info", "-f", "{{.CgroupVersion}}"]))
    );
    assert_eq!(
        facts
            .bool("docker.swap_limit_support")
            .map(|v| v.to_string()),
        Some(docker(&["info", "-f", "{{.SwapLimit}}"]))
    );
    assert_eq!(
        facts.str("docker.data_root").unwrap_or_default(),
        docker(&["info", "-f", "{{.DockerRootDir}}"])
    );
    assert_eq!(facts.bool("docker.desktop"), Some(false));
    assert!(facts.int("docker.containers_running").unwrap_or(0) >= 2);
    assert!(facts.int("docker.oom_killed_containers").unwrap_or(0) >= 1);
    assert!(
        facts
            .source("docker.oom_killed_containers")
            .unwrap_or_default()
            .contains(&victim),
        "{:?}",
        get("docker.oom_killed_containers")
    );
    // The holder runs with --memory 64m, the other without a limit.
    assert!(
        facts
            .int("docker.containers_without_memory_limit")
            .unwrap_or(0)
            >= 1
    );
    let unlimited = facts
        .source("docker.containers_without_memory_limit")
        .unwrap_or_default();
    assert!(
        unlimited.contains(&free) && !unlimited.contains(&holder),
        "{unlimited}"
    );
    let usage = facts.int("docker.containers_memory_usage").unwrap_or(0);
    assert!(
        usage >= 20 * 1024 * 1024,
        "running containers use {usage} bytes; the holder alone holds 24 MiB"
    );
    assert!(
        facts
            .source("docker.containers_memory_usage")
            .unwrap_or_default()
            .contains(&holder),
        "{:?}",
        get("docker.containers_memory_usage")
    );
    let rss = facts.int("docker.daemon_rss").unwrap_or(0);
    assert!(
        rss > 10 * 1024 * 1024,
        "dockerd + containerd + shims RSS {rss}"
    );
    assert!(
        facts.int("docker.shim_count").unwrap_or(0) >= 2,
        "{:?}",
        get("docker.shim_count")
    );
    assert!(
        facts.int("docker.images_size").unwrap_or(0) > 0,
        "{:?}",
        get("docker.images_size")
    );
    assert!(facts.int("docker.volumes_size").is_some());
    assert!(facts.int("docker.build_cache_size").is_some());
}

/// A fixture root whose `/var/run/docker.sock` is a unix socket served by `serve`.
fn fake_engine(serve: fn(std::os::unix::net::UnixStream)) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("var/run");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let listener = UnixListener::bind(dir.join("docker.sock")).expect("bind");
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            std::thread::spawn(move || serve(s));
        }
    });
    root
}

fn fixture_host(root: &Path, timeout: Duration) -> Host {
    let mut h = Host::fixture(root);
    h.timeout = timeout;
    h
}

#[test]
fn no_socket_is_unreachable_with_the_reason() {
    let root = tempfile::tempdir().expect("temp dir");
    let facts = collect(fixture_host(root.path(), Duration::from_secs(1)));
    assert_eq!(facts.bool("docker.reachable"), Some(false));
    assert_eq!(
        facts.str("docker.error"),
        Some("no socket at /var/run/docker.sock")
    );
    assert!(
        facts
            .why_unknown("docker.mem_total")
            .contains("no socket at /var/run/docker.sock")
    );
    assert!(
        facts
            .why_unknown("docker.daemon_rss")
            .contains("cannot list /proc")
    );
}

#[test]
fn a_socket_that_never_answers_costs_the_timeout_not_a_hang() {
    let root = fake_engine(|s| {
        // Accept, read nothing, answer nothing, keep the connection open.
        std::thread::sleep(Duration::from_secs(30));
        drop(s);
    });
    let start = Instant::now();
    let facts = collect(fixture_host(root.path(), Duration::from_secs(1)));
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(4),
        "took {took:?} with a 1 s timeout"
    );
    assert_eq!(facts.bool("docker.reachable"), Some(false));
    let err = facts.str("docker.error").unwrap_or_default().to_lowercase();
    assert!(
        err.contains("timed out") || err.contains("no answer"),
        "{err}"
    );
}

fn answer(mut s: std::os::unix::net::UnixStream, status: &str, body: &str) {
    let mut buf = [0u8; 4096];
    let _ = s.read(&mut buf);
    let _ = write!(
        s,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

#[test]
fn an_engine_error_response_is_reported() {
    let root = fake_engine(|s| {
        answer(
            s,
            "500 Internal Server Error",
            r#"{"message":"daemon is shutting down"}"#,
        )
    });
    let facts = collect(fixture_host(root.path(), Duration::from_secs(2)));
    assert_eq!(facts.bool("docker.reachable"), Some(false));
    let err = facts.str("docker.error").unwrap_or_default();
    assert!(
        err.contains("500") && err.contains("daemon is shutting down"),
        "{err}"
    );
}

#[test]
fn a_partly_broken_engine_gives_partial_facts() {
    // /version works, everything else answers garbage or errors: reachable, the rest unknown.
    let root = fake_engine(|mut s| {
        let mut buf = [0u8; 4096];
        let n = s.read(&mut buf).unwrap_or(0);
        let req = String::from_utf8_lossy(&buf[..n]).to_string();
        let (status, body) = if req.starts_with("GET /version") {
            ("200 OK", r#"{"Version":"99.0.0","ApiVersion":"1.99"}"#)
        } else if req.starts_with("GET /info") {
            ("200 OK", "this is not json")
        } else {
            ("404 Not Found", r#"{"message":"page not found"}"#)
        };
        let _ = write!(
            s,
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    });
    let facts = collect(fixture_host(root.path(), Duration::from_secs(2)));
    assert_eq!(facts.bool("docker.reachable"), Some(true));
    assert_eq!(facts.str("docker.version"), Some("99.0.0"));
    assert!(
        facts.why_unknown("docker.mem_total").contains("not JSON"),
        "{}",
        facts.why_unknown("docker.mem_total")
    );
    assert!(
        facts
            .why_unknown("docker.oom_killed_containers")
            .contains("404")
    );
    assert!(
        facts
            .why_unknown("docker.images_size")
            .contains("page not found")
    );
}

#[test]
fn a_socket_speaking_garbage_is_an_error_not_a_panic() {
    let root = fake_engine(|mut s| {
        let _ = s.write_all(b"\x00\x01\x02 not http at all\r\n\r\n");
    });
    let facts = collect(fixture_host(root.path(), Duration::from_secs(2)));
    assert_eq!(facts.bool("docker.reachable"), Some(false));
    assert!(!facts.str("docker.error").unwrap_or_default().is_empty());
}

/// Runs the probe against the real socket as `nobody`, who is not in the docker group: the
/// socket (root:docker 0660) refuses the connection. Root cannot see EACCES from file modes, so
/// the test re-runs this test binary under `runuser -u nobody` (see `docker_probe_child`).
#[test]
fn a_socket_without_permission_says_permission_denied() {
    let sock = Path::new("/var/run/docker.sock");
    assert!(
        sock.exists(),
        "no Docker Engine socket; install and start Docker (scripts/setup/docker.sh)"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let exe: PathBuf = dir.path().join("docker-test");
    std::fs::copy(std::env::current_exe().expect("current exe"), &exe).expect("copy test binary");
    run(Command::new("chmod").arg("755").arg(dir.path()).arg(&exe));
    let out = Command::new("runuser")
        .args(["-u", "nobody", "--"])
        .arg(&exe)
        .args([
            "--exact",
            "docker_probe_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("HEADROOM_DOCKER_CHILD", "1")
        .output()
        .expect("runuser (util-linux) is needed to run the probe as nobody");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = stdout
        .split("FACTS>>")
        .nth(1)
        .and_then(|s| s.split("<<FACTS").next())
        .unwrap_or_else(|| panic!("no facts from the child: {stdout}"));
    let facts: Facts = serde_json::from_str(json).expect("facts JSON");
    assert_eq!(facts.bool("docker.reachable"), Some(false));
    let err = facts.str("docker.error").unwrap_or_default().to_lowercase();
    assert!(err.contains("permission denied"), "{err}");
}

/// Not a test on its own: the body `a_socket_without_permission_says_permission_denied` runs as
/// `nobody`. Without HEADROOM_DOCKER_CHILD it only checks it was not asked to do anything.
#[test]
fn docker_probe_child() {
    if std::env::var_os("HEADROOM_DOCKER_CHILD").is_none() {
        return;
    }
    let facts = collect(Host::live(Duration::from_secs(5)));
    println!(
        "FACTS>>{}<<FACTS",
        serde_json::to_string(&facts).expect("json")
    );
}

#[test]
fn a_slow_engine_with_many_containers_stays_within_the_time_budget() {
    // /version and the list answer at once; every inspect hangs. Without a budget this would
    // cost 60 timeouts.
    let root = fake_engine(|mut s| {
        let mut buf = [0u8; 4096];
        let n = s.read(&mut buf).unwrap_or(0);
        let req = String::from_utf8_lossy(&buf[..n]).to_string();
        let body = if req.starts_with("GET /version") {
            r#"{"Version":"99.0.0","ApiVersion":"1.99"}"#.to_string()
        } else if req.starts_with("GET /containers/json") {
            let items: Vec<String> = (0..60)
                .map(|i| format!(r#"{{"Id":"c{i}","Names":["/c{i}"],"State":"running"}}"#))
                .collect();
            format!("[{}]", items.join(","))
        } else {
            std::thread::sleep(Duration::from_secs(30));
            return;
        };
        let _ = write!(
            s,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    });
    let timeout = Duration::from_millis(300);
    let start = Instant::now();
    let facts = collect(fixture_host(root.path(), timeout));
    let took = start.elapsed();
    let budget = timeout * (docker::engine::BUDGET_TIMEOUTS + 2);
    assert!(took < budget, "took {took:?}, budget {budget:?}");
    assert_eq!(facts.bool("docker.reachable"), Some(true));
    assert!(
        facts
            .why_unknown("docker.oom_killed_containers")
            .contains("time budget")
            || facts
                .why_unknown("docker.oom_killed_containers")
                .contains("timed out"),
        "{}",
        facts.why_unknown("docker.oom_killed_containers")
    );
}

#[test]
fn the_engine_is_not_asked_without_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut host = Host::fixture(dir.path());
    host.cwd = dir.path().to_path_buf();
    let ctx = Ctx {
        host,
        inputs: Inputs::default(),
    };
    let mut facts = Facts::new();
    docker::collect(&ctx, &mut facts);
    assert!(
        facts
            .why_unknown("docker.reachable")
            .contains("pass --docker"),
        "{facts:?}"
    );
}
