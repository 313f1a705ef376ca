//! Python's `int()` string parsing, in the three forms Gunicorn uses.
//!
//! The same text means different things depending on where it is written: argparse converts
//! command-line values with `int(s)` (base 10, `"0030"` = 30), config-file strings go through
//! `validate_pos_int` → `int(s, 0)` (`"0x78"` = 120, `"030"` rejected), and `WEB_CONCURRENCY` is
//! read with `int(s)` when `gunicorn.config` is imported. Errors use Python's message text.

/// `int(s)`: base 10, surrounding whitespace, a sign, leading zeros and `_` between digits allowed.
pub fn int10(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let (neg, body) = sign(t);
    digits(body, 10)
        .and_then(|v| apply_sign(neg, v))
        .ok_or_else(|| invalid(s, 10))
}

/// `int(s, 0)`: the base comes from the prefix (`0x`, `0o`, `0b`); a decimal literal may not
/// have leading zeros unless it is all zeros.
pub fn int0(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let (neg, body) = sign(t);
    let lower = body.to_ascii_lowercase();
    let v = if let Some(rest) = strip_base(&lower, "0x") {
        digits(rest, 16)
    } else if let Some(rest) = strip_base(&lower, "0o") {
        digits(rest, 8)
    } else if let Some(rest) = strip_base(&lower, "0b") {
        digits(rest, 2)
    } else if body.starts_with('0') {
        // "0", "00", "0_0" are zero; "030" is a SyntaxError-style rejection in Python 3.
        if body.chars().all(|c| c == '0' || c == '_') {
            digits(body, 10)
        } else {
            None
        }
    } else {
        digits(body, 10)
    };
    v.and_then(|v| apply_sign(neg, v))
        .ok_or_else(|| invalid(s, 0))
}

/// Gunicorn's `auto_int`: a leading `0` followed by a digit is octal (`"0755"`), else `int(s, 0)`.
pub fn auto_int(s: &str) -> Result<i64, String> {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b'0' && b[1].is_ascii_digit() {
        return int0(&s.replacen('0', "0o", 1));
    }
    int0(s)
}

fn strip_base<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    // Python allows one underscore right after the base prefix ("0x_ff").
    s.strip_prefix(prefix)
        .map(|r| r.strip_prefix('_').unwrap_or(r))
}

fn sign(t: &str) -> (bool, &str) {
    if let Some(r) = t.strip_prefix('-') {
        (true, r)
    } else if let Some(r) = t.strip_prefix('+') {
        (false, r)
    } else {
        (false, t)
    }
}

fn apply_sign(neg: bool, v: i64) -> Option<i64> {
    if neg { v.checked_neg() } else { Some(v) }
}

/// Digits in `radix`, with single underscores only between digits.
fn digits(s: &str, radix: u32) -> Option<i64> {
    if s.is_empty() || s.starts_with('_') || s.ends_with('_') || s.contains("__") {
        return None;
    }
    let mut v: i64 = 0;
    for c in s.chars().filter(|c| *c != '_') {
        let d = c.to_digit(radix)?;
        v = v.checked_mul(i64::from(radix))?.checked_add(i64::from(d))?;
    }
    Some(v)
}

fn invalid(s: &str, base: u32) -> String {
    format!(
        "invalid literal for int() with base {base}: {}",
        super::argv::pyrepr(s)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base10_like_python() {
        assert_eq!(int10(" 30 "), Ok(30));
        assert_eq!(int10("0030"), Ok(30));
        assert_eq!(int10("1_000"), Ok(1000));
        assert_eq!(int10("-5"), Ok(-5));
        assert!(int10("30s").is_err());
        assert!(int10("").is_err());
        assert!(int10("2.5").is_err());
        assert!(int10("0x10").is_err());
        assert!(int10("1__0").is_err());
    }

    #[test]
    fn base0_like_python() {
        assert_eq!(int0("0x78"), Ok(120));
        assert_eq!(int0("0o17"), Ok(15));
        assert_eq!(int0("0B11"), Ok(3));
        assert_eq!(int0("00"), Ok(0));
        assert_eq!(int0(" 45 "), Ok(45));
        assert!(int0("0120").is_err());
        assert!(int0("30s").is_err());
        assert_eq!(
            int0("30s").unwrap_err(),
            "invalid literal for int() with base 0: '30s'"
        );
    }

    #[test]
    fn auto_int_octal() {
        assert_eq!(auto_int("0755"), Ok(0o755));
        assert_eq!(auto_int("18"), Ok(18));
    }
}
