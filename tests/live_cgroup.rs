//! A real memory limit, not a fixture: headroom runs inside a child cgroup limited to 512 MiB and
//! must report 512 MiB usable, with the cgroup as the source, and judge memory by it.
//!
//! Needs root and a writable cgroup memory controller (v1, or v2 with the memory controller
//! delegated). It fails, saying so, where that is missing: it never skips silently.

use std::path::{Path, PathBuf};
use std::process::Command;

const LIMIT: u64 = 512 * 1024 * 1024;

/// A child cgroup with a memory limit, removed on drop.
struct Cgroup {
    dir: PathBuf,
    procs: PathBuf,
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
    }
}

fn own_cgroup_dir() -> Result<(PathBuf, bool), String> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").map_err(|e| e.to_string())?;
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").map_err(|e| e.to_string())?;
    // v1 memory controller first: hybrid hosts keep memory limits there.
    for line in mountinfo.lines() {
        let (pre, post) = line.split_once(" - ").unwrap_or((line, ""));
        let pre: Vec<&str> = pre.split(' ').collect();
        let post: Vec<&str> = post.split(' ').collect();
        if pre.len() < 5 || post.len() < 3 {
            continue;
        }
        let (root, mnt, fstype, opts) = (pre[3], pre[4], post[0], post[2]);
        if fstype == "cgroup" && opts.split(',').any(|o| o == "memory") {
            let own = cgroup
                .lines()
                .find_map(|l| {
                    let mut it = l.splitn(3, ':');
                    let (_, ctl, path) = (it.next()?, it.next()?, it.next()?);
                    ctl.split(',')
                        .any(|c| c == "memory")
                        .then(|| path.to_string())
                })
                .ok_or("no memory line in /proc/self/cgroup")?;
            let rel = own
                .strip_prefix(root)
                .unwrap_or(&own)
                .trim_start_matches('/');
            return Ok((Path::new(mnt).join(rel), false));
        }
    }
    for line in mountinfo.lines() {
        if line.contains(" - cgroup2 ") {
            let pre: Vec<&str> = line.split(' ').collect();
            let own = cgroup
                .lines()
                .find_map(|l| l.strip_prefix("0::"))
                .ok_or("no 0:: line")?;
            return Ok((Path::new(pre[4]).join(own.trim_start_matches('/')), true));
        }
    }
    Err("no cgroup memory controller mounted".into())
}

fn limited_cgroup() -> Result<Cgroup, String> {
    limited_to(LIMIT, "")
}

fn limited_to(limit: u64, tag: &str) -> Result<Cgroup, String> {
    let (parent, v2) = own_cgroup_dir()?;
    let dir = parent.join(format!("headroom-test-{}{tag}", std::process::id()));
    std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let cg = Cgroup {
        procs: dir.join("cgroup.procs"),
        dir: dir.clone(),
    };
    let (file, value) = if v2 {
        ("memory.max", limit.to_string())
    } else {
        ("memory.limit_in_bytes", limit.to_string())
    };
    std::fs::write(dir.join(file), value).map_err(|e| format!("cannot set {file}: {e}"))?;
    Ok(cg)
}

fn run_in(cg: &Cgroup, args: &[&str]) -> std::process::Output {
    let bin = env!("CARGO_BIN_EXE_headroom");
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "echo $$ > '{}' && exec '{bin}' {}",
            cg.procs.display(),
            quoted.join(" ")
        ))
        .env("NO_COLOR", "1")
        .output()
        .expect("run headroom in the cgroup")
}

#[test]
fn reports_512_mib_inside_a_512_mib_cgroup() {
    let cg = limited_cgroup().unwrap_or_else(|e| {
        panic!("this test needs root and a writable cgroup memory controller: {e}")
    });
    let o = run_in(&cg, &["facts", "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let eff = &v["facts"]["memory.effective_total"];
    assert_eq!(eff["value"], LIMIT, "{eff}");
    let src = eff["source"].as_str().unwrap_or_default();
    assert!(
        src.contains("cgroup"),
        "source should name the cgroup: {src}"
    );
    assert!(
        src.contains(&format!("headroom-test-{}", std::process::id())) || src.contains("memory"),
        "{src}"
    );
    // The host's RAM is still visible, and larger: the limit is what counts.
    assert!(
        v["facts"]["memory.host_total"]["value"]
            .as_u64()
            .unwrap_or(0)
            > LIMIT
    );

    let o = run_in(&cg, &["check", "--only", "MEM001"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("WARN MEM001 512 MiB usable (cgroup"), "{out}");
}

#[test]
/// The app name is one no other Gunicorn on the machine serves, so the per-worker figure is the
/// stated estimate, not a running process's measurement.
fn nine_workers_fail_and_two_pass_in_a_1_gib_cgroup() {
    let cg = limited_to(1024 * 1024 * 1024, "-1g").unwrap_or_else(|e| {
        panic!("this test needs root and a writable cgroup memory controller: {e}")
    });
    let o = run_in(
        &cg,
        &[
            "check",
            "--only",
            "GUN011",
            "--gunicorn-cmd",
            "gunicorn -w 9 headroom_lab_probe:app",
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(
            "FAIL GUN011 9 workers × 150 MiB + master 30 MiB + threads and connections 9 MiB = 1.4 GiB > 1 GiB usable (cgroup"
        ),
        "{out}"
    );
    assert!(out.contains("(command line -w 9)"), "{out}");
    let o = run_in(
        &cg,
        &[
            "check",
            "--only",
            "GUN011",
            "--gunicorn-cmd",
            "gunicorn -w 2 headroom_lab_probe:app",
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("PASS GUN011 2 workers × 150 MiB + master = 332 MiB of 1 GiB usable"),
        "{out}"
    );
}
