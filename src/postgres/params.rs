//! The PostgreSQL parameters headroom models, and how PostgreSQL itself turns their text into values.
//!
//! A wrong unit is the classic silent mistake in `postgresql.conf` (`work_mem = 4mb` is rejected,
//! `shared_buffers = 16384` means 128 MB), so this module copies PostgreSQL's own rules rather than
//! a friendlier reading: `parse_int`/`parse_real`/`convert_to_base_unit` from
//! `src/backend/utils/misc/guc.c` (case-sensitive units, `strtol(…, 0)` so `0x10` and `010` are
//! hex and octal, a fraction re-read with `strtod` and rounded half-to-even by `rint`), the ranges
//! and compiled-in defaults from `guc_tables.c` for majors 13–18, and the check hooks that clamp
//! (`wal_buffers` < 4 blocks → 4, `autovacuum_work_mem` below its minimum → the minimum).
//! Values are kept in bytes for memory parameters; everything assumes the standard 8 kB `BLCKSZ`
//! and `XLOG_BLCKSZ` and 16 MB WAL segments (a live server reports its own units instead).

/// The server major version assumed when nothing says otherwise.
pub const DEFAULT_MAJOR: u32 = 16;
/// Oldest and newest majors whose defaults are modelled.
pub const MIN_MAJOR: u32 = 13;
pub const MAX_MAJOR: u32 = 18;

/// `BLCKSZ` and `XLOG_BLCKSZ` of every packaged build.
pub const BLOCK: i64 = 8192;
/// `wal_segment_size` of every packaged build (initdb `--wal-segsize` can change it).
pub const WAL_SEGMENT: i64 = 16 * 1024 * 1024;
const INT_MAX: i64 = i32::MAX as i64;
/// `MAX_BACKENDS` in `postmaster.h`.
const MAX_BACKENDS: i64 = 0x3FFFF;
/// `MAX_PARALLEL_WORKER_LIMIT` in `bgworker.h`.
const MAX_PARALLEL: i64 = 1024;

/// The base unit of an integer parameter: what a bare number means (`pg_settings.unit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    None,
    Byte,
    Kb,
    Mb,
    /// 8 kB pages (`shared_buffers`, `effective_cache_size`, `temp_buffers`).
    Blocks,
    /// 8 kB WAL pages (`wal_buffers`).
    XBlocks,
    Ms,
    S,
    Min,
}

impl Unit {
    /// Bytes in one base unit (memory units only).
    pub fn bytes(self) -> Option<i64> {
        match self {
            Unit::Byte => Some(1),
            Unit::Kb => Some(1024),
            Unit::Mb => Some(1024 * 1024),
            Unit::Blocks | Unit::XBlocks => Some(BLOCK),
            _ => None,
        }
    }

    fn is_memory(self) -> bool {
        self.bytes().is_some()
    }

    /// How the base unit is written in messages.
    pub fn label(self) -> &'static str {
        match self {
            Unit::None => "",
            Unit::Byte => "B",
            Unit::Kb => "kB",
            Unit::Mb => "MB",
            Unit::Blocks | Unit::XBlocks => "8kB",
            Unit::Ms => "ms",
            Unit::S => "s",
            Unit::Min => "min",
        }
    }
}

