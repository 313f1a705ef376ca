//! The live probe (`--postgres URL`) against a real server, and against every way a URL goes
//! wrong: wrong password (SCRAM), unknown database, nothing listening, a listener that accepts
//! and never answers, a malformed URL. Each must leave the postgres facts unknown with a reason
//! a user can act on, within the timeout plus a second, and never show the password.

mod pg_support;

use headroom::facts::Facts;
use headroom::postgres;
use headroom::probe::{Ctx, Host, Inputs};
use pg_support::Pg;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(2);
const PASSWORD: &str = "s3cret-Pa55";

fn probe(url: &str) -> (Facts, Duration) {
    let ctx = Ctx {
        host: Host::live(TIMEOUT),
        inputs: Inputs {
            postgres_url: Some(url.to_string()),
            ..Inputs::default()
        },
    };
    let mut facts = Facts::new();
    let t = Instant::now();
    postgres::collect(&ctx, &mut facts);
    (facts, t.elapsed())
}

/// Asserts every fact is unknown with a reason containing `expect`, in time, without secrets.
fn assert_unknown(url: &str, expect: &str) {
    let (facts, took) = probe(url);
    assert!(
        took <= TIMEOUT + Duration::from_secs(1),
        "{url}: took {took:?}, more than timeout + 1 s"
    );
    let reason = facts.why_unknown("postgres.shared_buffers");
    eprintln!("unknown after {took:?}: {reason}");
    assert!(
        facts.int("postgres.shared_buffers").is_none(),
        "{url}: shared_buffers should be unknown"
    );
    assert!(
        reason.contains(expect),
        "{url}: reason {reason:?} should mention {expect:?}"
    );
    for (name, fact) in facts.iter() {
        let text = format!("{fact:?}");
        assert!(
            !text.contains(PASSWORD),
            "{name} shows the password: {text}"
        );
        assert!(
            fact.unknown_reason().is_some(),
            "{name} should be unknown: {fact:?}"
        );
    }
}

/// Keeps one client connection busy until dropped.
struct Sleeper(Child);

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn live_server_settings_and_bad_credentials() {
    let mut pg = Pg::init();
    // Local socket: trust (the test's own psql); TCP: SCRAM passwords.
    pg.write(
        "data/pg_hba.conf",
        "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n",
    );
    pg.start(&["-c shared_buffers=48MB -c work_mem=3MB -c max_connections=40".to_string()])
        .expect("server start");
    pg.psql(&format!("CREATE ROLE app LOGIN PASSWORD '{PASSWORD}'"));
    pg.psql("CREATE DATABASE shop OWNER app");

    // Two other clients hold connections while headroom looks.
    let sleepers: Vec<Sleeper> = (0..2)
        .map(|_| {
            Sleeper(
                Command::new(pg.bin.join("psql"))
                    .args(["-X", "-U", "postgres", "-d", "postgres", "-h"])
                    .arg(&pg.sock)
                    .args(["-p", &pg.port.to_string(), "-c", "SELECT pg_sleep(30)"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("psql"),
            )
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = pg.psql(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND query LIKE 'SELECT pg_sleep%'",
        );
        if n.trim() == "2" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "sleeping clients never connected"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let (facts, _) = probe(&pg.url("app", Some(PASSWORD), "shop"));
    assert_eq!(facts.str("postgres.source"), Some("live"));
    assert_eq!(facts.int("postgres.version"), Some(i64::from(pg.major)));
    assert_eq!(facts.int("postgres.shared_buffers"), Some(48 << 20));
    assert_eq!(facts.int("postgres.work_mem"), Some(3 << 20));
    assert_eq!(facts.int("postgres.max_connections"), Some(40));
    // wal_buffers derived by the server: 48 MB / 32 = 1.5 MB.
    assert_eq!(facts.int("postgres.wal_buffers"), Some(1536 << 10));
    assert_eq!(facts.int("postgres.autovacuum_work_mem"), Some(64 << 20));
    assert_eq!(facts.int("postgres.connections_in_use"), Some(2));
    let src = facts.source("postgres.shared_buffers").unwrap();
    assert_eq!(
        src,
        format!(
            "pg_settings (live, postgres://app@127.0.0.1:{}/shop)",
            pg.port
        )
    );
    assert!(facts.int("postgres.worst_case_bytes").is_some());
    assert!(
        facts
            .source("postgres.typical_bytes")
            .unwrap()
            .contains("2 connections in use")
    );
    for (name, fact) in facts.iter() {
        assert!(
            !format!("{fact:?}").contains(PASSWORD),
            "{name} shows the password"
        );
    }
    // The live reading and the static reading of the same command line agree on every setting.
    let mut stat = Facts::new();
    let args: Vec<String> = "-c shared_buffers=48MB -c work_mem=3MB -c max_connections=40"
        .split(' ')
        .map(String::from)
        .collect();
    postgres::record_command(
        &postgres::Version {
            major: pg.major,
            source: "test".into(),
        },
        &args,
        &mut stat,
    )
    .unwrap();
    for p in headroom::postgres::params::PARAMS {
        let name = format!("postgres.{}", p.name);
        assert_eq!(
            facts.value(&name),
            stat.value(&name),
            "{name}: live vs static"
        );
    }
    drop(sleepers);

    assert_unknown(
        &pg.url("app", Some("wrong-password"), "shop"),
        "password authentication failed for user \"app\"",
    );
    assert_unknown(
        &pg.url("app", Some(PASSWORD), "nope"),
        "database \"nope\" does not exist",
    );
    // A client that insists on TLS: headroom offers none and says so.
    assert_unknown(
        &format!(
            "postgres://app:{PASSWORD}@127.0.0.1:{}/shop?sslmode=require",
            pg.port
        ),
        "TLS",
    );
    // The password is redacted even when the failure is about something else.
    assert_unknown(
        &format!(
            "postgres://app:{PASSWORD}@127.0.0.1:{}/nope?connect_timeout=1",
            pg.port
        ),
        "does not exist",
    );

    // A server that only accepts TLS on TCP.
    pg.write(
        "data/pg_hba.conf",
        "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n",
    );
    pg.psql("SELECT pg_reload_conf()");
    assert_unknown(
        &pg.url("app", Some(PASSWORD), "shop"),
        "headroom connects without TLS; the server seems to require it",
    );
}

#[test]
fn nothing_listening() {
    let port = pg_support::free_port();
    assert_unknown(
        &format!("postgres://app:{PASSWORD}@127.0.0.1:{port}/db"),
        "postgres://app@127.0.0.1",
    );
    let (facts, _) = probe(&format!("postgres://app@127.0.0.1:{port}/db"));
    let reason = facts.why_unknown("postgres.max_connections").to_lowercase();
    assert!(reason.contains("refused"), "{reason}");
}

#[test]
fn listener_that_never_answers_is_bounded_by_the_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = std::thread::spawn(move || {
        // Accept and hold the connection open without a byte of answer.
        let conn = listener.accept();
        std::thread::sleep(TIMEOUT + Duration::from_secs(2));
        drop(conn);
    });
    assert_unknown(
        &format!("postgres://app:{PASSWORD}@127.0.0.1:{port}/db"),
        "no answer within 2 s",
    );
    holder.join().unwrap();
}

#[test]
fn malformed_url() {
    assert_unknown(
        &format!("postgres://app:{PASSWORD}@127.0.0.1:notaport/db"),
        "invalid --postgres URL",
    );
    assert_unknown("this is not a url =", "invalid --postgres URL");
}
