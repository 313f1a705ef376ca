//! Per-rule cases, ruff style: each `tests/fixtures/rule-cases/<ID>/<status>-<slug>.json` holds
//! the facts one rule reads; the rule alone must give `<status>`, and its message is pinned by a
//! snapshot named `<ID>_<status>-<slug>`. Every rule must have a case for each of its outcomes and
//! one that skips on an unknown fact.

use headroom::engine;
use headroom::facts::Facts;
use headroom::rules::{self, Status};
use std::collections::BTreeSet;
use std::path::Path;

fn cases_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rule-cases")
}

#[test]
fn every_case_gives_its_status() {
    let set =
        rules::load_embedded().unwrap_or_else(|d| panic!("{}", headroom::diag::render_all(&d)));
    let mut failures = Vec::new();
    let mut count = 0;
    for rule in &set.rules {
        let dir = cases_dir().join(rule.id.as_ref());
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let stem = f
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let want = stem.split('-').next().unwrap_or_default().to_string();
            let text = std::fs::read_to_string(&f).unwrap();
            let facts: Facts =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let finding = engine::judge(rule, &facts);
            count += 1;
            if finding.status.as_str() != want {
                failures.push(format!(
                    "{}/{stem}: want {want}, got {} — {}",
                    rule.id,
                    finding.status.as_str(),
                    finding.message
                ));
            }
            insta::assert_snapshot!(
                format!("{}_{stem}", rule.id),
                format!("{}: {}", finding.status.as_str(), finding.message)
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} cases wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        count > 0,
        "no rule cases found under {}",
        cases_dir().display()
    );
}

#[test]
fn every_rule_has_a_case_per_outcome_and_a_skip() {
    let set =
        rules::load_embedded().unwrap_or_else(|d| panic!("{}", headroom::diag::render_all(&d)));
    let mut missing = Vec::new();
    for rule in &set.rules {
        let have: BTreeSet<String> = std::fs::read_dir(cases_dir().join(rule.id.as_ref()))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter_map(|e| {
                        e.file_name()
                            .to_str()
                            .map(|s| s.split('-').next().unwrap_or_default().to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut want: BTreeSet<String> = rule
            .outcomes
            .iter()
            .map(|o| o.status.as_str().to_string())
            .collect();
        want.insert(Status::Skip.as_str().to_string());
        for w in want.difference(&have) {
            missing.push(format!(
                "{} ({}) has no `{w}-*.json` case",
                rule.id, rule.name
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "missing rule cases:\n{}",
        missing.join("\n")
    );
}

#[test]
fn shipped_packs_pass_the_full_validation() {
    let checked =
        rules::validate_embedded().unwrap_or_else(|d| panic!("{}", headroom::diag::render_all(&d)));
    let fast = rules::load_embedded().unwrap();
    assert_eq!(checked.rules.len(), fast.rules.len());
    // The build-time fact scan (used to plan probes) must agree with the real parser.
    for (a, b) in checked.rules.iter().zip(&fast.rules) {
        assert_eq!(a.id, b.id);
        assert_eq!(
            a.facts, b.facts,
            "{}: build.rs found other facts than the parser",
            a.id
        );
        // The conditions and messages build.rs lowered are what the loader makes of the text.
        assert_eq!(a.outcomes.len(), b.outcomes.len(), "{}", a.id);
        for (x, y) in a.outcomes.iter().zip(&b.outcomes) {
            let nodes = |o: &headroom::rules::Outcome| {
                o.condition()
                    .map(|c| c.map(|c| c.nodes().to_vec()).map_err(str::to_string))
            };
            let parsed = nodes(x);
            assert!(
                parsed.as_ref().is_none_or(Result::is_ok),
                "{}: {parsed:?}",
                a.id
            );
            assert_eq!(parsed, nodes(y), "{}: `when` lowered differently", a.id);
            let pieces = |o: &headroom::rules::Outcome| {
                o.template()
                    .map(|t| t.pieces().to_vec())
                    .map_err(str::to_string)
            };
            assert!(pieces(x).is_ok(), "{}", a.id);
            assert_eq!(
                pieces(x),
                pieces(y),
                "{}: message lowered differently",
                a.id
            );
        }
    }
    assert_eq!(checked.version, fast.version);
}