/// `memory_unit_conversion_table` / `time_unit_conversion_table` in guc.c, in their order: the
/// order matters because a fractional value is rounded to the next (smaller) entry's unit.
const CONVERSIONS: &[(&str, Unit, f64)] = &[
    ("TB", Unit::Byte, 1024.0 * 1024.0 * 1024.0 * 1024.0),
    ("GB", Unit::Byte, 1024.0 * 1024.0 * 1024.0),
    ("MB", Unit::Byte, 1024.0 * 1024.0),
    ("kB", Unit::Byte, 1024.0),
    ("B", Unit::Byte, 1.0),
    ("TB", Unit::Kb, 1024.0 * 1024.0 * 1024.0),
    ("GB", Unit::Kb, 1024.0 * 1024.0),
    ("MB", Unit::Kb, 1024.0),
    ("kB", Unit::Kb, 1.0),
    ("B", Unit::Kb, 1.0 / 1024.0),
    ("TB", Unit::Mb, 1024.0 * 1024.0),
    ("GB", Unit::Mb, 1024.0),
    ("MB", Unit::Mb, 1.0),
    ("kB", Unit::Mb, 1.0 / 1024.0),
    ("B", Unit::Mb, 1.0 / (1024.0 * 1024.0)),
    ("TB", Unit::Blocks, (1024.0 * 1024.0 * 1024.0) / 8.0),
    ("GB", Unit::Blocks, (1024.0 * 1024.0) / 8.0),
    ("MB", Unit::Blocks, 1024.0 / 8.0),
    ("kB", Unit::Blocks, 1.0 / 8.0),
    ("B", Unit::Blocks, 1.0 / 8192.0),
    ("TB", Unit::XBlocks, (1024.0 * 1024.0 * 1024.0) / 8.0),
    ("GB", Unit::XBlocks, (1024.0 * 1024.0) / 8.0),
    ("MB", Unit::XBlocks, 1024.0 / 8.0),
    ("kB", Unit::XBlocks, 1.0 / 8.0),
    ("B", Unit::XBlocks, 1.0 / 8192.0),
    ("d", Unit::Ms, 1000.0 * 60.0 * 60.0 * 24.0),
    ("h", Unit::Ms, 1000.0 * 60.0 * 60.0),
    ("min", Unit::Ms, 1000.0 * 60.0),
    ("s", Unit::Ms, 1000.0),
    ("ms", Unit::Ms, 1.0),
    ("us", Unit::Ms, 1.0 / 1000.0),
    ("d", Unit::S, 60.0 * 60.0 * 24.0),
    ("h", Unit::S, 60.0 * 60.0),
    ("min", Unit::S, 60.0),
    ("s", Unit::S, 1.0),
    ("ms", Unit::S, 1.0 / 1000.0),
    ("us", Unit::S, 1.0 / (1000.0 * 1000.0)),
    ("d", Unit::Min, 60.0 * 24.0),
    ("h", Unit::Min, 60.0),
    ("min", Unit::Min, 1.0),
    ("s", Unit::Min, 1.0 / 60.0),
    ("ms", Unit::Min, 1.0 / (1000.0 * 60.0)),
    ("us", Unit::Min, 1.0 / (1000.0 * 1000.0 * 60.0)),
];

/// What kind of value a parameter holds.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// An integer in `unit`, valid in `min..=max` (in that unit).
    Int { unit: Unit, min: i64, max: i64 },
    /// A floating-point value (`hash_mem_multiplier`).
    Real { min: f64, max: f64 },
    /// One of a fixed set of names, matched case-insensitively; `(accepted, canonical)`.
    Enum(&'static [(&'static str, &'static str)]),
}

/// A parsed value. Memory parameters are in BYTES here (with `-1` kept as `-1`, "derived").
#[derive(Clone, Debug, PartialEq)]
pub enum PgValue {
    Int(i64),
    Real(f64),
    Enum(String),
}

/// One modelled parameter.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    /// PostgreSQL's name; the fact is `postgres.<name>`.
    pub name: &'static str,
    /// First major that has it (`reserved_connections` is 16+).
    pub since: u32,
    /// Kind for majors before 17 and from 17 on (the minimum of `maintenance_work_mem` fell from
    /// 1 MB to 64 kB in 17, with the TidStore rewrite of VACUUM's dead-tuple storage).
    pub kind: Kind,
    pub kind17: Option<Kind>,
    /// The compiled-in default (`boot_val`) in base units; `default15` overrides it from 15 on.
    pub default: Def,
    pub default15: Option<Def>,
}

