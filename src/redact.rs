//! Redaction: keep secrets out of every report, snapshot and support ticket by default.
//!
//! Applied to every string headroom prints (fact values, sources, unknown reasons, messages, log
//! excerpts). Each distinct secret becomes a stable placeholder (`[SECRET-1]`), the same secret
//! the same placeholder across one output, so a support engineer can still see that two settings
//! are equal. What counts as a secret (documented in the README):
//!
//! - the password in a URL's userinfo (`postgresql://app:…@db/app`);
//! - the value after a key whose name means a secret (`PASSWORD`, `PASSWD`, `PASS`, `SECRET`,
//!   `TOKEN`, `KEY`, `CREDENTIAL`, `AUTH`, `DSN`, `PRIVATE`, `SALT`, `COOKIE`, `SESSION`) in
//!   `k=v`, `k: v`, `"k": "v"`, `--k v`, `--k=v` and `-c k=v` forms;
//! - PEM blocks (private keys and certificates), `Bearer`/`Basic` credentials;
//! - values that look like keys: well-known token prefixes (`AKIA…`, `ghp_…`, `github_pat_…`,
//!   `glpat-…`, `xox[abp]-…`, `sk-…`, JWTs `eyJ….….…`) and long random-looking strings (≥ 32
//!   characters mixing upper case, lower case and digits).
//!
//! With `--redact-hosts`, host names in URLs and after host-like keys, IPv4/IPv6 addresses and
//! e-mail addresses become `[HOST-n]`, `[IP-n]`, `[EMAIL-n]`. Loopback and wildcard addresses are
//! kept: they say where something listens, not where the customer is.
//!
//! Written as small scanners rather than regular expressions: it runs on every `check`, and
//! compiling a regex set each run would cost a visible share of the start-up budget.

use crate::facts::{Fact, Facts, Value};
use std::collections::BTreeMap;

/// Words that make a key name a secret's name (matched case-insensitively inside the name).
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "CREDENTIAL",
    "PRIVATE",
    "DSN",
    "SALT",
    "COOKIE",
    "SESSION",
    "APIKEY",
    "API_KEY",
    "ACCESS_KEY",
    "AUTH",
];

/// Key names that contain a secret word but hold no secret.
const NOT_SECRET: &[&str] = &[
    "KEEPALIVE",
    "KEEP_ALIVE",
    "MAX_KEYS",
    "AUTHOR",
    "AUTH_METHOD",
    "POSTGRES_HOST_AUTH_METHOD",
    "SESSION_TIMEOUT",
    "TOKEN_TTL",
];

/// Keys whose values are host names, for `--redact-hosts`.
const HOST_KEYS: &[&str] = &["HOST", "HOSTNAME", "SERVER", "DOMAIN", "URL_HOST", "FQDN"];

/// Case-insensitive "contains" without allocating (names are ASCII).
fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

