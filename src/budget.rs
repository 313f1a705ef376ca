//! The whole-stack memory budget: does OS + Docker + PostgreSQL + Gunicorn + the other services
//! fit in the memory this machine (or container) can really use?
//!
//! One computation over the facts, run after every other probe group. Each term is a fact with
//! the arithmetic and the source of its figures, so a support engineer can see why headroom
//! believes the stack needs what it says. Measured values win over estimates: per-worker PSS of a
//! running Gunicorn, the Docker daemons' memory from /proc. Estimates are stated where used.

use crate::facts::registry::{bytes, string};
use crate::facts::units::{MIB, bytes as show};
use crate::facts::{FactSpec, Facts};
use crate::probe::Ctx;

/// Memory the OS and its services keep on a small VPS (seed RCA: "Operating System 80–120 MB").
pub const OS_RESERVE: i64 = 100 * MIB;
/// Gunicorn master with the app not preloaded (seed: 20–30 MB; domain.md §1.7: 24 MB RSS for a
/// trivial app on CPython 3.11).
pub const MASTER: i64 = 30 * MIB;
/// One worker of a Flask + SQLAlchemy app at run time (seed RCA: "Runtime Average: 120–150";
/// 180–235 MB at the peak of its imports). Replaced by the measured PSS when Gunicorn runs.
pub const WORKER: i64 = 150 * MIB;
/// Each extra thread of a gthread worker: its stack pages actually touched, and request state
/// (8 MiB of stack are reserved but not resident; a conservative 1 MiB is counted).
pub const THREAD: i64 = MIB;
/// App-side cost of one database connection (driver buffers, SQLAlchemy pool objects).
pub const CONNECTION: i64 = MIB;
/// Docker daemons when not measured: dockerd ~75 MB + containerd ~40 MB, plus a shim of ~13 MB
/// per container (domain.md §3.1, Docker 20.10).
pub const DOCKERD: i64 = 130 * MIB;
pub const SHIM: i64 = 13 * MIB;

pub const FACTS: &[FactSpec] = &[
    bytes(
        "budget.os_reserve",
        "OS and system services (0 inside a container: the host's).",
    ),
    bytes(
        "budget.docker",
        "Docker daemons and shims: measured, else 130 MiB + 13 MiB per container.",
    ),
    bytes(
        "budget.postgres",
        "PostgreSQL at the stack's connection demand (its worst-case model scaled).",
    ),
    bytes(
        "budget.gunicorn_master",
        "Gunicorn master: measured PSS, else 30 MiB.",
    ),
    bytes(
        "budget.worker_each",
        "One Gunicorn worker: measured PSS (largest), else 150 MiB for a Flask + SQLAlchemy app.",
    ),
    bytes("budget.gunicorn_workers", "workers × budget.worker_each."),
    bytes(
        "budget.threads",
        "Extra gthread threads: workers × (threads − 1) × 1 MiB.",
    ),
    bytes(
        "budget.db_pool",
        "App-side database connections: workers × threads × 1 MiB.",
    ),
    bytes(
        "budget.gunicorn",
        "Everything Gunicorn takes: master + workers + threads + pool.",
    ),
    bytes(
        "budget.other_services",
        "Other Compose services: their limits, else reservations, else 64 MiB.",
    ),
    bytes(
        "budget.total",
        "The whole stack: the sum of every budget term.",
    ),
    bytes(
        "budget.available",
        "What the stack may use: memory.effective_total.",
    ),
    bytes(
        "budget.headroom",
        "budget.available − budget.total (negative: the stack does not fit).",
    ),
    bytes(
        "budget.headroom_with_swap",
        "budget.available + swap − budget.total.",
    ),
    string(
        "budget.dominant",
        "The largest term and its share of the total.",
    ),
    string("budget.formula", "The arithmetic, term by term, printable."),
];

/// One term: value and how it was reached.
type Term = Result<(i64, String), String>;

fn known(f: &Facts, name: &str) -> Result<i64, String> {
    f.int(name)
        .ok_or_else(|| format!("{name} is unknown: {}", f.why_unknown(name)))
}

fn os_reserve(f: &Facts) -> Term {
    if f.bool("machine.container") == Some(true) {
        return Ok((0, "inside a container: the OS is the host's".into()));
    }
    Ok((
        OS_RESERVE,
        "estimate 100 MiB (seed RCA: OS 80–120 MB)".into(),
    ))
}

