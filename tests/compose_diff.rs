//! Differential test: headroom's reading of each fixture project against docker-compose's own.
//!
//! For every case in `tests/fixtures/compose/` whose `case.json` says `"v1": true`, this runs the
//! machine's `docker-compose config` (Compose v1, 1.29.x — Debian 12 has no Compose v2 package) in
//! the case directory with a controlled environment, normalises its output with Compose's own
//! Python code (`tests/compose_v1_oracle.py`: docker-py `parse_bytes`, compose
//! `parse_nanoseconds_int`, `shlex.split`) and compares, service by service, the values headroom
//! reads: image, command, entrypoint, environment, mem_limit, memswap_limit, mem_reservation,
//! shm_size, stop_grace_period, restart. Zero mismatches are allowed.
//!
//! Where v1 and the compose-spec genuinely differ the case is not compared and its `v1` field
//! says why (include, env_file long form, deploy.resources without --compatibility, the
//! compose.override.yaml name, top-level name:); headroom follows the spec there.

use headroom::compose;
use headroom::probe::{Ctx, Host, Inputs};
use serde_json::{Value as J, json};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ctx_for(dir: &Path, case: &J) -> Ctx {
    let mut host = Host::fixture(dir);
    if let Some(env) = case["env"].as_object() {
        for (k, v) in env {
            host.env
                .insert(k.clone(), v.as_str().unwrap_or_default().to_string());
        }
    }
    if let Some(cwd) = case["cwd"].as_str() {
        host.cwd = dir.join(cwd);
    }
    let strings = |k: &str| -> Vec<String> {
        case[k]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ctx {
        host,
        inputs: Inputs {
            compose_files: strings("files").into_iter().map(PathBuf::from).collect(),
            env_files: strings("env_files")
                .into_iter()
                .map(PathBuf::from)
                .collect(),
            profiles: strings("profiles"),
            ..Inputs::default()
        },
    }
}

/// Runs `docker-compose config` as a user would in the case directory, through the oracle.
fn v1_config(ctx: &Ctx) -> Result<J, String> {
    let mut cmd = Command::new("docker-compose");
    cmd.current_dir(&ctx.host.cwd).env_clear();
    cmd.env("PATH", "/usr/local/bin:/usr/bin:/bin");
    for (k, v) in &ctx.host.env {
        cmd.env(k, v);
    }
    for p in &ctx.inputs.profiles {
        cmd.args(["--profile", p]);
    }
    for f in &ctx.inputs.env_files {
        cmd.arg("--env-file").arg(f);
    }
    for f in &ctx.inputs.compose_files {
        cmd.arg("-f").arg(f);
    }
    cmd.arg("config");
    let out = cmd.output().map_err(|e| {
        format!(
            "cannot run docker-compose ({e}); install it with scripts/setup/compose.sh (apt-get install -y docker-compose)"
        )
    })?;
    if !out.status.success() {
        return Err(format!(
            "docker-compose config failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut oracle = Command::new("/usr/bin/python3")
        .arg(root().join("tests/compose_v1_oracle.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run /usr/bin/python3 for the oracle: {e}"))?;
    {
        use std::io::Write;
        let mut stdin = oracle.stdin.take().ok_or("no stdin")?;
        stdin
            .write_all(&out.stdout)
            .map_err(|e| format!("oracle stdin: {e}"))?;
    }
    let res = oracle
        .wait_with_output()
        .map_err(|e| format!("oracle: {e}"))?;
    if !res.status.success() {
        return Err(format!(
            "oracle failed: {}",
            String::from_utf8_lossy(&res.stderr)
        ));
    }
    serde_json::from_slice(&res.stdout).map_err(|e| format!("oracle output: {e}"))
}

/// headroom's reading of one service in the oracle's shape.
fn ours(s: &compose::Service) -> J {
    json!({
        "image": s.image.as_ref().map(|v| v.value.clone()),
        "command": s.command.as_ref().map(|v| v.value.clone()),
        "entrypoint": s.entrypoint.as_ref().map(|v| v.value.clone()),
        "environment": s.environment,
        "mem_limit": s.mem_limit.as_ref().map(|v| v.value),
        "memswap_limit": s.memswap_limit.as_ref().map(|v| v.value),
        "mem_reservation": s.mem_reservation.as_ref().map(|v| v.value),
        "shm_size": s.shm_size.as_ref().map(|v| v.value),
        "stop_grace_period": s.stop_grace_period.as_ref().map(|v| v.value),
        "restart": s.restart.as_ref().map(|v| v.value.clone()),
    })
}

fn equal(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() < 1e-9,
            _ => false,
        },
        _ => a == b,
    }
}

#[test]
fn headroom_reads_fixture_projects_as_docker_compose_does() {
    let dir = root().join("tests/fixtures/compose");
    let mut compared = 0;
    let mut values = 0;
    let mut mismatches = Vec::new();
    let mut documented = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for case_dir in entries {
        let Ok(text) = std::fs::read_to_string(case_dir.join("case.json")) else {
            continue;
        };
        let case: J = serde_json::from_str(&text).expect("case.json");
        if case["v1"] != J::Bool(true) {
            continue;
        }
        let name = case_dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let ctx = ctx_for(&case_dir, &case);
        let theirs = v1_config(&ctx).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (_, loaded) = compose::read(&ctx).unwrap_or_else(|e| panic!("{name}: headroom: {e:?}"));
        let theirs = theirs.as_object().cloned().unwrap_or_default();
        let differs = case["v1_differs"].as_object().cloned().unwrap_or_default();
        // A difference documented in case.json must still be exactly what docker-compose does,
        // so the documentation cannot go stale; anything else is a mismatch.
        let mut judge = |key: String, ours: &J, theirs: &J| {
            values += 1;
            if equal(ours, theirs) {
                return;
            }
            match differs.get(&key) {
                Some(d) if equal(&d["v1"], theirs) => documented += 1,
                Some(d) => mismatches.push(format!(
                    "{name}: {key}: docker-compose gives {theirs}, case.json documents {}",
                    d["v1"]
                )),
                None => mismatches.push(format!(
                    "{name}: {key}: headroom {ours} vs docker-compose {theirs}"
                )),
            }
        };
        let our_names = json!(loaded.project.services.keys().collect::<Vec<_>>());
        let their_names = json!(theirs.keys().collect::<Vec<_>>());
        judge("services".to_string(), &our_names, &their_names);
        for (svc, t) in &theirs {
            let Some(s) = loaded.project.services.get(svc) else {
                continue;
            };
            let o = ours(s);
            for (field, tv) in t.as_object().into_iter().flatten() {
                if field == "environment" {
                    let empty = serde_json::Map::new();
                    let oe = o[field].as_object().unwrap_or(&empty);
                    let te = tv.as_object().unwrap_or(&empty);
                    let keys: std::collections::BTreeSet<&String> =
                        oe.keys().chain(te.keys()).collect();
                    for k in keys {
                        judge(
                            format!("{svc}.environment.{k}"),
                            oe.get(k).unwrap_or(&J::Null),
                            te.get(k).unwrap_or(&J::Null),
                        );
                    }
                } else {
                    judge(format!("{svc}.{field}"), &o[field], tv);
                }
            }
        }
        compared += 1;
    }
    eprintln!(
        "compared {compared} projects with docker-compose: {values} values, {documented} documented v1/spec differences, {} mismatches",
        mismatches.len()
    );
    assert!(
        compared >= 10,
        "only {compared} cases compared with docker-compose"
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

mod common;

/// CPUs as Docker's NanoCpus.
#[allow(clippy::cast_possible_truncation)]
fn nano(cpus: f64) -> i64 {
    (cpus * 1e9).round() as i64
}

/// The end of the chain: docker-compose creates the containers and the Engine applies the limits.
/// What `docker inspect` shows (HostConfig.Memory, MemorySwap, MemoryReservation, ShmSize,
/// NanoCpus, Config.StopTimeout) must be what headroom read from the same files.
#[test]
fn the_engine_applies_the_values_headroom_reads() {
    let img = common::image();
    let tmp = tempfile::tempdir().expect("temp dir");
    let project = format!("hrcompose{}", std::process::id());
    let yaml = format!(
        r#"services:
  a:
    image: {img}
    command: ["/memhog", "1", "sleep"]
    mem_limit: 1.5g
    memswap_limit: 2g
    mem_reservation: 100m
    shm_size: "128 mb"
    stop_grace_period: 1m30s
    cpus: 0.5
  b:
    image: {img}
    command: /memhog 1 sleep
    mem_limit: 536870912
    shm_size: 64m
    stop_grace_period: 45s
    cpus: "1.25"
  c:
    image: {img}
    command: ["/memhog", "1", "sleep"]
    mem_limit: ${{MEM:-300m}}
    memswap_limit: ${{SWAP}}
    shm_size: 1024k
    stop_grace_period: 2m
"#
    );
    std::fs::write(tmp.path().join("compose.yaml"), yaml).expect("write");
    std::fs::write(tmp.path().join(".env"), "SWAP=600m\n").expect("write");
    let compose = |args: &[&str]| {
        common::run(
            Command::new("docker-compose")
                .current_dir(tmp.path())
                .env_clear()
                .env("PATH", "/usr/local/bin:/usr/bin:/bin")
                .args(["-p", &project])
                .args(args),
        )
    };
    struct Down<'a>(&'a dyn Fn(&[&str]) -> String);
    impl Drop for Down<'_> {
        fn drop(&mut self) {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (self.0)(&["down"])));
        }
    }
    compose(&["up", "--no-start"]);
    let _down = Down(&compose);

    let ctx = Ctx {
        host: Host::fixture(tmp.path()),
        inputs: Inputs::default(),
    };
    let (_, loaded) = compose::read(&ctx).unwrap_or_else(|e| panic!("headroom: {e:?}"));
    let mut mismatches = Vec::new();
    let mut values = 0;
    for (name, s) in &loaded.project.services {
        let id = common::docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=com.docker.compose.project={project}"),
            "--filter",
            &format!("label=com.docker.compose.service={name}"),
        ]);
        let got = common::docker(&[
            "inspect",
            "-f",
            "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.MemoryReservation}} {{.HostConfig.ShmSize}} {{.HostConfig.NanoCpus}} {{.Config.StopTimeout}}",
            &id,
        ]);
        let ours = format!(
            "{} {} {} {} {} {}",
            s.mem_limit.as_ref().map_or(0, |v| v.value),
            s.effective_memswap().map_or(0, |v| v.value),
            s.mem_reservation.as_ref().map_or(0, |v| v.value),
            s.shm_size
                .as_ref()
                .map_or(compose::DEFAULT_SHM_SIZE, |v| v.value),
            s.cpus.as_ref().map_or(0, |v| nano(v.value)),
            s.stop_grace_period.as_ref().map_or(10.0, |v| v.value),
        );
        values += 6;
        if got != ours {
            mismatches.push(format!(
                "{name}: docker inspect {got:?} vs headroom {ours:?}"
            ));
        }
    }
    eprintln!(
        "{} containers created by docker-compose, {values} values compared with docker inspect, {} mismatches",
        loaded.project.services.len(),
        mismatches.len()
    );
    assert_eq!(loaded.project.services.len(), 3);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
