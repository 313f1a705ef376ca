//! The bad-input matrix (issue 8): every way a user, a machine or a network can hand headroom
//! something broken, one row each, with the outcome a user sees. Each row runs the real binary
//! (and real servers: sockets that hang or answer garbage, a real PostgreSQL refusing a
//! password) and must end within its bound, without a panic, with the exact status, message,
//! unknown fact or skipped rule written in the row.
//!
//! Needs: root (to run a row as `nobody` via `runuser`), `/usr/bin/time` (GNU time, for the
//! streamed-log row's peak RSS) and the PostgreSQL server packages — `scripts/setup/base.sh`
//! and `scripts/setup/postgres.sh` install them.

mod pg_support;

use serde_json::Value as Json;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fx(rel: &str) -> String {
    fixtures().join(rel).display().to_string()
}

/// What `bash` reports as headroom's status when its reader goes away: a quiet, normal exit.
const PIPE_EXIT: &str = "headroom exit 0";

const BIN: &str = env!("CARGO_BIN_EXE_headroom");

/// What the user must see.
enum Expect {
    /// This exit status.
    Exit(i32),
    /// Exit status 0 or 1: headroom did its job, whatever it found.
    Ran,
    /// This text on stderr.
    Stderr(&'static str),
    /// This text on stdout.
    Stdout(&'static str),
    /// Nothing at all on stderr.
    QuietStderr,
    /// This text nowhere on stdout or stderr (a password).
    Hidden(String),
    /// `--format json` on stdout: this fact is unknown and its reason contains the text.
    Unknown(&'static str, &'static str),
    /// `--format json` on stdout: this fact has this integer value.
    Int(&'static str, i64),
    /// `--format json` on stdout: this rule gave this status, its message containing the text.
    Finding(&'static str, &'static str, &'static str),
    /// The run was wrapped in `/usr/bin/time -v`: peak RSS below this many bytes.
    PeakRssBelow(i64),
}

struct Row {
    class: &'static str,
    /// The command: the headroom binary and its arguments, or a wrapper (`sh -c`, `runuser`).
    argv: Vec<String>,
    cwd: PathBuf,
    env: Vec<(&'static str, String)>,
    bound: Duration,
    expect: Vec<Expect>,
}

fn args(a: &[&str]) -> Vec<String> {
    std::iter::once(BIN)
        .chain(a.iter().copied())
        .map(String::from)
        .collect()
}

fn row(class: &'static str, argv: Vec<String>, expect: Vec<Expect>) -> Row {
    Row {
        class,
        argv,
        cwd: fixtures(),
        env: Vec::new(),
        bound: Duration::from_secs(15),
        expect,
    }
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs a row with output in files (a big stdout cannot block it) and kills it past its bound.
fn run(r: &Row, scratch: &Path) -> Ran {
    let out_path = scratch.join("stdout");
    let err_path = scratch.join("stderr");
    let mut cmd = Command::new(&r.argv[0]);
    cmd.args(&r.argv[1..])
        .current_dir(&r.cwd)
        .env("NO_COLOR", "1")
        .env_remove("DOCKER_HOST")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"));
    for (k, v) in &r.env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{}: cannot run {:?}: {e}", r.class, r.argv[0]));
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if start.elapsed() > r.bound + Duration::from_secs(5) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = start.elapsed();
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    Ran {
        code: status.and_then(|s| s.code()),
        stdout: read(&out_path),
        stderr: read(&err_path),
        took,
    }
}

fn json(ran: &Ran) -> Result<Json, String> {
    serde_json::from_str(&ran.stdout).map_err(|e| format!("stdout is not JSON ({e})"))
}

/// Every way the row's outcome differs from what the user must see.
fn check(r: &Row, ran: &Ran) -> Vec<String> {
    let mut bad = Vec::new();
    if ran.took > r.bound {
        bad.push(format!("took {:?}, bound {:?}", ran.took, r.bound));
    }
    if ran.stderr.contains("panicked") {
        bad.push("panicked".to_string());
    }
    for e in &r.expect {
        let problem = match e {
            Expect::Exit(c) => {
                (ran.code != Some(*c)).then(|| format!("exit {:?}, want {c}", ran.code))
            }
            Expect::Ran => (!matches!(ran.code, Some(0 | 1)))
                .then(|| format!("exit {:?}, want 0 or 1", ran.code)),
            Expect::Stderr(s) => (!ran.stderr.contains(s)).then(|| format!("stderr lacks {s:?}")),
            Expect::Stdout(s) => (!ran.stdout.contains(s)).then(|| format!("stdout lacks {s:?}")),
            Expect::QuietStderr => (!ran.stderr.is_empty()).then(|| "stderr not empty".to_string()),
            Expect::Hidden(s) => (ran.stdout.contains(s.as_str())
                || ran.stderr.contains(s.as_str()))
            .then(|| format!("{s:?} was shown")),
            Expect::Unknown(fact, why) => match json(ran) {
                Err(e) => Some(e),
                Ok(j) => match j["facts"][fact]["unknown"].as_str() {
                    Some(reason) if reason.contains(why) => None,
                    _ => Some(format!(
                        "fact {fact} = {}, want unknown with {why:?}",
                        j["facts"][fact]
                    )),
                },
            },
            Expect::Int(fact, v) => match json(ran) {
                Err(e) => Some(e),
                Ok(j) => (j["facts"][fact]["value"].as_i64() != Some(*v))
                    .then(|| format!("fact {fact} = {}, want {v}", j["facts"][fact])),
            },
            Expect::Finding(id, status, msg) => match json(ran) {
                Err(e) => Some(e),
                Ok(j) => {
                    let f = j["findings"]
                        .as_array()
                        .and_then(|a| a.iter().find(|f| f["id"] == *id));
                    match f {
                        Some(f)
                            if f["status"] == *status
                                && f["message"].as_str().is_some_and(|m| m.contains(msg)) =>
                        {
                            None
                        }
                        other => Some(format!(
                            "finding {id}: {other:?}, want {status} with {msg:?}"
                        )),
                    }
                }
            },
            Expect::PeakRssBelow(max) => {
                let kb = ran
                    .stderr
                    .lines()
                    .find_map(|l| {
                        l.trim()
                            .strip_prefix("Maximum resident set size (kbytes): ")
                    })
                    .and_then(|v| v.trim().parse::<i64>().ok());
                match kb {
                    None => Some("no peak RSS from /usr/bin/time -v".to_string()),
                    Some(kb) => {
                        eprintln!("{}: peak RSS {} KiB", r.class, kb);
                        (kb * 1024 >= *max)
                            .then(|| format!("peak RSS {kb} KiB, want < {max} bytes"))
                    }
                }
            }
        };
        bad.extend(problem);
    }
    bad
}

/// A unix socket that accepts every connection and never says a word.
fn silent_socket(path: &Path) {
    let l = UnixListener::bind(path).expect("bind silent socket");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in l.incoming() {
            held.push(c);
        }
    });
}

/// A unix socket that answers every request with bytes that are not HTTP.
fn garbage_socket(path: &Path) {
    let l = UnixListener::bind(path).expect("bind garbage socket");
    std::thread::spawn(move || {
        for mut c in l.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf);
            let _ = c.write_all(b"\x00\xffSSH-2.0-not-http\r\n\r\n\xfe\xfe");
        }
    });
}

/// A TCP port that accepts and never answers (a firewall black hole, a hung server).
fn silent_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in l.incoming() {
            held.push(c);
        }
    });
    port
}