fn docker(f: &Facts) -> Term {
    let compose = f.str("stack.gunicorn_service").is_some()
        || f.str("stack.postgres_service").is_some()
        || f.int("compose.services").is_some_and(|n| n > 0);
    if !compose {
        return Ok((0, "no Compose stack: Docker not counted".into()));
    }
    if f.bool("machine.container") == Some(true) {
        return Ok((
            0,
            "inside a container: the Docker daemons run on the host".into(),
        ));
    }
    if let Some(rss) = f.int("docker.daemon_rss") {
        let running = f.int("docker.containers_running").unwrap_or(0);
        let services = f.int("compose.services").unwrap_or(0);
        // The stack's own containers are not running yet before `compose up`: add their shims.
        let extra = (services - running).max(0);
        return Ok((
            rss + extra * SHIM,
            format!(
                "measured {} (dockerd, containerd, shims) + {extra} shim(s) × 13 MiB to come",
                show(rss)
            ),
        ));
    }
    let n = f.int("compose.services").unwrap_or(1).max(1);
    Ok((
        DOCKERD + n * SHIM,
        format!("estimate 130 MiB + {n} shim(s) × 13 MiB (domain.md §3.1)"),
    ))
}

/// Connections the stack opens: one per worker thread, one per other service, two for admin.
fn connection_demand(f: &Facts) -> Result<(i64, String), String> {
    let workers = known(f, "gunicorn.workers")?;
    let threads = f.int("gunicorn.threads").unwrap_or(1).max(1);
    let others = f.int("stack.other_services").unwrap_or(0);
    let n = workers * threads + others + 2;
    Ok((
        n,
        format!("{workers} worker(s) × {threads} thread(s) + {others} other service(s) + 2 admin"),
    ))
}

fn postgres(f: &Facts) -> Term {
    let shared = known(f, "postgres.model.shared")?;
    let backends = known(f, "postgres.model.backends")?;
    let work = known(f, "postgres.model.work_mem")?;
    let autovac = known(f, "postgres.model.autovacuum")?;
    let maint = known(f, "postgres.model.maintenance")?;
    let max_conn = known(f, "postgres.max_connections")?.max(1);
    let (demand, how) = match connection_demand(f) {
        Ok(d) => d,
        Err(_) => (
            max_conn,
            "every connection slot (no Gunicorn to size the demand)".into(),
        ),
    };
    let used = demand.min(max_conn);
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    let scale = |v: i64| (v as f64 * used as f64 / max_conn as f64) as i64;
    let total = shared + scale(backends) + scale(work) + autovac + maint;
    Ok((
        total,
        format!(
            "shared {} + ({} backends + {} work_mem) × {used}/{max_conn} connections ({how}) + autovacuum {} + maintenance {}",
            show(shared),
            show(backends),
            show(work),
            show(autovac),
            show(maint)
        ),
    ))
}

fn master(f: &Facts) -> Term {
    if let Some(m) = f
        .int("gunicorn.live.master_pss")
        .filter(|_| live_is_ours(f))
    {
        return Ok((m, "measured PSS of the running master".into()));
    }
    if f.bool("gunicorn.preload_app") == Some(true) {
        return Ok((
            WORKER,
            "--preload: the master imports the app (150 MiB, as a worker)".into(),
        ));
    }
    Ok((MASTER, "estimate 30 MiB (seed RCA: master 20–30 MB)".into()))
}

/// True when the running Gunicorn is the one being judged: the same app in its command line, or
/// no configured command to compare with. A machine may run other Gunicorns (another project,
/// a test): their workers say nothing about this app.
pub fn live_is_ours(f: &Facts) -> bool {
    match (f.str("gunicorn.live.cmdline"), f.str("gunicorn.app")) {
        (Some(cmd), Some(app)) => cmd.split_whitespace().any(|w| w == app),
        (Some(_), None) => f.value("gunicorn.workers").is_none(),
        _ => false,
    }
}

fn worker_each(f: &Facts) -> Term {
    if let Some(m) = f
        .int("gunicorn.live.worker_pss_max")
        .filter(|_| live_is_ours(f))
    {
        return Ok((m, "measured PSS of the largest running worker".into()));
    }
    Ok((
        WORKER,
        "estimate 150 MiB for a Flask + SQLAlchemy worker (seed RCA: 120–150 MB at run time, 180–235 MB while importing); measure yours: run it, then `headroom facts | grep live`".into(),
    ))
}

