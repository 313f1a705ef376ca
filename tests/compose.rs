//! Compose files written for these tests (`tests/fixtures/compose/<case>/`), read through the
//! real discovery and loader, checked against the facts and typed services each `case.json`
//! expects.
//!
//! `case.json`: `env` (the process environment), `files` / `env_files` / `profiles` (as given on
//! the command line), `cwd` (relative to the case), `expect` (fact → value, `{"value", "source"}`
//! with a source substring, or `{"unknown": substring}`), `services` (typed fields of
//! `compose::Project`), `v1` (whether `tests/compose_diff.rs` compares the case with
//! docker-compose, or why not).

use headroom::compose;
use headroom::facts::{Fact, Facts, Value};
use headroom::probe::{Ctx, Host, Inputs};
use serde_json::Value as J;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose")
}

/// Builds the probe context a case describes.
pub fn ctx_for(dir: &Path, case: &J) -> Ctx {
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
    let inputs = Inputs {
        compose_files: strings("files").into_iter().map(PathBuf::from).collect(),
        env_files: strings("env_files")
            .into_iter()
            .map(PathBuf::from)
            .collect(),
        profiles: strings("profiles"),
        ..Inputs::default()
    };
    Ctx { host, inputs }
}

fn cases() -> Vec<(String, PathBuf, J)> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(fixtures()).expect("tests/fixtures/compose exists");
    for e in entries.flatten() {
        let case_file = e.path().join("case.json");
        if !case_file.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&case_file).expect("case.json readable");
        let case: J = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("{}: {err}", case_file.display()));
        out.push((e.file_name().to_string_lossy().into_owned(), e.path(), case));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(
        out.len() >= 10,
        "expected the compose fixture cases, found {}",
        out.len()
    );
    out
}

fn same(got: &Value, want: &J) -> bool {
    match (got, want) {
        (Value::Str(g), J::String(w)) => g == w,
        (Value::Int(g), J::Number(w)) => w.as_i64() == Some(*g),
        (Value::Float(g), J::Number(w)) => w.as_f64().is_some_and(|w| (g - w).abs() < 1e-9),
        (Value::Bool(g), J::Bool(w)) => g == w,
        _ => false,
    }
}

fn check_fact(case: &str, facts: &Facts, name: &str, want: &J, problems: &mut Vec<String>) {
    let got = facts.get(name);
    let (want_value, want_source, want_unknown) = match want {
        J::Object(o) if o.contains_key("unknown") => (None, None, o["unknown"].as_str()),
        J::Object(o) => (o.get("value"), o.get("source").and_then(J::as_str), None),
        other => (Some(other), None, None),
    };
    match (got, want_unknown) {
        (None, _) => problems.push(format!("{case}: {name} not set (want {want})")),
        (Some(Fact::Unknown { unknown }), Some(sub)) => {
            if !unknown.contains(sub) {
                problems.push(format!(
                    "{case}: {name} unknown because {unknown:?}, want it to mention {sub:?}"
                ));
            }
        }
        (Some(Fact::Unknown { unknown }), None) => {
            problems.push(format!("{case}: {name} unknown ({unknown}), want {want}"));
        }
        (Some(Fact::Known { value, source, .. }), Some(sub)) => {
            problems.push(format!(
                "{case}: {name} = {value:?} from {source}, want unknown ({sub})"
            ));
        }
        (Some(Fact::Known { value, source, .. }), None) => {
            // `null` means "known, whatever the text": for messages checked by their source.
            if want_value.is_some_and(J::is_null) && value == &Value::Str(String::new()) {
                problems.push(format!("{case}: {name} is empty, want a value"));
            }
            if let Some(w) = want_value.filter(|w| !w.is_null())
                && !same(value, w)
            {
                problems.push(format!("{case}: {name} = {value:?}, want {w}"));
            }
            if let Some(s) = want_source
                && !source.contains(s)
            {
                problems.push(format!(
                    "{case}: {name} source {source:?} should mention {s:?}"
                ));
            }
        }
    }
}

