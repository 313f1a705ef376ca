//! The live Gunicorn probe against real Gunicorn processes (releases 27.0.1 and 21.2.0 from
//! `scripts/setup/gunicorn.sh`, serving a small Flask app): worker count, per-worker PSS checked
//! against the kernel's own `smaps_rollup`, the release, the heartbeat directory and its
//! filesystem type checked against `findmnt`.
//!
//! Other Gunicorns may run on the same machine, so each test names its master with
//! `HEADROOM_GUNICORN_PID` and also checks that, without it, its master is among those found.

mod gunicorn_support;

use gunicorn_support::{Server, facts, fstype_of, pss, venv};
use serde_json::Value;
use std::path::Path;

fn int(f: &Value, name: &str) -> i64 {
    f[name]["value"]
        .as_i64()
        .unwrap_or_else(|| panic!("{name} is not a known int: {}", f[name]))
}

fn string<'a>(f: &'a Value, name: &str) -> &'a str {
    f[name]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("{name} is not a known string: {}", f[name]))
}

fn source<'a>(f: &'a Value, name: &str) -> &'a str {
    f[name]["source"].as_str().unwrap_or_default()
}

fn within_10pct(name: &str, got: i64, want: i64) {
    let diff = (got - want).abs();
    assert!(
        diff * 10 <= want,
        "{name}: headroom says {got} bytes, the kernel's smaps_rollup says {want} (off by {diff})"
    );
}

fn facts_for(s: &Server) -> Value {
    facts(&[], &[("HEADROOM_GUNICORN_PID", &s.pid.to_string())])
}

#[test]
fn two_workers_their_pss_and_a_dev_shm_heartbeat() {
    let s = Server::gunicorn("27.0.1", &["--worker-tmp-dir", "/dev/shm"], 2);
    let f = facts_for(&s);
    let workers = s.workers();
    assert_eq!(workers.len(), 2, "test setup: {workers:?}");

    assert_eq!(int(&f, "gunicorn.live.pid"), i64::from(s.pid));
    assert_eq!(
        int(&f, "gunicorn.live.workers"),
        2,
        "{}",
        f["gunicorn.live.workers"]
    );
    assert!(int(&f, "gunicorn.live.masters") >= 1);

    // The kernel's figures, read after headroom's: idle workers do not move by 10 %.
    let wpss: Vec<i64> = workers.iter().map(|&p| pss(p)).collect();
    let mpss = pss(s.pid);
    let max = *wpss.iter().max().unwrap();
    let avg = wpss.iter().sum::<i64>() / 2;
    within_10pct(
        "worker_pss_max",
        int(&f, "gunicorn.live.worker_pss_max"),
        max,
    );
    within_10pct(
        "worker_pss_avg",
        int(&f, "gunicorn.live.worker_pss_avg"),
        avg,
    );
    within_10pct("master_pss", int(&f, "gunicorn.live.master_pss"), mpss);
    within_10pct(
        "total_pss",
        int(&f, "gunicorn.live.total_pss"),
        mpss + wpss.iter().sum::<i64>(),
    );
    // The app holds 8 MiB of private ballast per worker: PSS must see it.
    assert!(max > 8 << 20, "worker PSS {max} below the app's 8 MiB");
    assert!(int(&f, "gunicorn.live.worker_rss_max") >= int(&f, "gunicorn.live.worker_pss_max"));
    let src = source(&f, "gunicorn.live.total_pss");
    assert!(src.contains("2 workers × avg"), "{src}");

    assert_eq!(string(&f, "gunicorn.live.heartbeat_dir"), "/dev/shm");
    assert_eq!(string(&f, "gunicorn.live.heartbeat_fstype"), "tmpfs");
    assert_eq!(fstype_of(Path::new("/dev/shm")), "tmpfs");
    assert_eq!(string(&f, "gunicorn.live.version"), "27.0.1");
    let v = source(&f, "gunicorn.live.version");
    assert!(v.contains("venv-gunicorn-27.0.1/lib/python"), "{v}");
    let cmd = string(&f, "gunicorn.live.cmdline");
    assert!(
        cmd.contains("--worker-tmp-dir /dev/shm") && cmd.contains("-w 2"),
        "{cmd}"
    );
    assert_eq!(string(&f, "gunicorn.live.env"), "");

    // Without the pid the master is still found, among whatever else runs here.
    let all = facts(&[], &[]);
    let found = source(&all, "gunicorn.live.masters");
    assert!(found.contains(&s.pid.to_string()), "{found}");
}