/// A compiled-in default.
#[derive(Clone, Copy, Debug)]
pub enum Def {
    Int(i64),
    Real(f64),
    Enum(&'static str),
}

const HUGE_PAGES: &[(&str, &str)] = &[
    ("off", "off"),
    ("on", "on"),
    ("try", "try"),
    ("true", "on"),
    ("false", "off"),
    ("yes", "on"),
    ("no", "off"),
    ("1", "on"),
    ("0", "off"),
];
/// Linux builds only; `windows` exists only on Windows builds.
const DSM_TYPES: &[(&str, &str)] = &[("posix", "posix"), ("sysv", "sysv"), ("mmap", "mmap")];
const SHM_TYPES: &[(&str, &str)] = &[("sysv", "sysv"), ("mmap", "mmap")];

const fn int(unit: Unit, min: i64, max: i64) -> Kind {
    Kind::Int { unit, min, max }
}

const fn p(name: &'static str, kind: Kind, default: Def) -> Param {
    Param {
        name,
        since: 13,
        kind,
        kind17: None,
        default,
        default15: None,
    }
}

/// Every modelled parameter. Ranges and defaults: `guc_tables.c` (`guc.c` before 16) of
/// REL_13 … REL_18; they are the same across those majors except where a field says otherwise.
pub const PARAMS: &[Param] = &[
    p(
        "shared_buffers",
        int(Unit::Blocks, 16, INT_MAX / 2),
        Def::Int(16384),
    ),
    p("work_mem", int(Unit::Kb, 64, INT_MAX), Def::Int(4096)),
    Param {
        kind17: Some(int(Unit::Kb, 64, INT_MAX)),
        ..p(
            "maintenance_work_mem",
            int(Unit::Kb, 1024, INT_MAX),
            Def::Int(65536),
        )
    },
    p(
        "autovacuum_work_mem",
        int(Unit::Kb, -1, INT_MAX),
        Def::Int(-1),
    ),
    p(
        "effective_cache_size",
        int(Unit::Blocks, 1, INT_MAX),
        Def::Int(524_288),
    ),
    p(
        "wal_buffers",
        int(Unit::XBlocks, -1, INT_MAX / BLOCK),
        Def::Int(-1),
    ),
    p(
        "temp_buffers",
        int(Unit::Blocks, 100, INT_MAX / 2),
        Def::Int(1024),
    ),
    Param {
        default15: Some(Def::Real(2.0)),
        ..p(
            "hash_mem_multiplier",
            Kind::Real {
                min: 1.0,
                max: 1000.0,
            },
            Def::Real(1.0),
        )
    },
    p(
        "logical_decoding_work_mem",
        int(Unit::Kb, 64, INT_MAX),
        Def::Int(65536),
    ),
    p(
        "max_connections",
        int(Unit::None, 1, MAX_BACKENDS),
        Def::Int(100),
    ),
    p(
        "superuser_reserved_connections",
        int(Unit::None, 0, MAX_BACKENDS),
        Def::Int(3),
    ),
    Param {
        since: 16,
        ..p(
            "reserved_connections",
            int(Unit::None, 0, MAX_BACKENDS),
            Def::Int(0),
        )
    },
    p(
        "autovacuum_max_workers",
        int(Unit::None, 1, MAX_BACKENDS),
        Def::Int(3),
    ),
    p(
        "max_worker_processes",
        int(Unit::None, 0, MAX_BACKENDS),
        Def::Int(8),
    ),
    p(
        "max_parallel_workers",
        int(Unit::None, 0, MAX_PARALLEL),
        Def::Int(8),
    ),
    p(
        "max_parallel_workers_per_gather",
        int(Unit::None, 0, MAX_PARALLEL),
        Def::Int(2),
    ),
    p(
        "max_parallel_maintenance_workers",
        int(Unit::None, 0, MAX_PARALLEL),
        Def::Int(2),
    ),
    p("huge_pages", Kind::Enum(HUGE_PAGES), Def::Enum("try")),
    // boot_val is DEFAULT_DYNAMIC_SHARED_MEMORY_TYPE, which is posix on Linux; initdb also
    // writes the value it probed into postgresql.conf.
    p(
        "dynamic_shared_memory_type",
        Kind::Enum(DSM_TYPES),
        Def::Enum("posix"),
    ),
    p(
        "shared_memory_type",
        Kind::Enum(SHM_TYPES),
        Def::Enum("mmap"),
    ),
];

/// The modelled parameter called `name` (case-insensitive, as `guc_name_compare`).
pub fn find(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

impl Param {
    /// True when this parameter exists in `major`.
    pub fn exists_in(&self, major: u32) -> bool {
        major >= self.since
    }

    pub fn kind(&self, major: u32) -> Kind {
        match self.kind17 {
            Some(k) if major >= 17 => k,
            _ => self.kind,
        }
    }

    /// The base unit of a bare number.
    pub fn unit(&self) -> Unit {
        match self.kind {
            Kind::Int { unit, .. } => unit,
            _ => Unit::None,
        }
    }

    /// The compiled-in default for `major`, as a value (bytes for memory).
    pub fn default_value(&self, major: u32) -> PgValue {
        let d = match self.default15 {
            Some(d) if major >= 15 => d,
            _ => self.default,
        };
        match d {
            Def::Int(v) => PgValue::Int(to_bytes(v, self.unit())),
            Def::Real(v) => PgValue::Real(v),
            Def::Enum(s) => PgValue::Enum(s.to_string()),
        }
    }

    /// Parses `text` as PostgreSQL would for this parameter in `major`, including the range check
    /// and the clamping check hooks. The error is a sentence for an unknown fact (without the
    /// `file:line:` prefix, which the caller adds).
    pub fn parse(&self, text: &str, major: u32) -> Result<PgValue, String> {
        match self.kind(major) {
            Kind::Int { unit, min, max } => {
                let v = parse_int(text, unit).map_err(|hint| {
                    let mut msg = format!("invalid value for {}: '{text}'", self.name);
                    if let Some(h) = hint {
                        msg.push_str(&format!(" ({h})"));
                    }
                    msg
                })?;
                if v < min || v > max {
                    return Err(format!(
                        "{} = '{text}' is outside the valid range ({min} .. {max}{})",
                        self.name,
                        unit_suffix(unit)
                    ));
                }
                Ok(PgValue::Int(to_bytes(self.check_hook(v, major), unit)))
            }
            Kind::Real { min, max } => {
                let v = parse_real(text)
                    .ok_or_else(|| format!("invalid value for {}: '{text}'", self.name))?;
                if v < min || v > max {
                    return Err(format!(
                        "{} = '{text}' is outside the valid range ({min} .. {max})",
                        self.name
                    ));
                }
                Ok(PgValue::Real(v))
            }
            Kind::Enum(options) => options
                .iter()
                .find(|(accepted, _)| accepted.eq_ignore_ascii_case(text))
                .map(|(_, canonical)| PgValue::Enum((*canonical).to_string()))
                .ok_or_else(|| {
                    let names: Vec<&str> =
                        options
                            .iter()
                            .map(|(_, c)| *c)
                            .fold(Vec::new(), |mut acc, c| {
                                if !acc.contains(&c) {
                                    acc.push(c);
                                }
                                acc
                            });
                    format!(
                        "invalid value for {}: '{text}' (available values: {})",
                        self.name,
                        names.join(", ")
                    )
                }),
        }
    }

    /// The check hooks that silently change an accepted value (guc.c / xlog.c / vacuum.c).
    fn check_hook(&self, v: i64, major: u32) -> i64 {
        match self.name {
            // check_wal_buffers: "We clamp manually-set values to at least 4 blocks."
            "wal_buffers" if v != -1 && v < 4 => 4,
            // check_autovacuum_work_mem: at least maintenance_work_mem's minimum.
            "autovacuum_work_mem" if v != -1 => {
                let floor = if major >= 17 { 64 } else { 1024 };
                v.max(floor)
            }
            _ => v,
        }
    }
}

fn unit_suffix(unit: Unit) -> String {
    match unit {
        Unit::None => String::new(),
        u => format!(" {}", u.label()),
    }
}

/// Base units → bytes for memory units; other units unchanged. `-1` stays `-1` ("derived").
fn to_bytes(v: i64, unit: Unit) -> i64 {
    match unit.bytes() {
        Some(b) if v != -1 => v.saturating_mul(b),
        _ => v,
    }
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// C `strtol(s, &end, 0)`: returns (value, end offset, overflowed). `end == 0` means no number.
fn strtol(s: &[u8]) -> (i64, usize, bool) {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let at = |k: usize| s.get(k).copied().unwrap_or(0);
    let (base, mut j) =
        if at(i) == b'0' && matches!(at(i + 1), b'x' | b'X') && at(i + 2).is_ascii_hexdigit() {
            (16, i + 2)
        } else if at(i) == b'0' {
            (8, i)
        } else {
            (10, i)
        };
    let start = j;
    let mut val: i64 = 0;
    let mut overflow = false;
    while j < s.len() {
        let d = match (s[j] as char).to_digit(base) {
            Some(d) => i64::from(d),
            None => break,
        };
        val = match val
            .checked_mul(i64::from(base))
            .and_then(|v| v.checked_add(d))
        {
            Some(v) => v,
            None => {
                overflow = true;
                val
            }
        };
        j += 1;
    }
    if j == start {
        return (0, 0, false);
    }
    (if neg { -val } else { val }, j, overflow)
}

/// C `strtod` for the decimal forms PostgreSQL users write (`1.5`, `.5`, `2e3`, `inf`, `nan`).
/// Returns (value, end offset); `end == 0` means no number.
fn strtod(s: &[u8]) -> (f64, usize) {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let num_start = i;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        i += 1;
    }
    let rest = &s[i..];
    for word in ["infinity", "inf", "nan"] {
        if rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word.as_bytes()) {
            let text = String::from_utf8_lossy(&s[num_start..i + word.len()]).to_lowercase();
            let v = if word == "nan" {
                f64::NAN
            } else if text.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            };
            return (v, i + word.len());
        }
    }
    let digits_start = i;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    let mut any = i > digits_start;
    if i < s.len() && s[i] == b'.' {
        let mut k = i + 1;
        while k < s.len() && s[k].is_ascii_digit() {
            k += 1;
        }
        any |= k > i + 1;
        if any {
            i = k;
        }
    }
    if !any {
        return (0.0, 0);
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        let mut k = i + 1;
        if k < s.len() && (s[k] == b'+' || s[k] == b'-') {
            k += 1;
        }
        let exp_digits = k;
        while k < s.len() && s[k].is_ascii_digit() {
            k += 1;
        }
        if k > exp_digits {
            i = k;
        }
    }
    let text = String::from_utf8_lossy(&s[num_start..i]);
    (text.parse::<f64>().unwrap_or(0.0), i)
}

