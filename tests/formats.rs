//! Every output format of `check` for one fixed set of findings: pinned by snapshots, and the
//! machine formats parsed by real third-party parsers (Python's prometheus_client, junitparser
//! and xmlschema, installed by scripts/setup/python-tools.sh).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn check(format: &str, extra: &[&str]) -> (i32, String) {
    let facts = root().join("tests/fixtures/facts/tiny-256m-oom.json");
    let o = Command::new(env!("CARGO_BIN_EXE_headroom"))
        .args([
            "check",
            "--format",
            format,
            "--facts",
            facts.to_str().unwrap(),
        ])
        // The host areas only, so adding a rule pack does not churn these snapshots.
        .args(["--only", "memory,swap,cpu,disk"])
        .args(extra)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

/// Stable across versions and rule edits: the snapshot pins layout, not the fingerprint.
fn stable(s: &str) -> String {
    let re_version = env!("CARGO_PKG_VERSION");
    let mut out = String::new();
    for line in s.lines() {
        let mut l = line.to_string();
        if let Some(i) = l.find(&format!("{re_version}+")) {
            let end = l[i..].find(['"', ')', ',', ' ']).map_or(l.len(), |e| i + e);
            l.replace_range(i..end, "[RULES_VERSION]");
        }
        let here = root().display().to_string();
        out.push_str(&l.replace(&here, "[ROOT]").replace(re_version, "[VERSION]"));
        out.push('\n');
    }
    out
}

#[test]
fn snapshots_of_every_format() {
    for format in ["human", "json", "markdown", "junit", "prometheus"] {
        let (code, out) = check(format, &[]);
        assert_eq!(code, 1, "{format}: the fixture has failures");
        insta::assert_snapshot!(format!("check_{format}"), stable(&out));
    }
}

fn python_tools() -> PathBuf {
    let py = root().join(".test-env/venv-tools/bin/python");
    assert!(
        py.exists(),
        "missing {}: run scripts/setup/python-tools.sh",
        py.display()
    );
    py
}

fn run_python(script: &str, input: &str) -> String {
    let mut child = Command::new(python_tools())
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "python rejected the output:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn prometheus_output_parses_with_prometheus_client() {
    let (_, out) = check("prometheus", &[]);
    let got = run_python(
        r#"
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(sys.stdin.read())}
st = fams["headroom_rule_status"]
fails = sorted(s.labels["id"] for s in st.samples if s.labels["status"] == "fail" and s.value == 1)
print("fail:" + ",".join(fails))
print("eff:%d" % fams["headroom_memory_effective_bytes"].samples[0].value)
print("types:" + ",".join(sorted({f.type for f in fams.values()})))
"#,
        &out,
    );
    assert!(got.contains("fail:MEM001,MEM002,MEM005"), "{got}");
    assert!(got.contains("eff:268435456"), "{got}");
    assert!(got.contains("types:gauge"), "{got}");
}

#[test]
fn junit_output_validates_and_parses() {
    for strict in [false, true] {
        let (_, out) = check("junit", if strict { &["--strict"] } else { &[] });
        let xsd = root().join("tests/fixtures/schemas/junit.xsd");
        let got = run_python(
            &format!(
                r#"
import sys, xmlschema
from junitparser import JUnitXml, Failure, Skipped
text = sys.stdin.read()
xmlschema.XMLSchema(r"{}").validate(text)
xml = JUnitXml.fromstring(text)
failed = sorted(c.name.split()[0] for s in xml for c in s if any(isinstance(r, Failure) for r in c.result))
print("cases:%d" % sum(1 for s in xml for c in s))
print("failed:" + ",".join(failed))
"#,
                xsd.display()
            ),
            &out,
        );
        assert!(got.contains("cases:14"), "{got}");
        if strict {
            // Warnings fail under --strict, as the exit status does.
            assert!(
                got.contains("failed:MEM001,MEM002,MEM003,MEM004,MEM005,SWP001"),
                "{got}"
            );
        } else {
            assert!(got.contains("failed:MEM001,MEM002,MEM005\n"), "{got}");
        }
    }
}
