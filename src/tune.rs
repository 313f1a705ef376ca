//! `headroom tune`: settings for this machine and this stack, each with its reason, that pass
//! `headroom check`.
//!
//! Starts from the seeds' RAM-tier table (workers, timeout, recycling, pool), sizes workers from
//! the memory left after PostgreSQL, Docker and the OS (with the measured per-worker PSS when
//! Gunicorn runs, else the seed's figure) and from the usable CPUs, and sizes PostgreSQL
//! pgtune-style for the database's share of a machine it shares with the app. Then it proves the
//! advice: the recommended Gunicorn flags go through the same resolver as `--gunicorn-cmd`, the
//! PostgreSQL settings through the same `-c` path as a Compose command, the budget is recomputed,
//! and every rule is run on the result; while anything fails, workers and then PostgreSQL shrink.

use crate::budget;
use crate::engine::{self, Selection};
use crate::facts::Facts;
use crate::facts::units::{GIB, MIB, bytes};
use crate::rules::{RuleSet, Status};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One recommended setting.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Setting {
    /// The fact it sets (`gunicorn.workers`, `postgres.shared_buffers`, `swap.add`).
    pub name: &'static str,
    pub current: Option<String>,
    pub recommended: String,
    pub reason: String,
}

/// The whole recommendation.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Plan {
    pub memory: i64,
    pub cpus: f64,
    pub settings: Vec<Setting>,
    /// The facts as they would be with the settings applied (budget included).
    #[serde(skip)]
    pub tuned: Facts,
    /// Rules that still fail with the settings applied (empty when the advice fits).
    pub still_failing: Vec<String>,
    pub gunicorn_flags: Vec<String>,
    pub postgres_args: Vec<(String, String)>,
    pub pool_size: i64,
    pub gunicorn_service: Option<String>,
    pub postgres_service: Option<String>,
    pub stop_grace_period: Option<f64>,
    pub shm_size: Option<i64>,
}

/// The seeds' tier for an amount of usable memory (seed RCA "Validation of Solutions").
struct Tier {
    max_workers: i64,
    timeout: i64,
    max_requests: i64,
    pool: i64,
    why: &'static str,
}

/// The seed states two timeout tables: "Solution 2" (512–768 MiB → 90 s, 768–1024 → 60 s,
/// above → 30 s) and the per-tier configurations it validated and benchmarked (512 MB → 120 s,
/// 768 MB–1 GB → 90 s, 1–2 GB → 60 s, 2 GB+ → 30 s). The measured ones win, and GUN002 judges
/// by the same table, so tune's advice never draws its warning.
fn tier(mem: i64) -> Tier {
    let mib = mem / MIB;
    match mib {
        m if m < 512 => Tier {
            max_workers: 1,
            timeout: 120,
            max_requests: 100,
            pool: 3,
            why: "below 512 MiB (seed tier 1: not viable, 1 worker)",
        },
        m if m < 768 => Tier {
            max_workers: 1,
            timeout: 120,
            max_requests: 500,
            pool: 3,
            why: "512–768 MiB (seed tier 2: 1 worker, 120 s validated)",
        },
        m if m < 1024 => Tier {
            max_workers: 2,
            timeout: 90,
            max_requests: 500,
            pool: 5,
            why: "768 MiB–1 GiB (seed tier 3: 2 workers, 90 s)",
        },
        m if m < 2048 => Tier {
            max_workers: 3,
            timeout: 60,
            max_requests: 1000,
            pool: 10,
            why: "1–2 GiB (seed tier 4: 2–3 workers, 60 s)",
        },
        _ => Tier {
            max_workers: 8,
            timeout: 30,
            max_requests: 1000,
            pool: 20,
            why: "2 GiB and more (seed tier 5: CPU-bound, up to 8 workers, 30 s)",
        },
    }
}

fn round_mib(v: i64) -> i64 {
    (v / MIB).max(1) * MIB
}

/// PostgreSQL's unit syntax: `128MB`, `1GB`; whole GB from 4 GB up (rounded down).
fn pg_size(v: i64) -> String {
    if v >= 4 * GIB || v % GIB == 0 {
        format!("{}GB", v / GIB)
    } else if v % MIB == 0 {
        format!("{}MB", v / MIB)
    } else {
        format!("{}kB", (v / 1024).max(64))
    }
}

