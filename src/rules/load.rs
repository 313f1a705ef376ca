//! Rule files → validated [`RuleSet`], or every problem with `file:line:col`.
//!
//! YAML goes through serde-saphyr into span-carrying raw structs; validation then checks each rule
//! and keeps going after a problem, so an author sees all of them in one run (cargo-deny's
//! `ValidationContext` habit). Only a YAML syntax error stops a file, since nothing after it can
//! be trusted; other files are still checked.

use super::condition::{Condition, ExprError};
use super::fnv;
use super::template::Template;
use super::{EMBEDDED, EMBEDDED_TABLE, Origin, Outcome, Rule, RuleSet, Status};
use crate::diag::Diagnostic;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

type S = Spanned<String>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    /// Stable code: an area prefix and three digits (`MEM001`).
    id: Option<S>,
    /// Kebab-case name of the problem (`swap-disabled-on-small-host`).
    name: Option<S>,
    /// Area the rule belongs to (`memory`, `gunicorn`, …); findings are grouped by it.
    area: Option<S>,
    /// One sentence: what the rule checks.
    summary: Option<S>,
    /// In order; the first outcome whose `when` holds decides. The last has no `when`.
    outcomes: Option<Vec<Spanned<RawOutcomeEntry>>>,
    /// What to do about a warning or failure, with commands.
    remediation: Option<S>,
    /// The reasoning and sources behind the thresholds.
    why: Option<S>,
    /// When the rule does not apply although it fires.
    exceptions: Option<S>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutcomeEntry {
    fail: Option<RawOutcome>,
    warn: Option<RawOutcome>,
    info: Option<RawOutcome>,
    pass: Option<RawOutcome>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutcome {
    /// A condition over facts; absent means "always".
    when: Option<S>,
    /// What the finding says; `{{ fact | bytes }}` holes are filled from facts.
    message: Option<S>,
}

/// One rule file's text, named as the user knows it.
struct Source<'a> {
    name: String,
    text: &'a str,
}

/// Loads the embedded packs, then each `--rules DIR` (overriding embedded rules by id).
pub fn load(dirs: &[impl AsRef<Path>]) -> Result<RuleSet, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut rules: Vec<Rule> = EMBEDDED_TABLE.iter().map(Rule::from_static).collect();
    if dirs.is_empty() {
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        return Ok(RuleSet {
            rules,
            version: super::EMBEDDED_VERSION.to_string(),
        });
    }
    for dir in dirs {
        let texts = read_dir(dir.as_ref(), &mut diags);
        let extra = parse_set(
            texts.iter().map(|(n, t)| Source {
                name: n.clone(),
                text: t,
            }),
            &mut diags,
        );
        for r in extra {
            rules.retain(|old| !old.id.eq_ignore_ascii_case(&r.id));
            rules.push(r);
        }
    }
    finish(rules, diags)
}

/// Only the embedded packs (what `headroom check` uses without `--rules`).
pub fn load_embedded() -> Result<RuleSet, Vec<Diagnostic>> {
    load(&[] as &[&Path])
}

/// The embedded packs through the full validating loader, as a user's `--rules DIR` would be.
/// Tests run this so the shipped rules meet the same bar without paying for it at start-up.
pub fn validate_embedded() -> Result<RuleSet, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let rules = parse_set(
        EMBEDDED.iter().map(|(n, t)| Source {
            name: format!("rules/{n}"),
            text: t,
        }),
        &mut diags,
    );
    finish(rules, diags)
}

/// Only the packs in `dir` (for `headroom rules lint DIR`).
pub fn load_dir(dir: &Path) -> Result<RuleSet, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let texts = read_dir(dir, &mut diags);
    let rules = parse_set(
        texts.iter().map(|(n, t)| Source {
            name: n.clone(),
            text: t,
        }),
        &mut diags,
    );
    finish(rules, diags)
}