fn eq_word(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// True when a key name means its value is a secret. A dotted name is judged by its last part
/// (`db.password` is a secret's name; `private.sock` is a file name). `-` counts as `_`.
pub fn is_secret_name(name: &str) -> bool {
    let name = name.rsplit('.').next().unwrap_or(name).as_bytes();
    let norm = |c: &u8| {
        if *c == b'-' {
            b'_'
        } else {
            c.to_ascii_uppercase()
        }
    };
    let up: Vec<u8> = name.iter().map(norm).collect();
    for n in NOT_SECRET {
        let n = n.as_bytes();
        if up == n || (up.len() > n.len() && up.ends_with(n) && up[up.len() - n.len() - 1] == b'_')
        {
            return false;
        }
    }
    if SECRET_WORDS.iter().any(|w| contains_ci(&up, w.as_bytes())) {
        return true;
    }
    // KEY and PASS as whole words only: `SECRET_KEY`, `DB_PASS`, `key` — not `KEYBOARD`, `PASSIVE`.
    up.split(|c| *c == b'_').any(|w| {
        eq_word(w, b"KEY") || eq_word(w, b"PASS") || eq_word(w, b"PWD") || eq_word(w, b"PW")
    }) || up.ends_with(b"KEY")
        || up.ends_with(b"_PASS")
}

#[derive(Clone, Debug, Default)]
pub struct Redactor {
    hosts: bool,
    enabled: bool,
    /// original → placeholder
    seen: BTreeMap<String, String>,
    counts: BTreeMap<&'static str, usize>,
    /// text → redacted text: the same reasons and sources recur in many findings and facts
    /// ("not asked: …", "/proc/meminfo"), and a pass over one costs ~10,000 instructions.
    done: std::collections::HashMap<String, String>,
}

impl Redactor {
    pub fn new(enabled: bool, hosts: bool) -> Self {
        Self {
            hosts: hosts && enabled,
            enabled,
            ..Self::default()
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// How many distinct values were replaced, per kind.
    pub fn counts(&self) -> &BTreeMap<&'static str, usize> {
        &self.counts
    }

    fn placeholder(&mut self, kind: &'static str, original: &str) -> String {
        if let Some(p) = self.seen.get(original) {
            return p.clone();
        }
        let n = self.counts.entry(kind).or_insert(0);
        *n += 1;
        let p = format!("[{kind}-{n}]");
        self.seen.insert(original.to_string(), p.clone());
        p
    }

    /// Redacts one string.
    pub fn text(&mut self, s: &str) -> String {
        if !self.enabled || s.is_empty() {
            return s.to_string();
        }
        if let Some(done) = self.done.get(s) {
            return done.clone();
        }
        let out = self.redact(s);
        self.done.insert(s.to_string(), out.clone());
        out
    }

    fn redact(&mut self, s: &str) -> String {
        // Each pass runs only when its trigger is present: most strings (sizes, paths, plain
        // sources) have nothing to redact, and this runs on every fact of every output.
        let mut s = s.to_string();
        if s.contains("-----BEGIN ") {
            s = self.pem(&s);
        }
        if s.contains("://") {
            s = self.url_userinfo(&s);
        }
        if s.contains(['=', ':']) || s.contains("--") {
            s = self.key_values(&s);
        }
        if s.contains("Bearer ")
            || s.contains("bearer ")
            || s.contains("Basic ")
            || s.contains("Token ")
        {
            s = self.auth_schemes(&s);
        }
        if has_long_word(&s) {
            s = self.tokens(&s);
        }
        if self.hosts { self.host_like(&s) } else { s }
    }

    /// Redacts a value a message prints; `fact` names the fact it is, when it is one, so a
    /// secret-named fact is hidden whole, as in [`Redactor::facts`].
    pub fn value(&mut self, fact: Option<&str>, s: &str) -> String {
        match fact {
            Some(name) if self.enabled && is_secret_name(name) => self.placeholder("SECRET", s),
            _ => self.text(s),
        }
    }

    /// Redacts every string in a facts map: values, sources, reasons. A fact whose own name
    /// means a secret has its whole value replaced.
    pub fn facts(&mut self, facts: &Facts) -> Facts {
        if !self.enabled {
            return facts.clone();
        }
        let mut out = Facts::new();
        for (name, fact) in facts.iter() {
            let f = match fact {
                Fact::Known {
                    value,
                    unit,
                    source,
                } => {
                    let value = match value {
                        Value::Str(v)
                            if is_secret_name(name.rsplit('.').next().unwrap_or(name)) =>
                        {
                            Value::Str(self.placeholder("SECRET", v))
                        }
                        Value::Str(v) => Value::Str(self.text(v)),
                        other => other.clone(),
                    };
                    Fact::Known {
                        value,
                        unit: *unit,
                        source: self.text(source),
                    }
                }
                Fact::Unknown { unknown } => Fact::Unknown {
                    unknown: self.text(unknown),
                },
            };
            out.0.insert(name.clone(), f);
        }
        out
    }

    fn pem(&mut self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(b) = rest.find("-----BEGIN ") {
            let Some(hdr_end) = rest[b + 11..].find("-----") else {
                break;
            };
            let label = &rest[b + 11..b + 11 + hdr_end];
            let end_marker = format!("-----END {label}-----");
            let body_from = b + 11 + hdr_end + 5;
            let end = rest[body_from..]
                .find(&end_marker)
                .map_or(rest.len(), |e| body_from + e + end_marker.len());
            out.push_str(&rest[..b]);
            let block = &rest[b..end];
            let kind = if label.contains("PRIVATE") {
                "PRIVATE-KEY"
            } else {
                "CERTIFICATE"
            };
            out.push_str(&self.placeholder(kind, block));
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }

    /// `scheme://user:password@host` → `scheme://user:[SECRET-1]@host` (and the host, with
    /// `--redact-hosts`).
    fn url_userinfo(&mut self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("://") {
            out.push_str(&rest[..i + 3]);
            let after = &rest[i + 3..];
            let auth_end = after
                .find(|c: char| {
                    c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"' || c == '\''
                })
                .unwrap_or(after.len());
            let authority = &after[..auth_end];
            let (userinfo, hostport) = match authority.rfind('@') {
                Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
                None => (None, authority),
            };
            if let Some(ui) = userinfo {
                match ui.split_once(':') {
                    Some((user, pw)) if !pw.is_empty() && !pw.starts_with('[') => {
                        let p = self.placeholder("SECRET", pw);
                        out.push_str(user);
                        out.push(':');
                        out.push_str(&p);
                    }
                    _ => out.push_str(ui),
                }
                out.push('@');
            }
            if self.hosts {
                let (host, port) = split_host_port(hostport);
                if is_public_host(host) {
                    let kind = if host.parse::<std::net::IpAddr>().is_ok() {
                        "IP"
                    } else {
                        "HOST"
                    };
                    out.push_str(&self.placeholder(kind, host));
                } else {
                    out.push_str(host);
                }
                out.push_str(port);
            } else {
                out.push_str(hostport);
            }
            rest = &after[auth_end..];
        }
        out.push_str(rest);
        out
    }

    /// `KEY=value`, `key: value`, `"key": "value"`, `--key value`, `--key=value`.
    fn key_values(&mut self, s: &str) -> String {
        let b = s.as_bytes();
        let mut out = String::with_capacity(s.len());
        let mut i = 0;
        let mut copied = 0;
        let flags = s.contains("--");
        while i < b.len() {
            let c = b[i];
            let is_sep = c == b'=' || c == b':';
            // `--password value`: a flag followed by a space.
            let is_flag_space = c == b' ' && flags && i > 2 && {
                let key = key_before(s, i);
                key.len() > 2 && s[..i].ends_with(key) && s[..i - key.len()].ends_with("--")
            };
            if !(is_sep || is_flag_space) {
                i += 1;
                continue;
            }
            let key = key_before(s, i).trim_matches('"').trim_matches('\'');
            let secret = is_secret_name(key);
            let host = self.hosts
                && HOST_KEYS.iter().any(|h| {
                    key.eq_ignore_ascii_case(h)
                        || key.to_ascii_uppercase().ends_with(&format!("_{h}"))
                });
            if key.is_empty() || !(secret || host) || (c == b':' && b.get(i + 1) == Some(&b'/')) {
                i += 1;
                continue;
            }
            // Skip spaces and an opening quote after the separator.
            let mut v = i + 1;
            while v < b.len() && b[v] == b' ' && c != b' ' {
                v += 1;
            }
            let quote = b.get(v).copied().filter(|q| *q == b'"' || *q == b'\'');
            if quote.is_some() {
                v += 1;
            }
            let mut e = v;
            while e < b.len() {
                let ch = b[e];
                let stop = match quote {
                    Some(q) => ch == q,
                    None => {
                        ch.is_ascii_whitespace()
                            || matches!(ch, b',' | b';' | b'&' | b'"' | b'\'' | b'}' | b')')
                    }
                };
                if stop {
                    break;
                }
                e += 1;
            }
            let value = &s[v..e];
            // `Authorization: Bearer x`: the scheme word is not the secret; auth_schemes takes it.
            let scheme = ["bearer", "basic", "token", "digest"]
                .iter()
                .any(|w| value.eq_ignore_ascii_case(w));
            // `${VAR:?message}`: what follows `:?` is Compose's error text, not the value.
            let interpolation_message = c == b':' && value.starts_with('?');
            if scheme
                || interpolation_message
                || value.is_empty()
                || (value.starts_with('[') && value.ends_with(']'))
                || value.contains("://")
            {
                i += 1;
                continue;
            }
            out.push_str(&s[copied..v]);
            let kind = if secret { "SECRET" } else { "HOST" };
            out.push_str(&self.placeholder(kind, value));
            copied = e;
            i = e;
        }
        out.push_str(&s[copied..]);
        out
    }

    /// `Bearer xxx`, `Basic xxx`.
    fn auth_schemes(&mut self, s: &str) -> String {
        let mut out = s.to_string();
        for scheme in ["Bearer ", "bearer ", "Basic ", "Token "] {
            let mut from = 0;
            while let Some(i) = out[from..].find(scheme) {
                let start = from + i + scheme.len();
                let end = out[start..]
                    .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ',')
                    .map_or(out.len(), |e| start + e);
                let tok = out[start..end].to_string();
                if tok.len() >= 8 && !tok.starts_with('[') {
                    let p = self.placeholder("SECRET", &tok);
                    out.replace_range(start..end, &p);
                    from = start + p.len();
                } else {
                    from = end;
                }
            }
        }
        out
    }

    /// Free-standing values that look like keys.
    fn tokens(&mut self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut word = String::new();
        let flush = |w: &mut String, out: &mut String, me: &mut Self| {
            if looks_like_key(w) {
                let p = me.placeholder("SECRET", w);
                out.push_str(&p);
            } else {
                out.push_str(w);
            }
            w.clear();
        };
        for ch in s.chars() {
            if ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '+' | '/' | '=' | '.') {
                word.push(ch);
            } else {
                flush(&mut word, &mut out, self);
                out.push(ch);
            }
        }
        flush(&mut word, &mut out, self);
        out
    }

    /// IPv4, IPv6 and e-mail addresses (`--redact-hosts`).
    fn host_like(&mut self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut word = String::new();
        let emit = |w: &mut String, out: &mut String, me: &mut Self| {
            let trimmed = w.trim_end_matches(['.', ':']);
            let tail = &w[trimmed.len()..];
            let (core, port) = split_host_port(trimmed);
            if let Some(at) = core.find('@').filter(|_| core.contains('.')) {
                let (local, domain) = (&core[..at], &core[at + 1..]);
                if !local.is_empty() && domain.contains('.') && !domain.starts_with('[') {
                    out.push_str(&me.placeholder("EMAIL", core));
                    out.push_str(port);
                    out.push_str(tail);
                    w.clear();
                    return;
                }
            }
            if core.parse::<std::net::IpAddr>().is_ok() && is_public_host(core) {
                out.push_str(&me.placeholder("IP", core));
                out.push_str(port);
                out.push_str(tail);
            } else {
                out.push_str(w);
            }
            w.clear();
        };
        for ch in s.chars() {
            if ch.is_ascii_alphanumeric() || matches!(ch, '.' | ':' | '@' | '_' | '-' | '+' | '%') {
                word.push(ch);
            } else {
                emit(&mut word, &mut out, self);
                out.push(ch);
            }
        }
        emit(&mut word, &mut out, self);
        out
    }
}

/// The identifier just before byte `i` (a key name), possibly quoted.
fn key_before(s: &str, i: usize) -> &str {
    let head = s[..i].trim_end_matches(['"', '\'']);
    let start = head
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-' || *c == '.'))
        .map_or(0, |(p, c)| p + c.len_utf8());
    head[start..].trim_start_matches('-')
}

/// Splits `host:port` (and `[v6]:port`); the port part keeps its colon.
fn split_host_port(s: &str) -> (&str, &str) {
    if s.starts_with('[')
        && let Some(e) = s.find(']')
    {
        return (&s[1..e], &s[e + 1..]);
    }
    match s.rfind(':') {
        Some(c)
            if s[c + 1..].chars().all(|d| d.is_ascii_digit())
                && s[..c].matches(':').count() == 0 =>
        {
            (&s[..c], &s[c..])
        }
        _ => (s, ""),
    }
}

/// Loopback, wildcard and unix-socket-ish hosts are not about the customer.
fn is_public_host(h: &str) -> bool {
    !(h.is_empty()
        || h == "localhost"
        || h.starts_with("127.")
        || h == "0.0.0.0"
        || h == "::"
        || h == "::1"
        || h.starts_with('/')
        || h.starts_with('%'))
}

/// True when some run of token characters is long enough to be a key (16+).
fn has_long_word(s: &str) -> bool {
    let mut run = 0;
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'/' | b'=' | b'.') {
            run += 1;
            if run >= 16 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

fn looks_like_key(w: &str) -> bool {
    let w = w.trim_matches(|c: char| c == '.' || c == '=' || c == '-');
    const PREFIXES: &[&str] = &[
        "AKIA",
        "ASIA",
        "ghp_",
        "gho_",
        "ghs_",
        "ghu_",
        "github_pat_",
        "glpat-",
        "xoxb-",
        "xoxp-",
        "xoxa-",
        "sk-",
        "sk_live_",
        "pk_live_",
        "rk_live_",
    ];
    if w.len() >= 16 && PREFIXES.iter().any(|p| w.starts_with(p)) {
        return true;
    }
    if w.starts_with("eyJ") && w.matches('.').count() == 2 && w.len() > 30 {
        return true; // a JWT
    }
    if w.len() < 32 || w.contains('/') && !w.ends_with('=') {
        return false; // paths are not keys; base64 with padding may contain '/'
    }
    let upper = w.chars().filter(char::is_ascii_uppercase).count();
    let lower = w.chars().filter(char::is_ascii_lowercase).count();
    let digits = w.chars().filter(char::is_ascii_digit).count();
    upper >= 4 && lower >= 4 && digits >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> String {
        Redactor::new(true, false).text(s)
    }

    #[test]
    fn a_value_is_hidden_whole_when_its_fact_names_a_secret() {
        let mut red = Redactor::new(true, false);
        let hidden = red.value(Some("compose.env.DB_PASSWORD"), "plain-words");
        assert!(hidden.starts_with("[SECRET-"), "{hidden}");
        assert_eq!(red.value(Some("gunicorn.worker_class"), "sync"), "sync");
        assert_eq!(red.value(None, "plain-words"), "plain-words");
        let off = Redactor::new(false, false).value(Some("x.DB_PASSWORD"), "pw");
        assert_eq!(off, "pw");
    }

    #[test]
    fn url_passwords_are_replaced_stably() {
        let mut red = Redactor::new(true, false);
        let a = red.text("postgresql://app:hunter2secret@db:5432/app");
        let b = red.text("DATABASE_URL=postgres://other:hunter2secret@db/x");
        assert_eq!(a, "postgresql://app:[SECRET-1]@db:5432/app");
        assert_eq!(b, "DATABASE_URL=postgres://other:[SECRET-1]@db/x");
    }

    #[test]
    fn secret_named_keys_in_every_form() {
        assert_eq!(
            r("POSTGRES_PASSWORD=s3cr3t!"),
            "POSTGRES_PASSWORD=[SECRET-1]"
        );
        assert_eq!(r("secret_key: 'abc def'"), "secret_key: '[SECRET-1]'");
        assert_eq!(
            r("{\"api_token\": \"tok123\"}"),
            "{\"api_token\": \"[SECRET-1]\"}"
        );
        assert_eq!(
            r("--password hunter2 --port 5"),
            "--password [SECRET-1] --port 5"
        );
        assert_eq!(r("-c password=xyz"), "-c password=[SECRET-1]");
        assert_eq!(r("DB_PASS=p"), "DB_PASS=[SECRET-1]");
        // Not secrets.
        assert_eq!(r("keepalive=2 workers=3"), "keepalive=2 workers=3");
        assert_eq!(
            r("POSTGRES_HOST_AUTH_METHOD=trust"),
            "POSTGRES_HOST_AUTH_METHOD=trust"
        );
    }

    #[test]
    fn keys_tokens_and_pem_blocks() {
        assert_eq!(
            r("Authorization: Bearer abcdefghijkl"),
            "Authorization: Bearer [SECRET-1]"
        );
        assert_eq!(r("key AKIAIOSFODNN7EXAMPLE here"), "key [SECRET-1] here");
        let pem = "a\n-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\nb";
        assert_eq!(r(pem), "a\n[PRIVATE-KEY-1]\nb");
        assert_eq!(r("x Xk9fQ2mZpL7rT4vB8nW3yH6jD1sG5cA0 y"), "x [SECRET-1] y");
        // Container ids and paths stay: they are evidence, not secrets.
        let id = "/docker/58c0f1e2d3c4b5a6978877665544332211009988aabbccddeeff001122334455";
        assert_eq!(r(id), id);
    }

    #[test]
    fn hosts_only_with_redact_hosts() {
        let mut red = Redactor::new(true, true);
        assert_eq!(
            red.text("postgres://u:pw@db.example.com:5432/x from 203.0.113.7 by ops@example.com"),
            "postgres://u:[SECRET-1]@[HOST-1]:5432/x from [IP-1] by [EMAIL-1]"
        );
        assert_eq!(
            red.text("bind 127.0.0.1:8000 and 0.0.0.0:80"),
            "bind 127.0.0.1:8000 and 0.0.0.0:80"
        );
        assert_eq!(
            r("db.example.com 203.0.113.7"),
            "db.example.com 203.0.113.7"
        );
    }

    #[test]
    fn a_socket_path_named_private_is_not_a_key() {
        let msg = "/run/app/private.sock: cannot connect";
        assert_eq!(r(msg), msg);
        assert_eq!(r("db.password=hunter2"), "db.password=[SECRET-1]");
    }

    #[test]
    fn a_required_variable_message_keeps_its_words() {
        let msg = "${POSTGRES_PASSWORD:?required variable POSTGRES_PASSWORD is missing}";
        assert_eq!(r(msg), msg);
    }

    #[test]
    fn off_means_off() {
        assert_eq!(Redactor::new(false, true).text("PASSWORD=x"), "PASSWORD=x");
    }

    #[test]
    fn never_panics_on_odd_text() {
        let mut red = Redactor::new(true, true);
        for s in [
            "=",
            ":",
            "://",
            "a://@",
            "-----BEGIN ",
            "-----BEGIN X-----",
            "--password",
            "PASSWORD=\"",
            "é=ü:😀@",
            "[::1]:80",
            "Bearer ",
        ] {
            let _ = red.text(s);
        }
    }
}
