//! `/proc/swaps`: which swap devices and files are active.
//!
//! `swap.total` in meminfo says how much; this says how many and which, so a message can name
//! the swap file a user would resize.

use super::Ctx;
use super::procfs::{ParseError, quote};
use crate::facts::Facts;
use crate::facts::registry::{FactSpec, int, string};

pub const FACTS: &[FactSpec] = &[
    int(
        "swap.devices",
        "Number of active swap devices and files (/proc/swaps)",
    ),
    string(
        "swap.device_names",
        "Active swap devices and files, comma-separated (empty when none)",
    ),
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwapDevice {
    pub name: String,
    pub kind: String,
    /// Size in bytes (the file prints KiB).
    pub size: i64,
    pub used: i64,
}

/// Parses `/proc/swaps`: a header line, then one line per device.
pub fn parse(text: &str) -> Result<Vec<SwapDevice>, ParseError> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.starts_with("Filename") => {}
        _ => return Err(ParseError::new(format!("no header line: {}", quote(text)))),
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let bad = || ParseError::at(i + 1, format!("malformed swap line {}", quote(line)));
        let [name, kind, size, used, ..] = f.as_slice() else {
            return Err(bad());
        };
        let size: i64 = size.parse().map_err(|_| bad())?;
        let used: i64 = used.parse().map_err(|_| bad())?;
        out.push(SwapDevice {
            // Names with spaces are escaped as \040, as in mountinfo.
            name: name.replace("\\040", " "),
            kind: (*kind).to_string(),
            size: size.saturating_mul(1024),
            used: used.saturating_mul(1024),
        });
    }
    Ok(out)
}

pub fn collect(ctx: &Ctx, facts: &mut Facts) {
    let parsed = ctx
        .host
        .read("/proc/swaps")
        .and_then(|t| parse(&t).map_err(|e| format!("cannot parse /proc/swaps: {e}")));
    match parsed {
        Ok(devs) => {
            #[allow(clippy::cast_possible_wrap)]
            facts.set("swap.devices", devs.len() as i64, "/proc/swaps");
            let names: Vec<&str> = devs.iter().map(|d| d.name.as_str()).collect();
            facts.set("swap.device_names", names.join(","), "/proc/swaps");
        }
        Err(reason) => {
            facts.unknown("swap.devices", reason.clone());
            facts.unknown("swap.device_names", reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_swap_is_header_only() {
        // The build host: swap off.
        let t = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";
        assert_eq!(parse(t).unwrap(), vec![]);
    }

    #[test]
    fn swap_file_and_partition() {
        let t = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n\
/swapfile                               file\t\t2097148\t\t1024\t\t-2\n\
/dev/vda2                               partition\t1048572\t\t0\t\t-3\n";
        let d = parse(t).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].name, "/swapfile");
        assert_eq!(d[0].size, 2_097_148 * 1024);
        assert_eq!(d[1].kind, "partition");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse("").is_err());
        assert!(parse("Filename Type\n/swap file x y").is_err());
        assert!(parse("Filename Type\nshort").is_err());
    }
}