/// guc.c `parse_int`: the value in `unit`, or `Err(hint)`.
pub fn parse_int(text: &str, unit: Unit) -> Result<i64, Option<String>> {
    let s = text.as_bytes();
    let (iv, mut end, overflow) = strtol(s);
    #[allow(clippy::cast_precision_loss)]
    let mut val = iv as f64;
    let stop = s.get(end).copied().unwrap_or(0);
    if matches!(stop, b'.' | b'e' | b'E') || overflow {
        // strtol stopped at a fraction or an exponent (or found nothing before ".5"): re-read
        // as a double, exactly as parse_int does.
        let (dv, dend) = strtod(s);
        val = dv;
        end = dend;
    }
    if end == 0 || !val.is_finite() {
        return Err(None);
    }
    while end < s.len() && is_c_space(s[end]) {
        end += 1;
    }
    if end < s.len() {
        if unit == Unit::None {
            return Err(None);
        }
        val = convert_to_base_unit(val, &s[end..], unit).ok_or_else(|| Some(unit_hint(unit)))?;
    }
    let val = val.round_ties_even();
    #[allow(clippy::cast_precision_loss)]
    if !(i32::MIN as f64..=i32::MAX as f64).contains(&val) {
        return Err(Some("value exceeds integer range".to_string()));
    }
    #[allow(clippy::cast_possible_truncation)]
    Ok(val as i64)
}