fn is_root() -> bool {
    pg_support::is_root()
}

/// A 100 MB Gunicorn error log with a known number of WORKER TIMEOUT lines.
fn big_log(dir: &Path) -> (PathBuf, i64) {
    let path = dir.join("error.log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("log"));
    let noise = "[2024-05-01 12:00:00 +0000] [7] [INFO] GET /health 200 a perfectly ordinary line of noise\n";
    let timeout = "[2024-05-01 12:00:01 +0000] [1] [CRITICAL] WORKER TIMEOUT (pid:4242)\n";
    let (mut written, mut timeouts) = (0usize, 0i64);
    let mut i = 0u64;
    while written < 100 * 1024 * 1024 {
        let line = if i.is_multiple_of(10_000) {
            timeouts += 1;
            timeout
        } else {
            noise
        };
        f.write_all(line.as_bytes()).expect("write log");
        written += line.len();
        i += 1;
    }
    f.flush().expect("flush log");
    (path, timeouts)
}

#[test]
fn bad_input_matrix() {
    assert!(
        Path::new("/usr/bin/time").exists(),
        "GNU time missing: run scripts/setup/base.sh (apt-get install time)"
    );
    assert!(
        is_root(),
        "this matrix runs one row as `nobody` through runuser: run the tests as root"
    );
    let tmp = tempfile::tempdir().expect("temp dir");
    let t = tmp.path();
    std::fs::set_permissions(t, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let roomy = fx("facts/roomy-4g.json");

    // Servers that misbehave.
    let silent = t.join("silent.sock");
    silent_socket(&silent);
    let garbage = t.join("garbage.sock");
    garbage_socket(&garbage);
    let private = t.join("locked.sock");
    let _private_listener = UnixListener::bind(&private).expect("bind private socket");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let pg_silent = silent_port();
    let url_silent = silent_port();

    // A real PostgreSQL that refuses the password.
    let mut pg = pg_support::Pg::init();
    pg.write(
        "data/pg_hba.conf",
        "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n",
    );
    pg.start(&[]).expect("PostgreSQL start");
    pg.psql("CREATE ROLE app LOGIN PASSWORD 'right-horse-battery'");
    let wrong = "wrong-staple-9931";

    // A postgresql.conf that includes itself through another file.
    let loop_dir = t.join("pgloop");
    std::fs::create_dir_all(&loop_dir).expect("mkdir");
    std::fs::write(
        loop_dir.join("postgresql.conf"),
        "shared_buffers = 64MB\ninclude 'b.conf'\n",
    )
    .expect("write");
    std::fs::write(
        loop_dir.join("b.conf"),
        "work_mem = 4MB\ninclude 'postgresql.conf'\n",
    )
    .expect("write");
    let loop_conf = loop_dir.join("postgresql.conf").display().to_string();

    let (log, log_timeouts) = big_log(t);
    let log = log.display().to_string();
    let timeouts_msg: &'static str =
        Box::leak(format!("{log_timeouts} WORKER TIMEOUT(s)").into_boxed_str());

    let compose = |dir: &str, expect: Vec<Expect>| Row {
        cwd: fixtures().join("compose").join(dir),
        ..row(
            "",
            args(&["check", "--only", "compose", "--format", "json"]),
            expect,
        )
    };
    let docker = |host: &Path, expect: Vec<Expect>| Row {
        env: vec![("DOCKER_HOST", format!("unix://{}", host.display()))],
        bound: Duration::from_secs(4),
        ..row(
            "",
            args(&[
                "check",
                "--only",
                "docker",
                "--format",
                "json",
                "--timeout",
                "1",
            ]),
            expect,
        )
    };
    let rules = |dir: &str, needle: &'static str| {
        row(
            "",
            args(&[
                "check",
                "--rules",
                &fx(&format!("rulefiles/{dir}")),
                "--facts",
                &roomy,
            ]),
            vec![Expect::Exit(2), Expect::Stderr(needle)],
        )
    };
    let pipe = |tail: &str| {
        row(
            "",
            vec![
                "bash".into(),
                "-c".into(),
                format!(
                    "'{BIN}' check --facts '{roomy}' --verbose | {tail}; echo \"headroom exit ${{PIPESTATUS[0]}}\""
                ),
            ],
            vec![
                Expect::Exit(0),
                Expect::QuietStderr,
                Expect::Stdout(PIPE_EXIT),
            ],
        )
    };
    let compose_skip = "CMP003";

    let rows: Vec<Row> = vec![
        Row {
            class: "malformed rule YAML",
            ..rules("syntax", "error[rule-file]: invalid rule file")
        },
        Row {
            class: "rule with an unknown fact",
            ..rules("unknown-fact", "unknown fact `memory.effective_totl`")
        },
        Row {
            class: "rule type mismatch",
            ..rules(
                "type-mismatch",
                "type mismatch in `memory.effective_total < \"512M\"`",
            )
        },
        Row {
            class: "duplicate rule id",
            ..rules("duplicate-id", "duplicate rule id `TST004`")
        },
        Row {
            class: "empty rules dir",
            ..rules("empty", "no rule files (*.yaml) in this directory")
        },
        Row {
            class: "binary file as compose file",
            ..compose(
                "err-binary",
                vec![
                    Expect::Exit(1),
                    Expect::Finding(
                        "CMP001",
                        "fail",
                        "compose.yaml is not a text file (NUL byte at offset 7)",
                    ),
                    Expect::Unknown("compose.services", "compose.yaml is not a text file"),
                    Expect::Finding(compose_skip, "skip", "could not be loaded"),
                ],
            )
        },
        Row {
            class: "compose file that is a list",
            ..compose(
                "err-list",
                vec![
                    Expect::Exit(1),
                    Expect::Finding(
                        "CMP001",
                        "fail",
                        "the top level must be a mapping (services:, volumes:, …), not a list",
                    ),
                    Expect::Unknown("compose.mem_limit_total", "not a list"),
                ],
            )
        },
        Row {
            class: "unset ${VAR:?}",
            ..compose(
                "required-missing",
                vec![
                    Expect::Exit(1),
                    Expect::Finding(
                        "CMP001",
                        "fail",
                        "compose.yaml:5: services.db.environment.POSTGRES_PASSWORD:",
                    ),
                    Expect::Finding(
                        "CMP001",
                        "fail",
                        "variable DB_PASSWORD is missing a value: set DB_PASSWORD in .env",
                    ),
                    Expect::Unknown("compose.services", "could not be loaded: compose.yaml:5"),
                ],
            )
        },
        Row {
            class: "missing env_file",
            ..compose(
                "err-env-file-missing",
                vec![
                    Expect::Exit(1),
                    Expect::Finding(
                        "CMP001",
                        "fail",
                        "compose.yaml:5: services.web.env_file: env file",
                    ),
                    Expect::Finding("CMP001", "fail", "secrets.env not found"),
                    Expect::Finding(compose_skip, "skip", "secrets.env not found"),
                ],
            )
        },
        Row {
            class: "non-UTF-8 .env",
            ..compose(
                "err-dotenv-latin1",
                vec![
                    Expect::Exit(1),
                    Expect::Finding("CMP001", "fail", ".env:2: not UTF-8 text"),
                    Expect::Unknown("compose.project", ".env:2: not UTF-8 text"),
                ],
            )
        },
        Row {
            class: "compose file that does not exist",
            ..compose("err-list", vec![Expect::Exit(1)])
        }
        .with_args(args(&[
            "check",
            "--compose",
            "/nonexistent/compose.yaml",
            "--only",
            "compose",
            "--format",
            "json",
        ]))
        .and(vec![
            Expect::Unknown(
                "compose.services",
                "cannot read /nonexistent/compose.yaml: no such file",
            ),
            Expect::Finding(compose_skip, "skip", "no such file"),
        ]),
        Row {
            class: "100 MB log file, streamed in bounded memory",
            argv: [
                vec!["/usr/bin/time".to_string(), "-v".to_string()],
                args(&[
                    "check", "--log", &log, "--only", "GUN009", "--format", "json",
                ]),
            ]
            .concat(),
            bound: Duration::from_secs(120),
            ..row(
                "",
                vec![],
                vec![
                    Expect::Exit(0),
                    Expect::Int("gunicorn.log.timeouts", log_timeouts),
                    Expect::Finding("GUN009", "warn", timeouts_msg),
                    Expect::PeakRssBelow(64 << 20),
                ],
            )
        },
        row(
            "log file that does not exist",
            args(&[
                "check",
                "--log",
                "/nonexistent/error.log",
                "--only",
                "GUN009",
                "--format",
                "json",
            ]),
            vec![
                Expect::Ran,
                Expect::Unknown(
                    "gunicorn.log.timeouts",
                    "cannot read log /nonexistent/error.log: no such file",
                ),
                Expect::Finding("GUN009", "skip", "no such file"),
            ],
        ),
        row(
            "binary file as log",
            args(&[
                "check", "--log", "/bin/ls", "--only", "GUN009", "--format", "json",
            ]),
            vec![
                Expect::Exit(0),
                Expect::Int("gunicorn.log.timeouts", 0),
                Expect::Finding("GUN009", "pass", ""),
            ],
        ),
        row(
            "postgresql.conf include loop",
            args(&[
                "check",
                "--postgres-conf",
                &loop_conf,
                "--only",
                "postgres",
                "--format",
                "json",
            ]),
            vec![
                Expect::Ran,
                Expect::Unknown(
                    "postgres.shared_buffers",
                    "maximum nesting depth exceeded (an include loop?)",
                ),
                Expect::Finding("PG001", "skip", "an include loop?"),
                Expect::Int("postgres.conf_errors", 1),
            ],
        ),
        row(
            "postgresql.conf that is a directory",
            args(&[
                "check",
                "--postgres-conf",
                "/tmp",
                "--only",
                "postgres",
                "--format",
                "json",
            ]),
            vec![
                Expect::Ran,
                Expect::Unknown(
                    "postgres.shared_buffers",
                    "could not open configuration file \"/tmp\": is a directory",
                ),
            ],
        ),
        row(
            "unreadable /proc/meminfo (a directory)",
            args(&[
                "check",
                "--root",
                &fx("hosts/unreadable-meminfo"),
                "--only",
                "memory",
                "--format",
                "json",
            ]),
            vec![
                Expect::Ran,
                Expect::Unknown(
                    "memory.host_total",
                    "cannot read /proc/meminfo: is a directory",
                ),
                Expect::Unknown(
                    "memory.effective_total",
                    "host memory unknown: cannot read /proc/meminfo: is a directory",
                ),
                Expect::Finding(
                    "MEM001",
                    "skip",
                    "cannot read /proc/meminfo: is a directory",
                ),
            ],
        ),
        row(
            "cgroup file with garbage",
            args(&[
                "check",
                "--root",
                &fx("hosts/cgroup-garbage"),
                "--only",
                "memory",
                "--format",
                "json",
            ]),
            vec![
                Expect::Ran,
                Expect::Unknown(
                    "memory.cgroup_limit",
                    "memory.max: expected a byte count or \"max\", found \"lots of memory\"",
                ),
                Expect::Unknown("memory.effective_total", "cgroup memory limit unknown"),
                Expect::Finding("MEM001", "skip", "lots of memory"),
            ],
        ),
        Row {
            class: "no Docker socket",
            ..docker(
                Path::new("/nonexistent"),
                vec![
                    Expect::Exit(0),
                    Expect::Finding(
                        "DKR001",
                        "info",
                        "no socket at DOCKER_HOST=unix:///nonexistent",
                    ),
                    Expect::Unknown(
                        "docker.oom_killed_containers",
                        "the Docker Engine could not be asked",
                    ),
                    Expect::Finding("DKR002", "skip", "no socket at"),
                ],
            )
        },
        Row {
            class: "Docker socket that accepts and never answers",
            ..docker(
                &silent,
                vec![
                    Expect::Exit(0),
                    Expect::Finding("DKR001", "info", "timed out waiting for an answer"),
                    Expect::Finding("DKR002", "skip", "timed out waiting for an answer"),
                ],
            )
        },
        Row {
            class: "Docker socket that answers garbage",
            ..docker(
                &garbage,
                vec![
                    Expect::Exit(0),
                    Expect::Finding("DKR001", "info", "invalid HTTP"),
                    Expect::Finding("DKR002", "skip", "invalid HTTP"),
                ],
            )
        },
        Row {
            class: "permission denied on the Docker socket",
            argv: [
                vec![
                    "runuser".to_string(),
                    "-u".into(),
                    "nobody".into(),
                    "--".into(),
                    "env".into(),
                    format!("DOCKER_HOST=unix://{}", private.display()),
                ],
                args(&[
                    "check",
                    "--only",
                    "docker",
                    "--format",
                    "json",
                    "--timeout",
                    "1",
                ]),
            ]
            .concat(),
            cwd: t.to_path_buf(),
            ..docker(
                &private,
                vec![
                    Expect::Exit(0),
                    Expect::Finding("DKR001", "info", "cannot connect: permission denied"),
                    Expect::Finding("DKR002", "skip", "permission denied"),
                ],
            )
        },
        Row {
            bound: Duration::from_secs(8),
            ..row(
                "PostgreSQL refusing the password",
                args(&[
                    "check",
                    "--postgres",
                    &pg.url("app", Some(wrong), "postgres"),
                    "--only",
                    "postgres",
                    "--format",
                    "json",
                ]),
                vec![
                    Expect::Ran,
                    Expect::Unknown(
                        "postgres.shared_buffers",
                        "password authentication failed for user \"app\"",
                    ),
                    Expect::Finding("PG001", "skip", "password authentication failed"),
                    Expect::Hidden(wrong.to_string()),
                ],
            )
        },
        Row {
            bound: Duration::from_secs(4),
            ..row(
                "PostgreSQL that accepts and never answers",
                args(&[
                    "check",
                    "--postgres",
                    &format!("postgres://app:{wrong}@127.0.0.1:{pg_silent}/db"),
                    "--timeout",
                    "1",
                    "--only",
                    "postgres",
                    "--format",
                    "json",
                ]),
                vec![
                    Expect::Ran,
                    Expect::Unknown("postgres.shared_buffers", "no answer within 1 s"),
                    Expect::Finding("PG001", "skip", "no answer within 1 s"),
                    Expect::Hidden(wrong.to_string()),
                ],
            )
        },
        row(
            "malformed PostgreSQL URL",
            args(&[
                "check",
                "--postgres",
                "not-a-url",
                "--only",
                "postgres",
                "--format",
                "json",
            ]),
            vec![
                Expect::Ran,
                Expect::Unknown("postgres.shared_buffers", "invalid --postgres URL"),
                Expect::Finding("PG001", "skip", "invalid --postgres URL"),
            ],
        ),
        // --url GETs an endpoint five times, each and all bounded by --timeout: a port that
        // accepts and never answers costs one timeout, and the latency rule skips with why.
        Row {
            bound: Duration::from_secs(4),
            ..row(
                "--url to a port that never answers",
                args(&[
                    "check",
                    "--url",
                    &format!("http://127.0.0.1:{url_silent}/"),
                    "--gunicorn-cmd",
                    "gunicorn -t 30 app:app",
                    "--timeout",
                    "1",
                    "--only",
                    "GUN103",
                    "--format",
                    "json",
                ]),
                vec![
                    Expect::Ran,
                    Expect::Unknown("url.latency_max", "no --url answered"),
                    Expect::Unknown("url.latency_max", "timed out waiting for an answer"),
                    Expect::Finding("GUN103", "skip", "timed out waiting for an answer"),
                ],
            )
        },
        row(
            "unknown --only id",
            args(&["check", "--only", "MEM999", "--facts", &roomy]),
            vec![
                Expect::Exit(2),
                Expect::Stderr("`MEM999` names no rule and no area"),
            ],
        ),
        row(
            "--facts file from a newer schema",
            args(&["check", "--facts", &fx("facts/newer-schema.json")]),
            vec![
                Expect::Exit(2),
                Expect::Stderr("facts schema 99 is newer than this headroom reads"),
            ],
        ),
        row(
            "--facts file that is not JSON",
            args(&["check", "--facts", "/etc/hostname"]),
            vec![
                Expect::Exit(2),
                Expect::Stderr("not a headroom facts snapshot"),
            ],
        ),
        row(
            "--facts file that does not exist",
            args(&["check", "--facts", "/nonexistent/facts.json"]),
            vec![Expect::Exit(2), Expect::Stderr("no such file")],
        ),
        row(
            "--gunicorn-cmd with an unclosed quote",
            args(&[
                "check",
                "--gunicorn-cmd",
                "gunicorn -w \"3 app:app",
                "--only",
                "gunicorn",
                "--format",
                "json",
            ]),
            vec![
                Expect::Ran,
                Expect::Unknown(
                    "gunicorn.workers",
                    "--gunicorn-cmd cannot be split: No closing quotation",
                ),
            ],
        ),
        Row {
            class: "SIGPIPE on stdout (head -1)",
            ..pipe("head -n 1 >/dev/null")
        },
        Row {
            class: "SIGPIPE on stdout (reader gone at once)",
            ..pipe("true")
        },
    ];
    assert!(rows.len() >= 25, "only {} classes", rows.len());

    let mut failures = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let scratch = t.join(format!("row{i}"));
        std::fs::create_dir_all(&scratch).expect("scratch");
        let ran = run(r, &scratch);
        let bad = check(r, &ran);
        eprintln!(
            "{:>6.2}s {} {}",
            ran.took.as_secs_f64(),
            if bad.is_empty() { "ok  " } else { "FAIL" },
            r.class
        );
        if !bad.is_empty() {
            failures.push(format!(
                "{}: {}\n  argv: {:?}\n  exit: {:?}\n  stderr: {}\n  stdout: {}",
                r.class,
                bad.join("; "),
                r.argv,
                ran.code,
                ran.stderr.chars().take(1500).collect::<String>(),
                ran.stdout.chars().take(1500).collect::<String>()
            ));
        }
    }
    pg.stop();
    assert!(
        failures.is_empty(),
        "{} of {} classes wrong:\n\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n\n")
    );
}

impl Row {
    fn with_args(mut self, argv: Vec<String>) -> Self {
        self.argv = argv;
        self
    }
    fn and(mut self, more: Vec<Expect>) -> Self {
        self.expect.extend(more);
        self
    }
}
