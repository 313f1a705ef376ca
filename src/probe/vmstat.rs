//! `/proc/vmstat`: the host-wide OOM kill counter (`oom_kill`, kernel 4.13+).
//!
//! It is the kernel's own count since boot, so it confirms an OOM where Gunicorn's
//! "Perhaps out of memory?" line only guesses (domain.md §0.1).

use super::Ctx;
use super::procfs::{ParseError, keyed_int};
use crate::facts::Facts;
use crate::facts::registry::{FactSpec, int};

pub const FACTS: &[FactSpec] = &[int(
    "oom.host_kills",
    "Processes the kernel OOM killer killed since boot, host-wide (/proc/vmstat oom_kill)",
)];

/// The `oom_kill` counter; `None` on kernels before 4.13 that do not print it.
pub fn parse(text: &str) -> Result<Option<i64>, ParseError> {
    keyed_int(text, "oom_kill")
}

pub fn collect(ctx: &Ctx, facts: &mut Facts) {
    let parsed = ctx
        .host
        .read("/proc/vmstat")
        .and_then(|t| parse(&t).map_err(|e| format!("cannot parse /proc/vmstat: {e}")));
    match parsed {
        Ok(Some(n)) => facts.set("oom.host_kills", n, "/proc/vmstat oom_kill"),
        Ok(None) => facts.unknown(
            "oom.host_kills",
            "/proc/vmstat has no oom_kill line (kernel older than 4.13)",
        ),
        Err(reason) => facts.unknown("oom.host_kills", reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_oom_kill_among_many() {
        let t = "nr_free_pages 5978460\noom_kill 2\nnuma_hit 1\n";
        assert_eq!(parse(t), Ok(Some(2)));
        assert_eq!(parse("nr_free_pages 1\n"), Ok(None));
        assert!(parse("oom_kill many").is_err());
    }
}