fn check_service(case: &str, svc: &compose::Service, want: &J, problems: &mut Vec<String>) {
    let name = &svc.name;
    let argv = |v: &J| -> Option<Vec<String>> {
        v.as_array().map(|a| {
            a.iter()
                .map(|s| s.as_str().unwrap_or_default().to_string())
                .collect()
        })
    };
    if let Some(w) = want.get("command")
        && svc.command.as_ref().map(|c| c.value.clone()) != argv(w)
    {
        problems.push(format!(
            "{case}: {name}.command = {:?}, want {w}",
            svc.command
        ));
    }
    if let Some(w) = want.get("entrypoint")
        && svc.entrypoint.as_ref().map(|c| c.value.clone()) != argv(w)
    {
        problems.push(format!(
            "{case}: {name}.entrypoint = {:?}, want {w}",
            svc.entrypoint
        ));
    }
    if let Some(w) = want.get("environment").and_then(J::as_object) {
        let want_env: std::collections::BTreeMap<String, String> = w
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        if svc.environment != want_env {
            problems.push(format!(
                "{case}: {name}.environment = {:?}, want {want_env:?}",
                svc.environment
            ));
        }
    }
    if let Some(w) = want.get("volumes")
        && Some(svc.volumes.clone()) != argv(w)
    {
        problems.push(format!(
            "{case}: {name}.volumes = {:?}, want {w}",
            svc.volumes
        ));
    }
    if let Some(w) = want.get("healthcheck") {
        let h = svc.healthcheck.clone().unwrap_or_default();
        let got =
            serde_json::json!({"interval": h.interval, "timeout": h.timeout, "retries": h.retries});
        if &got != w {
            problems.push(format!("{case}: {name}.healthcheck = {got}, want {w}"));
        }
    }
}

#[test]
fn compose_fixture_cases_give_the_expected_facts() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (name, dir, case) in cases() {
        let ctx = ctx_for(&dir, &case);
        let mut facts = Facts::new();
        compose::collect(&ctx, &mut facts);
        for (fact, _) in facts.iter() {
            assert!(
                headroom::facts::lookup(fact).is_some(),
                "{name}: fact {fact} is not in compose::FACTS"
            );
        }
        if let Some(expect) = case["expect"].as_object() {
            for (fact, want) in expect {
                check_fact(&name, &facts, fact, want, &mut problems);
                checked += 1;
            }
        }
        if let Some(services) = case["services"].as_object() {
            match compose::read(&ctx) {
                Ok((_, loaded)) => {
                    for (svc, want) in services {
                        match loaded.project.services.get(svc) {
                            Some(s) => check_service(&name, s, want, &mut problems),
                            None => problems.push(format!("{name}: no active service {svc}")),
                        }
                    }
                }
                Err(e) => problems.push(format!("{name}: cannot load: {e:?}")),
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(checked > 100, "only {checked} fact expectations checked");
}

/// Every fixture file cut short at many points, and with bytes overwritten, must load or fail
/// with a message — never panic, never hang. Cheap stand-in for a fuzzer over realistic input.
#[test]
fn mangled_compose_and_env_files_never_panic() {
    let mut runs = 0;
    for (name, dir, _) in cases() {
        let Ok(text) = std::fs::read(dir.join("compose.yaml")) else {
            continue;
        };
        let env = std::fs::read(dir.join(".env")).unwrap_or_default();
        let step = (text.len() / 20).max(1);
        for cut in (0..text.len()).step_by(step) {
            for variant in 0..3u8 {
                let mut t = text.clone();
                match variant {
                    0 => t.truncate(cut),
                    1 => {
                        let junk = b"${:}\"'\n-&*<\0\xff";
                        t[cut] = junk[cut % junk.len()];
                    }
                    _ => t.insert(cut, b"\t"[0]),
                }
                let tmp = tempfile::tempdir().expect("temp dir");
                std::fs::write(tmp.path().join("compose.yaml"), &t).expect("write");
                let mut e = env.clone();
                if !e.is_empty() {
                    let at = cut % e.len();
                    e[at] = t.get(cut).copied().unwrap_or(b'#');
                }
                std::fs::write(tmp.path().join(".env"), &e).expect("write");
                let ctx = Ctx {
                    host: Host::fixture(tmp.path()),
                    inputs: Inputs::default(),
                };
                let r = std::panic::catch_unwind(|| {
                    let mut facts = Facts::new();
                    compose::collect(&ctx, &mut facts);
                    facts
                });
                let facts = r
                    .unwrap_or_else(|_| panic!("{name}: panic on variant {variant} at byte {cut}"));
                // Either it loaded, or compose.error says why.
                let err = facts.str("compose.error");
                assert!(err.is_some(), "{name}: compose.error not set at byte {cut}");
                runs += 1;
            }
        }
    }
    assert!(runs > 500, "only {runs} mangled inputs tried");
}

#[test]
fn an_oversized_compose_file_is_refused_with_a_reason() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut big = b"services:\n  web:\n    image: app\n".to_vec();
    big.resize(5 * 1024 * 1024, b'#');
    std::fs::write(tmp.path().join("compose.yaml"), &big).expect("write");
    let ctx = Ctx {
        host: Host::fixture(tmp.path()),
        inputs: Inputs::default(),
    };
    let mut facts = Facts::new();
    compose::collect(&ctx, &mut facts);
    let err = facts.str("compose.error").unwrap_or_default();
    assert!(err.contains("larger than 4 MiB"), "{err}");
}