fn current(f: &Facts, name: &str) -> Option<String> {
    let fact = f.get(name)?;
    let v = fact.value()?;
    let unit = crate::facts::lookup(name).and_then(|s| s.unit);
    Some(crate::report::human::show_value(v, unit))
}

/// PostgreSQL settings for a machine with `mem` usable that it shares with the app.
struct PgChoice {
    shared_buffers: i64,
    work_mem: i64,
    maintenance_work_mem: i64,
    effective_cache_size: i64,
    max_connections: i64,
}

fn pg_choice(mem: i64, connections: i64, shrink: u32) -> PgChoice {
    // The database's share of a shared machine: about half (pgtune assumes a dedicated host and
    // takes 25 % of all RAM for shared_buffers; 25 % of half is an eighth).
    let share = (mem / 2) >> shrink;
    let shared_buffers = round_mib((share / 4).clamp(32 * MIB, 8 * GIB));
    let max_connections = ((connections * 5 / 4 + 9) / 10 * 10).clamp(20, 200);
    // pgtune's web formula on the database's share: (RAM − shared_buffers) / ((connections +
    // max_worker_processes) × 3), floored at 1 MiB on small machines instead of pgtune's 4 MB.
    let work_mem =
        round_mib(((share - shared_buffers) / ((max_connections + 8) * 3)).clamp(MIB, 64 * MIB));
    let maintenance_work_mem = round_mib(((mem / 16) >> shrink).clamp(16 * MIB, GIB));
    let effective_cache_size = round_mib(mem / 2);
    PgChoice {
        shared_buffers,
        work_mem,
        maintenance_work_mem,
        effective_cache_size,
        max_connections,
    }
}

