//! Request latency: a few real GETs to the endpoints the user names (`--url URL`, repeatable).
//!
//! Timeouts are only sane relative to how long requests really take: the rule of thumb is
//! `proxy timeout > gunicorn timeout > slowest request` (domain.md §5). This probe measures the
//! right-hand side with [`REQUESTS_PER_URL`] sequential GETs per URL and reports p50/p95/max of
//! the slowest URL. It is bounded twice: every request by `Host::timeout`, and the whole probe by
//! the same timeout, so an endpoint that accepts and never answers costs one timeout, not five.
//! Plain `http://` only: the binary is built without TLS (reqwest `default-features = false`),
//! and the figure that matters is Gunicorn's own, measured at its bind address, not the proxy's.

use super::Ctx;
use crate::facts::Facts;
use crate::facts::registry::{FactSpec, int, secs, string};
use crate::facts::units;
use std::time::{Duration, Instant};

/// Every fact this probe sets.
pub const FACTS: &[FactSpec] = &[
    int(
        "url.requests",
        "GET requests planned against the --url endpoints (sent, or not sent for lack of time).",
    ),
    int(
        "url.errors",
        "Requests that got no answer, a 5xx, or were not sent within the time budget.",
    ),
    secs(
        "url.latency_p50",
        "Median time to a full answer from the slowest --url.",
    ),
    secs(
        "url.latency_p95",
        "95th percentile (nearest rank) of the same.",
    ),
    secs("url.latency_max", "Slowest answer from the slowest --url."),
    string(
        "url.first_error",
        "The first error (\"\" when every request was answered).",
    ),
    string(
        "url.target",
        "The --url whose slowest answer was the slowest.",
    ),
];

/// Requests per URL: enough for a median and a max, few enough not to load a small server.
pub const REQUESTS_PER_URL: usize = 5;

/// A body longer than this is not read further: the answer has started, and a runaway response
/// must not cost the checker its memory.
const MAX_BODY: usize = 8 * 1024 * 1024;

const NO_URL: &str = "no --url given";

/// One request's outcome.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// An answer (any status) after this many seconds; 5xx is also counted as an error.
    Answered {
        secs: f64,
        status: u16,
    },
    Failed(String),
}

/// The samples of one URL, in the order sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Samples {
    pub url: String,
    pub outcomes: Vec<Outcome>,
}

/// p50 / p95 / max of some latencies, by nearest rank (so 5 samples give p95 = max).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub p50: f64,
    pub p95: f64,
    pub max: f64,
    pub n: usize,
}

/// Nearest-rank percentiles; `None` for no samples. NaN cannot occur (durations), but sorting
/// uses `total_cmp` so it could not panic if it did.
pub fn summarize(latencies: &[f64]) -> Option<Summary> {
    if latencies.is_empty() {
        return None;
    }
    let mut v = latencies.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = |q: f64| {
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let r = (q * v.len() as f64).ceil() as usize;
        v.get(r.saturating_sub(1).min(v.len() - 1)).copied()
    };
    Some(Summary {
        p50: rank(0.50)?,
        p95: rank(0.95)?,
        max: *v.last()?,
        n: v.len(),
    })
}

impl Samples {
    pub fn latencies(&self) -> Vec<f64> {
        self.outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Answered { secs, .. } => Some(*secs),
                Outcome::Failed(_) => None,
            })
            .collect()
    }

    pub fn errors(&self) -> Vec<String> {
        self.outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Answered { status, .. } if *status >= 500 => {
                    Some(format!("HTTP {status} from {}", self.url))
                }
                Outcome::Answered { .. } => None,
                Outcome::Failed(e) => Some(format!("{}: {e}", self.url)),
            })
            .collect()
    }
}

