//! Per-rule documentation, from the rule itself: `headroom rules explain ID` and `docs/rules/`.

use crate::rules::Rule;
use std::fmt::Write as _;

/// A rule's documentation as Markdown: what it checks, its outcomes, remediation, why.
pub fn explain(rule: &Rule) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {} {}\n", rule.id, rule.name);
    let _ = writeln!(
        s,
        "Area: {} · defined in {}:{}\n",
        rule.area, rule.origin.file, rule.origin.line
    );
    let _ = writeln!(s, "{}\n", rule.summary.trim());
    let _ = writeln!(s, "## Outcomes (the first that holds decides)\n");
    for o in &rule.outcomes {
        let when = o
            .when_text
            .as_ref()
            .map_or("otherwise".to_string(), |c| format!("when `{}`", c.trim()));
        let _ = writeln!(
            s,
            "- **{}** {when}: {}",
            o.status.as_str(),
            o.message_text.trim()
        );
    }
    let _ = writeln!(
        s,
        "\nA condition that reads an unknown fact makes the rule skip, with the reason.\n"
    );
    let _ = writeln!(s, "## Remediation\n\n{}\n", rule.remediation.trim());
    let _ = writeln!(s, "## Why\n\n{}", rule.why.trim());
    if let Some(e) = &rule.exceptions {
        let _ = writeln!(s, "\n## Exceptions\n\n{}", e.trim());
    }
    s
}
