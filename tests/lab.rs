//! The reduced lab (scripts/lab/run.py, two scenarios): headroom's verdict, made inside a real
//! memory cgroup before Gunicorn starts, must match what a real Gunicorn serving a real Flask +
//! SQLAlchemy app then does in that cgroup under load.
//!
//! - 256 MiB with the seeds' default `-w 3 -t 30`: three ~110 MiB workers cannot fit, the kernel
//!   OOM-kills them (counted from the cgroup's own `oom_kill` counter), and headroom must fail it.
//! - 1024 MiB with one worker: it boots, serves every request, nothing is killed, and headroom must
//!   not fail it.
//!
//! Needs root (cgroup creation), python3 and .test-env/venv-lab from scripts/setup/lab.sh; it
//! fails, saying which, where they are missing. Takes about 40 s.

use std::path::{Path, PathBuf};
use std::process::Command;

fn lab_venv() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".test-env/venv-lab");
    assert!(
        venv.join("bin/gunicorn").exists(),
        "{} is missing: run scripts/setup/lab.sh (Gunicorn, Flask, SQLAlchemy, cryptography from PyPI)",
        venv.display()
    );
    venv
}

/// Runs the lab's own runner on the given scenarios and returns its JSON results by scenario name.
fn run_lab(scenarios: &[&str]) -> Vec<serde_json::Value> {
    let venv = lab_venv();
    let out = tempfile::tempdir().expect("temp dir");
    let json = out.path().join("results.json");
    let md = out.path().join("results.md");
    let mut cmd = Command::new("python3");
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/lab/run.py"));
    for s in scenarios {
        cmd.args(["--scenario", s]);
    }
    cmd.args(["--duration", "15", "--clients", "6", "--boot-timeout", "30"])
        .arg("--headroom")
        .arg(env!("CARGO_BIN_EXE_headroom"))
        .arg("--venv")
        .arg(&venv)
        .arg("--json")
        .arg(&json)
        .arg("--markdown")
        .arg(&md);
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 scripts/lab/run.py ({e}): install python3"));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success(),
        "the lab runner failed (needs root for cgroups and scripts/setup/lab.sh):\n{stderr}"
    );
    // The table a reader of the CI log wants to see, whatever the asserts below decide.
    eprintln!(
        "{stderr}\n{}",
        std::fs::read_to_string(&md).unwrap_or_default()
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("results.json written"))
            .expect("results.json is JSON");
    let results = doc["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), scenarios.len(), "{doc:#}");
    for r in &results {
        assert!(r.get("error").is_none(), "scenario broke: {r:#}");
    }
    results
}

fn ids(v: &serde_json::Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default()
}

#[test]
fn prediction_matches_what_gunicorn_does_in_a_real_cgroup() {
    let results = run_lab(&["256:seed-default", "1024:one-worker"]);
    let (small, roomy) = (&results[0], &results[1]);

    // headroom ran inside each cgroup and saw its limit, not the host's RAM.
    for (r, mib) in [(small, 256u64), (roomy, 1024)] {
        assert_eq!(
            r["predicted"]["facts"]["memory.effective_total"].as_u64(),
            Some(mib * 1024 * 1024),
            "headroom did not see the cgroup limit: {r:#}"
        );
    }

    // 256 MiB, -w 3: really OOM-killed, and headroom said so before anything started.
    let oom = small["oom_kills"].as_u64().unwrap_or(0);
    // headroom read the same Gunicorn log: real cgroup OOM kills are possible OOM kills, not
    // timeout escalations (no WORKER TIMEOUT preceded them).
    let hl = &small["headroom_log"];
    if oom > 0 {
        assert!(
            hl["possible_oom_kills"].as_u64().unwrap_or(0) >= 1,
            "log read by headroom: {hl:#}\n{small:#}"
        );
        assert_eq!(hl["sigkills_after_timeout"].as_u64(), Some(0), "{hl:#}");
    }
    assert!(
        oom > 0 || small["boot_s"].is_null(),
        "3 workers in 256 MiB should be OOM-killed or fail to boot; observed: {small:#}"
    );
    assert_eq!(
        small["predicted"]["verdict"],
        "fail",
        "headroom should fail -w 3 in 256 MiB; it said {} (fail {:?}, warn {:?})",
        small["predicted"]["verdict"],
        ids(&small["predicted"]["fail"]),
        ids(&small["predicted"]["warn"])
    );

    // 1024 MiB, -w 1: a clean run, and headroom does not fail it.
    assert!(
        !roomy["boot_s"].is_null(),
        "one worker in 1 GiB did not boot: {roomy:#}"
    );
    assert_eq!(roomy["oom_kills"].as_u64(), Some(0), "{roomy:#}");
    assert_eq!(roomy["worker_timeouts"].as_u64(), Some(0), "{roomy:#}");
    assert_eq!(roomy["failed_requests"].as_u64(), Some(0), "{roomy:#}");
    assert!(
        roomy["requests"].as_u64().unwrap_or(0) >= 20,
        "too little load to judge: {roomy:#}"
    );
    assert_ne!(
        roomy["predicted"]["verdict"],
        "fail",
        "headroom fails a configuration that ran clean: fail {:?}: {}",
        ids(&roomy["predicted"]["fail"]),
        roomy["predicted"]["messages"]
    );

    for r in &results {
        assert_eq!(r["match"], true, "prediction and observation differ: {r:#}");
    }
}
