//! Message templates: text with `{{ expression | filter }}` holes filled from facts.
//!
//! A hole is a condition-language expression (usually one fact name) and an optional filter that
//! formats it for people: `bytes` (512 MiB), `duration` (2 min 30 s), `percent` (12.5 %).
//! `{{ fact.source }}` prints where the fact came from. Holes are type-checked when rules load,
//! like conditions.

use super::condition::{self, EvalError, ExprError, V};
use crate::facts::{Facts, lookup, units};
use evalexpr::{DefaultNumericTypes, Node};
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    Plain,
    Bytes,
    Duration,
    Percent,
}

#[derive(Clone, Debug)]
enum Part {
    Text(String),
    Expr {
        tree: Node<DefaultNumericTypes>,
        filter: Filter,
    },
    Source(String),
}

#[derive(Clone, Debug)]
pub struct Template {
    parts: Vec<Part>,
    /// Every fact the template reads.
    pub facts: BTreeSet<String>,
}

/// A template problem, with the byte offset of the hole inside the template text.
#[derive(Clone, Debug)]
pub struct TemplateError {
    pub offset: usize,
    pub error: ExprError,
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut facts = BTreeSet::new();
        let mut rest = text;
        let mut base = 0;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                return Err(TemplateError {
                    offset: base + open,
                    error: ExprError {
                        message: "`{{` without a closing `}}`".into(),
                        at: None,
                        help: None,
                    },
                });
            };
            let inner = &after[..close];
            let hole_at = base + open + 2 + (inner.len() - inner.trim_start().len());
            let part = parse_hole(inner.trim(), &mut facts).map_err(|error| TemplateError {
                offset: hole_at,
                error,
            })?;
            parts.push(part);
            let consumed = open + 2 + close + 2;
            base += consumed;
            rest = &rest[consumed..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Self { parts, facts })
    }

    /// Fills the holes. A hole whose fact is unknown prints `unknown` rather than failing: the
    /// verdict has already been decided by the conditions.
    pub fn render(&self, facts: &Facts, read: &mut BTreeSet<String>) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Source(name) => {
                    read.insert(name.clone());
                    out.push_str(facts.source(name).unwrap_or("unknown source"));
                }
                Part::Expr { tree, filter } => match condition::eval(tree, facts, read) {
                    Ok(v) => out.push_str(&format_value(&v, *filter)),
                    Err(EvalError::Unknown(_)) => out.push_str("unknown"),
                    Err(EvalError::Failed(m)) => out.push_str(&format!("(error: {m})")),
                },
            }
        }
        out
    }
}

fn parse_hole(inner: &str, facts: &mut BTreeSet<String>) -> Result<Part, ExprError> {
    if let Some(name) = inner.strip_suffix(".source")
        && lookup(name).is_some()
    {
        facts.insert(name.to_string());
        return Ok(Part::Source(name.to_string()));
    }
    let (expr, filter) = split_filter(inner)?;
    let (tree, _ty, used) = condition::compile(expr, None)?;
    facts.extend(used);
    Ok(Part::Expr { tree, filter })
}

/// Splits `expr | filter` on the last single `|` (a `||` belongs to the expression).
fn split_filter(inner: &str) -> Result<(&str, Filter), ExprError> {
    let bytes = inner.as_bytes();
    let mut split = None;
    for i in (0..bytes.len()).rev() {
        if bytes[i] == b'|' && bytes.get(i + 1) != Some(&b'|') && (i == 0 || bytes[i - 1] != b'|') {
            split = Some(i);
            break;
        }
    }
    let Some(i) = split else {
        return Ok((inner, Filter::Plain));
    };
    let name = inner[i + 1..].trim();
    let filter = match name {
        "bytes" => Filter::Bytes,
        "duration" => Filter::Duration,
        "percent" => Filter::Percent,
        _ => {
            return Err(ExprError {
                message: format!("unknown filter `{name}`"),
                at: Some(name.to_string()),
                help: Some("filters: bytes, duration, percent".into()),
            });
        }
    };
    Ok((inner[..i].trim(), filter))
}

/// Formats a value for a person.
pub fn format_value(v: &V, filter: Filter) -> String {
    match (v, filter) {
        (V::Int(i), Filter::Bytes) => units::bytes(*i),
        #[allow(clippy::cast_possible_truncation)]
        (V::Float(f), Filter::Bytes) => units::bytes(*f as i64),
        #[allow(clippy::cast_precision_loss)]
        (V::Int(i), Filter::Duration) => units::duration(*i as f64),
        (V::Float(f), Filter::Duration) => units::duration(*f),
        (V::Int(i), Filter::Percent) => format!("{i} %"),
        (V::Float(f), Filter::Percent) => format!("{} %", trim_float(*f)),
        (V::Int(i), _) => i.to_string(),
        (V::Float(f), _) => trim_float(*f),
        (V::Bool(b), _) => b.to_string(),
        (V::Str(s), _) => s.clone(),
    }
}

fn trim_float(f: f64) -> String {
    let s = format!("{f:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}
