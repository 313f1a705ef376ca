//! The fact registry: every fact name headroom can produce, with its type, unit and meaning.
//!
//! Each probe module declares its own `FACTS` table next to the code that fills it; this module
//! only joins them. Rule conditions are type-checked against this registry when rules load, and
//! `headroom facts --list` prints it.

use super::Unit;
use std::sync::OnceLock;

/// The type a fact has in rule conditions. Sizes are always `Int` bytes (signed 64-bit) so rule
/// authors never meet int/uint overloads; durations are `Float` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactType {
    Int,
    Float,
    Bool,
    Str,
}

impl FactType {
    pub fn name(self) -> &'static str {
        match self {
            FactType::Int => "int",
            FactType::Float => "float",
            FactType::Bool => "bool",
            FactType::Str => "string",
        }
    }
}

/// One documented fact name. A `*` segment matches any single name segment, for facts keyed by
/// something only known at run time (`compose.services.*.mem_limit`).
#[derive(Clone, Copy, Debug)]
pub struct FactSpec {
    pub name: &'static str,
    pub ty: FactType,
    pub unit: Option<Unit>,
    pub help: &'static str,
}

impl FactSpec {
    pub const fn new(
        name: &'static str,
        ty: FactType,
        unit: Option<Unit>,
        help: &'static str,
    ) -> Self {
        Self {
            name,
            ty,
            unit,
            help,
        }
    }

    pub fn matches(&self, name: &str) -> bool {
        if !self.name.contains('*') {
            return self.name == name;
        }
        let mut pat = self.name.split('.');
        let mut got = name.split('.');
        loop {
            match (pat.next(), got.next()) {
                (None, None) => return true,
                (Some("*"), Some(_)) => {}
                (Some(p), Some(g)) if p == g => {}
                _ => return false,
            }
        }
    }
}

/// Shorthands for the tables in probe modules.
pub const fn bytes(name: &'static str, help: &'static str) -> FactSpec {
    FactSpec::new(name, FactType::Int, Some(Unit::Bytes), help)
}
pub const fn secs(name: &'static str, help: &'static str) -> FactSpec {
    FactSpec::new(name, FactType::Float, Some(Unit::Seconds), help)
}
pub const fn percent(name: &'static str, help: &'static str) -> FactSpec {
    FactSpec::new(name, FactType::Float, Some(Unit::Percent), help)
}
pub const fn int(name: &'static str, help: &'static str) -> FactSpec {
    FactSpec::new(name, FactType::Int, None, help)
}
pub const fn float(name: &'static str, help: &'static str) -> FactSpec {
    FactSpec::new(name, FactType::Float, None, help)
}
pub const fn boolean(name: &'static str, help: &'static str) -> FactSpec {
    FactSpec::new(name, FactType::Bool, None, help)
}
pub const fn string(name: &'static str, help: &'static str) -> FactSpec {
    FactSpec::new(name, FactType::Str, None, help)
}

/// Every fact table, in the order `facts --list` prints them.
fn tables() -> Vec<&'static [FactSpec]> {
    crate::probe::fact_tables()
}

/// All documented facts.
pub fn registry() -> &'static [FactSpec] {
    static ALL: OnceLock<Vec<FactSpec>> = OnceLock::new();
    ALL.get_or_init(|| tables().into_iter().flatten().copied().collect())
}

/// Exact names in a hash index; the few `*` patterns are tried after. Every `Facts::set` and every
/// type check looks a name up, so a linear scan of ~230 specs was a tenth of a whole check.
struct Index {
    exact: std::collections::HashMap<&'static str, &'static FactSpec, Fnv>,
    patterns: Vec<&'static FactSpec>,
}

/// FNV-1a for the index: fact names are short, trusted (ours) and hashed ~700 times a run;
/// SipHash's flood resistance buys nothing here and cost a third of building the index.
#[derive(Clone, Copy, Default)]
struct Fnv;

struct FnvHasher(u64);

impl std::hash::BuildHasher for Fnv {
    type Hasher = FnvHasher;
    fn build_hasher(&self) -> FnvHasher {
        FnvHasher(crate::rules::fnv::START)
    }
}

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = crate::rules::fnv::fold(self.0, bytes);
    }
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let all = registry();
        let mut exact = std::collections::HashMap::with_capacity_and_hasher(all.len(), Fnv);
        let mut patterns = Vec::new();
        for s in all {
            if s.name.contains('*') {
                patterns.push(s);
            } else {
                exact.entry(s.name).or_insert(s);
            }
        }
        Index { exact, patterns }
    })
}

/// The spec for a concrete fact name, if it is documented.
pub fn lookup(name: &str) -> Option<&'static FactSpec> {
    let i = index();
    i.exact
        .get(name)
        .copied()
        .or_else(|| i.patterns.iter().copied().find(|s| s.matches(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_matches_one_segment() {
        let s = bytes("compose.services.*.mem_limit", "");
        assert!(s.matches("compose.services.web.mem_limit"));
        assert!(!s.matches("compose.services.web.deploy.mem_limit"));
        assert!(!s.matches("compose.services.mem_limit"));
    }

    #[test]
    fn fact_names_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for s in registry() {
            assert!(seen.insert(s.name), "duplicate fact {}", s.name);
        }
    }
}