/// Builds the plan from the facts of this machine and stack.
pub fn plan(facts: &Facts, rules: &RuleSet) -> Result<Plan, String> {
    let mem = facts.int("memory.effective_total").ok_or_else(|| {
        format!(
            "memory.effective_total is unknown: {}",
            facts.why_unknown("memory.effective_total")
        )
    })?;
    let cpus = facts.float("cpu.effective").unwrap_or(1.0).max(0.1);
    let t = tier(mem);
    let each_why =
        if facts.int("gunicorn.live.worker_pss_max").is_some() && budget::live_is_ours(facts) {
            "measured worker PSS"
        } else {
            "150 MiB per worker (seed; measure with Gunicorn running)"
        };
    #[allow(clippy::cast_possible_truncation)]
    let cpu_workers = 2 * (cpus.ceil() as i64) + 1;
    let others = facts.int("stack.other_services").unwrap_or(0);
    let pg_version = facts
        .int("postgres.version")
        .or_else(|| facts.int("stack.postgres_image_major"))
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(16);
    let app = facts.str("gunicorn.app").unwrap_or("app:app").to_string();
    let bind = facts
        .str("gunicorn.bind")
        .unwrap_or("127.0.0.1:8000")
        .to_string();
    let stop_grace = facts.float("stack.gunicorn_stop_grace");

    let mut workers = t.max_workers.min(cpu_workers).max(1);
    let mut shrink = 0;
    loop {
        let threads = if workers <= 2 && mem < 2 * GIB { 4 } else { 1 };
        let conns = workers * threads + others * 2 + 3;
        let mut pg = pg_choice(mem, conns, shrink);
        // Without a postgres service to give a bigger shm_size, /dev/shm is what it is: keep two
        // parallel hash joins (work_mem × 2 × 3 each) inside it (PG005, domain.md §2.7).
        let shm_cap = facts
            .int("disk.shm_total")
            .filter(|_| facts.str("stack.postgres_service").is_none())
            .map(|shm| round_mib((shm / 12).max(MIB)));
        if let Some(cap) = shm_cap {
            pg.work_mem = pg.work_mem.min(cap);
        }
        let timeout = t.timeout;
        // Keep Gunicorn's 30 s for requests in flight; the container gets 5 s more to stop.
        let graceful = 30.0_f64;
        let in_compose = facts.str("stack.gunicorn_service").is_some();
        let mut flags = vec![
            "--workers".to_string(),
            workers.to_string(),
            "--threads".into(),
            threads.to_string(),
            "--worker-class".into(),
            if threads > 1 { "gthread" } else { "sync" }.into(),
            "--timeout".into(),
            timeout.to_string(),
            "--graceful-timeout".into(),
            format!("{graceful:.0}"),
            "--max-requests".into(),
            t.max_requests.to_string(),
            "--max-requests-jitter".into(),
            (t.max_requests / 10).max(10).to_string(),
            "--worker-tmp-dir".into(),
            "/dev/shm".into(),
        ];
        if threads > 1 {
            flags.extend(["--keep-alive".into(), "5".into()]);
        }
        let pg_args = vec![
            ("shared_buffers".to_string(), pg_size(pg.shared_buffers)),
            ("work_mem".into(), pg_size(pg.work_mem)),
            (
                "maintenance_work_mem".into(),
                pg_size(pg.maintenance_work_mem),
            ),
            (
                "effective_cache_size".into(),
                pg_size(pg.effective_cache_size),
            ),
            ("max_connections".into(), pg.max_connections.to_string()),
        ];
        let mut tuned = apply(facts, &app, &bind, &flags, pg_version, &pg_args)?;
        // What the Compose override sets, as the stack will then have it.
        if in_compose {
            tuned.set(
                "stack.gunicorn_stop_grace",
                graceful + 5.0,
                "headroom tune: stop_grace_period",
            );
        }
        // Two parallel hash joins at once: work_mem × hash_mem_multiplier 2 × (leader + 2
        // workers) each (domain.md §2.7), at least 256 MiB, in 64 MiB steps.
        let shm = ((pg.work_mem * 12).max(256 * MIB) + 64 * MIB - 1) / (64 * MIB) * 64 * MIB;
        if facts.str("stack.postgres_service").is_some() {
            tuned.set(
                "stack.postgres_shm",
                shm,
                format!("headroom tune: shm_size {}mb", shm / MIB),
            );
        }
        budget::compute(&mut tuned);
        let sel = Selection::default();
        let failing: Vec<String> = engine::evaluate(rules, &tuned, &sel)
            .into_iter()
            .filter(|f| {
                f.status == Status::Fail
                    && matches!(
                        f.area.as_ref(),
                        "gunicorn" | "postgres" | "budget" | "compose"
                    )
            })
            .map(|f| format!("{} {}", f.id, f.message))
            .collect();
        // Only memory failures are cured by shrinking; anything else is reported as it is.
        let memory_failure = failing.iter().any(|f| {
            ["BUD001", "BUD002", "BUD003", "GUN011", "PG002"]
                .iter()
                .any(|id| f.starts_with(id))
        });
        let can_shrink = memory_failure && (workers > 1 || shrink < 3);
        if !failing.is_empty() && can_shrink {
            if workers > 1 {
                workers -= 1;
            } else {
                shrink += 1;
            }
            continue;
        }
        let mut s = Vec::new();
        let mem_why = format!(
            "{} usable ({})",
            bytes(mem),
            facts.source("memory.effective_total").unwrap_or("")
        );
        s.push(Setting {
            name: "gunicorn.workers",
            current: current(facts, "gunicorn.workers"),
            recommended: workers.to_string(),
            reason: format!(
                "{mem_why}: {}; 2 × {cpus} CPUs + 1 = {cpu_workers}; {each_why}; fits the budget with {}",
                t.why,
                tuned
                    .int("budget.headroom")
                    .map_or("unknown headroom".into(), |h| format!(
                        "{} to spare",
                        bytes(h)
                    ))
            ),
        });
        s.push(Setting {
            name: "gunicorn.threads",
            current: current(facts, "gunicorn.threads"),
            recommended: threads.to_string(),
            reason: if threads > 1 {
                "few workers on a small machine: threads add concurrency for I/O-bound requests without another copy of the app (seed: 1 worker × 6 threads on 512 MB)".into()
            } else {
                "enough workers for concurrency; sync workers keep each request's timeout strict".into()
            },
        });
        s.push(Setting {
            name: "gunicorn.worker_class",
            current: current(facts, "gunicorn.worker_class"),
            recommended: if threads > 1 { "gthread" } else { "sync" }.into(),
            reason: if threads > 1 {
                "threads need gthread; its main loop keeps heartbeating while a long request runs (domain.md §1.4)".into()
            } else {
                "one request per worker".into()
            },
        });
        s.push(Setting {
            name: "gunicorn.timeout",
            current: current(facts, "gunicorn.timeout"),
            recommended: format!("{timeout} s"),
            reason: format!("seed adaptive timeout for {}; Gunicorn ≥ 22 never times out a booting worker, so this bounds requests only — keep it below your proxy's read timeout (nginx: 60 s)", t.why),
        });
        s.push(Setting {
            name: "gunicorn.graceful_timeout",
            current: current(facts, "gunicorn.graceful_timeout"),
            recommended: format!("{graceful:.0} s"),
            reason: if in_compose {
                format!("requests in flight get 30 s; the service's stop_grace_period becomes 35 s (was {}) so they finish before SIGKILL", stop_grace.map_or("10 s".into(), |g| format!("{g:.0} s")))
            } else {
                "Gunicorn's default; under a process manager, give it longer than this to stop".into()
            },
        });
        s.push(Setting {
            name: "gunicorn.max_requests",
            current: current(facts, "gunicorn.max_requests"),
            recommended: format!("{} (jitter {})", t.max_requests, (t.max_requests / 10).max(10)),
            reason: format!("seed recycling for {}: bounds slow memory growth; jitter keeps workers from restarting together", t.why),
        });
        s.push(Setting {
            name: "gunicorn.worker_tmp_dir",
            current: current(facts, "gunicorn.worker_tmp_dir"),
            recommended: "/dev/shm".into(),
            reason: "tmpfs: a stalled disk or overlay cannot delay heartbeats (Gunicorn FAQ, domain.md §1.6)".into(),
        });
        s.push(Setting {
            name: "app.db_pool_size",
            current: None,
            recommended: t.pool.min(threads.max(1) + 2).to_string(),
            reason: "connections per worker process: its threads plus two (seed pool scaling, workers + 2)".into(),
        });
        for (name, v) in &pg_args {
            let fact: &'static str = match name.as_str() {
                "shared_buffers" => "postgres.shared_buffers",
                "work_mem" => "postgres.work_mem",
                "maintenance_work_mem" => "postgres.maintenance_work_mem",
                "effective_cache_size" => "postgres.effective_cache_size",
                _ => "postgres.max_connections",
            };
            let reason = match name.as_str() {
                "shared_buffers" => {
                    "a quarter of the database's share (half the usable memory), pgtune's 25 % for a shared machine"
                }
                "work_mem" if shm_cap.is_some_and(|c| c == pg.work_mem) => {
                    "pgtune's formula, capped so two parallel hash joins fit this /dev/shm (work_mem × 2 × 3 each)"
                }
                "work_mem" => {
                    "pgtune's (share − shared_buffers) / ((connections + 8) × 3), floored at 1 MiB"
                }
                "maintenance_work_mem" => {
                    "usable / 16 (pgtune), so autovacuum's 3 workers stay small"
                }
                "effective_cache_size" => {
                    "planner hint only: the page cache the database may count on, half the usable memory"
                }
                _ => "what the app opens (workers × threads, other services, admin) + 25 %",
            };
            s.push(Setting {
                name: fact,
                current: current(facts, fact),
                recommended: v.clone(),
                reason: reason.into(),
            });
        }
        if facts.int("swap.effective_total") == Some(0) && mem < 2 * GIB {
            s.push(Setting {
                name: "swap.add",
                current: Some("0 B".into()),
                recommended: "1 GiB".into(),
                reason: "a buffer for boot and load spikes on a small machine (seed: fallocate -l 1G /swapfile)".into(),
            });
        }
        let pool_size = t.pool.min(threads.max(1) + 2);
        return Ok(Plan {
            memory: mem,
            cpus,
            settings: s,
            tuned,
            still_failing: failing,
            gunicorn_flags: flags,
            postgres_args: pg_args,
            pool_size,
            gunicorn_service: facts.str("stack.gunicorn_service").map(str::to_string),
            postgres_service: facts.str("stack.postgres_service").map(str::to_string),
            stop_grace_period: in_compose.then_some(graceful + 5.0),
            shm_size: facts.str("stack.postgres_service").map(|_| shm),
        });
    }
}

