//! The host probes inside a real Docker container with real limits: this test binary copies
//! itself (and the few shared libraries it links) into an image made with `docker import`
//! (no registry is reachable), runs itself inside `docker run -m 256m --memory-swap 256m
//! --cpus 0.25`, and checks the facts the probes report from in there.
//!
//! It needs the machine's Docker Engine on /var/run/docker.sock and `ldd` and `tar`
//! (scripts/setup/host.sh). It fails, saying so, when they are missing.

use headroom::facts::Facts;
use headroom::probe::{self, Ctx, Host, Inputs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const MIB: i64 = 1024 * 1024;
const INNER: &str = "HEADROOM_INNER_PROBE";

/// Inside the container: print the host facts as JSON. Outside: nothing.
#[test]
fn inner_probe() {
    if std::env::var_os(INNER).is_none() {
        return;
    }
    let ctx = Ctx {
        host: Host::live(Duration::from_secs(2)),
        inputs: Inputs::default(),
    };
    let f = probe::collect_host(&ctx);
    println!(
        "FACTS {}",
        serde_json::to_string(&f).expect("facts serialize")
    );
}

fn run(cmd: &str, args: &[&str]) -> std::process::Output {
    Command::new(cmd).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run {cmd}: {e}; this test needs Docker Engine, ldd and tar (scripts/setup/host.sh)")
    })
}

fn ok(cmd: &str, args: &[&str]) -> String {
    let out = run(cmd, args);
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A root filesystem holding this test binary and the libraries `ldd` says it needs.
fn make_rootfs(dir: &Path) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let bin = dir.join("rootfs/probe");
    std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
    std::fs::copy(&exe, &bin).expect("copy test binary");
    for line in ok("ldd", &[exe.to_str().unwrap()]).lines() {
        // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
        let lib = line
            .split("=>")
            .last()
            .and_then(|s| s.split_whitespace().next())
            .filter(|p| p.starts_with('/'));
        if let Some(lib) = lib {
            let dest = dir.join("rootfs").join(lib.trim_start_matches('/'));
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::copy(lib, &dest).unwrap_or_else(|e| panic!("copy {lib}: {e}"));
        }
    }
    let tar = dir.join("rootfs.tar");
    ok(
        "tar",
        &[
            "-C",
            dir.join("rootfs").to_str().unwrap(),
            "-cf",
            tar.to_str().unwrap(),
            ".",
        ],
    );
    tar
}

#[test]
fn probes_inside_a_256m_quarter_cpu_container() {
    let out = run("docker", &["info", "--format", "{{.CgroupVersion}}"]);
    assert!(
        out.status.success(),
        "Docker Engine is not reachable ({}); install docker.io and start it (scripts/setup/host.sh)",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let cgroup_version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let tmp = tempfile::tempdir().expect("tempdir");
    let tar = make_rootfs(tmp.path());
    let tag = format!("headroom-host-probe-test:{}", std::process::id());
    ok("docker", &["import", tar.to_str().unwrap(), &tag]);
    let out = run(
        "docker",
        &[
            "run",
            "--rm",
            "-m",
            "256m",
            "--memory-swap",
            "256m",
            "--cpus",
            "0.25",
            "-e",
            &format!("{INNER}=1"),
            &tag,
            "/probe",
            "--exact",
            "inner_probe",
            "--nocapture",
            "--test-threads=1",
        ],
    );
    let _ = run("docker", &["rmi", "-f", &tag]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "probe in container failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = stdout
        .lines()
        // The harness prints "test inner_probe ... " before the test's own output.
        .find_map(|l| l.split_once("FACTS ").map(|(_, j)| j))
        .unwrap_or_else(|| panic!("no facts printed: {stdout}"));
    let f: Facts = serde_json::from_str(json).expect("facts JSON");

    let eff = f.int("memory.effective_total");
    assert_eq!(
        eff,
        Some(256 * MIB),
        "{:?}",
        f.get("memory.effective_total")
    );
    let src = f.source("memory.effective_total").unwrap_or("");
    assert!(src.contains("< host total"), "{src}");
    assert_eq!(f.int("memory.cgroup_limit"), Some(256 * MIB));
    assert_eq!(
        f.int("swap.effective_total"),
        Some(0),
        "{:?}",
        f.get("swap.effective_total")
    );
    let avail = f.int("memory.effective_available").unwrap_or(-1);
    assert!(
        avail > 200 * MIB && avail <= 256 * MIB,
        "{:?}",
        f.get("memory.effective_available")
    );
    // /proc/meminfo inside is still the host's.
    assert!(f.int("memory.host_total").unwrap_or(0) > 256 * MIB);
    assert_eq!(
        f.float("cpu.effective"),
        Some(0.25),
        "{:?}",
        f.get("cpu.effective")
    );
    assert_eq!(f.bool("cpu.limited"), Some(true));
    assert_eq!(f.str("machine.kind"), Some("container"));
    assert_eq!(f.str("machine.container_runtime"), Some("docker"));
    assert_eq!(
        f.int("disk.shm_total"),
        Some(64 * MIB),
        "{:?}",
        f.get("disk.shm_total")
    );
    let want_version = if cgroup_version == "2" { "v2" } else { "v1" };
    assert_eq!(f.str("cgroup.version"), Some(want_version));
}