#[test]
fn default_heartbeat_goes_to_tmp_and_its_fstype_is_the_real_one() {
    let s = Server::gunicorn("27.0.1", &[], 1);
    let f = facts_for(&s);
    assert_eq!(int(&f, "gunicorn.live.workers"), 1);
    assert_eq!(string(&f, "gunicorn.live.heartbeat_dir"), "/tmp");
    let want = fstype_of(Path::new("/tmp"));
    assert!(!want.is_empty(), "findmnt gave no type for /tmp");
    assert_eq!(string(&f, "gunicorn.live.heartbeat_fstype"), want);
    let src = source(&f, "gunicorn.live.heartbeat_dir");
    assert!(
        src.contains("/tmp/wgunicorn-") && src.contains("(deleted)"),
        "{src}"
    );
}

#[test]
fn environment_in_force_and_tmpdir_heartbeat() {
    let tmp = tempfile::tempdir().unwrap();
    let tmpdir = tmp.path().to_string_lossy().into_owned();
    let s = Server::start(
        &[venv("27.0.1").join("bin/gunicorn")],
        &[],
        1,
        &[
            ("GUNICORN_CMD_ARGS", "--timeout 45"),
            ("WEB_CONCURRENCY", "1"),
            ("TMPDIR", &tmpdir),
        ],
    );
    let f = facts_for(&s);
    let env = string(&f, "gunicorn.live.env");
    assert!(
        env.contains("'GUNICORN_CMD_ARGS=--timeout 45'") && env.contains("WEB_CONCURRENCY=1"),
        "{env}"
    );
    assert_eq!(string(&f, "gunicorn.live.heartbeat_dir"), tmpdir);
    assert_eq!(
        string(&f, "gunicorn.live.heartbeat_fstype"),
        fstype_of(tmp.path())
    );
}

#[test]
fn release_21_2_0_is_detected() {
    let s = Server::gunicorn("21.2.0", &[], 1);
    let f = facts_for(&s);
    assert_eq!(string(&f, "gunicorn.live.version"), "21.2.0");
    assert_eq!(int(&f, "gunicorn.live.workers"), 1);
    // 21.x heartbeats with fchmod on the same kind of unlinked file.
    assert_eq!(string(&f, "gunicorn.live.heartbeat_dir"), "/tmp");
}

#[test]
fn python_dash_m_gunicorn_is_found_and_its_release_read() {
    let py = venv("27.0.1").join("bin/python");
    let s = Server::start(&[py, "-m".into(), "gunicorn".into()], &["-w", "1"], 1, &[]);
    let f = facts_for(&s);
    assert_eq!(int(&f, "gunicorn.live.pid"), i64::from(s.pid));
    assert_eq!(int(&f, "gunicorn.live.workers"), 1);
    assert_eq!(string(&f, "gunicorn.live.version"), "27.0.1");
    assert!(string(&f, "gunicorn.live.cmdline").contains("-m gunicorn"));
}

#[test]
fn a_pid_that_is_no_gunicorn_is_unknown_with_the_reason() {
    let f = facts(&[], &[("HEADROOM_GUNICORN_PID", "1")]);
    let why = f["gunicorn.live.workers"]["unknown"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", f["gunicorn.live.workers"]));
    assert!(
        why.contains("HEADROOM_GUNICORN_PID=1") || why.contains("no running Gunicorn"),
        "{why}"
    );
}

#[test]
fn setproctitle_titles_are_recognised_and_the_venv_found_from_maps() {
    let v = gunicorn_support::root().join(".test-env/venv-gunicorn-setproctitle");
    assert!(
        v.join("bin/gunicorn").is_file(),
        "{} is missing: run scripts/setup/gunicorn-live.sh (gunicorn 27.0.1 + setproctitle from PyPI)",
        v.display()
    );
    let s = Server::start(&[v.join("bin/gunicorn")], &["-w", "2"], 2, &[]);
    // The premise: the kernel now shows titles, not the venv's paths.
    let title = std::fs::read_to_string(format!("/proc/{}/cmdline", s.pid)).unwrap();
    assert!(title.starts_with("gunicorn: master"), "{title:?}");
    let f = facts_for(&s);
    assert_eq!(int(&f, "gunicorn.live.workers"), 2);
    assert!(string(&f, "gunicorn.live.cmdline").starts_with("'gunicorn: master [app:app]'"));
    assert_eq!(string(&f, "gunicorn.live.version"), "27.0.1");
    let src = source(&f, "gunicorn.live.version");
    assert!(
        src.contains("venv-gunicorn-setproctitle/lib/python") && src.contains("/maps"),
        "{src}"
    );
}
