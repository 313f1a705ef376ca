//! Prometheus text exposition format, for node_exporter's textfile collector.
//!
//! One `headroom_rule_status` series per rule and status (1 for the status it gave, 0 for the
//! others, the usual enum-as-gauge pattern so `== 1` alerts work), counts per status, and the key
//! facts as gauges. Label values are escaped per the exposition format (`\\`, `\"`, `\n`).

use super::Run;
use crate::facts::Value;
use crate::rules::Status;
use std::fmt::Write as _;

const STATUSES: [Status; 5] = [
    Status::Pass,
    Status::Info,
    Status::Warn,
    Status::Fail,
    Status::Skip,
];

/// Facts exported as gauges: (fact, metric name, help).
const GAUGES: &[(&str, &str, &str)] = &[
    (
        "memory.effective_total",
        "headroom_memory_effective_bytes",
        "Memory this machine or container can use (smallest of RAM and cgroup limits).",
    ),
    (
        "memory.effective_available",
        "headroom_memory_available_bytes",
        "Memory available now within the effective limit.",
    ),
    (
        "memory.host_total",
        "headroom_memory_host_bytes",
        "Host RAM (MemTotal).",
    ),
    (
        "swap.effective_total",
        "headroom_swap_bytes",
        "Swap usable by this machine or container.",
    ),
    (
        "cpu.effective",
        "headroom_cpus_effective",
        "CPUs usable after quota and affinity.",
    ),
    (
        "oom.host_kills",
        "headroom_oom_kills_since_boot",
        "OOM kills on this host since boot.",
    ),
    (
        "budget.headroom",
        "headroom_budget_headroom_bytes",
        "Effective memory minus the stack's worst-case budget.",
    ),
    (
        "gunicorn.workers",
        "headroom_gunicorn_workers",
        "Gunicorn workers in the resolved configuration.",
    ),
    (
        "postgres.worst_case_bytes",
        "headroom_postgres_worst_case_bytes",
        "PostgreSQL worst-case memory per headroom's model.",
    ),
];

/// Escapes a label value per the exposition format.
pub fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub fn render(run: &Run) -> String {
    let mut o = String::new();
    o.push_str(
        "# HELP headroom_rule_status 1 for the status a headroom rule gave, 0 for the others.\n",
    );
    o.push_str("# TYPE headroom_rule_status gauge\n");
    for f in &run.findings {
        for st in STATUSES {
            let _ = writeln!(
                o,
                "headroom_rule_status{{id=\"{}\",name=\"{}\",area=\"{}\",status=\"{}\"}} {}",
                label(&f.id),
                label(&f.name),
                label(&f.area),
                st.as_str(),
                u8::from(f.status == st)
            );
        }
    }
    o.push_str(
        "# HELP headroom_findings Findings per status in the last run (ignored ones left out).\n",
    );
    o.push_str("# TYPE headroom_findings gauge\n");
    let s = &run.summary;
    for (st, n) in [
        ("pass", s.pass),
        ("info", s.info),
        ("warn", s.warn),
        ("fail", s.fail),
        ("skip", s.skip),
    ] {
        let _ = writeln!(o, "headroom_findings{{status=\"{st}\"}} {n}");
    }
    for (fact, metric, help) in GAUGES {
        let Some(v) = run.facts.value(fact) else {
            continue;
        };
        let n = match v {
            #[allow(clippy::cast_precision_loss)]
            Value::Int(i) => *i as f64,
            Value::Float(f) => *f,
            _ => continue,
        };
        let _ = writeln!(
            o,
            "# HELP {metric} {help}\n# TYPE {metric} gauge\n{metric} {n}"
        );
    }
    o.push_str(
        "# HELP headroom_info The headroom and rule pack versions that produced these metrics.\n",
    );
    o.push_str("# TYPE headroom_info gauge\n");
    let _ = writeln!(
        o,
        "headroom_info{{version=\"{}\",rules_version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION"),
        label(&run.rules_version)
    );
    o
}
