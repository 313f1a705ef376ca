//! Proof that headroom only looks: a whole `check` (Compose project, Gunicorn command,
//! postgresql.conf, a log) runs under `strace -f` and makes no call that could change a file —
//! no open for writing, creating or truncating, no unlink, rename, mkdir, rmdir or truncate.
//! `report -o FILE` is the one command that writes, and it writes exactly FILE, never over an
//! existing one without `--force`.
//!
//! Needs strace (`scripts/setup/hardening.sh` or `scripts/setup/base.sh`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_headroom");
const TRACE: &str =
    "trace=%file,unlink,unlinkat,rename,renameat,renameat2,mkdir,mkdirat,rmdir,truncate,ftruncate";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Runs headroom under strace; returns its output and the trace lines.
fn traced(args: &[&str], cwd: &Path, trace: &Path) -> (Output, Vec<String>) {
    let out = Command::new("strace")
        .args(["-f", "-qq", "-e", TRACE, "-o"])
        .arg(trace)
        .arg(BIN)
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run strace ({e}): install it with scripts/setup/hardening.sh")
        });
    let text = std::fs::read_to_string(trace).expect("strace output");
    (out, text.lines().map(String::from).collect())
}

/// Every traced call that could change the filesystem, except opens of the named paths.
fn writes(lines: &[String], allowed: &[&str]) -> Vec<String> {
    const CHANGING: &[&str] = &[
        "unlink(",
        "unlinkat(",
        "rename(",
        "renameat(",
        "renameat2(",
        "mkdir(",
        "mkdirat(",
        "rmdir(",
        "truncate(",
        "ftruncate(",
    ];
    const FLAGS: &[&str] = &["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC"];
    lines
        .iter()
        .filter(|l| {
            // `PID syscall(args) = result`: the call name follows the pid.
            let call = l
                .split_once(' ')
                .map_or(l.as_str(), |(_, c)| c.trim_start());
            let is_open = call.starts_with("open(")
                || call.starts_with("openat(")
                || call.starts_with("openat2(")
                || call.starts_with("creat(");
            let writes_open = is_open && FLAGS.iter().any(|f| call.contains(f));
            let changes =
                CHANGING.iter().any(|c| call.starts_with(c)) || call.starts_with("creat(");
            (writes_open || changes) && !allowed.iter().any(|a| call.contains(&format!("\"{a}\"")))
        })
        .cloned()
        .collect()
}

#[test]
fn check_changes_nothing_on_disk() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let conf = tmp.path().join("postgresql.conf");
    std::fs::write(
        &conf,
        "shared_buffers = 256MB\nwork_mem = 8MB\nmax_connections = 50\n",
    )
    .expect("write conf");
    let log = tmp.path().join("error.log");
    std::fs::write(
        &log,
        "[2024-05-01 12:00:01 +0000] [1] [CRITICAL] WORKER TIMEOUT (pid:42)\n\
         [2024-05-01 12:00:02 +0000] [1] [ERROR] Worker (pid:42) was sent SIGKILL! Perhaps out of memory?\n",
    )
    .expect("write log");
    let project = fixtures().join("compose/forms");
    let trace = tmp.path().join("trace");
    let (out, lines) = traced(
        &[
            "check",
            "--compose",
            "compose.yaml",
            "--gunicorn-cmd",
            "gunicorn -w 3 --timeout 20 app:app",
            "--postgres-conf",
            &conf.display().to_string(),
            "--log",
            &log.display().to_string(),
        ],
        &project,
        &trace,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "check did not run: {:?} {stderr}",
        out.status
    );
    // The trace really covers the run: it saw every input being read.
    for input in [
        "compose.yaml",
        "postgresql.conf",
        "error.log",
        "/proc/meminfo",
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(input) && l.contains("open")),
            "the trace never shows {input} being opened: is strace tracing the child?\n{}",
            lines.join("\n")
        );
    }
    let bad = writes(&lines, &[]);
    assert!(
        bad.is_empty(),
        "check made {} filesystem-changing call(s):\n{}",
        bad.len(),
        bad.join("\n")
    );
    // Nothing appeared next to the inputs either (no cache, no lock file, no backup).
    let mut left: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("read temp dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["error.log", "postgresql.conf", "trace"]);
}

#[test]
fn report_writes_exactly_its_file_and_refuses_to_overwrite_without_force() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let facts = fixtures().join("facts/roomy-4g.json").display().to_string();
    let file = tmp.path().join("ticket.md");
    let file_s = file.display().to_string();
    let trace = tmp.path().join("trace");

    let (out, lines) = traced(
        &["report", "--facts", &facts, "-o", &file_s],
        tmp.path(),
        &trace,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = writes(&lines, &[&file_s]);
    assert!(
        bad.is_empty(),
        "report wrote more than {file_s}:\n{}",
        bad.join("\n")
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("\"{file_s}\"")) && l.contains("O_CREAT")),
        "the trace shows no creation of {file_s}"
    );
    let first = std::fs::read_to_string(&file).expect("report written");
    assert!(first.contains("headroom"), "{first}");
    assert!(
        out.stdout.is_empty(),
        "the report went to the file, not stdout"
    );

    // An existing file is refused, untouched, with exit status 2.
    std::fs::write(&file, "the user's own notes\n").expect("write");
    let again = Command::new(BIN)
        .args(["report", "--facts", &facts, "-o", &file_s])
        .env("NO_COLOR", "1")
        .output()
        .expect("run headroom");
    let err = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(2), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        "the user's own notes\n"
    );

    // --force overwrites it with the report.
    let forced = Command::new(BIN)
        .args(["report", "--facts", &facts, "-o", &file_s, "--force"])
        .env("NO_COLOR", "1")
        .output()
        .expect("run headroom");
    assert_eq!(
        forced.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(
        !text.contains("the user's own notes") && text.contains("headroom"),
        "{text}"
    );
}
