//! The worst-case memory model: how much PostgreSQL can use with these settings, term by term.
//!
//! PostgreSQL publishes no formula (docs, "Resource Consumption": work_mem may be used "several
//! times" per query, by "several running sessions", and by each parallel worker). This model is
//! the practical upper bound of domain.md §2.4, with every figure stated so a reader can disagree
//! with a number rather than with a black box:
//!
//! ```text
//! worst = shared + backends + work_mem + autovacuum + maintenance
//! shared      = shared_buffers × 1.026 + wal_buffers + 3 MiB
//!               + 47 KiB × (max_connections + autovacuum slots + max_worker_processes)
//! processes   = max_connections + autovacuum_max_workers
//!               + min(max_parallel_workers, max_worker_processes) + 6 auxiliary (+ 3 I/O on 18)
//! backends    = processes × (2.2 MiB private + page tables)
//!               page tables = shared / 512 (4 KiB pages, 8-byte entries, every page touched);
//!               shared / 262144 with huge_pages = on
//! work_mem    = (max_connections + min(max_parallel_workers, max_worker_processes))
//!               × work_mem × (1 sort node + 1 hash node × hash_mem_multiplier)
//! autovacuum  = autovacuum_max_workers × autovacuum_work_mem (at most 1 GiB each before 17)
//! maintenance = 1 × maintenance_work_mem (one manual VACUUM / CREATE INDEX at a time)
//! typical     = shared + (connections + auxiliary) × 2.2 MiB, connections = in use (live) or
//!               max_connections (a pool holding every slot open, idle)
//! ```
//!
//! Where the figures come from:
//! - shared: fitted to `postgres -C shared_memory_size` of PostgreSQL 15.18 (Debian 12) for
//!   shared_buffers 16 MB … 4 GB and max_connections 10 … 1000 (20 MB … 4255 MB); the model is
//!   never below the server's figure (beyond its rounding up to whole MB) and at most
//!   0.5 % + 2 MiB above it, also with other max_worker_processes. The 2.6 % covers buffer
//!   descriptors, the buffer mapping table and checkpoint sort space; the 47 KiB per slot is
//!   domain.md §2.5 (locks and PGPROC at max_locks_per_transaction = 64; measured 45.5–46.6 KiB),
//!   applied to every slot in MaxBackends. `tests/postgres_diff.rs` re-checks all of this against
//!   the installed server's `shared_memory_size`.
//! - 2.2 MiB private per process: PSS of an idle PostgreSQL 15.18 backend after a catalog query
//!   (domain.md §2.5); Andres Freund measured "< 2 MiB" with huge pages
//!   (blog.anarazel.de, 2020-10-07). Without huge pages each process that touches all of shared
//!   memory needs 8 bytes of page table per 4 KiB page, which is what makes large
//!   shared_buffers × many connections expensive. `huge_pages = try` counts as no huge pages:
//!   a small VPS or container rarely has any reserved (vm.nr_hugepages = 0).
//! - 6 auxiliary processes: postmaster, checkpointer, background writer, WAL writer, autovacuum
//!   launcher, logical replication launcher (the ≤ 14 stats collector counts the same).
//!   PostgreSQL 18 adds its I/O workers (io_workers, default 3, with the default
//!   io_method = worker) and sizes autovacuum's shared slots by autovacuum_worker_slots
//!   (default 16) rather than autovacuum_max_workers; both are counted at their defaults.
//! - one sort and one hash node per query: work_mem × (1 + hash_mem_multiplier) is 3 × work_mem
//!   at the 15+ default, the same k = 3 pgtune bakes into its work_mem formula (domain.md §2.6).
//!   Parallel workers come from a server-wide pool (max_parallel_workers, itself capped by
//!   max_worker_processes), so they add that many more sessions, not per_gather × connections.
//! - autovacuum: PostgreSQL < 17 stores dead tuple IDs in at most 1 GB whatever the setting;
//!   17's TidStore removed the cap (domain.md §2.1).
//!
//! Not counted: temp_buffers (only sessions that create temporary tables, rare in web apps),
//! logical_decoding_work_mem (only logical walsenders), max_prepared_transactions and
//! max_wal_senders slots (small at defaults), and the dynamic shared memory of parallel hash
//! joins (bounded by the same work_mem × hash_mem_multiplier, in /dev/shm).

use crate::facts::Facts;
use crate::facts::units::{KIB, MIB, bytes as show};

/// Shared-memory overhead per byte of shared_buffers (fitted, PostgreSQL 15.18).
pub const SHARED_OVERHEAD: f64 = 0.026;
/// Fixed part of the main shared segment (fitted, PostgreSQL 15.18).
pub const SHARED_FIXED: i64 = 3 * MIB;
/// Shared memory per MaxBackends slot (domain.md §2.5, observed 15.18).
pub const PER_SLOT: i64 = 47 * KIB;
/// Private memory of one idle backend (PSS, domain.md §2.5, observed 15.18).
pub const PER_PROCESS: i64 = 2_306_867; // 2.2 MiB
/// Postmaster and the auxiliary processes every server runs.
pub const AUX_PROCESSES: i64 = 6;
/// PostgreSQL 18: `io_workers` default (io_method = worker), extra auxiliary processes.
pub const IO_WORKERS_18: i64 = 3;
/// PostgreSQL 18: `autovacuum_worker_slots` default, shared-memory slots for autovacuum.
pub const AUTOVACUUM_WORKER_SLOTS_18: i64 = 16;
/// PostgreSQL < 17: VACUUM's dead-tuple storage is capped at 1 GB.
pub const VACUUM_CAP: i64 = 1024 * MIB;

