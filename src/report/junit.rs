//! JUnit XML: one test case per rule, so CI systems show headroom's verdicts like test results.
//!
//! Mapping: fail → `<failure>`; skip → `<skipped>`; warn → `<failure>` only with `--strict`
//! (otherwise a passing case whose message is in `<system-out>`, matching the exit status);
//! pass and info → passing cases. Suites are the areas. Layout follows the Jenkins/Ant schema
//! (testsuites > testsuite > testcase > failure | skipped | system-out) that GitLab, GitHub
//! reporters and Jenkins read.

use super::Run;
use crate::engine::Finding;
use crate::rules::{Status, area_rank};
use std::fmt::Write as _;

/// Escapes text for XML attributes and content; drops characters XML 1.0 cannot carry.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\t' | '\n' | '\r' => o.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => o.push(c),
        }
    }
    o
}

fn is_failure(f: &Finding, strict: bool) -> bool {
    !f.ignored && (f.status == Status::Fail || (strict && f.status == Status::Warn))
}

pub fn render(run: &Run, strict: bool) -> String {
    let mut areas: Vec<&str> = run.findings.iter().map(|f| f.area.as_ref()).collect();
    areas.sort_by_key(|a| (area_rank(a), *a));
    areas.dedup();
    let total = run.findings.len();
    let failures = run
        .findings
        .iter()
        .filter(|f| is_failure(f, strict))
        .count();
    let skipped = run
        .findings
        .iter()
        .filter(|f| f.status == Status::Skip || f.ignored)
        .count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"headroom\" tests=\"{total}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">"
    );
    for area in areas {
        let cases: Vec<&Finding> = run.findings.iter().filter(|f| f.area == area).collect();
        let nf = cases.iter().filter(|f| is_failure(f, strict)).count();
        let ns = cases
            .iter()
            .filter(|f| f.status == Status::Skip || f.ignored)
            .count();
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{nf}\" errors=\"0\" skipped=\"{ns}\" time=\"0\">",
            esc(area),
            cases.len()
        );
        for f in cases {
            let _ = write!(
                x,
                "    <testcase classname=\"headroom.{}\" name=\"{} {}\" time=\"0\">",
                esc(&f.area),
                esc(&f.id),
                esc(&f.name)
            );
            if f.ignored {
                let _ = write!(
                    x,
                    "<skipped message=\"ignored (--ignore): {}\"/>",
                    esc(&f.message)
                );
            } else if is_failure(f, strict) {
                let _ = write!(
                    x,
                    "<failure message=\"{}\" type=\"{}\">{}</failure>",
                    esc(&f.message),
                    f.status.as_str(),
                    esc(&f.remediation)
                );
            } else if f.status == Status::Skip {
                let _ = write!(x, "<skipped message=\"{}\"/>", esc(&f.message));
            } else {
                let _ = write!(
                    x,
                    "<system-out>{}: {}</system-out>",
                    f.status.as_str(),
                    esc(&f.message)
                );
            }
            x.push_str("</testcase>\n");
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}
