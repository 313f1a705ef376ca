//! Facts: what the probes learned, as one flat map of dotted names.
//!
//! Probes fill a [`Facts`]; rules read only [`Facts`]. Every fact is either known (value, unit,
//! source) or unknown with the reason, so a verdict can always say where a number came from and a
//! rule can skip instead of guessing. The same map is the replayable JSON snapshot
//! (`headroom facts --format json` → `headroom check --facts FILE`).

pub mod registry;
pub mod units;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use registry::{FactSpec, FactType, lookup, registry};

/// Snapshot format version. Bump when a fact changes meaning, not when one is added.
pub const SCHEMA: u32 = 1;

/// A fact's value. Sizes are bytes and durations seconds, converted once when parsed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Value {
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            #[allow(clippy::cast_precision_loss)]
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_string())
    }
}

/// The unit a numeric fact is expressed in, so reports can print it for humans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Bytes,
    Seconds,
    Percent,
    Cpus,
}

/// One fact: known with its value and where it came from, or unknown with the reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Fact {
    Known {
        value: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<Unit>,
        source: String,
    },
    Unknown {
        unknown: String,
    },
}

impl Fact {
    pub fn value(&self) -> Option<&Value> {
        match self {
            Fact::Known { value, .. } => Some(value),
            Fact::Unknown { .. } => None,
        }
    }

    pub fn source(&self) -> Option<&str> {
        match self {
            Fact::Known { source, .. } => Some(source),
            Fact::Unknown { .. } => None,
        }
    }

    pub fn unknown_reason(&self) -> Option<&str> {
        match self {
            Fact::Known { .. } => None,
            Fact::Unknown { unknown } => Some(unknown),
        }
    }
}

/// The flat map of facts. Ordered, so output and snapshots are stable.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Facts(pub BTreeMap<String, Fact>);

impl Facts {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a known fact. The unit comes from the registry so probes cannot disagree on it.
    pub fn set(&mut self, name: &str, value: impl Into<Value>, source: impl Into<String>) {
        let unit = lookup(name).and_then(|s| s.unit);
        self.0.insert(
            name.to_string(),
            Fact::Known {
                value: value.into(),
                unit,
                source: source.into(),
            },
        );
    }

    /// Records that a fact could not be learned, and why.
    pub fn unknown(&mut self, name: &str, reason: impl Into<String>) {
        self.0.insert(
            name.to_string(),
            Fact::Unknown {
                unknown: reason.into(),
            },
        );
    }

    /// Records a known fact, or the reason it is unknown.
    pub fn set_result<V: Into<Value>>(&mut self, name: &str, r: Result<(V, String), String>) {
        match r {
            Ok((v, src)) => self.set(name, v, src),
            Err(reason) => self.unknown(name, reason),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Fact> {
        self.0.get(name)
    }

    pub fn value(&self, name: &str) -> Option<&Value> {
        self.0.get(name).and_then(Fact::value)
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.value(name).and_then(Value::as_i64)
    }

    pub fn float(&self, name: &str) -> Option<f64> {
        self.value(name).and_then(Value::as_f64)
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.value(name).and_then(Value::as_str)
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        self.value(name).and_then(Value::as_bool)
    }

    pub fn source(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Fact::source)
    }

    /// Why a fact is not known: its recorded reason, or that no probe produced it.
    pub fn why_unknown(&self, name: &str) -> String {
        match self.0.get(name) {
            Some(Fact::Unknown { unknown }) => unknown.clone(),
            Some(Fact::Known { .. }) => String::new(),
            None => "not collected".to_string(),
        }
    }

    pub fn extend(&mut self, other: Facts) {
        self.0.extend(other.0);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Fact)> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The facts whose names `keep` accepts.
    pub fn filter(&self, keep: impl Fn(&str) -> bool) -> Facts {
        Facts(
            self.0
                .iter()
                .filter(|(n, _)| keep(n))
                .map(|(n, f)| (n.clone(), f.clone()))
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The replayable snapshot: `headroom facts --format json` writes it, `--facts FILE` reads it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Snapshot {
    pub schema: u32,
    pub headroom: String,
    pub facts: Facts,
}

impl Snapshot {
    pub fn new(facts: Facts) -> Self {
        Self {
            schema: SCHEMA,
            headroom: env!("CARGO_PKG_VERSION").to_string(),
            facts,
        }
    }
}
