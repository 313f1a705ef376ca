//! Canary secrets: a stack seeded with distinctive secrets (compose commands, .env, a database
//! URL, a log line) must not leak into any output of `check`, `facts` or `report`; placeholders
//! are stable; and `--no-redact` shows them (so this test can fail).

use std::path::{Path, PathBuf};
use std::process::Command;

const CANARIES: &[&str] = &[
    "canary-tok-7Hq2",
    "canary-dbpw-Zx91",
    "canary-cli-pw-55",
    "canary-sk-Kq8vB3nW5yH6jD1sG4cA0xR7",
    "canary-url-pw-31",
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stacks/canary")
}

fn headroom(args: &[&str]) -> String {
    // A PostgreSQL URL with a password, to a port where nothing listens.
    let o = Command::new(env!("CARGO_BIN_EXE_headroom"))
        .args(args)
        .args(["--log", "gunicorn.log", "--timeout", "1"])
        .args([
            "--postgres",
            "postgresql://app:canary-url-pw-31@127.0.0.1:9/app",
        ])
        .current_dir(dir())
        .env("NO_COLOR", "1")
        .env_remove("DB_PASSWORD")
        .env_remove("SECRET_KEY")
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn no_output_format_leaks_a_secret() {
    let runs: &[&[&str]] = &[
        &["check"],
        &["check", "--verbose"],
        &["check", "--format", "json"],
        &["check", "--format", "markdown"],
        &["check", "--format", "junit"],
        &["check", "--format", "prometheus"],
        &["facts"],
        &["facts", "--format", "json"],
        &["report"],
        &["report", "--redact-hosts"],
    ];
    for args in runs {
        let out = headroom(args);
        for c in CANARIES {
            assert!(
                !out.contains(c),
                "`headroom {}` printed the secret {c}",
                args.join(" ")
            );
        }
        assert!(!out.contains("panicked"), "{out}");
    }
}

#[test]
fn placeholders_are_stable_and_no_redact_says_so() {
    let out = headroom(&["facts"]);
    // The same token in two services' commands gets the same placeholder.
    let web = out
        .lines()
        .find(|l| l.contains("compose.services.web.command"))
        .unwrap_or_default();
    let worker = out
        .lines()
        .find(|l| l.contains("compose.services.worker.command"))
        .unwrap_or_default();
    let token = |l: &str| {
        l.split("API_TOKEN=")
            .nth(1)
            .or_else(|| l.split("--token ").nth(1))
            .map(|r| r.split(' ').next().unwrap_or("").to_string())
    };
    assert_eq!(token(web), token(worker), "{web}\n{worker}");
    assert!(
        token(web).is_some_and(|t| t.starts_with("[SECRET-")),
        "{web}"
    );

    let plain = headroom(&["facts", "--no-redact"]);
    assert!(
        plain.contains("canary-tok-7Hq2"),
        "--no-redact should show the secrets:\n{plain}"
    );
    let report = headroom(&["report", "--no-redact"]);
    assert!(report.contains("Redaction is OFF"), "{report}");
}

#[test]
fn redact_hosts_hides_hosts_too() {
    let out = headroom(&["report", "--redact-hosts"]);
    assert!(
        !out.contains("@db:5432"),
        "a database host survived --redact-hosts"
    );
}