fn finish(mut rules: Vec<Rule>, diags: Vec<Diagnostic>) -> Result<RuleSet, Vec<Diagnostic>> {
    if !diags.is_empty() {
        return Err(diags);
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    let version = fingerprint(&rules);
    Ok(RuleSet { rules, version })
}

/// `<crate version>+<hash of the rule texts>`: changes whenever any rule changes. `build.rs`
/// computes the same for the shipped set ([`super::EMBEDDED_VERSION`]) with the same [`fnv`].
fn fingerprint(rules: &[Rule]) -> String {
    let mut h = fnv::START;
    for r in rules {
        for part in [&r.id, &r.why, &r.remediation, &r.summary] {
            h = fnv::fold(h, part.as_bytes());
        }
        for o in &r.outcomes {
            h = fnv::fold(h, o.when_text.as_deref().unwrap_or("").as_bytes());
            h = fnv::fold(h, o.message_text.as_bytes());
        }
    }
    fnv::version(h)
}

fn read_dir(dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<(String, String)> {
    let shown = dir.display().to_string();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            diags.push(Diagnostic::new(
                "rule-file",
                &shown,
                format!(
                    "cannot read rules directory: {}",
                    crate::probe::host::describe(&e)
                ),
            ));
            return Vec::new();
        }
    };
    let mut paths: Vec<_> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("yaml") || x.eq_ignore_ascii_case("yml"))
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        diags.push(
            Diagnostic::new(
                "rule-file",
                &shown,
                "no rule files (*.yaml) in this directory",
            )
            .help(Some(
                "a rule pack is a YAML list of rules; see `headroom rules explain MEM001` for one"
                    .into(),
            )),
        );
    }
    let mut out = Vec::new();
    for p in paths {
        let name = p.display().to_string();
        match std::fs::read(&p) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => out.push((name, t)),
                Err(_) => diags.push(Diagnostic::new(
                    "rule-file",
                    &name,
                    "not UTF-8 text: a rule file must be YAML",
                )),
            },
            Err(e) => diags.push(Diagnostic::new(
                "rule-file",
                &name,
                format!("cannot read: {}", crate::probe::host::describe(&e)),
            )),
        }
    }
    out
}

fn parse_set<'a>(
    sources: impl Iterator<Item = Source<'a>>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Rule> {
    let mut rules: Vec<Rule> = Vec::new();
    let mut seen: BTreeMap<String, Origin> = BTreeMap::new();
    for src in sources {
        let raw: Vec<Spanned<RawRule>> = match serde_saphyr::from_str(src.text) {
            Ok(v) => v,
            Err(e) => {
                diags.push(yaml_error(&src, &e));
                continue;
            }
        };
        for r in raw {
            let line = usize::try_from(r.referenced.line()).unwrap_or(0);
            let Some(rule) = validate(&src, r.value, line, diags) else {
                continue;
            };
            if let Some(first) = seen.get(&rule.id.to_ascii_uppercase()) {
                diags.push(
                    Diagnostic::new("rule-file", &src.name, format!("duplicate rule id `{}`", rule.id))
                        .at(src.text, rule.origin.line, col_of(src.text, rule.origin.line, &rule.id), rule.id.len())
                        .help(Some(format!(
                            "first defined at {}:{}; ids must be unique (use --rules DIR to override a shipped rule)",
                            first.file, first.line
                        ))),
                );
                continue;
            }
            seen.insert(rule.id.to_ascii_uppercase(), rule.origin.clone());
            rules.push(rule);
        }
    }
    rules
}

fn yaml_error(src: &Source<'_>, e: &serde_saphyr::Error) -> Diagnostic {
    let msg = e.without_snippet().to_string();
    // serde-saphyr appends " at line L column C"; we show the location our own way.
    let msg = msg
        .split(" at line ")
        .next()
        .unwrap_or(&msg)
        .trim()
        .to_string();
    let d = Diagnostic::new("rule-file", &src.name, format!("invalid rule file: {msg}"));
    match e.location() {
        Some(loc) if loc.line() > 0 => d.at(
            src.text,
            usize::try_from(loc.line()).unwrap_or(0),
            usize::try_from(loc.column()).unwrap_or(1),
            1,
        ),
        _ => d,
    }
}

/// 1-based column of `needle` on line `line`, or 1.
fn col_of(text: &str, line: usize, needle: &str) -> usize {
    text.lines()
        .nth(line.saturating_sub(1))
        .and_then(|l| l.find(needle).map(|b| l[..b].chars().count() + 1))
        .unwrap_or(1)
}

fn loc(s: &S) -> (usize, usize) {
    (
        usize::try_from(s.referenced.line()).unwrap_or(0),
        usize::try_from(s.referenced.column()).unwrap_or(0),
    )
}

