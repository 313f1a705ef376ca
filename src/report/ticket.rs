//! `headroom report`: one Markdown file for a support ticket.
//!
//! What ran where, the findings with their arithmetic, each area's facts with their sources, and
//! the whole facts snapshot in a fenced block so the support side can replay it:
//! `headroom check --facts report.md` (also with a newer rule pack). Everything in it has been
//! through the [`Redactor`] unless the user said `--no-redact`, which the report states first.

use super::Run;
use super::human::show_value;
use crate::facts::{Fact, Snapshot};
use crate::redact::Redactor;
use std::fmt::Write as _;

/// The info string of the fenced block holding the snapshot.
pub const FENCE: &str = "```json headroom-facts";

/// Sections of the report: (title, fact-name prefix).
const SECTIONS: &[(&str, &str)] = &[
    ("Memory budget", "budget."),
    ("Gunicorn", "gunicorn."),
    ("PostgreSQL", "postgres."),
    ("Compose services", "compose."),
    ("Docker Engine", "docker."),
    ("Memory", "memory."),
    ("Swap and kernel settings", "swap."),
    ("OOM evidence", "oom."),
    ("Pressure", "pressure."),
    ("CPU", "cpu."),
    ("Disk", "disk."),
    ("Machine", "machine."),
];

/// The snapshot inside a report, if the text is one.
pub fn extract_facts(text: &str) -> Option<&str> {
    let start = text.find(FENCE)?;
    let body = &text[start + FENCE.len()..];
    let body = body.strip_prefix('\n').unwrap_or(body);
    let end = body.find("\n```")?;
    Some(&body[..end])
}

/// Seconds since the epoch → `YYYY-MM-DD HH:MM:SS UTC` (civil-from-days; no date crate needed).
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Lines worth showing a support engineer: timeouts, kills, boots and exits, kernel OOM lines.
const EVIDENCE: &[&str] = &[
    "WORKER TIMEOUT",
    "SIGKILL",
    "terminated due to signal",
    "Booting worker",
    "exited with code",
    "Worker exiting",
    "Killed process",
    "out of memory",
    "Out of memory",
    "oom-kill",
];

/// The last `keep` evidence lines of each log, streamed (a 100 MB log costs no more memory than
/// a small one). `-` (stdin) is skipped: the scan already consumed it.
pub fn log_excerpts(paths: &[std::path::PathBuf], keep: usize) -> Vec<(String, Vec<String>)> {
    use std::io::BufRead;
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            continue;
        }
        let Ok(f) = std::fs::File::open(p) else {
            continue;
        };
        let mut ring: std::collections::VecDeque<String> = std::collections::VecDeque::new();
        let mut reader = std::io::BufReader::new(f);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            // Bounded line reads: a log without newlines must not become one giant string.
            match std::io::Read::take(&mut reader, 64 * 1024).read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let line = String::from_utf8_lossy(&buf);
            if EVIDENCE.iter().any(|e| line.contains(e)) {
                if ring.len() == keep {
                    ring.pop_front();
                }
                ring.push_back(line.trim_end().chars().take(400).collect());
            }
        }
        out.push((p.display().to_string(), ring.into_iter().collect()));
    }
    out
}

pub fn render(run: &Run, red: &mut Redactor, logs: &[(String, Vec<String>)]) -> String {
    let mut o = String::new();
    let f = &run.facts;
    let get = |name: &str| {
        f.get(name).map_or("unknown".to_string(), |x| match x {
            Fact::Known { value, unit, .. } => show_value(value, *unit),
            Fact::Unknown { unknown } => format!("unknown ({unknown})"),
        })
    };
    o.push_str("| | |\n|---|---|\n");
    let _ = writeln!(o, "| headroom | {} |", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(o, "| rules | {} |", run.rules_version);
    let _ = writeln!(o, "| generated | {} |", utc_now());
    let _ = writeln!(o, "| subject | {} |", cell(&run.subject));
    let _ = writeln!(
        o,
        "| machine | {} (container: {}, runtime: {}, virtualization: {}) |",
        get("machine.kind"),
        get("machine.container"),
        get("machine.container_runtime"),
        get("machine.virtualization")
    );
    let _ = writeln!(
        o,
        "| OS / kernel | {} / {} |",
        cell(&get("machine.os")),
        get("machine.kernel")
    );
    let _ = writeln!(
        o,
        "| usable memory | {} ({}) |\n",
        get("memory.effective_total"),
        cell(f.source("memory.effective_total").unwrap_or("unknown"))
    );
    o.push_str(&super::markdown::render(run));
    if let Some(b) = super::budget::render(&run.facts, 100, false) {
        let _ = write!(o, "\n## Memory budget at a glance\n\n```\n{b}```\n");
    }
    for (title, prefix) in SECTIONS {
        let rows: Vec<_> = f.iter().filter(|(n, _)| n.starts_with(prefix)).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(
            o,
            "\n## {title}\n\n| fact | value | source |\n|---|---|---|"
        );
        for (name, fact) in rows {
            match fact {
                Fact::Known {
                    value,
                    unit,
                    source,
                } => {
                    let _ = writeln!(
                        o,
                        "| `{name}` | {} | {} |",
                        cell(&show_value(value, *unit)),
                        cell(source)
                    );
                }
                Fact::Unknown { unknown } => {
                    let _ = writeln!(o, "| `{name}` | unknown | {} |", cell(unknown));
                }
            }
        }
    }
    for (file, lines) in logs {
        let _ = writeln!(
            o,
            "\n## Log evidence: {}\n\nThe last {} timeout, kill and boot lines (see the gunicorn.log.* facts for the counts).\n\n```",
            red.text(file),
            lines.len()
        );
        for l in lines {
            let _ = writeln!(o, "{}", red.text(l));
        }
        o.push_str("```\n");
    }
    let snap = Snapshot::new(run.facts.clone());
    let json = serde_json::to_string_pretty(&snap).unwrap_or_default();
    let _ = write!(
        o,
        "\n## Facts snapshot\n\nReplay these findings, or judge them with a newer rule pack: `headroom check --facts this-report.md`.\n\n<details><summary>facts ({} entries)</summary>\n\n{FENCE}\n{json}\n```\n\n</details>\n",
        run.facts.len()
    );
    // The header last, so its count includes the secrets found in the log excerpts.
    let mut head = String::from("# headroom report\n\n");
    if red.enabled() {
        let n: usize = red.counts().values().sum();
        let _ = writeln!(
            head,
            "> Redacted: {n} distinct secret{} replaced by placeholders such as `[SECRET-1]` (the same value, the same placeholder). See headroom's README for what counts as a secret.\n",
            if n == 1 { "" } else { "s" }
        );
    } else {
        head.push_str("> **Redaction is OFF (`--no-redact`): this report may contain passwords, tokens and keys. Do not post it publicly.**\n\n");
    }
    head + &o
}