/// Checks a `--url` before anything is sent. The error is a reason for the unknown facts.
pub fn check_url(raw: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(raw.trim())
        .map_err(|e| format!("--url {raw:?} is not a valid URL: {e}"))?;
    match url.scheme() {
        "http" => {}
        "https" => {
            return Err(format!(
                "--url {raw}: https is not supported (headroom is built without TLS); measure Gunicorn's own bind address instead, e.g. http://127.0.0.1:8000/"
            ));
        }
        other => {
            return Err(format!(
                "--url {raw}: scheme {other}: is not supported, only http://"
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("--url {raw:?} has no host"));
    }
    Ok(url)
}

/// Sends the requests, round-robin over the URLs so each is measured before the time budget
/// runs out; requests that no longer fit in the budget are failures ("not sent").
pub fn measure(urls: &[reqwest::Url], timeout: Duration) -> Result<Vec<Samples>, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the I/O runtime: {e}"))?;
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .no_proxy()
        // The first answer is what the server did; a redirect to https would also fail here.
        .redirect(reqwest::redirect::Policy::none())
        // A fresh connection per request, as a client behind a proxy without keep-alive sees.
        .pool_max_idle_per_host(0)
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let deadline = Instant::now() + timeout;
    let mut out: Vec<Samples> = urls
        .iter()
        .map(|u| Samples {
            url: shown(u),
            outcomes: Vec::new(),
        })
        .collect();
    for _ in 0..REQUESTS_PER_URL {
        for (u, s) in urls.iter().zip(out.iter_mut()) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                s.outcomes.push(Outcome::Failed(format!(
                    "not sent: the probe's time budget (--timeout {}) was used up",
                    units::duration(timeout.as_secs_f64())
                )));
                continue;
            }
            s.outcomes.push(rt.block_on(get(&client, u, left)));
        }
    }
    Ok(out)
}

/// The URL as facts show it: a password in it is replaced, whatever the redaction settings.
pub fn shown(url: &reqwest::Url) -> String {
    let mut u = url.clone();
    if u.password().is_some() {
        let _ = u.set_password(Some("***"));
    }
    u.to_string()
}

/// One GET, timed from before connecting to the end of the body.
async fn get(client: &reqwest::Client, url: &reqwest::Url, left: Duration) -> Outcome {
    let start = Instant::now();
    let fut = async {
        let mut resp = client
            .get(url.clone())
            .timeout(left)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = resp.status().as_u16();
        let mut read = 0usize;
        while let Some(chunk) = resp.chunk().await.map_err(|e| describe(&e))? {
            read = read.saturating_add(chunk.len());
            if read > MAX_BODY {
                break;
            }
        }
        Ok::<u16, String>(status)
    };
    // reqwest's own timeout covers the request; this one also covers a body that trickles.
    match tokio::time::timeout(left, fut).await {
        Ok(Ok(status)) => Outcome::Answered {
            secs: start.elapsed().as_secs_f64(),
            status,
        },
        Ok(Err(e)) => Outcome::Failed(e),
        Err(_) => Outcome::Failed(format!(
            "no answer within {}",
            units::duration(left.as_secs_f64())
        )),
    }
}

/// A reqwest error in the words of its root cause ("cannot connect: connection refused").
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out waiting for an answer".to_string();
    }
    let mut root: &dyn std::error::Error = e;
    while let Some(next) = root.source() {
        root = next;
    }
    let cause = match root.downcast_ref::<std::io::Error>() {
        Some(io) => super::host::describe(io),
        None => {
            let s = root.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_string()
        }
    };
    if e.is_connect() {
        format!("cannot connect: {cause}")
    } else {
        cause
    }
}

pub fn collect(ctx: &Ctx, facts: &mut Facts) {
    let unknown_all = |facts: &mut Facts, why: &str| {
        for s in FACTS {
            facts.unknown(s.name, why);
        }
    };
    if ctx.inputs.urls.is_empty() {
        unknown_all(facts, NO_URL);
        return;
    }
    let mut urls = Vec::new();
    for raw in &ctx.inputs.urls {
        match check_url(raw) {
            Ok(u) => urls.push(u),
            Err(e) => {
                unknown_all(facts, &e);
                return;
            }
        }
    }
    match measure(&urls, ctx.host.timeout) {
        Ok(samples) => set_facts(&samples, ctx.host.timeout, facts),
        Err(e) => unknown_all(facts, &e),
    }
}

