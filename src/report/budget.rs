//! The memory budget as a person reads it: a table of terms with their sources, and a stacked
//! bar of what eats the memory and how much is left.
//!
//! On a terminal the bar is coloured blocks; otherwise each term has a letter (`W` workers, `P`
//! PostgreSQL, …) and free memory is `.`, so the picture survives a pipe, a log file or a ticket.
//! When the stack needs more than is usable, the bar spans the need and `|` marks the limit.

use crate::facts::Facts;
use crate::facts::units::bytes;
use colored::{Color, Colorize};
use std::fmt::Write as _;

/// (fact, label, letter, colour), in the order the bar stacks them.
const TERMS: &[(&str, &str, char, Color)] = &[
    ("budget.os_reserve", "OS", 'O', Color::White),
    ("budget.docker", "Docker", 'D', Color::Cyan),
    ("budget.postgres", "PostgreSQL", 'P', Color::Blue),
    (
        "budget.gunicorn_master",
        "Gunicorn master",
        'M',
        Color::Magenta,
    ),
    (
        "budget.gunicorn_workers",
        "Gunicorn workers",
        'W',
        Color::Red,
    ),
    ("budget.threads", "threads", 'T', Color::Yellow),
    ("budget.db_pool", "DB connections", 'C', Color::Yellow),
    ("budget.other_services", "other services", 'S', Color::Green),
];

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// True for the facts [`render`] reads: a human check without `-v` keeps (and redacts) only these.
pub fn shows(name: &str) -> bool {
    name.starts_with("budget.")
}

/// The budget section, or `None` when the budget is unknown. `width` is the terminal width.
pub fn render(facts: &Facts, width: usize, color: bool) -> Option<String> {
    let total = facts.int("budget.total")?;
    let avail = facts.int("budget.available")?;
    let width = width.clamp(60, 120);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} ({} needed of {} usable)",
        if color {
            "memory budget".bold().to_string()
        } else {
            "memory budget".to_string()
        },
        bytes(total),
        bytes(avail)
    );
    let src_w = width.saturating_sub(2 + 18 + 1 + 10 + 2);
    let terms: Vec<(&str, char, Color, i64, String)> = TERMS
        .iter()
        .filter_map(|(name, label, letter, c)| {
            let v = facts.int(name)?;
            (v > 0).then(|| {
                (
                    *label,
                    *letter,
                    *c,
                    v,
                    facts.source(name).unwrap_or("").to_string(),
                )
            })
        })
        .collect();
    for (label, letter, _, v, src) in &terms {
        let _ = writeln!(
            o,
            "  {:<18} {:>10}  {}",
            format!("{letter} {label}"),
            bytes(*v),
            cut(src, src_w)
        );
    }
    let headroom = avail - total;
    let _ = writeln!(o, "  {:<18} {:>10}", "total", bytes(total));
    let left = if headroom >= 0 {
        format!("{:>10}  free", bytes(headroom))
    } else {
        format!("{:>10}  SHORT", bytes(-headroom))
    };
    let _ = writeln!(o, "  {:<18} {left}", "headroom");
    // The bar: inner width minus the brackets.
    let bar_w = width.saturating_sub(4);
    let span = total.max(avail).max(1);
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let cells = |v: i64| ((v as f64 / span as f64) * bar_w as f64).round() as usize;
    let mut bar = String::new();
    let mut used = 0;
    for (_, letter, c, v, _) in &terms {
        let n = cells(*v).max(1).min(bar_w.saturating_sub(used));
        used += n;
        let seg: String = if color {
            "█".repeat(n).color(*c).to_string()
        } else {
            letter.to_string().repeat(n)
        };
        bar.push_str(&seg);
    }
    let limit_at = cells(avail).min(bar_w);
    if used < limit_at {
        bar.push_str(&".".repeat(limit_at - used));
        used = limit_at;
    }
    if headroom < 0 {
        // Mark where the usable memory ends inside the over-full bar.
        let mark = if color {
            "|".red().bold().to_string()
        } else {
            "|".to_string()
        };
        let _ = writeln!(o, "  [{bar}]");
        let _ = writeln!(
            o,
            "   {}{mark} usable memory ends here",
            " ".repeat(limit_at.saturating_sub(1))
        );
    } else {
        bar.push_str(&" ".repeat(bar_w.saturating_sub(used)));
        let _ = writeln!(o, "  [{bar}]");
    }
    let legend: Vec<String> = terms
        .iter()
        .map(|(label, letter, c, _, _)| {
            if color {
                format!("{} {label}", "█".color(*c))
            } else {
                format!("{letter} {label}")
            }
        })
        .collect();
    let mut line = String::from("   ");
    for item in legend.iter().chain(std::iter::once(&". free".to_string())) {
        let item_len = item.chars().count();
        if line.chars().count() + item_len + 2 > width && !line.trim().is_empty() {
            let _ = writeln!(o, "{}", line.trim_end());
            line = String::from("   ");
        }
        line.push_str(item);
        line.push_str("  ");
    }
    let _ = writeln!(o, "{}", line.trim_end());
    Some(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(total_mib: i64, avail_mib: i64) -> Facts {
        let mut f = Facts::new();
        let m = 1 << 20;
        f.set("budget.os_reserve", 100 * m, "estimate 100 MiB");
        f.set("budget.postgres", 300 * m, "shared 143 MiB + …");
        f.set("budget.gunicorn_master", 30 * m, "estimate 30 MiB");
        f.set(
            "budget.gunicorn_workers",
            (total_mib - 430) * m,
            "n × 150 MiB",
        );
        f.set("budget.total", total_mib * m, "sum");
        f.set("budget.available", avail_mib * m, "memory.effective_total");
        f
    }

    #[test]
    fn fits_in_80_columns_as_plain_text() {
        let out = render(&facts(880, 2048), 80, false).unwrap();
        for line in out.lines() {
            assert!(line.chars().count() <= 80, "too wide: {line}");
        }
        assert!(out.contains("[OOO"), "{out}");
        assert!(out.contains("WWW"), "{out}");
        assert!(out.contains("...."), "{out}");
        assert!(out.contains("1.1 GiB  free"), "{out}");
        assert!(!out.contains('\u{1b}'), "no escape codes in plain text");
    }

    #[test]
    fn over_budget_marks_the_limit() {
        let out = render(&facts(1400, 1024), 80, false).unwrap();
        assert!(out.contains("SHORT"), "{out}");
        assert!(out.contains("| usable memory ends here"), "{out}");
        assert!(!out.contains("...."), "{out}");
    }

    #[test]
    fn unknown_budget_renders_nothing() {
        assert!(render(&Facts::new(), 80, false).is_none());
    }
}