/// The facts with the recommended settings applied, through the same code that reads a real
/// Gunicorn command line and a real `postgres -c` command, budget recomputed.
fn apply(
    facts: &Facts,
    app: &str,
    bind: &str,
    flags: &[String],
    pg_version: u32,
    pg_args: &[(String, String)],
) -> Result<Facts, String> {
    let mut f = facts.clone();
    // Drop the configured settings being replaced; keep what was measured (live processes, logs).
    let replaced = |k: &str| {
        let configured_gunicorn = k.starts_with("gunicorn.")
            && !k.starts_with("gunicorn.live.")
            && !k.starts_with("gunicorn.log.");
        configured_gunicorn || k.starts_with("postgres.") || k.starts_with("budget.")
    };
    f.0.retain(|k, _| !replaced(k));
    let mut argv = vec![
        "gunicorn".to_string(),
        app.to_string(),
        "--bind".into(),
        bind.to_string(),
    ];
    argv.extend(flags.iter().cloned());
    let cpus = facts.int("cpu.online").unwrap_or(1);
    let nowhere = std::path::Path::new("/nonexistent/headroom-tune");
    let r = crate::gunicorn::resolve::resolve(&argv, &BTreeMap::new(), nowhere, cpus);
    crate::gunicorn::to_facts(&r, "headroom tune", &mut f);
    let version = crate::postgres::Version {
        major: pg_version,
        source: "headroom tune".into(),
    };
    let mut args = Vec::new();
    for (k, v) in pg_args {
        args.push("-c".to_string());
        args.push(format!("{k}={v}"));
    }
    crate::postgres::record_command(&version, &args, &mut f)?;
    budget::compute(&mut f);
    Ok(f)
}