/// Facts from measured samples. The latency facts describe the URL with the slowest answer.
pub fn set_facts(samples: &[Samples], timeout: Duration, facts: &mut Facts) {
    let total: usize = samples.iter().map(|s| s.outcomes.len()).sum();
    let errors: Vec<String> = samples.iter().flat_map(Samples::errors).collect();
    let n_urls = samples.len();
    let budget = units::duration(timeout.as_secs_f64());
    let src = format!(
        "{REQUESTS_PER_URL} sequential GETs to each of {n_urls} --url, each and all bounded by --timeout {budget}"
    );
    facts.set(
        "url.requests",
        i64::try_from(total).unwrap_or(i64::MAX),
        src.clone(),
    );
    facts.set(
        "url.errors",
        i64::try_from(errors.len()).unwrap_or(i64::MAX),
        src.clone(),
    );
    match errors.first() {
        Some(e) => facts.set("url.first_error", e.as_str(), src.clone()),
        None => facts.set("url.first_error", "", src.clone()),
    }
    let slowest = samples
        .iter()
        .filter_map(|s| summarize(&s.latencies()).map(|m| (s, m)))
        .max_by(|a, b| a.1.max.total_cmp(&b.1.max));
    let Some((s, m)) = slowest else {
        let why = format!(
            "no --url answered: {}",
            errors.first().map_or("no request was sent", String::as_str)
        );
        for name in [
            "url.latency_p50",
            "url.latency_p95",
            "url.latency_max",
            "url.target",
        ] {
            facts.unknown(name, why.clone());
        }
        return;
    };
    let of = if n_urls > 1 {
        format!(" (slowest of {n_urls} URLs)")
    } else {
        String::new()
    };
    let lsrc = format!("{} answers from GET {}{of}", m.n, s.url);
    facts.set("url.latency_p50", m.p50, lsrc.clone());
    facts.set("url.latency_p95", m.p95, lsrc.clone());
    facts.set("url.latency_max", m.max, lsrc);
    facts.set(
        "url.target",
        s.url.as_str(),
        format!("--url with the slowest answer{of}"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s = summarize(&[0.5, 0.1, 0.3, 0.2, 0.4]).unwrap();
        assert_eq!((s.p50, s.p95, s.max, s.n), (0.3, 0.5, 0.5, 5));
        let one = summarize(&[0.7]).unwrap();
        assert_eq!((one.p50, one.p95, one.max), (0.7, 0.7, 0.7));
        let twenty: Vec<f64> = (1..=20).map(f64::from).collect();
        let s = summarize(&twenty).unwrap();
        assert_eq!((s.p50, s.p95, s.max), (10.0, 19.0, 20.0));
        assert!(summarize(&[]).is_none());
    }

    #[test]
    fn urls_are_checked_before_sending() {
        assert!(check_url("http://127.0.0.1:8000/health").is_ok());
        let e = check_url("not a url").unwrap_err();
        assert!(e.contains("not a valid URL"), "{e}");
        let e = check_url("https://example.org/").unwrap_err();
        assert!(e.contains("https is not supported"), "{e}");
        let e = check_url("ftp://x/").unwrap_err();
        assert!(e.contains("only http://"), "{e}");
        assert!(check_url("http://").is_err());
        assert!(check_url("").is_err());
        assert!(check_url("http://[::1").is_err());
        let u = check_url("http://app:s3cret@127.0.0.1:8000/").unwrap();
        assert_eq!(shown(&u), "http://app:***@127.0.0.1:8000/");
    }

    #[test]
    fn facts_describe_the_slowest_url_and_count_5xx_as_errors() {
        let samples = vec![
            Samples {
                url: "http://a/".into(),
                outcomes: vec![
                    Outcome::Answered {
                        secs: 0.1,
                        status: 200,
                    },
                    Outcome::Answered {
                        secs: 0.2,
                        status: 200,
                    },
                ],
            },
            Samples {
                url: "http://b/".into(),
                outcomes: vec![
                    Outcome::Answered {
                        secs: 2.0,
                        status: 502,
                    },
                    Outcome::Failed("cannot connect: connection refused".into()),
                ],
            },
        ];
        let mut f = Facts::new();
        set_facts(&samples, Duration::from_secs(3), &mut f);
        assert_eq!(f.int("url.requests"), Some(4));
        assert_eq!(f.int("url.errors"), Some(2));
        assert_eq!(f.str("url.target"), Some("http://b/"));
        assert_eq!(f.float("url.latency_max"), Some(2.0));
        assert_eq!(f.str("url.first_error"), Some("HTTP 502 from http://b/"));
    }

    #[test]
    fn nothing_answered_leaves_latency_unknown_with_the_error() {
        let samples = vec![Samples {
            url: "http://a/".into(),
            outcomes: vec![Outcome::Failed("timed out waiting for an answer".into())],
        }];
        let mut f = Facts::new();
        set_facts(&samples, Duration::from_secs(1), &mut f);
        assert_eq!(f.int("url.errors"), Some(1));
        let why = f.get("url.latency_max").unwrap().unknown_reason().unwrap();
        assert!(why.contains("timed out"), "{why}");
    }
}
