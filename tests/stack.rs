//! The stack as Compose will run it: in a project folder with compose.yaml and .env, `headroom
//! check` with no flags finds the Gunicorn and PostgreSQL services and judges them.

use std::path::Path;
use std::process::Command;

fn run(dir: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let cwd = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/stacks")
        .join(dir);
    let o = Command::new(env!("CARGO_BIN_EXE_headroom"))
        .args(args)
        .args(["--format", "json"])
        .current_dir(cwd)
        .env_remove("DB_PASSWORD")
        .env_remove("WEB_CONCURRENCY")
        .env_remove("GUNICORN_CMD_ARGS")
        .output()
        .unwrap();
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    (o.status.code().unwrap_or(-1), v)
}

fn fact<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    &v["facts"][name]
}

#[test]
fn gunicorn_comes_from_the_compose_service_with_its_environment() {
    let (_, v) = run("simplelogin", &["facts"]);
    // -w 2 on the command line beats the service's WEB_CONCURRENCY=4, as in Gunicorn.
    assert_eq!(fact(&v, "gunicorn.workers")["value"], 2);
    let src = fact(&v, "gunicorn.workers")["source"].as_str().unwrap();
    assert!(
        src.contains("-w 2") && src.contains("compose service sl-app"),
        "{src}"
    );
    assert_eq!(fact(&v, "gunicorn.timeout")["value"], 15.0);
    assert_eq!(fact(&v, "stack.gunicorn_service")["value"], "sl-app");
}

#[test]
fn postgres_comes_from_the_image_tag_and_its_command_flags() {
    let (_, v) = run("simplelogin", &["facts"]);
    assert_eq!(fact(&v, "postgres.version")["value"], 16);
    assert_eq!(fact(&v, "postgres.shared_buffers")["value"], 268_435_456);
    assert_eq!(fact(&v, "postgres.max_connections")["value"], 100);
    assert_eq!(fact(&v, "stack.postgres_shm")["value"], 67_108_864);
    assert!(
        fact(&v, "postgres.worst_case_bytes")["value"]
            .as_i64()
            .unwrap_or(0)
            > 268_435_456
    );
}

#[test]
fn the_stack_rules_judge_the_containers() {
    let (_, v) = run("simplelogin", &["check", "--only", "compose"]);
    let status = |id: &str| {
        v["findings"]
            .as_array()
            .and_then(|a| a.iter().find(|f| f["id"] == id))
            .map(|f| f["status"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    };
    assert_eq!(status("STK002"), "warn", "64 MiB default /dev/shm");
    assert_eq!(
        status("STK003"),
        "warn",
        "10 s stop grace < 30 s graceful_timeout"
    );
    assert_eq!(
        status("STK004"),
        "warn",
        "heartbeat on the container's /tmp"
    );
    assert_eq!(
        status("STK001"),
        "pass",
        "postgres 16 with /var/lib/postgresql/data is right"
    );
    // The .env's password is read for interpolation and never printed.
    assert!(!v.to_string().contains("canary-Pa55w0rd"), "secret leaked");
}

/// A human check without `-v` keeps only the facts it prints: the budget's terms must survive
/// that, sources and all.
#[test]
fn the_human_check_shows_the_budget_with_its_sources() {
    let o = Command::new(env!("CARGO_BIN_EXE_headroom"))
        .arg("check")
        .current_dir(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stacks/simplelogin"),
        )
        .env("NO_COLOR", "1")
        .env_remove("DB_PASSWORD")
        .env_remove("WEB_CONCURRENCY")
        .env_remove("GUNICORN_CMD_ARGS")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("memory budget ("), "{out}");
    assert!(
        out.contains("Gunicorn workers    300 MiB  2 × 150 MiB"),
        "{out}"
    );
}