/// Points at `fragment` inside the scalar that starts at `s`, searching from there onward
/// (the scalar may be quoted, or a block on the following lines).
fn point_into(src: &Source<'_>, s: &S, fragment: Option<&str>) -> (usize, usize, usize) {
    let (line, col) = loc(s);
    if let Some(frag) = fragment.filter(|f| !f.is_empty()) {
        for (i, l) in src.text.lines().enumerate().skip(line.saturating_sub(1)) {
            let start_byte = if i + 1 == line {
                l.char_indices()
                    .nth(col.saturating_sub(1))
                    .map_or(l.len(), |(b, _)| b)
            } else {
                0
            };
            if let Some(b) = l.get(start_byte..).and_then(|rest| rest.find(frag)) {
                return (
                    i + 1,
                    l[..start_byte + b].chars().count() + 1,
                    frag.chars().count(),
                );
            }
            if i + 1 > line + 20 {
                break;
            }
        }
    }
    (line, col, 1)
}

fn expr_diag(src: &Source<'_>, s: &S, what: &str, e: &ExprError) -> Diagnostic {
    let (l, c, w) = point_into(src, s, e.at.as_deref());
    Diagnostic::new("rule-file", &src.name, format!("{what}: {}", e.message))
        .at(src.text, l, c, w)
        .help(e.help.clone())
}

