//! The command line as a user meets it: exit codes, error messages for bad rule files, replaying
//! facts, --only / --ignore / --strict, the JSON contract, pipes. Runs the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn headroom(args: &[&str]) -> Out {
    let o = Command::new(env!("CARGO_BIN_EXE_headroom"))
        .args(args)
        .current_dir(fixtures())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run headroom");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn facts(name: &str) -> String {
    fixtures().join("facts").join(name).display().to_string()
}

fn rulefiles(name: &str) -> String {
    fixtures()
        .join("rulefiles")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn failure_exits_1_and_names_the_source_of_the_memory_figure() {
    let o = headroom(&["check", "--facts", &facts("tiny-256m-oom.json")]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("FAIL MEM001"), "{}", o.stdout);
    assert!(
        o.stdout
            .contains("256 MiB usable (cgroup v1 memory.limit_in_bytes"),
        "{}",
        o.stdout
    );
    // Remediation is shown under failures.
    assert!(o.stdout.contains("headroom tune"), "{}", o.stdout);
    assert!(o.stderr.is_empty(), "{}", o.stderr);
}

#[test]
fn warnings_exit_0_unless_strict() {
    let o = headroom(&["check", "--facts", &facts("container-512m-noswap.json")]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert!(o.stdout.contains("WARN MEM001"), "{}", o.stdout);
    let o = headroom(&[
        "check",
        "--strict",
        "--facts",
        &facts("container-512m-noswap.json"),
    ]);
    assert_eq!(o.code, 1, "{}", o.stdout);
}

#[test]
fn unknown_facts_skip_with_the_reason_never_pass() {
    let o = headroom(&[
        "check",
        "--only",
        "MEM006",
        "--facts",
        &facts("no-psi.json"),
    ]);
    assert_eq!(o.code, 0);
    assert!(
        o.stdout.contains("SKIP MEM006 pressure.memory_full_avg60 is unknown: cannot read /proc/pressure/memory: no such file"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("0 pass, 1 skip"), "{}", o.stdout);
}

#[test]
fn only_and_ignore_select_rules_and_areas() {
    let o = headroom(&[
        "check",
        "--only",
        "mem001",
        "--facts",
        &facts("tiny-256m-oom.json"),
    ]);
    assert_eq!(o.stdout.matches(" MEM").count(), 1, "{}", o.stdout);
    assert_eq!(o.code, 1);
    let o = headroom(&[
        "check",
        "--only",
        "swap",
        "--facts",
        &facts("tiny-256m-oom.json"),
    ]);
    assert!(
        o.stdout.contains("SWP001") && !o.stdout.contains("MEM001"),
        "{}",
        o.stdout
    );
    // An ignored failure is still shown, marked, and does not fail the run.
    let o = headroom(&[
        "check",
        "--only",
        "MEM001,MEM005",
        "--ignore",
        "MEM001,MEM005",
        "--facts",
        &facts("tiny-256m-oom.json"),
    ]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert!(o.stdout.contains("MEM001 256 MiB usable"), "{}", o.stdout);
    assert!(o.stdout.contains("(ignored)"), "{}", o.stdout);
    assert!(o.stdout.contains("2 ignored"), "{}", o.stdout);
}

#[test]
fn an_unknown_only_id_is_an_error() {
    let o = headroom(&[
        "check",
        "--only",
        "MEM999",
        "--facts",
        &facts("roomy-4g.json"),
    ]);
    assert_eq!(o.code, 2);
    assert!(o.stdout.is_empty());
    assert!(
        o.stderr.contains("`MEM999` names no rule and no area"),
        "{}",
        o.stderr
    );
}

#[test]
fn a_facts_file_from_a_newer_schema_is_refused() {
    let o = headroom(&["check", "--facts", &facts("newer-schema.json")]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("facts schema 99 is newer than this headroom reads"),
        "{}",
        o.stderr
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn a_missing_facts_file_is_a_clear_error() {
    let o = headroom(&["check", "--facts", "/nonexistent/facts.json"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("/nonexistent/facts.json") && o.stderr.contains("no such file"),
        "{}",
        o.stderr
    );
}

#[test]
fn json_follows_the_documented_contract() {
    let o = headroom(&[
        "check",
        "--format",
        "json",
        "--facts",
        &facts("tiny-256m-oom.json"),
    ]);
    assert_eq!(o.code, 1);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).expect("valid JSON");
    assert_eq!(v["schema"], 1);
    assert_eq!(v["headroom"], env!("CARGO_PKG_VERSION"));
    assert!(
        v["rules_version"]
            .as_str()
            .is_some_and(|s| s.starts_with(env!("CARGO_PKG_VERSION")))
    );
    for k in ["pass", "warn", "fail", "skip", "info"] {
        assert!(v["summary"][k].is_u64(), "summary.{k}");
    }
    let f = v["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["id"] == "MEM001"))
        .expect("MEM001 finding");
    assert_eq!(f["status"], "fail");
    assert_eq!(f["name"], "effective-memory-too-small");
    assert_eq!(f["area"], "memory");
    assert_eq!(f["facts"]["memory.effective_total"], 268_435_456);
    assert!(f["remediation"].as_str().is_some_and(|r| !r.is_empty()));
    assert_eq!(v["facts"]["memory.effective_total"]["value"], 268_435_456);
    assert_eq!(v["facts"]["memory.effective_total"]["unit"], "bytes");
}

#[test]
fn replaying_a_facts_snapshot_gives_the_same_findings() {
    let first = headroom(&[
        "check",
        "--format",
        "json",
        "--facts",
        &facts("container-512m-noswap.json"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let v: serde_json::Value = serde_json::from_str(&first.stdout).unwrap();
    let snap = serde_json::json!({"schema": 1, "headroom": "0.1.0", "facts": v["facts"]});
    let path = dir.path().join("again.json");
    std::fs::write(&path, snap.to_string()).unwrap();
    let second = headroom(&[
        "check",
        "--format",
        "json",
        "--facts",
        path.to_str().unwrap(),
    ]);
    let w: serde_json::Value = serde_json::from_str(&second.stdout).unwrap();
    assert_eq!(v["findings"], w["findings"]);
    assert_eq!(first.code, second.code);
}

fn assert_rule_error(o: &Out, needles: &[&str]) {
    assert_eq!(o.code, 2, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    assert!(
        o.stdout.is_empty(),
        "nothing on stdout on a bad rule file: {}",
        o.stdout
    );
    for n in needles {
        assert!(o.stderr.contains(n), "stderr lacks {n:?}:\n{}", o.stderr);
    }
}

#[test]
fn a_yaml_syntax_error_is_reported_with_file_line_col() {
    let dir = rulefiles("syntax");
    let o = headroom(&["check", "--rules", &dir, "--facts", &facts("roomy-4g.json")]);
    assert_rule_error(&o, &["error[rule-file]: invalid rule file", "broken.yaml:"]);
    // The location has a line and a column.
    let loc = o
        .stderr
        .lines()
        .find(|l| l.contains("-->"))
        .unwrap_or_default();
    assert_eq!(loc.matches(':').count(), 2, "{loc}");
}

#[test]
fn every_unknown_fact_is_reported_at_once_with_a_suggestion() {
    let dir = rulefiles("unknown-fact");
    let o = headroom(&["rules", "lint", &dir]);
    assert_rule_error(
        &o,
        &[
            "unknown fact `memory.effective_totl`",
            "rules.yaml:7:16",
            "did you mean `memory.effective_total`?",
            "unknown fact `swap.totl`",
            "rules.yaml:19:16",
            "2 problems found",
        ],
    );
    // The caret sits under the misspelt name.
    assert!(o.stderr.contains("       when: \"memory.effective_totl < 512 * MiB\"\n  |                ^^^^^^^^^^^^^^^^^^^^^"), "{}", o.stderr);
}

#[test]
fn a_type_mismatch_is_an_error_not_a_silent_false() {
    let o = headroom(&["rules", "lint", &rulefiles("type-mismatch")]);
    assert_rule_error(
        &o,
        &[
            "type mismatch in `memory.effective_total < \"512M\"`",
            "int and string",
            "rules.yaml:7:16",
        ],
    );
}

#[test]
fn a_duplicate_id_names_both_places() {
    let o = headroom(&["rules", "lint", &rulefiles("duplicate-id")]);
    assert_rule_error(
        &o,
        &[
            "duplicate rule id `TST004`",
            "b.yaml:1:7",
            "first defined at",
            "a.yaml:1",
        ],
    );
}

#[test]
fn missing_why_and_remediation_are_reported() {
    let o = headroom(&["rules", "lint", &rulefiles("missing-docs")]);
    assert_rule_error(
        &o,
        &["missing `remediation`", "missing `why`", "2 problems found"],
    );
}

#[test]
fn an_empty_rules_dir_is_an_error() {
    let o = headroom(&[
        "check",
        "--rules",
        &rulefiles("empty"),
        "--facts",
        &facts("roomy-4g.json"),
    ]);
    assert_rule_error(&o, &["no rule files (*.yaml) in this directory"]);
}

#[test]
fn rules_dir_overrides_by_id_and_adds_rules() {
    let o = headroom(&[
        "check",
        "--rules",
        &rulefiles("good"),
        "--facts",
        &facts("roomy-4g.json"),
    ]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout
            .contains("FAIL MEM001 4 GiB is below the 8 GiB site minimum"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("INFO TST006 site rules loaded"),
        "{}",
        o.stdout
    );
}

#[test]
fn rules_list_and_explain() {
    let o = headroom(&["rules", "list"]);
    assert_eq!(o.code, 0);
    assert!(o.stdout.contains("MEM001") && o.stdout.contains("effective-memory-too-small"));
    let o = headroom(&["rules", "explain", "mem001"]);
    assert_eq!(o.code, 0);
    for part in [
        "# MEM001 effective-memory-too-small",
        "## Outcomes",
        "## Remediation",
        "## Why",
        "rules/host.yaml:",
    ] {
        assert!(o.stdout.contains(part), "missing {part}:\n{}", o.stdout);
    }
    let o = headroom(&["rules", "explain", "XYZ123"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("no rule `XYZ123`"));
}

#[test]
fn no_colour_when_not_a_terminal() {
    let o = Command::new(env!("CARGO_BIN_EXE_headroom"))
        .args(["check", "--facts", &facts("tiny-256m-oom.json")])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(!o.stdout.contains(&0x1b), "escape codes in piped output");
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let bin = env!("CARGO_BIN_EXE_headroom");
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{bin}' facts --list | head -n 1 >/dev/null; echo status=${{PIPESTATUS:-ok}}"
        ))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.is_empty(),
        "headroom complained about the closed pipe: {err}"
    );
}

#[test]
fn facts_list_documents_every_fact() {
    let o = headroom(&["facts", "--list"]);
    assert_eq!(o.code, 0);
    for name in ["memory.effective_total", "swap.total", "cpu.effective"] {
        assert!(o.stdout.contains(name), "facts --list lacks {name}");
    }
}

#[test]
fn a_report_replays_to_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let ticket = dir.path().join("ticket.md");
    let src = facts("tiny-256m-oom.json");
    let o = headroom(&["report", "--facts", &src, "-o", ticket.to_str().unwrap()]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let text = std::fs::read_to_string(&ticket).unwrap();
    assert!(text.starts_with("# headroom report"), "{text}");
    let original = headroom(&["check", "--format", "json", "--facts", &src]);
    let replayed = headroom(&[
        "check",
        "--format",
        "json",
        "--facts",
        ticket.to_str().unwrap(),
    ]);
    let a: serde_json::Value = serde_json::from_str(&original.stdout).unwrap();
    let b: serde_json::Value = serde_json::from_str(&replayed.stdout).unwrap();
    assert_eq!(
        a["findings"], b["findings"],
        "the report's facts must judge the same"
    );
    assert_eq!(a["summary"], b["summary"]);
    assert_eq!(original.code, replayed.code);
    // With another rule pack (here: an override and an added rule) the report is judged anew.
    let newer = headroom(&[
        "check",
        "--rules",
        &rulefiles("good"),
        "--facts",
        ticket.to_str().unwrap(),
    ]);
    assert!(newer.stdout.contains("TST006"), "{}", newer.stdout);
}
