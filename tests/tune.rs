//! `headroom tune`: its advice passes `headroom check` at every memory size, and what it prints
//! is accepted by the real tools: Gunicorn's `--check-config` (flags and env) and
//! `docker-compose config` (the override).

use std::path::{Path, PathBuf};
use std::process::Command;

const MIB: i64 = 1 << 20;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn headroom(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_headroom"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("DB_PASSWORD")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A machine with `mem` usable, no swap, one CPU: the seeds' VPS.
fn machine(dir: &Path, mem: i64) -> PathBuf {
    let base =
        std::fs::read_to_string(root().join("tests/fixtures/facts/container-512m-noswap.json"))
            .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&base).unwrap();
    let f = &mut v["facts"];
    f["memory.effective_total"]["value"] = mem.into();
    f["memory.effective_available"]["value"] = (mem * 8 / 10).into();
    f["cpu.effective"]["value"] = 1.0.into();
    f["cpu.online"]["value"] = 1.into();
    f["machine.container"] = serde_json::json!({"value": false, "source": "test"});
    let p = dir.join(format!("machine-{}.json", mem / MIB));
    std::fs::write(&p, v.to_string()).unwrap();
    p
}

#[test]
fn tuned_settings_pass_check_at_every_memory_size() {
    let dir = tempfile::tempdir().unwrap();
    for mem in [512 * MIB, 768 * MIB, 1024 * MIB, 2048 * MIB, 4096 * MIB] {
        let m = machine(dir.path(), mem);
        let (code, out, err) = headroom(
            &["tune", "--format", "json", "--facts", m.to_str().unwrap()],
            dir.path(),
        );
        assert_eq!(code, 0, "tune at {} MiB: {err}{out}", mem / MIB);
        let tuned = dir.path().join(format!("tuned-{}.json", mem / MIB));
        std::fs::write(&tuned, &out).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let workers = v["facts"]["gunicorn.workers"]["value"].as_i64().unwrap();
        assert!(workers >= 1, "{out}");
        if mem < 768 * MIB {
            assert_eq!(workers, 1, "the seeds' tier 2 runs one worker");
        }
        // The stack's own rules find no failure in the tuned facts.
        let (_, out, err) = headroom(
            &[
                "check",
                "--format",
                "json",
                "--only",
                "gunicorn,postgres,budget",
                "--facts",
                tuned.to_str().unwrap(),
            ],
            dir.path(),
        );
        let r: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
        let fails: Vec<String> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == "fail")
            .map(|f| format!("{} {}", f["id"], f["message"]))
            .collect();
        assert!(
            fails.is_empty(),
            "at {} MiB tune's own advice fails check: {fails:#?}",
            mem / MIB
        );
        assert_eq!(
            r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["id"] == "BUD001")
                .map(|f| f["status"].clone()),
            Some("pass".into()),
            "{out}"
        );
    }
}

fn gunicorn_venv() -> PathBuf {
    let v = root().join(".test-env/venv-gunicorn-27.0.1/bin/gunicorn");
    assert!(
        v.exists(),
        "missing {}: run scripts/setup/gunicorn.sh",
        v.display()
    );
    v
}

fn app_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("app.py"),
        "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n",
    )
    .unwrap();
    d
}

#[test]
fn flags_and_env_are_accepted_by_real_gunicorn() {
    let gunicorn = gunicorn_venv();
    let dir = app_dir();
    let m = machine(dir.path(), 768 * MIB);
    let (_, flags, _) = headroom(
        &["tune", "--format", "flags", "--facts", m.to_str().unwrap()],
        dir.path(),
    );
    let mut cmd = Command::new(&gunicorn);
    cmd.arg("--check-config")
        .args(flags.split_whitespace())
        .arg("app:app")
        .current_dir(dir.path())
        .env_clear();
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "gunicorn rejected `{flags}`: {}",
        String::from_utf8_lossy(&o.stderr)
    );

    let (_, json, _) = headroom(
        &["tune", "--format", "json", "--facts", m.to_str().unwrap()],
        dir.path(),
    );
    let tuned: serde_json::Value = serde_json::from_str(&json).unwrap();
    let want_workers = tuned["facts"]["gunicorn.workers"]["value"].to_string();
    let (_, env, _) = headroom(
        &["tune", "--format", "env", "--facts", m.to_str().unwrap()],
        dir.path(),
    );
    let mut vars = Vec::new();
    for line in env
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
    {
        let (k, v) = line.split_once('=').unwrap();
        vars.push((k.to_string(), v.trim_matches('"').to_string()));
    }
    let o = Command::new(&gunicorn)
        .args(["--print-config", "app:app"])
        .current_dir(dir.path())
        .env_clear()
        .envs(vars.iter().cloned())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "gunicorn rejected the env file:\n{env}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let printed = String::from_utf8_lossy(&o.stdout);
    let get = |k: &str| {
        printed
            .lines()
            .find(|l| l.split_once(" = ").is_some_and(|(n, _)| n.trim() == k))
            .and_then(|l| l.split_once(" = ").map(|(_, v)| v.trim().to_string()))
            .unwrap_or_default()
    };
    assert_eq!(get("worker_tmp_dir"), "/dev/shm", "{printed}");
    // What Gunicorn resolves from the env file is what tune said (and judged).
    assert_eq!(get("workers"), want_workers, "{printed}");
    let want_timeout = tuned["facts"]["gunicorn.timeout"]["value"]
        .as_f64()
        .unwrap_or(0.0);
    assert_eq!(get("timeout"), format!("{want_timeout:.0}"), "{printed}");
    // 768 MiB: the seed's validated tier-3 configuration, 90 s (GUN002 judges by the same table).
    assert_eq!(get("timeout"), "90", "{printed}");
}

#[test]
fn compose_override_is_valid_compose() {
    let dir = tempfile::tempdir().unwrap();
    let src = root().join("tests/fixtures/stacks/simplelogin");
    for f in ["compose.yaml", ".env"] {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    let (code, out, err) = headroom(
        &["tune", "--format", "compose", "-o", "compose.override.yaml"],
        dir.path(),
    );
    assert!(code == 0 || code == 1, "{err}{out}");
    let over = std::fs::read_to_string(dir.path().join("compose.override.yaml")).unwrap();
    assert!(
        over.contains("sl-app:") && over.contains("sl-db:"),
        "{over}"
    );
    let o = Command::new("docker-compose")
        .args([
            "-f",
            "compose.yaml",
            "-f",
            "compose.override.yaml",
            "config",
        ])
        .current_dir(dir.path())
        .output()
        .expect("docker-compose (scripts/setup/compose.sh installs it)");
    let cfg = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "docker-compose rejected the override:\n{over}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        cfg.contains("--worker-tmp-dir") && cfg.contains("shm_size"),
        "{cfg}"
    );
    // The app's own arguments survive, the tuned flags replace -w/--timeout.
    assert!(
        cfg.contains("wsgi:app") && cfg.contains("0.0.0.0:7777"),
        "{cfg}"
    );
    assert!(
        !cfg.contains("- '15'") && !cfg.contains("- \"15\""),
        "the old --timeout 15 is still there:\n{cfg}"
    );
    // -o never overwrites without --force.
    let (code, _, err) = headroom(
        &["tune", "--format", "compose", "-o", "compose.override.yaml"],
        dir.path(),
    );
    assert_eq!(code, 2);
    assert!(err.contains("pass --force"), "{err}");
    let (code, _, _) = headroom(
        &[
            "tune",
            "--format",
            "compose",
            "-o",
            "compose.override.yaml",
            "--force",
        ],
        dir.path(),
    );
    assert!(code == 0 || code == 1);
}
