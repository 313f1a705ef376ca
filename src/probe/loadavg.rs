//! `/proc/loadavg`: run-queue load over 1, 5 and 15 minutes.
//!
//! Compared with `cpu.effective` it tells whether the machine is already busy before the stack
//! starts (a load of 2 on a 0.5-CPU container is four times over).

use super::Ctx;
use super::procfs::{ParseError, quote};
use crate::facts::Facts;
use crate::facts::registry::{FactSpec, float};

pub const FACTS: &[FactSpec] = &[
    float(
        "load.avg1",
        "Load average over 1 minute (/proc/loadavg), host-wide even in a container",
    ),
    float("load.avg5", "Load average over 5 minutes (/proc/loadavg)"),
    float("load.avg15", "Load average over 15 minutes (/proc/loadavg)"),
];

/// The three averages from `0.65 0.60 0.37 1/103 9239`.
pub fn parse(text: &str) -> Result<[f64; 3], ParseError> {
    let mut it = text.split_whitespace();
    let mut out = [0.0; 3];
    for slot in &mut out {
        *slot = it
            .next()
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| ParseError::new(format!("not a load average: {}", quote(text))))?;
    }
    Ok(out)
}

pub fn collect(ctx: &Ctx, facts: &mut Facts) {
    let parsed = ctx
        .host
        .read("/proc/loadavg")
        .and_then(|t| parse(&t).map_err(|e| format!("cannot parse /proc/loadavg: {e}")));
    match parsed {
        Ok([a1, a5, a15]) => {
            facts.set("load.avg1", a1, "/proc/loadavg");
            facts.set("load.avg5", a5, "/proc/loadavg");
            facts.set("load.avg15", a15, "/proc/loadavg");
        }
        Err(reason) => {
            for spec in FACTS {
                facts.unknown(spec.name, reason.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_line() {
        assert_eq!(parse("0.65 0.60 0.37 1/103 9239\n"), Ok([0.65, 0.60, 0.37]));
        assert!(parse("0.65 NaN").is_err());
        assert!(parse("").is_err());
    }
}
