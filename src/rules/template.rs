//! Message templates: text with `{{ expression | filter }}` holes filled from facts.
//!
//! A hole is a condition-language expression (usually one fact name) and an optional filter that
//! formats it for people: `bytes` (512 MiB), `duration` (2 min 30 s), `percent` (12.5 %).
//! `{{ fact.source }}` prints where the fact came from. Holes are type-checked when rules load,
//! like conditions.

use super::condition::{self, EvalError, ExprError, V};
use super::ir::{self, Piece, Raw};
use crate::facts::{Facts, lookup, units};
use std::borrow::Cow;
use std::collections::BTreeSet;

pub use ir::Filter;

#[derive(Clone, Debug)]
pub struct Template {
    pieces: Cow<'static, [Piece]>,
}

/// A template problem, with the byte offset of the hole inside the template text.
#[derive(Clone, Debug)]
pub struct TemplateError {
    pub offset: usize,
    pub error: ExprError,
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let raw = ir::split_template(text).map_err(|offset| TemplateError {
            offset,
            error: ExprError {
                message: "`{{` without a closing `}}`".into(),
                at: None,
                help: None,
            },
        })?;
        let mut pieces = Vec::with_capacity(raw.len());
        for r in raw {
            pieces.push(match r {
                Raw::Text(t) => Piece::Text(Cow::Owned(t.to_string())),
                Raw::Hole(offset, inner) => {
                    parse_hole(inner).map_err(|error| TemplateError { offset, error })?
                }
            });
        }
        Ok(Self {
            pieces: Cow::Owned(pieces),
        })
    }

    /// A shipped template, split and lowered by `build.rs` (and type-checked by the tests).
    pub fn precompiled(pieces: &'static [Piece]) -> Self {
        Self {
            pieces: Cow::Borrowed(pieces),
        }
    }

    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// Every fact the template reads, in order (with repeats).
    pub fn facts(&self) -> impl Iterator<Item = &str> {
        ir::template_facts(&self.pieces)
    }

    /// Fills the holes. A hole whose fact is unknown prints `unknown` rather than failing: the
    /// verdict has already been decided by the conditions.
    pub fn render(&self, facts: &Facts, read: &mut BTreeSet<String>) -> String {
        self.render_scrubbed(facts, read, &mut |_, s| s.to_string())
    }

    /// [`Template::render`], with what comes from the machine (string values, sources) passed
    /// through `scrub`; numbers and booleans hold no secret and are printed as they are.
    pub fn render_scrubbed(
        &self,
        facts: &Facts,
        read: &mut BTreeSet<String>,
        scrub: crate::engine::Scrub<'_>,
    ) -> String {
        let mut out = String::new();
        for p in self.pieces.iter() {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Source(name) => {
                    read.insert(name.to_string());
                    out.push_str(&scrub(None, facts.source(name).unwrap_or("unknown source")));
                }
                Piece::Expr(nodes, filter) => match condition::eval(nodes, facts, read) {
                    Ok(v @ V::Str(_)) => {
                        let one_fact = match nodes.as_ref() {
                            [ir::Node::Fact(name)] => Some(name.as_ref()),
                            _ => None,
                        };
                        out.push_str(&scrub(one_fact, &format_value(&v, *filter)));
                    }
                    Ok(v) => out.push_str(&format_value(&v, *filter)),
                    Err(EvalError::Unknown(_)) => out.push_str("unknown"),
                    Err(EvalError::Failed(m)) => {
                        out.push_str(&format!("(error: {})", scrub(None, &m)));
                    }
                },
            }
        }
        out
    }
}

fn parse_hole(inner: &str) -> Result<Piece, ExprError> {
    if let Some(name) = inner.strip_suffix(".source")
        && lookup(name).is_some()
    {
        return Ok(Piece::Source(Cow::Owned(name.to_string())));
    }
    let (expr, filter) = ir::split_filter(inner).map_err(|name| ExprError {
        message: format!("unknown filter `{name}`"),
        at: Some(name.to_string()),
        help: Some("filters: bytes, duration, percent".into()),
    })?;
    let (tree, _ty, _used) = condition::compile(expr, None)?;
    let nodes = ir::lower(&tree).map_err(ExprError::new)?;
    Ok(Piece::Expr(Cow::Owned(nodes), filter))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::Redactor;

    #[test]
    fn redaction_sees_what_came_from_the_machine_and_not_the_rules_words() {
        let mut facts = Facts::new();
        facts.set(
            "gunicorn.live.cmdline",
            "gunicorn --env SECRET_KEY=s3cr3t-canary app:app",
            "/proc/42/cmdline",
        );
        facts.set("gunicorn.workers", 3_i64, "--workers");
        facts.set(
            "url.target",
            "https://admin:url-pw-canary@example.com/health",
            "--url https://admin:url-pw-canary@example.com/health",
        );
        let t = Template::parse(
            "set password=example in the rule's words; {{ gunicorn.live.cmdline }} ({{ \
             gunicorn.workers }} workers) probed {{ url.target }} from {{ url.target.source }}",
        )
        .unwrap();
        let mut red = Redactor::new(true, false);
        let out = t.render_scrubbed(&facts, &mut BTreeSet::new(), &mut |f, s| red.value(f, s));
        assert!(
            out.starts_with("set password=example in the rule's words; "),
            "{out}"
        );
        assert!(out.contains("(3 workers)"), "{out}");
        for secret in ["s3cr3t-canary", "url-pw-canary"] {
            assert!(!out.contains(secret), "{secret} leaked: {out}");
        }
        assert!(out.contains("[SECRET-"), "{out}");
        // The same template without scrubbing shows everything: the test above can fail.
        let plain = t.render(&facts, &mut BTreeSet::new());
        assert!(plain.contains("s3cr3t-canary") && plain.contains("url-pw-canary"));
    }
}
