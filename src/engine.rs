//! The engine: select rules, plan the facts they need, and judge facts into findings.
//!
//! Rules see only `Facts`. For each rule the outcomes are tried in order and the first whose
//! condition holds decides. A condition that needs an unknown fact makes the rule *skip* with
//! that fact's reason: headroom never passes what it could not see.

use crate::facts::{Facts, Value};
use crate::rules::condition::EvalError;
use crate::rules::{Rule, RuleSet, Status};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One rule's verdict.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub id: crate::rules::ir::Str,
    pub name: crate::rules::ir::Str,
    pub area: crate::rules::ir::Str,
    pub status: Status,
    pub message: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remediation: String,
    /// The facts the verdict rests on, with their values (`null` when unknown).
    pub facts: BTreeMap<String, Option<Value>>,
    /// True when the user passed `--ignore` for this rule: shown, not counted.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ignored: bool,
}

/// Which rules run: `--only` and `--ignore`, by id (case-insensitive) or by area name.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub only: Vec<String>,
    pub ignore: Vec<String>,
}

fn matches(rule: &Rule, key: &str) -> bool {
    rule.id.eq_ignore_ascii_case(key) || rule.area.eq_ignore_ascii_case(key)
}

impl Selection {
    /// Every `--only`/`--ignore` entry that names no rule and no area: a typo the user must hear of.
    pub fn unmatched(&self, rules: &RuleSet) -> Vec<String> {
        self.only
            .iter()
            .chain(&self.ignore)
            .filter(|k| !rules.rules.iter().any(|r| matches(r, k)))
            .cloned()
            .collect()
    }

    /// The rules that run (ignored ones included: they are shown as ignored).
    /// Takes the set by value: cloning every rule to drop most of them cost more than judging.
    pub fn apply(&self, mut rules: RuleSet) -> RuleSet {
        if !self.only.is_empty() {
            rules
                .rules
                .retain(|r| self.only.iter().any(|k| matches(r, k)));
        }
        rules
    }

    fn ignores(&self, rule: &Rule) -> bool {
        self.ignore.iter().any(|k| matches(rule, k))
    }
}

/// What a message may print of the machine, before it is printed: a rendered hole's text (with
/// the fact's name when the hole is one fact), a fact's source, the reason a fact is unknown.
/// The rule's own words pass untouched. `app` redacts here; the rules judge the real values.
pub type Scrub<'a> = &'a mut dyn FnMut(Option<&str>, &str) -> String;

/// Judges every rule. Findings keep the rule order (by id); reports group them by area.
pub fn evaluate(rules: &RuleSet, facts: &Facts, sel: &Selection) -> Vec<Finding> {
    evaluate_scrubbed(rules, facts, sel, &mut |_, s| s.to_string())
}

/// [`evaluate`], with what messages print of the machine passed through `scrub`.
pub fn evaluate_scrubbed(
    rules: &RuleSet,
    facts: &Facts,
    sel: &Selection,
    scrub: Scrub<'_>,
) -> Vec<Finding> {
    rules
        .rules
        .iter()
        .map(|r| {
            let mut f = judge_scrubbed(r, facts, scrub);
            f.ignored = sel.ignores(r);
            f
        })
        .collect()
}

/// Applies one rule to the facts.
pub fn judge(rule: &Rule, facts: &Facts) -> Finding {
    judge_scrubbed(rule, facts, &mut |_, s| s.to_string())
}

fn judge_scrubbed(rule: &Rule, facts: &Facts, scrub: Scrub<'_>) -> Finding {
    let mut read = BTreeSet::new();
    let mut verdict: Option<(Status, String)> = None;
    for o in &rule.outcomes {
        let holds = match o.condition() {
            None => Ok(true),
            Some(Ok(c)) => c.holds(facts, &mut read),
            Some(Err(e)) => Err(EvalError::Failed(format!("invalid condition: {e}"))),
        };
        match holds {
            Ok(true) => {
                let mut verdict_for =
                    |t: &crate::rules::template::Template, read: &mut BTreeSet<String>| {
                        // A pass or info that would print "unknown" rests on something headroom could
                        // not see: that is a skip, never a pass. A fail or warn stands on its condition.
                        let missing = t.facts().filter(|n| facts.value(n).is_none()).min();
                        match missing {
                            Some(name) if matches!(o.status, Status::Pass | Status::Info) => {
                                read.insert(name.to_string());
                                (
                                    Status::Skip,
                                    format!(
                                        "{name} is unknown: {}",
                                        scrub(None, &facts.why_unknown(name))
                                    ),
                                )
                            }
                            _ => (o.status, t.render_scrubbed(facts, read, scrub)),
                        }
                    };
                verdict = Some(match o.template() {
                    Ok(t) => verdict_for(t, &mut read),
                    Err(e) => (Status::Skip, format!("invalid message: {e}")),
                });
                break;
            }
            Ok(false) => {}
            Err(EvalError::Unknown(name)) => {
                verdict = Some((
                    Status::Skip,
                    format!(
                        "{name} is unknown: {}",
                        scrub(None, &facts.why_unknown(&name))
                    ),
                ));
                break;
            }
            Err(EvalError::Failed(m)) => {
                verdict = Some((
                    Status::Skip,
                    format!("cannot evaluate: {}", scrub(None, &m)),
                ));
                break;
            }
        }
    }
    // The loader guarantees a catch-all last outcome; this only guards hand-built rule sets.
    let (status, message) = verdict.unwrap_or((Status::Skip, "no outcome matched".to_string()));
    let remediation = if matches!(status, Status::Warn | Status::Fail) {
        rule.remediation.trim_end().to_string()
    } else {
        String::new()
    };
    Finding {
        id: rule.id.clone(),
        name: rule.name.clone(),
        area: rule.area.clone(),
        status,
        message,
        remediation,
        facts: read
            .into_iter()
            .map(|n| {
                let v = facts.value(&n).cloned();
                (n, v)
            })
            .collect(),
        ignored: false,
    }
}

/// Counts per status, ignored findings left out.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub pass: usize,
    pub info: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub ignored: usize,
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(n: &usize) -> bool {
    *n == 0
}

pub fn summarize(findings: &[Finding]) -> Summary {
    let mut s = Summary::default();
    for f in findings {
        if f.ignored {
            s.ignored += 1;
            continue;
        }
        match f.status {
            Status::Pass => s.pass += 1,
            Status::Info => s.info += 1,
            Status::Warn => s.warn += 1,
            Status::Fail => s.fail += 1,
            Status::Skip => s.skip += 1,
        }
    }
    s
}

/// Exit status per DESIGN.md: 1 on a failure (or a warning with `--strict`), else 0.
pub fn exit_code(summary: &Summary, strict: bool) -> i32 {
    i32::from(summary.fail > 0 || (strict && summary.warn > 0))
}
