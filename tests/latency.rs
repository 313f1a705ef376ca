//! `--url` latency against real servers: a real Gunicorn 27.0.1 with a Flask route that sleeps
//! 0.3 s, one that answers 500, a listener that accepts and never answers (the probe must cost
//! at most `--timeout`), a closed port, and URLs that cannot be sent.

mod gunicorn_support;

use gunicorn_support::{Server, facts};
use serde_json::Value;
use std::net::TcpListener;
use std::time::{Duration, Instant};

fn float(f: &Value, name: &str) -> f64 {
    f[name]["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("{name} is not known: {}", f[name]))
}

fn int(f: &Value, name: &str) -> i64 {
    f[name]["value"]
        .as_i64()
        .unwrap_or_else(|| panic!("{name} is not known: {}", f[name]))
}

fn unknown<'a>(f: &'a Value, name: &str) -> &'a str {
    f[name]["unknown"]
        .as_str()
        .unwrap_or_else(|| panic!("{name} should be unknown: {}", f[name]))
}

#[test]
fn a_slow_route_on_real_gunicorn_measures_its_sleep() {
    let s = Server::gunicorn("27.0.1", &[], 1);
    let slow = s.url("/slow");
    let fast = s.url("/");
    let f = facts(&["--timeout", "5", "--url", &fast, "--url", &slow], &[]);
    assert_eq!(int(&f, "url.requests"), 10);
    assert_eq!(int(&f, "url.errors"), 0, "{}", f["url.first_error"]);
    assert_eq!(f["url.first_error"]["value"], "");
    assert_eq!(f["url.target"]["value"], slow.as_str());
    let (p50, p95, max) = (
        float(&f, "url.latency_p50"),
        float(&f, "url.latency_p95"),
        float(&f, "url.latency_max"),
    );
    assert!((0.3..1.5).contains(&p50), "p50 {p50}");
    assert!(p50 <= p95 && p95 <= max, "{p50} {p95} {max}");
    assert!((0.3..5.0).contains(&max), "max {max}");
    let src = f["url.latency_max"]["source"].as_str().unwrap_or_default();
    assert!(
        src.contains("slowest of 2 URLs") && src.contains("5 answers"),
        "{src}"
    );
}

#[test]
fn a_500_is_an_error_but_still_a_latency() {
    let s = Server::gunicorn("27.0.1", &[], 1);
    let f = facts(&["--url", &s.url("/fail")], &[]);
    assert_eq!(int(&f, "url.errors"), 5);
    let e = f["url.first_error"]["value"].as_str().unwrap_or_default();
    assert!(e.starts_with("HTTP 500 from http://127.0.0.1:"), "{e}");
    assert!(float(&f, "url.latency_max") < 3.0);
}

#[test]
fn a_listener_that_never_answers_costs_one_timeout() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    // Accept and hold every connection without a byte of answer, until the test ends.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in l.incoming().flatten() {
            held.push(c);
        }
    });
    let url = format!("http://127.0.0.1:{port}/");
    let start = Instant::now();
    let f = facts(&["--timeout", "2", "--url", &url], &[]);
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "the whole run took {took:?} with --timeout 2"
    );
    assert_eq!(int(&f, "url.requests"), 5);
    assert_eq!(int(&f, "url.errors"), 5);
    let why = unknown(&f, "url.latency_max");
    assert!(why.starts_with("no --url answered"), "{why}");
    let e = f["url.first_error"]["value"].as_str().unwrap_or_default();
    assert!(e.contains("timed out") || e.contains("no answer"), "{e}");
}

#[test]
fn a_closed_port_is_refused_quickly() {
    let port = gunicorn_support::free_port();
    let start = Instant::now();
    let f = facts(&["--url", &format!("http://127.0.0.1:{port}/health")], &[]);
    assert!(start.elapsed() < Duration::from_secs(3));
    assert_eq!(int(&f, "url.errors"), 5);
    let e = f["url.first_error"]["value"].as_str().unwrap_or_default();
    assert!(e.contains("cannot connect: connection refused"), "{e}");
}

#[test]
fn urls_that_cannot_be_sent_are_unknown_with_the_reason() {
    let cases = [
        ("not a url", "is not a valid URL"),
        ("http://[::1", "is not a valid URL"),
        ("https://127.0.0.1/", "https is not supported"),
        ("ftp://127.0.0.1/", "only http://"),
    ];
    for (url, want) in cases {
        let f = facts(&["--url", url], &[]);
        for name in ["url.requests", "url.latency_max", "url.target"] {
            let why = unknown(&f, name);
            assert!(why.contains(want), "{url}: {name}: {why}");
        }
    }
    let f = facts(&[], &[]);
    assert_eq!(unknown(&f, "url.latency_p95"), "no --url given");
}
