//! The running server's own answer (`--postgres URL`): `pg_settings`, the version, and how many
//! connections are in use.
//!
//! A file says what the server *will* run with after a restart; `pg_settings` says what it runs
//! with now (after `-c` flags, `ALTER SYSTEM`, Compose `command:` and initdb's choices), so when a
//! URL is given and answers, it wins. One timeout bounds connect, authentication and every query
//! together: a firewall that drops packets or a proxy that accepts and never answers must cost
//! the run `--timeout` seconds, not hang it. TLS is not offered (tokio-postgres `NoTls`): a
//! server that requires it is reported as such. The password never appears in a source or a
//! reason.

use super::params::{PARAMS, PgValue, find};
use super::{Resolved, Version, derive};
use std::str::FromStr;
use std::time::Duration;
use tokio_postgres::{Config, NoTls, SimpleQueryMessage};

/// What the live probe learned.
#[derive(Clone, Debug)]
pub struct Live {
    pub version: Version,
    pub resolved: Resolved,
    /// Client backends other than headroom's own connection.
    pub connections_in_use: i64,
    /// `pg_settings (live, postgres://user@host:port/db)`, without the password.
    pub source: String,
}

/// The URL as it may be shown: scheme, user, host, port and database only.
pub fn display_url(cfg: &Config) -> String {
    let user = cfg.get_user().unwrap_or("");
    let host = cfg.get_hosts().first().map_or_else(
        || "localhost".to_string(),
        |h| match h {
            tokio_postgres::config::Host::Tcp(s) => s.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        },
    );
    let port = cfg.get_ports().first().copied().unwrap_or(5432);
    let db = cfg.get_dbname().unwrap_or(user);
    let at = if user.is_empty() {
        String::new()
    } else {
        format!("{user}@")
    };
    format!("postgres://{at}{host}:{port}/{db}")
}

/// Removes the password of `url` from `text`, in case a library echoes part of the URL.
fn redact(url: &str, text: &str) -> String {
    let secret = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map(|(_, pw)| pw)
        .filter(|pw| !pw.is_empty());
    let mut out = text.to_string();
    if let Some(pw) = secret {
        out = out.replace(pw, "***");
    }
    for (k, v) in url
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
    {
        if k == "password" && !v.is_empty() {
            out = out.replace(v, "***");
        }
    }
    out
}

/// An error with its causes, `a: b: c`, without the " (os error N)" tails.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s.split(" (os error").next().unwrap_or(&s).to_string()
}

/// Why a connection failed, in words a user can act on.
fn explain(e: &tokio_postgres::Error, shown: &str) -> String {
    if let Some(db) = e.as_db_error() {
        let msg = db.message();
        let tls = if msg.contains("no encryption") || msg.contains("SSL") {
            " (headroom connects without TLS; the server seems to require it)"
        } else {
            ""
        };
        return format!("{shown}: {} {msg}{tls}", db.severity());
    }
    let s = chain(e);
    let tls = if s.contains("TLS") || s.contains("tls") {
        " (headroom connects without TLS)"
    } else {
        ""
    };
    format!("{shown}: {s}{tls}")
}

/// Reads the live settings, bounded by `timeout` as a whole.
pub fn read(url: &str, timeout: Duration) -> Result<Live, String> {
    let cfg = Config::from_str(url)
        .map_err(|e| redact(url, &format!("invalid --postgres URL: {}", chain(&e))))?;
    let shown = display_url(&cfg);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let secs = timeout.as_secs_f64();
    let r = rt.block_on(async {
        tokio::time::timeout(timeout, query(&cfg, &shown))
            .await
            .unwrap_or_else(|_| {
                Err(format!(
                    "{shown}: no answer within {secs} s (connect, authentication and queries; --timeout)"
                ))
            })
    });
    r.map_err(|e| redact(url, &e))
}