/// Computes every budget term from the facts gathered so far.
pub fn compute(f: &mut Facts) {
    let workers = known(f, "gunicorn.workers");
    let threads = f.int("gunicorn.threads").unwrap_or(1).max(1);
    let each = worker_each(f);
    let gworkers: Term = match (&workers, &each) {
        (Ok(w), Ok((e, _))) => Ok((w * e, format!("{w} × {}", show(*e)))),
        (Err(e), _) | (_, Err(e)) => Err(e.clone()),
    };
    let thread_t: Term = workers.clone().map(|w| {
        (
            w * (threads - 1) * THREAD,
            format!("{w} × ({threads} − 1) × 1 MiB"),
        )
    });
    let pool: Term = workers.clone().map(|w| {
        (
            w * threads * CONNECTION,
            format!("{w} × {threads} connection(s) × 1 MiB"),
        )
    });
    let mast = master(f);
    let gun: Term = (|| {
        let parts = [&mast, &gworkers, &thread_t, &pool];
        let mut sum = 0;
        for p in parts {
            sum += p.clone()?.0;
        }
        Ok((sum, "master + workers + threads + pool".to_string()))
    })();
    let others: Term = match f.int("stack.other_services_memory") {
        Some(v) => Ok((
            v,
            f.source("stack.other_services_memory")
                .unwrap_or("")
                .to_string(),
        )),
        None => Ok((0, "no other Compose services".into())),
    };
    let terms: Vec<(&str, &str, Term)> = vec![
        ("budget.os_reserve", "OS", os_reserve(f)),
        ("budget.docker", "Docker", docker(f)),
        ("budget.postgres", "PostgreSQL", postgres(f)),
        ("budget.gunicorn_master", "master", mast.clone()),
        ("budget.gunicorn_workers", "workers", gworkers.clone()),
        ("budget.threads", "threads", thread_t),
        ("budget.db_pool", "pool", pool),
        ("budget.other_services", "other services", others),
    ];
    f.set_result("budget.worker_each", each);
    f.set_result("budget.gunicorn", gun);
    let mut total: Result<i64, String> = Ok(0);
    let mut parts = Vec::new();
    let mut biggest: (i64, &str) = (0, "");
    for (name, label, t) in terms {
        match t {
            Ok((v, how)) => {
                if let Ok(s) = &mut total {
                    *s += v;
                }
                if v > biggest.0 {
                    biggest = (v, label);
                }
                if v > 0 {
                    parts.push(format!("{label} {}", show(v)));
                }
                f.set(name, v, how);
            }
            Err(e) => {
                if total.is_ok() {
                    total = Err(e.clone());
                }
                f.unknown(name, e);
            }
        }
    }
    let avail = known(f, "memory.effective_total");
    f.set_result(
        "budget.available",
        avail
            .clone()
            .map(|a| (a, "memory.effective_total".to_string())),
    );
    match (total, avail) {
        (Ok(t), Ok(a)) => {
            let swap = f.int("swap.effective_total").unwrap_or(0);
            f.set("budget.total", t, parts.join(" + "));
            f.set(
                "budget.headroom",
                a - t,
                format!("{} available − {} needed", show(a), show(t)),
            );
            f.set(
                "budget.headroom_with_swap",
                a + swap - t,
                format!(
                    "{} available + {} swap − {} needed",
                    show(a),
                    show(swap),
                    show(t)
                ),
            );
            #[allow(clippy::cast_precision_loss)]
            let share = if t > 0 {
                biggest.0 as f64 * 100.0 / t as f64
            } else {
                0.0
            };
            f.set(
                "budget.dominant",
                format!(
                    "{} ({} , {share:.0} % of the total)",
                    biggest.1,
                    show(biggest.0)
                )
                .replace(" ,", ","),
                "the largest budget term",
            );
            f.set(
                "budget.formula",
                format!(
                    "{} = {} needed of {} usable",
                    parts.join(" + "),
                    show(t),
                    show(a)
                ),
                "headroom's budget (src/budget.rs)",
            );
        }
        (Err(e), _) | (_, Err(e)) => {
            for n in [
                "budget.total",
                "budget.headroom",
                "budget.headroom_with_swap",
                "budget.dominant",
                "budget.formula",
            ] {
                f.unknown(n, e.clone());
            }
        }
    }
}

/// The probe group: derived, after every other group.
pub fn collect(_ctx: &Ctx, f: &mut Facts) {
    compute(f);
}