/// The hint PostgreSQL gives for a bad unit.
fn unit_hint(unit: Unit) -> String {
    if unit.is_memory() {
        "units are case-sensitive: B kB MB GB TB".to_string()
    } else {
        "units are case-sensitive: us ms s min h d".to_string()
    }
}

/// guc.c `convert_to_base_unit`: at most 3 unit characters, optional trailing spaces, a fraction
/// rounded to a multiple of the next smaller unit.
fn convert_to_base_unit(value: f64, rest: &[u8], base: Unit) -> Option<f64> {
    const MAX_UNIT_LEN: usize = 3;
    let mut n = 0;
    while n < rest.len() && !is_c_space(rest[n]) && n < MAX_UNIT_LEN {
        n += 1;
    }
    let unit = &rest[..n];
    let mut k = n;
    while k < rest.len() && is_c_space(rest[k]) {
        k += 1;
    }
    if k < rest.len() {
        return None;
    }
    let idx = CONVERSIONS
        .iter()
        .position(|(u, b, _)| *b == base && u.as_bytes() == unit)?;
    let (_, _, mult) = CONVERSIONS[idx];
    let mut cvalue = value * mult;
    if let Some((_, next_base, next_mult)) = CONVERSIONS.get(idx + 1)
        && *next_base == base
    {
        cvalue = (cvalue / next_mult).round_ties_even() * next_mult;
    }
    Some(cvalue)
}

