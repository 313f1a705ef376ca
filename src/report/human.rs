//! The human report: findings grouped by area, one line each, remediation under problems.
//!
//! Colour only on a terminal and never with `NO_COLOR` (the caller decides, via
//! `colored::control`); the text is the same either way, so piped output stays readable.

use super::Run;
use crate::engine::Finding;
use crate::facts::{Fact, Facts, Unit, Value, units};
use crate::rules::{Status, area_rank};
use colored::Colorize;
use std::fmt::Write as _;

fn badge(status: Status, ignored: bool) -> String {
    let text = format!("{:<4}", status.as_str().to_uppercase());
    if ignored {
        return text.dimmed().to_string();
    }
    match status {
        Status::Fail => text.red().bold().to_string(),
        Status::Warn => text.yellow().bold().to_string(),
        Status::Info => text.blue().to_string(),
        Status::Pass => text.green().to_string(),
        Status::Skip => text.dimmed().to_string(),
    }
}

/// A fact value as a person reads it: sizes in MiB/GiB, durations in s/min.
pub fn show_value(v: &Value, unit: Option<Unit>) -> String {
    match (v, unit) {
        (Value::Int(i), Some(Unit::Bytes)) => units::bytes(*i),
        #[allow(clippy::cast_precision_loss)]
        (Value::Int(i), Some(Unit::Seconds)) => units::duration(*i as f64),
        (Value::Float(f), Some(Unit::Seconds)) => units::duration(*f),
        (Value::Float(f), Some(Unit::Percent)) => format!("{f:.2} %"),
        (Value::Int(i), _) => i.to_string(),
        (Value::Float(f), _) => {
            let s = format!("{f:.3}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
        (Value::Bool(b), _) => b.to_string(),
        (Value::Str(s), _) => s.clone(),
    }
}

/// `name = value (source)` or `name unknown: reason`.
pub fn show_fact(name: &str, fact: Option<&Fact>) -> String {
    match fact {
        Some(Fact::Known {
            value,
            unit,
            source,
        }) => {
            format!("{name} = {} ({source})", show_value(value, *unit))
        }
        Some(Fact::Unknown { unknown }) => format!("{name} unknown: {unknown}"),
        None => format!("{name} not collected"),
    }
}

pub fn render(run: &Run, verbose: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} · {}",
        "headroom".bold(),
        env!("CARGO_PKG_VERSION"),
        run.subject
    );
    let mut ordered: Vec<&Finding> = run.findings.iter().collect();
    ordered.sort_by(|a, b| {
        (area_rank(&a.area), &a.area, &a.id).cmp(&(area_rank(&b.area), &b.area, &b.id))
    });
    let mut area = "";
    for f in ordered {
        if f.area != area {
            area = &f.area;
            let _ = writeln!(out, "\n{}", area.bold());
        }
        let ignored = if f.ignored { " (ignored)" } else { "" };
        let _ = writeln!(
            out,
            "  {} {:<6} {}{ignored}",
            badge(f.status, f.ignored),
            f.id,
            f.message
        );
        if !f.remediation.is_empty() && !f.ignored {
            for line in f.remediation.lines() {
                let _ = writeln!(out, "              {line}");
            }
        }
        if verbose {
            for name in f.facts.keys() {
                let _ = writeln!(
                    out,
                    "              {} {}",
                    "·".dimmed(),
                    show_fact(name, run.facts.get(name)).dimmed()
                );
            }
        }
    }
    // The budget, when the stack is known well enough to add up (80 columns unless told).
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(80);
    if let Some(b) = super::budget::render(
        &run.facts,
        width,
        colored::control::SHOULD_COLORIZE.should_colorize(),
    ) {
        let _ = write!(out, "\n{b}");
    }
    let s = &run.summary;
    let mut parts = vec![
        format!("{} fail", s.fail),
        format!("{} warn", s.warn),
        format!("{} info", s.info),
        format!("{} pass", s.pass),
        format!("{} skip", s.skip),
    ];
    if s.ignored > 0 {
        parts.push(format!("{} ignored", s.ignored));
    }
    let line = parts.join(", ");
    let line = if s.fail > 0 {
        line.red().bold().to_string()
    } else if s.warn > 0 {
        line.yellow().to_string()
    } else {
        line.green().to_string()
    };
    let _ = writeln!(out, "\n{line} (rules {})", run.rules_version);
    out
}

/// `headroom facts` for people: one fact per line, grouped by the first name segment.
pub fn render_facts(facts: &Facts) -> String {
    let mut out = String::new();
    let mut group = "";
    for (name, fact) in facts.iter() {
        let g = name.split('.').next().unwrap_or("");
        if g != group {
            group = g;
            let _ = writeln!(out, "{}", g.bold());
        }
        let _ = writeln!(out, "  {}", show_fact(name, Some(fact)));
    }
    out
}