/// `current → recommended` with reasons, for people.
pub fn render_human(p: &Plan) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "headroom tune · {} usable, {} CPU(s)\n",
        bytes(p.memory),
        p.cpus
    );
    let _ = writeln!(
        o,
        "{:<30} {:>12} → {:<14} why",
        "setting", "current", "recommended"
    );
    for s in &p.settings {
        let _ = writeln!(
            o,
            "{:<30} {:>12} → {:<14} {}",
            s.name,
            s.current.as_deref().unwrap_or("-"),
            s.recommended,
            s.reason
        );
    }
    match (p.tuned.int("budget.total"), p.tuned.int("budget.headroom")) {
        (Some(t), Some(h)) => {
            let _ = writeln!(
                o,
                "\nwith these settings the stack needs {} of {} ({} to spare).",
                bytes(t),
                bytes(p.memory),
                bytes(h)
            );
        }
        _ => {
            let _ = writeln!(o, "\nbudget: {}", p.tuned.why_unknown("budget.total"));
        }
    }
    if p.still_failing.is_empty() {
        o.push_str("`headroom check` finds no failure with these settings.\n");
    } else {
        o.push_str("even the smallest configuration fails:\n");
        for f in &p.still_failing {
            let _ = writeln!(o, "  {f}");
        }
        o.push_str("this machine needs more memory for this stack.\n");
    }
    o
}

/// Gunicorn command-line flags.
pub fn render_flags(p: &Plan) -> String {
    let mut s = p.gunicorn_flags.join(" ");
    s.push('\n');
    s
}

/// An env file: GUNICORN_CMD_ARGS beats the config file and WEB_CONCURRENCY (but not flags on
/// the command line itself, domain.md §1.2).
pub fn render_env(p: &Plan) -> String {
    let workers = p
        .gunicorn_flags
        .get(1)
        .cloned()
        .unwrap_or_else(|| "1".into());
    let rest: Vec<String> = p.gunicorn_flags.iter().skip(2).cloned().collect();
    format!(
        "# headroom tune: {} usable, {} CPU(s). GUNICORN_CMD_ARGS does not override -w/--timeout\n# given on Gunicorn's own command line: remove those from the command.\nWEB_CONCURRENCY={workers}\nGUNICORN_CMD_ARGS=\"--workers {workers} {}\"\nDB_POOL_SIZE={}\n",
        bytes(p.memory),
        p.cpus,
        rest.join(" "),
        p.pool_size
    )
}