async fn query(cfg: &Config, shown: &str) -> Result<Live, String> {
    let (client, conn) = cfg.connect(NoTls).await.map_err(|e| explain(&e, shown))?;
    // The connection does the I/O; it ends when the client is dropped.
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let rows = |msgs: Vec<SimpleQueryMessage>| -> Vec<Vec<Option<String>>> {
        msgs.into_iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(r) => {
                    Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                }
                _ => None,
            })
            .collect()
    };
    let names: Vec<String> = PARAMS.iter().map(|p| format!("'{}'", p.name)).collect();
    let sql = format!(
        "SELECT name, setting, unit FROM pg_settings WHERE name IN ({})",
        names.join(", ")
    );
    let settings = rows(
        client
            .simple_query(&sql)
            .await
            .map_err(|e| explain(&e, shown))?,
    );
    let vnum = rows(
        client
            .simple_query("SHOW server_version_num")
            .await
            .map_err(|e| explain(&e, shown))?,
    );
    let conns = rows(
        client
            // Without pg_read_all_stats, other roles' rows hide backend_type; a hidden row
            // with a database is a client backend (or, briefly, an autovacuum/parallel worker).
            .simple_query(
                "SELECT count(*) FILTER (WHERE backend_type = 'client backend'), \
                        count(*) FILTER (WHERE backend_type IS NULL AND datid IS NOT NULL) \
                 FROM pg_stat_activity WHERE pid <> pg_backend_pid()",
            )
            .await
            .map_err(|e| explain(&e, shown))?,
    );
    let num: i64 = vnum
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| format!("{shown}: no server_version_num"))?;
    let major = u32::try_from(num / 10000).unwrap_or(0);
    let source = format!("pg_settings (live, {shown})");
    let version = Version {
        major,
        source: format!("server_version_num {num} (live, {shown})"),
    };
    let mut resolved = Resolved::new();
    for row in &settings {
        let (Some(Some(name)), Some(Some(setting))) = (row.first(), row.get(1)) else {
            continue;
        };
        let unit = row.get(2).cloned().flatten();
        let Some(p) = find(name) else { continue };
        let v = value(p, setting, unit.as_deref())
            .map(|v| (v, source.clone()))
            .map_err(|e| format!("{source}: {name} = '{setting}': {e}"));
        resolved.insert(p.name, v);
    }
    for p in PARAMS {
        resolved.entry(p.name).or_insert_with(|| {
            if major < p.since {
                // reserved_connections (16+): no such reservation; hash_mem_multiplier (13+):
                // hash nodes used plain work_mem, i.e. 1.0.
                Ok((
                    p.default_value(p.since),
                    format!(
                        "not in PostgreSQL {major} (added in {}): counts as its first default",
                        p.since
                    ),
                ))
            } else {
                Err(format!("{source}: {} not in pg_settings", p.name))
            }
        });
    }
    derive(&mut resolved);
    let count = |i: usize| -> Option<i64> {
        conns
            .first()
            .and_then(|r| r.get(i).cloned().flatten())
            .and_then(|s| s.parse().ok())
    };
    let (visible, hidden) = count(0)
        .zip(count(1))
        .ok_or_else(|| format!("{shown}: pg_stat_activity gave no count"))?;
    let hidden_note = if hidden > 0 {
        format!(
            "; {hidden} of them belong to other roles whose details this role cannot see \
             (grant pg_read_all_stats for an exact count)"
        )
    } else {
        String::new()
    };
    Ok(Live {
        version,
        resolved,
        connections_in_use: visible + hidden,
        source: format!(
            "pg_stat_activity client backends (live, {shown}; excluding headroom's own{hidden_note})"
        ),
    })
}

/// `pg_settings.setting` × `pg_settings.unit` → the value (bytes for memory).
fn value(p: &super::params::Param, setting: &str, unit: Option<&str>) -> Result<PgValue, String> {
    use super::params::Kind;
    match p.kind {
        Kind::Int { .. } => {
            let n: i64 = setting
                .trim()
                .parse()
                .map_err(|_| "not an integer".to_string())?;
            if n == -1 {
                return Ok(PgValue::Int(-1));
            }
            let per = match unit {
                None | Some("") => 1,
                Some(u) => unit_bytes(u).ok_or_else(|| format!("unexpected unit '{u}'"))?,
            };
            Ok(PgValue::Int(n.saturating_mul(per)))
        }
        Kind::Real { .. } => setting
            .trim()
            .parse()
            .map(PgValue::Real)
            .map_err(|_| "not a number".to_string()),
        Kind::Enum(_) => Ok(PgValue::Enum(setting.to_string())),
    }
}

/// `8kB` → 8192, `kB` → 1024, `MB`, `B`, `16MB`.
fn unit_bytes(u: &str) -> Option<i64> {
    let digits = u.chars().take_while(char::is_ascii_digit).count();
    let (n, unit) = u.split_at(digits);
    let n: i64 = if n.is_empty() { 1 } else { n.parse().ok()? };
    let per = match unit {
        "B" => 1,
        "kB" => 1024,
        "MB" => 1024 * 1024,
        "GB" => 1024 * 1024 * 1024,
        _ => return None,
    };
    Some(n * per)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_never_shown() {
        let url = "postgres://app:s3cret@db.example:5433/shop";
        let cfg = Config::from_str(url).unwrap();
        assert_eq!(display_url(&cfg), "postgres://app@db.example:5433/shop");
        assert_eq!(redact(url, "oops s3cret"), "oops ***");
        assert_eq!(
            redact("postgres://h/db?password=hunter2", "x hunter2"),
            "x ***"
        );
    }

    #[test]
    fn units_of_pg_settings() {
        assert_eq!(unit_bytes("8kB"), Some(8192));
        assert_eq!(unit_bytes("kB"), Some(1024));
        assert_eq!(unit_bytes("16MB"), Some(16 << 20));
        assert_eq!(unit_bytes("ms"), None);
    }

    #[test]
    fn malformed_url_is_a_reason_not_a_panic() {
        let e = read("postgres://u:pw@[::1:5432/x", Duration::from_secs(1)).unwrap_err();
        assert!(e.starts_with("invalid --postgres URL"), "{e}");
        assert!(!e.contains("pw@"), "{e}");
    }
}