fn get(f: &Facts, name: &str) -> Result<i64, String> {
    let full = format!("postgres.{name}");
    f.int(&full)
        .ok_or_else(|| format!("needs {full}: {}", f.why_unknown(&full)))
}

fn getf(f: &Facts, name: &str) -> Result<f64, String> {
    let full = format!("postgres.{name}");
    f.float(&full)
        .ok_or_else(|| format!("needs {full}: {}", f.why_unknown(&full)))
}

#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn scale(v: i64, by: f64) -> i64 {
    (v as f64 * by).round() as i64
}

/// One computed term: value and the arithmetic behind it.
type Term = Result<(i64, String), String>;

fn shared(f: &Facts) -> Term {
    let sb = get(f, "shared_buffers")?;
    let wal = get(f, "wal_buffers")?;
    let slots = get(f, "max_connections")? + autovacuum_slots(f)? + get(f, "max_worker_processes")?;
    let v = scale(sb, 1.0 + SHARED_OVERHEAD) + wal + SHARED_FIXED + PER_SLOT * slots;
    Ok((
        v,
        format!(
            "shared_buffers {} × 1.026 + wal_buffers {} + 3 MiB + 47 KiB × {slots} slots",
            show(sb),
            show(wal)
        ),
    ))
}

/// Shared-memory slots for autovacuum: PostgreSQL 18 reserves autovacuum_worker_slots (default
/// 16, not modelled) whatever autovacuum_max_workers says; before 18 the slots are the workers.
fn autovacuum_slots(f: &Facts) -> Result<i64, String> {
    let workers = get(f, "autovacuum_max_workers")?;
    Ok(if get(f, "version")? >= 18 {
        workers.max(AUTOVACUUM_WORKER_SLOTS_18)
    } else {
        workers
    })
}

/// Postmaster and auxiliaries, plus PostgreSQL 18's I/O workers.
fn auxiliary(f: &Facts) -> Result<i64, String> {
    Ok(if get(f, "version")? >= 18 {
        AUX_PROCESSES + IO_WORKERS_18
    } else {
        AUX_PROCESSES
    })
}

fn processes(f: &Facts) -> Result<(i64, i64, i64), String> {
    let parallel = get(f, "max_parallel_workers")?.min(get(f, "max_worker_processes")?);
    let aux = auxiliary(f)?;
    let n = get(f, "max_connections")? + get(f, "autovacuum_max_workers")? + parallel + aux;
    Ok((n, parallel, aux))
}

fn page_tables(f: &Facts, shared: i64) -> i64 {
    if f.str("postgres.huge_pages") == Some("on") {
        shared / 262_144
    } else {
        shared / 512
    }
}