/// A postgresql.conf snippet.
pub fn render_postgresql(p: &Plan) -> String {
    let mut o = format!(
        "# headroom tune: PostgreSQL on a machine with {} usable, shared with the app\n",
        bytes(p.memory)
    );
    for (k, v) in &p.postgres_args {
        let quoted = if v.chars().all(|c| c.is_ascii_digit()) {
            v.clone()
        } else {
            format!("'{v}'")
        };
        let _ = writeln!(o, "{k} = {quoted}");
    }
    o
}

fn yaml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A compose.override.yaml fragment for the stack's gunicorn and postgres services. `argv` is the
/// gunicorn service's current command, whose tuned flags are replaced.
pub fn render_compose(p: &Plan, gunicorn_argv: Option<&[String]>) -> String {
    let mut o = String::from(
        "# headroom tune: merge with `docker compose -f compose.yaml -f compose.override.yaml up`\nservices:\n",
    );
    let web = p.gunicorn_service.clone().unwrap_or_else(|| "web".into());
    let mut argv: Vec<String> = match gunicorn_argv {
        Some(a) if !a.is_empty() => strip_tuned(a),
        _ => vec!["gunicorn".into(), "app:app".into()],
    };
    argv.extend(p.gunicorn_flags.iter().cloned());
    let _ = writeln!(o, "  {web}:");
    let _ = writeln!(
        o,
        "    command: [{}]",
        argv.iter()
            .map(|a| yaml_str(a))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(g) = p.stop_grace_period {
        let _ = writeln!(o, "    stop_grace_period: {g:.0}s");
    }
    let _ = writeln!(
        o,
        "    environment:\n      DB_POOL_SIZE: \"{}\"",
        p.pool_size
    );
    let db = p.postgres_service.clone().unwrap_or_else(|| "db".into());
    let mut pg = vec!["postgres".to_string()];
    for (k, v) in &p.postgres_args {
        pg.push("-c".into());
        pg.push(format!("{k}={v}"));
    }
    let _ = writeln!(o, "  {db}:");
    let _ = writeln!(
        o,
        "    command: [{}]",
        pg.iter()
            .map(|a| yaml_str(a))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        o,
        "    shm_size: \"{}\"",
        p.shm_size
            .map_or("256mb".to_string(), |s| format!("{}mb", s / MIB))
    );
    o
}

/// Removes the options tune sets from an argv, with their values.
fn strip_tuned(argv: &[String]) -> Vec<String> {
    const WITH_VALUE: &[&str] = &[
        "-w",
        "--workers",
        "--threads",
        "-k",
        "--worker-class",
        "-t",
        "--timeout",
        "--graceful-timeout",
        "--max-requests",
        "--max-requests-jitter",
        "--worker-tmp-dir",
        "--keep-alive",
    ];
    let mut out = Vec::new();
    let mut skip = false;
    for a in argv {
        if skip {
            skip = false;
            continue;
        }
        if WITH_VALUE.contains(&a.as_str()) {
            skip = true;
            continue;
        }
        let attached = WITH_VALUE.iter().any(|f| {
            (f.starts_with("--") && a.starts_with(&format!("{f}=")))
                || (!f.starts_with("--") && a.starts_with(f) && a.len() > f.len())
        });
        if !attached {
            out.push(a.clone());
        }
    }
    out
}

/// The plan and the tuned facts as JSON (`--format json`): replay with `check --facts`.
pub fn render_json(p: &Plan) -> String {
    let snap = crate::facts::Snapshot::new(p.tuned.clone());
    let v = serde_json::json!({ "plan": p, "schema": snap.schema, "headroom": snap.headroom, "facts": snap.facts });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_removes_tuned_flags_in_every_form() {
        let a: Vec<String> = [
            "gunicorn",
            "wsgi:app",
            "-b",
            "0.0.0.0:7777",
            "-w",
            "2",
            "--timeout=15",
            "-w4",
            "--threads",
            "3",
        ]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
        assert_eq!(
            strip_tuned(&a),
            vec!["gunicorn", "wsgi:app", "-b", "0.0.0.0:7777"]
        );
    }

    #[test]
    fn postgres_sizes_use_exact_units() {
        assert_eq!(pg_size(128 * MIB), "128MB");
        assert_eq!(pg_size(2 * GIB), "2GB");
    }
}
