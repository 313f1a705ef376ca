//! The JSON report: a documented, versioned contract (DESIGN.md) that scripts build on.
//!
//! `schema` changes only when a field changes meaning; new fields may appear at any time.

use super::Run;
use crate::facts::{SCHEMA, Snapshot};
use serde::Serialize;

#[derive(Serialize)]
struct Out<'a> {
    schema: u32,
    headroom: &'static str,
    rules_version: &'a str,
    subject: &'a str,
    summary: &'a crate::engine::Summary,
    findings: &'a [crate::engine::Finding],
    facts: &'a crate::facts::Facts,
}

pub fn render(run: &Run) -> String {
    let out = Out {
        schema: SCHEMA,
        headroom: env!("CARGO_PKG_VERSION"),
        rules_version: &run.rules_version,
        subject: &run.subject,
        summary: &run.summary,
        findings: &run.findings,
        facts: &run.facts,
    };
    let mut s =
        serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// The replayable facts snapshot (`headroom facts --format json`).
pub fn render_facts(snapshot: &Snapshot) -> String {
    let mut s = serde_json::to_string_pretty(snapshot)
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
