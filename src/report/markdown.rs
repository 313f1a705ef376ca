//! Markdown findings: the part of a support report a person reads first, pasteable anywhere.

use super::Run;
use crate::engine::Finding;
use crate::rules::{Status, area_rank};
use std::fmt::Write as _;

/// Escapes what would break a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn render(run: &Run) -> String {
    let mut o = String::new();
    let s = &run.summary;
    let _ = writeln!(o, "## Findings\n");
    let _ = writeln!(
        o,
        "{} fail, {} warn, {} info, {} pass, {} skip — {} (headroom {}, rules {})\n",
        s.fail,
        s.warn,
        s.info,
        s.pass,
        s.skip,
        run.subject,
        env!("CARGO_PKG_VERSION"),
        run.rules_version
    );
    let mut ordered: Vec<&Finding> = run.findings.iter().collect();
    ordered.sort_by(|a, b| {
        (b.status, area_rank(&a.area), &a.id).cmp(&(a.status, area_rank(&b.area), &b.id))
    });
    o.push_str("| status | rule | area | finding |\n|---|---|---|---|\n");
    for f in &ordered {
        let st = if f.ignored {
            format!("{} (ignored)", f.status.as_str())
        } else {
            f.status.as_str().to_uppercase()
        };
        let _ = writeln!(
            o,
            "| {st} | {} `{}` | {} | {} |",
            f.id,
            f.name,
            f.area,
            cell(&f.message)
        );
    }
    let problems: Vec<&&Finding> = ordered
        .iter()
        .filter(|f| !f.ignored && matches!(f.status, Status::Fail | Status::Warn))
        .collect();
    if !problems.is_empty() {
        o.push_str("\n### What to do\n");
        for f in problems {
            let _ = writeln!(o, "\n**{} {}** — {}\n", f.id, f.name, f.message);
            for line in f.remediation.lines() {
                let _ = writeln!(o, "    {line}");
            }
        }
    }
    o
}
