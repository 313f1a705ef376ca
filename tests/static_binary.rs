//! The static binary is the thing users download: it must run alone in an empty container (no
//! libc, no /etc, nothing but itself) and see that container's memory limit through its cgroup.
//! Built by `scripts/build-static.sh` (reused when newer than every source file), imported as a
//! FROM-scratch image with `tar` + `docker import` (no registry), run under
//! `docker run --memory 256m --memory-swap 256m`.
//!
//! Needs the machine's Docker Engine, `tar` and `file` (`scripts/setup/docker.sh`,
//! `scripts/setup/hardening.sh`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

const IMAGE: &str = "headroom-static:test";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command) -> std::process::Output {
    cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run {:?}: {e}; install it with scripts/setup/hardening.sh and scripts/setup/docker.sh",
            cmd.get_program()
        )
    })
}

fn newest_source(dir: &Path, newest: &mut SystemTime) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            newest_source(&p, newest);
        } else if let Ok(m) = e.metadata().and_then(|m| m.modified()) {
            *newest = (*newest).max(m);
        }
    }
}

/// The static binary, built unless a fresh one exists.
fn static_binary() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    let candidates = [
        target.join("x86_64-unknown-linux-musl/release/headroom"),
        target.join("x86_64-unknown-linux-gnu/release/headroom"),
    ];
    let mut newest = SystemTime::UNIX_EPOCH;
    for d in ["src", "rules", "Cargo.toml", "Cargo.lock", "build.rs"] {
        let p = root().join(d);
        if p.is_dir() {
            newest_source(&p, &mut newest);
        } else if let Ok(m) = p.metadata().and_then(|m| m.modified()) {
            newest = newest.max(m);
        }
    }
    for c in &candidates {
        if c.metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|m| m > newest)
        {
            return c.clone();
        }
    }
    eprintln!("building the static binary (scripts/build-static.sh)…");
    let out =
        run(Command::new(root().join("scripts/build-static.sh")).env("CARGO_TARGET_DIR", &target));
    assert!(
        out.status.success(),
        "scripts/build-static.sh failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn peak_rss_kib(bin: &Path, args: &[&str]) -> Option<i64> {
    let out = run(Command::new("/usr/bin/time").arg("-v").arg(bin).args(args));
    String::from_utf8_lossy(&out.stderr).lines().find_map(|l| {
        l.trim()
            .strip_prefix("Maximum resident set size (kbytes): ")
            .and_then(|v| v.trim().parse().ok())
    })
}

#[test]
fn static_binary_runs_alone_and_sees_a_256m_container_limit() {
    let bin = static_binary();
    let kind = String::from_utf8_lossy(&run(Command::new("file").arg(&bin)).stdout).into_owned();
    assert!(
        kind.contains("statically linked") || kind.contains("static-pie linked"),
        "{kind}"
    );
    let size = bin.metadata().expect("binary").len();

    // The image holds the binary and nothing else.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(&bin, dir.path().join("headroom")).expect("copy binary");
    let tar = dir.path().join("rootfs.tar");
    let out = run(Command::new("tar")
        .arg("-C")
        .arg(dir.path())
        .arg("-cf")
        .arg(&tar)
        .arg("headroom"));
    assert!(out.status.success(), "tar: {out:?}");
    let out = run(Command::new("docker").args(["import", &tar.to_string_lossy(), IMAGE]));
    assert!(
        out.status.success(),
        "docker import: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let docker_run = |args: &[&str]| {
        run(Command::new("docker")
            .args([
                "run",
                "--rm",
                "--memory",
                "256m",
                "--memory-swap",
                "256m",
                IMAGE,
                "/headroom",
            ])
            .args(args))
    };
    let out = docker_run(&["facts", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "facts in the container: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("facts JSON");
    let eff = &j["facts"]["memory.effective_total"];
    assert_eq!(eff["value"].as_i64(), Some(268_435_456), "{eff}");
    let source = eff["source"].as_str().unwrap_or_default();
    assert!(source.contains("cgroup"), "source: {source}");

    let out = docker_run(&["check"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "check in the container exited {:?}: {stderr}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // 256 MiB is below what the stack needs: the memory rule must say so.
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("MEM001"), "{text}");

    // The same binary in a 512 MiB container (issue 5): 512 MiB usable, from the cgroup.
    let out = run(Command::new("docker").args([
        "run",
        "--rm",
        "--memory",
        "512m",
        "--memory-swap",
        "512m",
        IMAGE,
        "/headroom",
        "facts",
        "--format",
        "json",
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("facts JSON");
    let eff = &j["facts"]["memory.effective_total"];
    assert_eq!(eff["value"].as_i64(), Some(536_870_912), "{eff}");
    assert!(
        eff["source"]
            .as_str()
            .unwrap_or_default()
            .contains("cgroup"),
        "{eff}"
    );

    let rss_facts = peak_rss_kib(&bin, &["facts", "--format", "json"]);
    let rss_check = peak_rss_kib(&bin, &["check"]);
    println!(
        "static binary {}: {size} bytes ({:.1} MiB); peak RSS on this host: facts {rss_facts:?} KiB, check {rss_check:?} KiB",
        bin.display(),
        size as f64 / 1048576.0
    );
}