/// Computes the model from the `postgres.*` facts already set and records its facts. Any term
/// whose inputs are unknown is unknown with the first missing input's reason.
pub fn record(f: &mut Facts) {
    let sh = shared(f);
    let procs = processes(f);
    let backends: Term = match (&sh, &procs) {
        (Ok((s, _)), Ok((n, _, _))) => {
            let pt = page_tables(f, *s);
            Ok((
                n * (PER_PROCESS + pt),
                format!(
                    "{n} processes × (2.2 MiB private + {} page tables)",
                    show(pt)
                ),
            ))
        }
        (Err(e), _) | (_, Err(e)) => Err(e.clone()),
    };
    let work: Term = (|| {
        let (_, parallel, _) = procs.clone()?;
        let sessions = get(f, "max_connections")? + parallel;
        let wm = get(f, "work_mem")?;
        let hm = getf(f, "hash_mem_multiplier")?;
        Ok((
            scale(sessions * wm, 1.0 + hm),
            format!(
                "{sessions} sessions × work_mem {} × (1 sort + 1 hash × {hm})",
                show(wm)
            ),
        ))
    })();
    let autovac: Term = (|| {
        let n = get(f, "autovacuum_max_workers")?;
        let avwm = get(f, "autovacuum_work_mem")?;
        let major = get(f, "version")?;
        let each = if major < 17 {
            avwm.min(VACUUM_CAP)
        } else {
            avwm
        };
        let cap = if major < 17 && avwm > VACUUM_CAP {
            " (capped at 1 GiB before 17)"
        } else {
            ""
        };
        Ok((n * each, format!("{n} workers × {}{cap}", show(each))))
    })();
    let maint: Term = get(f, "maintenance_work_mem")
        .map(|m| (m, format!("1 × maintenance_work_mem {}", show(m))));
    let typical: Term = (|| {
        let (s, _) = sh.clone()?;
        let (_, _, aux) = procs.clone()?;
        let (n, how) = match f.int("postgres.connections_in_use") {
            Some(n) => (n, "connections in use"),
            None => (get(f, "max_connections")?, "max_connections held open"),
        };
        Ok((
            s + (n + aux) * PER_PROCESS,
            format!(
                "shared {} + ({n} {how} + {aux} auxiliary) × 2.2 MiB",
                show(s)
            ),
        ))
    })();
    let procs_fact: Result<(i64, String), String> = procs.clone().map(|(n, parallel, aux)| {
        (
            n,
            format!(
                "max_connections + autovacuum_max_workers + {parallel} parallel workers + {aux} auxiliary"
            ),
        )
    });
    let terms = [
        ("postgres.model.shared", &sh),
        ("postgres.model.backends", &backends),
        ("postgres.model.work_mem", &work),
        ("postgres.model.autovacuum", &autovac),
        ("postgres.model.maintenance", &maint),
    ];
    let mut total = Ok(0_i64);
    let mut parts = Vec::new();
    for (name, t) in terms {
        match t {
            Ok((v, how)) => {
                f.set(name, *v, how.clone());
                if let Ok(sum) = &mut total {
                    *sum += v;
                }
                let short = name.trim_start_matches("postgres.model.");
                parts.push(format!("{short} {} [{how}]", show(*v)));
            }
            Err(e) => {
                f.unknown(name, e.clone());
                if total.is_ok() {
                    total = Err(e.clone());
                }
            }
        }
    }
    match total {
        Ok(sum) => {
            let formula = format!("{} = {}", parts.join(" + "), show(sum));
            f.set(
                "postgres.worst_case_bytes",
                sum,
                "see postgres.model.formula",
            );
            f.set(
                "postgres.model.formula",
                formula,
                "headroom's worst-case model (src/postgres/model.rs)",
            );
        }
        Err(e) => {
            f.unknown("postgres.worst_case_bytes", e.clone());
            f.unknown("postgres.model.formula", e);
        }
    }
    for (name, t) in [
        ("postgres.typical_bytes", &typical),
        ("postgres.model.processes", &procs_fact),
    ] {
        match t {
            Ok((v, how)) => f.set(name, *v, how.clone()),
            Err(e) => f.unknown(name, e.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::postgres::{Version, record as record_settings, resolve};

    fn defaults(major: u32) -> Facts {
        let v = Version {
            major,
            source: "test".into(),
        };
        let mut f = Facts::new();
        record_settings(&v, &resolve(&v, &[], &[]), "defaults", &mut f);
        f.unknown("postgres.connections_in_use", "not live");
        record(&mut f);
        f
    }

    #[test]
    fn defaults_of_15_add_up() {
        let f = defaults(15);
        // 128 MiB × 1.026 + 4 MiB + 3 MiB + 47 KiB × 111 ≈ 143.5 MiB; the server says 143 MB.
        let shared = f.int("postgres.model.shared").unwrap();
        assert!((143 * MIB..144 * MIB).contains(&shared), "{shared}");
        // 100 + 3 + 8 + 6 processes.
        assert_eq!(f.int("postgres.model.processes"), Some(117));
        // 108 sessions × 4 MiB × 3.
        assert_eq!(f.int("postgres.model.work_mem"), Some(108 * 4 * MIB * 3));
        assert_eq!(f.int("postgres.model.autovacuum"), Some(3 * 64 * MIB));
        let worst = f.int("postgres.worst_case_bytes").unwrap();
        let formula = f.str("postgres.model.formula").unwrap();
        assert!(formula.ends_with(&show(worst)), "{formula}");
        assert!(formula.contains("108 sessions × work_mem 4 MiB × (1 sort + 1 hash × 2)"));
    }

    #[test]
    fn eighteen_counts_io_workers_and_autovacuum_slots() {
        let f16 = defaults(16);
        let f18 = defaults(18);
        assert_eq!(
            f18.int("postgres.model.processes").unwrap()
                - f16.int("postgres.model.processes").unwrap(),
            IO_WORKERS_18
        );
        assert_eq!(
            f18.int("postgres.model.shared").unwrap() - f16.int("postgres.model.shared").unwrap(),
            (AUTOVACUUM_WORKER_SLOTS_18 - 3) * PER_SLOT
        );
    }

    #[test]
    fn hash_multiplier_of_14_is_one() {
        let f = defaults(14);
        assert_eq!(f.int("postgres.model.work_mem"), Some(108 * 4 * MIB * 2));
    }

    #[test]
    fn unknown_input_makes_the_total_unknown_with_its_reason() {
        let mut f = defaults(16);
        f.unknown(
            "postgres.work_mem",
            "postgresql.conf:3: invalid value for work_mem: '4mb'",
        );
        record(&mut f);
        assert!(f.int("postgres.worst_case_bytes").is_none());
        assert!(f.why_unknown("postgres.worst_case_bytes").contains("'4mb'"));
        assert!(f.int("postgres.model.shared").is_some());
    }
}
