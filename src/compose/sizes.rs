//! Sizes and durations in Compose's own syntax, converted once to bytes and seconds.
//!
//! Compose (compose-go `types/bytes.go`) hands size strings to docker/go-units `RAMInBytes`:
//! case-insensitive, **binary** (1k = 1024), an optional space, an optional `i` and `b`, decimals
//! allowed and truncated after multiplying, integers meaning bytes (domain.md §3.2). Durations are
//! Go's `time.ParseDuration` (`1m30s`, `1.5h`, `300ms`).

/// `"512m"` → 536870912, `"1.5GiB"` → 1610612736, `"100"` → 100. The error is a reason fit for an
/// unknown fact.
pub fn ram_in_bytes(text: &str) -> Result<i64, String> {
    let bad = || format!("invalid size '{text}' (Compose sizes look like 512m, 1g, 1.5GiB)");
    let s = text;
    let num_end = s
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map_or(s.len(), |(i, _)| i);
    let (num, rest) = s.split_at(num_end);
    // go-units' regex is `^(\d+(\.\d+)*) ?([kmgtp])?i?b?$`: the number must start with a digit
    // and each dot must be followed by digits; ParseFloat then rejects "1.2.3".
    if num.is_empty() || num.starts_with('.') || num.ends_with('.') || num.contains("..") {
        return Err(bad());
    }
    let value: f64 = num.parse().map_err(|_| bad())?;
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let lower = rest.to_ascii_lowercase();
    let mut chars = lower.chars().peekable();
    let mult: f64 = match chars.peek() {
        Some('k') => 1024f64,
        Some('m') => 1024f64.powi(2),
        Some('g') => 1024f64.powi(3),
        Some('t') => 1024f64.powi(4),
        Some('p') => 1024f64.powi(5),
        _ => 1.0,
    };
    let has_prefix = mult > 1.0;
    if has_prefix {
        chars.next();
    }
    if has_prefix && chars.peek() == Some(&'i') {
        chars.next();
    }
    if chars.peek() == Some(&'b') {
        chars.next();
    }
    if chars.next().is_some() {
        return Err(bad());
    }
    let bytes = value * mult;
    #[allow(clippy::cast_precision_loss)]
    if !bytes.is_finite() || bytes >= i64::MAX as f64 {
        return Err(format!("size '{text}' is too large"));
    }
    // Go's int64(float) truncates toward zero, and so does `as`.
    #[allow(clippy::cast_possible_truncation)]
    Ok(bytes as i64)
}

/// Go `time.ParseDuration`: `"1m30s"` → 90.0, `"1.5h"`, `"250ms"`, `"0"`. Returns seconds.
pub fn go_duration(text: &str) -> Result<f64, String> {
    let bad = |why: &str| {
        format!("invalid duration '{text}': {why} (Compose durations look like 10s, 1m30s)")
    };
    let (neg, mut s) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if s == "0" {
        return Ok(0.0);
    }
    if s.is_empty() {
        return Err(bad("empty"));
    }
    let mut total = 0.0;
    while !s.is_empty() {
        let n_end = s
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
            .map_or(s.len(), |(i, _)| i);
        let (num, rest) = s.split_at(n_end);
        if num.is_empty() || num == "." {
            return Err(bad("expected a number"));
        }
        let value: f64 = num.parse().map_err(|_| bad("bad number"))?;
        let u_end = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(rest.len(), |(i, _)| i);
        let (unit, tail) = rest.split_at(u_end);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return Err(bad("missing unit")),
            _ => return Err(bad("unknown unit")),
        };
        total += value * scale;
        s = tail;
    }
    Ok(if neg { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ram_in_bytes_matches_go_units() {
        let cases = [
            ("32", 32),
            ("32b", 32),
            ("32B", 32),
            ("32k", 32 * 1024),
            ("32K", 32 * 1024),
            ("32kb", 32 * 1024),
            ("32Kib", 32 * 1024),
            ("32Mb", 32 * 1024 * 1024),
            ("32Gb", 32 * 1024 * 1024 * 1024),
            ("32Tb", 32 * 1024_i64.pow(4)),
            ("32Pb", 32 * 1024_i64.pow(5)),
            ("32 mb", 32 * 1024 * 1024),
            ("1.5g", 1_610_612_736),
            ("0.3m", 314_572),
            ("512m", 536_870_912),
            // The regex is `^(\d+(\.\d+)*) ?([kmgtp])?i?b?$`: a lone trailing space matches.
            ("32 ", 32),
        ];
        for (s, want) in cases {
            assert_eq!(ram_in_bytes(s), Ok(want), "{s}");
        }
        for s in [
            "", "32.", ".5m", "-1", "32  mb", "32bm", "1.2.3m", "m", "12x", "1e3",
        ] {
            assert!(ram_in_bytes(s).is_err(), "{s} should be rejected");
        }
    }

    #[test]
    fn durations_are_go_durations() {
        assert_eq!(go_duration("1m30s"), Ok(90.0));
        assert_eq!(go_duration("10s"), Ok(10.0));
        assert_eq!(go_duration("1.5h"), Ok(5400.0));
        assert_eq!(go_duration("0"), Ok(0.0));
        assert!((go_duration("250ms").unwrap() - 0.25).abs() < 1e-9);
        assert!((go_duration("1h2m3s4ms").unwrap() - 3723.004).abs() < 1e-9);
        for s in ["", "10", "1x", "s", "1m 30s", "--1s"] {
            assert!(go_duration(s).is_err(), "{s} should be rejected");
        }
    }
}
