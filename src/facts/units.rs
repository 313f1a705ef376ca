//! Human-readable sizes and durations for messages and tables.
//!
//! Facts hold bytes and seconds; only printing converts them. Binary units (KiB, MiB, GiB)
//! because that is what cgroups, `free -m` and Docker's `-m 512m` mean.

pub const KIB: i64 = 1024;
pub const MIB: i64 = 1024 * KIB;
pub const GIB: i64 = 1024 * MIB;
pub const TIB: i64 = 1024 * GIB;

/// `536870912` → `512 MiB`; `1610612736` → `1.5 GiB`. Keeps at most one decimal.
pub fn bytes(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    let a = n.unsigned_abs();
    let units: [(u64, &str); 4] = [
        (TIB.unsigned_abs(), "TiB"),
        (GIB.unsigned_abs(), "GiB"),
        (MIB.unsigned_abs(), "MiB"),
        (KIB.unsigned_abs(), "KiB"),
    ];
    for (size, name) in units {
        if a >= size {
            #[allow(clippy::cast_precision_loss)]
            let v = a as f64 / size as f64;
            return format!("{sign}{} {name}", one_decimal(v));
        }
    }
    format!("{sign}{a} B")
}

/// `90.0` → `90 s`, `150.0` → `2 min 30 s`, `0.25` → `250 ms`.
pub fn duration(secs: f64) -> String {
    if secs < 1.0 && secs > 0.0 {
        return format!("{} ms", one_decimal(secs * 1000.0));
    }
    if secs < 120.0 {
        return format!("{} s", one_decimal(secs));
    }
    #[allow(clippy::cast_possible_truncation)]
    let whole = secs.round() as i64;
    if whole >= 2 * 86_400 {
        return format!("{} d", whole / 86_400);
    }
    if whole >= 2 * 3600 {
        let (h, m) = (whole / 3600, (whole % 3600) / 60);
        return if m == 0 {
            format!("{h} h")
        } else {
            format!("{h} h {m} min")
        };
    }
    let (m, s) = (whole / 60, whole % 60);
    if s == 0 {
        format!("{m} min")
    } else {
        format!("{m} min {s} s")
    }
}

fn one_decimal(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if (r - r.trunc()).abs() < f64::EPSILON {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_binary_with_one_decimal() {
        assert_eq!(bytes(536_870_912), "512 MiB");
        assert_eq!(bytes(1_610_612_736), "1.5 GiB");
        assert_eq!(bytes(1000), "1000 B");
        assert_eq!(bytes(-2 * GIB), "-2 GiB");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(30.0), "30 s");
        assert_eq!(duration(150.0), "2 min 30 s");
        assert_eq!(duration(0.25), "250 ms");
        assert_eq!(duration(86_400.0), "24 h");
        assert_eq!(duration(3.0 * 86_400.0), "3 d");
    }
}