fn validate(
    src: &Source<'_>,
    raw: RawRule,
    line: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<Rule> {
    let before = diags.len();
    let at_rule = |msg: String| {
        Diagnostic::new("rule-file", &src.name, msg).at(
            src.text,
            line,
            col_of(src.text, line, "id"),
            2,
        )
    };
    let Some(id) = raw.id else {
        diags.push(at_rule("rule without an `id`".into()));
        return None;
    };
    let id_ok = {
        let v = id.value.as_str();
        let letters = v.chars().take_while(char::is_ascii_uppercase).count();
        let digits = &v[letters..];
        (2..=4).contains(&letters)
            && digits.len() == 3
            && digits.chars().all(|c| c.is_ascii_digit())
    };
    if !id_ok {
        let (l, c) = loc(&id);
        diags.push(
            Diagnostic::new(
                "rule-file",
                &src.name,
                format!(
                    "rule id `{}` is not an area code and three digits",
                    id.value
                ),
            )
            .at(src.text, l, c, id.value.chars().count())
            .help(Some("ids look like MEM001, GUN012, PG003".into())),
        );
    }
    let mut need = |field: Option<S>, what: &str| -> String {
        match field {
            Some(s) if !s.value.trim().is_empty() => s.value,
            Some(s) => {
                let (l, c) = loc(&s);
                diags.push(
                    Diagnostic::new(
                        "rule-file",
                        &src.name,
                        format!("rule {}: `{what}` is empty", id.value),
                    )
                    .at(src.text, l, c, 1),
                );
                String::new()
            }
            None => {
                let (l, c) = loc(&id);
                diags.push(
                    Diagnostic::new("rule-file", &src.name, format!("rule {}: missing `{what}`", id.value))
                        .at(src.text, l, c, id.value.chars().count())
                        .help(Some(format!("every rule needs id, name, area, summary, outcomes, remediation and why; `{what}` is missing"))),
                );
                String::new()
            }
        }
    };
    let name_span = raw.name.as_ref().map(loc);
    let name = need(raw.name, "name");
    let area = need(raw.area, "area");
    let summary = need(raw.summary, "summary");
    let remediation = need(raw.remediation, "remediation");
    let why = need(raw.why, "why");
    if !name.is_empty()
        && !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && let Some((l, c)) = name_span
    {
        diags.push(
            Diagnostic::new(
                "rule-file",
                &src.name,
                format!("rule {}: name `{name}` is not kebab-case", id.value),
            )
            .at(src.text, l, c, name.chars().count()),
        );
    }
    let mut outcomes = Vec::new();
    match raw.outcomes {
        None => {
            let (l, c) = loc(&id);
            diags.push(
                Diagnostic::new(
                    "rule-file",
                    &src.name,
                    format!("rule {}: missing `outcomes`", id.value),
                )
                .at(src.text, l, c, id.value.chars().count()),
            );
        }
        Some(list) => {
            let n = list.len();
            if n == 0 {
                let (l, c) = loc(&id);
                diags.push(
                    Diagnostic::new(
                        "rule-file",
                        &src.name,
                        format!("rule {}: `outcomes` is empty", id.value),
                    )
                    .at(src.text, l, c, id.value.chars().count()),
                );
            }
            for (i, entry) in list.into_iter().enumerate() {
                let eline = usize::try_from(entry.referenced.line()).unwrap_or(line);
                let ecol = usize::try_from(entry.referenced.column()).unwrap_or(1);
                let e = entry.value;
                let mut chosen: Vec<(Status, RawOutcome)> = Vec::new();
                for (st, o) in [
                    (Status::Fail, e.fail),
                    (Status::Warn, e.warn),
                    (Status::Info, e.info),
                    (Status::Pass, e.pass),
                ] {
                    if let Some(o) = o {
                        chosen.push((st, o));
                    }
                }
                if chosen.len() != 1 {
                    diags.push(
                        Diagnostic::new(
                            "rule-file",
                            &src.name,
                            format!(
                                "rule {}: each outcome needs exactly one of fail, warn, info, pass",
                                id.value
                            ),
                        )
                        .at(src.text, eline, ecol, 1),
                    );
                    continue;
                }
                let Some((status, o)) = chosen.pop() else {
                    continue;
                };
                let when = match &o.when {
                    None => None,
                    Some(w) => match Condition::parse(&w.value) {
                        Ok(c) => Some(c),
                        Err(err) => {
                            diags.push(expr_diag(src, w, &format!("rule {}", id.value), &err));
                            None
                        }
                    },
                };
                if o.when.is_none() && i + 1 < n {
                    diags.push(
                        Diagnostic::new("rule-file", &src.name, format!("rule {}: outcome {} has no `when`, so the outcomes after it can never be reached", id.value, i + 1))
                            .at(src.text, eline, ecol, 1)
                            .help(Some("only the last outcome may omit `when`".into())),
                    );
                }
                if o.when.is_some() && i + 1 == n {
                    diags.push(
                        Diagnostic::new("rule-file", &src.name, format!("rule {}: the last outcome has a `when`; when nothing matches the rule would have no verdict", id.value))
                            .at(src.text, eline, ecol, 1)
                            .help(Some("end with a catch-all such as `- pass: { message: ... }`".into())),
                    );
                }
                let Some(msg) = o.message else {
                    diags.push(
                        Diagnostic::new(
                            "rule-file",
                            &src.name,
                            format!("rule {}: outcome {} has no `message`", id.value, i + 1),
                        )
                        .at(src.text, eline, ecol, 1),
                    );
                    continue;
                };
                let message = match Template::parse(&msg.value) {
                    Ok(t) => t,
                    Err(te) => {
                        let frag = te.error.at.clone().or_else(|| {
                            msg.value
                                .get(te.offset..)
                                .map(|r| r.chars().take(12).collect())
                        });
                        let err = ExprError {
                            at: frag,
                            ..te.error
                        };
                        diags.push(expr_diag(
                            src,
                            &msg,
                            &format!("rule {} message", id.value),
                            &err,
                        ));
                        continue;
                    }
                };
                if o.when.is_some() && when.is_none() {
                    continue; // the condition's problem is already reported
                }
                outcomes.push(Outcome::compiled(status, when, message, msg.value));
            }
        }
    }
    if diags.len() > before {
        return None;
    }
    let mut facts = std::collections::BTreeSet::new();
    for o in &outcomes {
        if let Some(Ok(c)) = o.condition() {
            facts.extend(c.facts().map(str::to_string));
        }
        if let Ok(t) = o.template() {
            facts.extend(t.facts().map(str::to_string));
        }
    }
    Some(Rule {
        facts: facts.into_iter().map(Cow::Owned).collect(),
        id: Cow::Owned(id.value),
        name: Cow::Owned(name),
        area: Cow::Owned(area),
        summary: Cow::Owned(summary),
        outcomes,
        remediation: Cow::Owned(remediation),
        why: Cow::Owned(why),
        exceptions: raw.exceptions.map(|s| Cow::Owned(s.value)),
        origin: Origin {
            file: Cow::Owned(src.name.clone()),
            line,
        },
    })
}