/// guc.c `parse_real` for a unitless real parameter.
pub fn parse_real(text: &str) -> Option<f64> {
    let s = text.as_bytes();
    let (v, mut end) = strtod(s);
    if end == 0 || v.is_nan() {
        return None;
    }
    while end < s.len() && is_c_space(s[end]) {
        end += 1;
    }
    (end == s.len()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(name: &str, text: &str) -> Result<i64, String> {
        match find(name).unwrap().parse(text, 16)? {
            PgValue::Int(v) => Ok(v),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn memory_units_are_case_sensitive() {
        assert_eq!(bytes("work_mem", "4MB"), Ok(4 << 20));
        let err = bytes("work_mem", "4mb").unwrap_err();
        assert_eq!(
            err,
            "invalid value for work_mem: '4mb' (units are case-sensitive: B kB MB GB TB)"
        );
        assert!(bytes("work_mem", "4 kb").is_err());
    }

    #[test]
    fn bare_numbers_use_the_base_unit() {
        assert_eq!(bytes("shared_buffers", "16384"), Ok(128 << 20));
        assert_eq!(bytes("work_mem", "64"), Ok(64 << 10));
        assert_eq!(bytes("wal_buffers", "-1"), Ok(-1));
        assert_eq!(bytes("max_connections", "0x10"), Ok(16));
        assert_eq!(bytes("max_connections", "010"), Ok(8));
        assert!(bytes("max_connections", "08").is_err());
    }

    #[test]
    fn fractions_round_like_postgres() {
        assert_eq!(bytes("work_mem", "1.5MB"), Ok(1536 << 10));
        assert_eq!(bytes("work_mem", "1 GB"), Ok(1 << 30));
        // rint: half to even.
        assert_eq!(bytes("work_mem", "64.5"), Ok(64 << 10));
        assert_eq!(bytes("work_mem", "65.5"), Ok(66 << 10));
        assert_eq!(bytes("shared_buffers", "1001kB"), Ok(125 * 8192));
        assert_eq!(bytes("work_mem", "1e3"), Ok(1000 << 10));
        assert!(
            bytes("work_mem", "100B").is_err(),
            "rounds to 0 kB, below 64"
        );
    }

    #[test]
    fn ranges_and_clamps() {
        assert!(
            bytes("work_mem", "32kB")
                .unwrap_err()
                .contains("outside the valid range (64 .. 2147483647 kB)")
        );
        assert_eq!(bytes("wal_buffers", "2"), Ok(4 * 8192));
        assert_eq!(bytes("autovacuum_work_mem", "100kB"), Ok(1024 << 10));
        let p = find("autovacuum_work_mem").unwrap();
        assert_eq!(p.parse("100kB", 17), Ok(PgValue::Int(100 << 10)));
        assert!(
            find("maintenance_work_mem")
                .unwrap()
                .parse("512kB", 16)
                .is_err()
        );
        assert!(
            find("maintenance_work_mem")
                .unwrap()
                .parse("512kB", 17)
                .is_ok()
        );
    }

    #[test]
    fn enums_and_reals() {
        let hp = find("HUGE_PAGES").unwrap();
        assert_eq!(hp.parse("TRY", 16), Ok(PgValue::Enum("try".into())));
        assert_eq!(hp.parse("1", 16), Ok(PgValue::Enum("on".into())));
        assert!(hp.parse("maybe", 16).unwrap_err().contains("off, on, try"));
        let hm = find("hash_mem_multiplier").unwrap();
        assert_eq!(hm.parse("1.5", 16), Ok(PgValue::Real(1.5)));
        assert!(hm.parse("0.5", 16).is_err());
        assert!(hm.parse("nan", 16).is_err());
        assert_eq!(hm.default_value(14), PgValue::Real(1.0));
        assert_eq!(hm.default_value(15), PgValue::Real(2.0));
    }

    #[test]
    fn time_units_convert() {
        assert_eq!(parse_int("1min", Unit::Ms), Ok(60_000));
        assert_eq!(parse_int("1.5s", Unit::S), Ok(2));
        assert_eq!(parse_int("30", Unit::Ms), Ok(30));
        assert!(parse_int("1 Min", Unit::S).is_err());
    }

    #[test]
    fn never_panics_on_garbage() {
        for s in [
            "",
            " ",
            "-",
            "+",
            "0x",
            "0x1.8p3",
            "1e",
            "1e+",
            ".",
            "e5",
            "9999999999999999999999",
            "1TB",
            "-1TB",
            "\u{0}",
            "inf",
            "-inf",
            "1.5 MB x",
            "１",
        ] {
            for p in PARAMS {
                let _ = p.parse(s, 16);
            }
        }
    }
}
