//! Shared pieces for the `/proc` and `/sys` parsers: the parse error, and the small formats that
//! recur across kernel files (a single number, a CPU list, `key value` lines).
//!
//! Every parser in the host probes is a pure function of the file's text so it can be tested on
//! text copied from real machines; this module keeps their error type and helpers in one place
//! so each parser stays a screenful.

use std::fmt;

/// Why a kernel file's text could not be understood. Carries the 1-based line when one is at fault,
/// so a support engineer can open the file and look.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: Option<usize>,
    pub msg: String,
}

impl ParseError {
    pub fn new(msg: impl Into<String>) -> Self {
        Self {
            line: None,
            msg: msg.into(),
        }
    }

    pub fn at(line: usize, msg: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            msg: msg.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.msg),
            None => f.write_str(&self.msg),
        }
    }
}

impl std::error::Error for ParseError {}

/// Quotes a file's content for an error message, cut short so garbage cannot flood a report.
pub fn quote(text: &str) -> String {
    let t = text.trim();
    let mut out: String = t.chars().take(40).collect();
    if t.chars().count() > 40 {
        out.push('…');
    }
    format!("{out:?}")
}

/// A file holding one integer (`/proc/sys/vm/swappiness`, `memory.usage_in_bytes`).
pub fn parse_int(text: &str) -> Result<i64, ParseError> {
    let t = text.trim();
    t.parse::<i64>()
        .map_err(|_| ParseError::new(format!("expected an integer, found {}", quote(text))))
}

/// A kernel CPU list (`0-3,8,10-11`), as in `/sys/devices/system/cpu/online`, `cpuset.cpus` and
/// `Cpus_allowed_list`; returns how many CPUs it names. An empty list is zero CPUs (an empty
/// `cpuset.cpus` on a v1 child means "inherit", which the caller decides).
pub fn parse_cpu_list(text: &str) -> Result<i64, ParseError> {
    let t = text.trim();
    let mut n: i64 = 0;
    if t.is_empty() {
        return Ok(0);
    }
    for part in t.split(',') {
        let part = part.trim();
        let bad = || ParseError::new(format!("not a CPU list: {}", quote(text)));
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (
                a.parse::<i64>().map_err(|_| bad())?,
                b.parse::<i64>().map_err(|_| bad())?,
            ),
            None => {
                let v = part.parse::<i64>().map_err(|_| bad())?;
                (v, v)
            }
        };
        if b < a || a < 0 {
            return Err(bad());
        }
        n = n.saturating_add(b - a + 1);
    }
    Ok(n)
}

/// `key value` lines (`/proc/vmstat`, cgroup `memory.stat`, `memory.events`, `memory.oom_control`):
/// the value for `key`, if the key is present. A present key with a non-integer value is an error,
/// not a silent absence.
pub fn keyed_int(text: &str, key: &str) -> Result<Option<i64>, ParseError> {
    for (i, line) in text.lines().enumerate() {
        let mut it = line.split_whitespace();
        if it.next() == Some(key) {
            let v = it.next().unwrap_or("");
            return v.parse::<i64>().map(Some).map_err(|_| {
                ParseError::at(
                    i + 1,
                    format!("{key}: expected an integer, found {}", quote(v)),
                )
            });
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_count_ranges_and_singles() {
        assert_eq!(parse_cpu_list("0-1\n"), Ok(2));
        assert_eq!(parse_cpu_list("0-3,8,10-11"), Ok(7));
        assert_eq!(parse_cpu_list(""), Ok(0));
        assert!(parse_cpu_list("3-1").is_err());
        assert!(parse_cpu_list("zero").is_err());
    }

    #[test]
    fn keyed_ints_distinguish_absent_from_garbage() {
        let t = "oom 0\noom_kill 3\n";
        assert_eq!(keyed_int(t, "oom_kill"), Ok(Some(3)));
        assert_eq!(keyed_int(t, "max"), Ok(None));
        assert!(keyed_int("oom_kill x", "oom_kill").is_err());
    }

    #[test]
    fn quote_cuts_long_garbage() {
        let q = quote(&"x".repeat(100));
        assert!(q.chars().count() < 50, "{q}");
    }
}
