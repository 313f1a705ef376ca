//! The stack as Compose will run it: which service runs Gunicorn, which runs PostgreSQL, and
//! what the rest of the services will take.
//!
//! The Compose project is read once per run (memoized on the `Host`) and shared: the Gunicorn
//! group resolves the gunicorn service's command with that service's environment, the PostgreSQL
//! group reads the postgres service's `-c` flags over the image version's defaults, and the
//! budget adds up the other services. This module is the only place that knows how a Compose
//! service maps to those programs.

use crate::compose::{self, model::Project, model::Service};
use crate::facts::registry::{boolean, bytes, int, secs, string};
use crate::facts::{FactSpec, Facts};
use crate::probe::Ctx;
use std::sync::Arc;

/// Docker's default `/dev/shm` for a container (domain.md §0.7).
pub const DOCKER_DEFAULT_SHM: i64 = 64 * 1024 * 1024;
/// Docker's default stop grace period before SIGKILL (compose-spec `stop_grace_period`).
pub const DOCKER_DEFAULT_STOP_GRACE: f64 = 10.0;
/// The newest PostgreSQL major the official image's `latest` tag points at (2026-11).
pub const POSTGRES_LATEST_MAJOR: u32 = 18;

pub const FACTS: &[FactSpec] = &[
    string(
        "stack.gunicorn_service",
        "The Compose service that runs Gunicorn (its command or image).",
    ),
    string(
        "stack.postgres_service",
        "The Compose service that runs PostgreSQL (the postgres image or command).",
    ),
    int(
        "stack.postgres_image_major",
        "PostgreSQL major version from the postgres service's image tag (latest = 18).",
    ),
    bytes(
        "stack.postgres_shm",
        "/dev/shm of the postgres container: shm_size, else Docker's 64 MiB default.",
    ),
    boolean(
        "stack.postgres_legacy_data_mount",
        "The postgres image is 18+ but a volume is still mounted at /var/lib/postgresql/data.",
    ),
    secs(
        "stack.gunicorn_stop_grace",
        "stop_grace_period of the Gunicorn service (Docker's default 10 s when unset).",
    ),
    bytes(
        "stack.gunicorn_mem_limit",
        "Memory limit of the Gunicorn service's container.",
    ),
    bytes(
        "stack.postgres_mem_limit",
        "Memory limit of the PostgreSQL service's container.",
    ),
    int(
        "stack.other_services",
        "Active Compose services that run neither Gunicorn nor PostgreSQL (replicas counted).",
    ),
    bytes(
        "stack.other_services_memory",
        "Memory the other services may take: their limits, else reservations, else 64 MiB each.",
    ),
];

/// Assumed for a service with neither a limit nor a reservation (a small sidecar: redis,
/// a worker, nginx idle at 10–60 MB); stated in the fact's source.
pub const OTHER_SERVICE_ESTIMATE: i64 = 64 * 1024 * 1024;

/// The Compose project of this run, read once. `None` when there is none or it cannot be read
/// (the compose group reports why).
pub fn project(ctx: &Ctx) -> Option<Arc<Project>> {
    compose::read_once(ctx)
        .as_ref()
        .as_ref()
        .ok()
        .map(|(_, loaded)| Arc::clone(&loaded.project))
}

/// The service that runs Gunicorn, if exactly one does (the first by name otherwise).
pub fn gunicorn_service(p: &Project) -> Option<&Service> {
    p.services_running("gunicorn").into_iter().next()
}

/// The service that runs PostgreSQL: the postgres image, or `postgres` in its command.
pub fn postgres_service(p: &Project) -> Option<&Service> {
    p.services_running("postgres")
        .into_iter()
        .find(|s| gunicorn_service(p).is_none_or(|g| g.name != s.name))
}

/// The argv the service's container runs, as far as Compose says (entrypoint then command).
pub fn argv(s: &Service) -> Vec<String> {
    s.entrypoint
        .iter()
        .chain(s.command.iter())
        .flat_map(|a| a.value.iter().cloned())
        .collect()
}

/// `postgres:16.4-alpine` → 16; `postgres` / `postgres:latest` → 18; other tags → None.
pub fn postgres_major(image: &str) -> Option<(u32, String)> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let (repo, tag) = match without_digest.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, t),
        _ => (without_digest, "latest"),
    };
    if repo.rsplit('/').next() != Some("postgres") {
        return None;
    }
    if tag == "latest"
        || tag.starts_with("alpine")
        || tag.starts_with("bookworm")
        || tag.starts_with("trixie")
    {
        return Some((
            POSTGRES_LATEST_MAJOR,
            format!("image {image} (latest = PostgreSQL {POSTGRES_LATEST_MAJOR})"),
        ));
    }
    let digits: String = tag.chars().take_while(char::is_ascii_digit).collect();
    let major: u32 = digits.parse().ok()?;
    Some((major, format!("image {image}")))
}

/// The `postgres` server arguments in a service's command: after `postgres`, or all of them when
/// the first starts with `-` (the image's entrypoint prepends `postgres`, domain.md §2.7).
pub fn postgres_args(s: &Service) -> Vec<String> {
    let words = s
        .command
        .as_ref()
        .map(|c| c.value.clone())
        .unwrap_or_default();
    match words
        .iter()
        .position(|w| w == "postgres" || w.ends_with("/postgres"))
    {
        Some(i) => words[i + 1..].to_vec(),
        None if words.first().is_some_and(|w| w.starts_with('-')) => words,
        None => Vec::new(),
    }
}

fn where_(s: &Service) -> String {
    format!("service {} ({})", s.name, s.at)
}

pub fn collect(ctx: &Ctx, facts: &mut Facts) {
    let Some(p) = project(ctx) else {
        for spec in FACTS {
            facts.unknown(spec.name, "no Compose project (compose.yaml) here");
        }
        return;
    };
    let gun = gunicorn_service(&p);
    let pg = postgres_service(&p);
    match gun {
        Some(s) => {
            facts.set("stack.gunicorn_service", s.name.clone(), where_(s));
            match &s.stop_grace_period {
                Some(g) => facts.set("stack.gunicorn_stop_grace", g.value, g.at.clone()),
                None => facts.set(
                    "stack.gunicorn_stop_grace",
                    DOCKER_DEFAULT_STOP_GRACE,
                    format!("Docker default (no stop_grace_period on {})", where_(s)),
                ),
            }
            match &s.mem_limit {
                Some(m) => facts.set("stack.gunicorn_mem_limit", m.value, m.at.clone()),
                None => facts.unknown(
                    "stack.gunicorn_mem_limit",
                    format!("no memory limit on {}", where_(s)),
                ),
            }
        }
        None => {
            for n in [
                "stack.gunicorn_service",
                "stack.gunicorn_stop_grace",
                "stack.gunicorn_mem_limit",
            ] {
                facts.unknown(n, "no Compose service runs gunicorn");
            }
        }
    }
    match pg {
        Some(s) => {
            facts.set("stack.postgres_service", s.name.clone(), where_(s));
            let major = s.image.as_ref().and_then(|i| postgres_major(&i.value));
            match &major {
                Some((m, src)) => {
                    facts.set("stack.postgres_image_major", i64::from(*m), src.clone())
                }
                None => facts.unknown(
                    "stack.postgres_image_major",
                    "the image tag names no PostgreSQL version",
                ),
            }
            match &s.shm_size {
                Some(v) => facts.set("stack.postgres_shm", v.value, v.at.clone()),
                None => facts.set(
                    "stack.postgres_shm",
                    DOCKER_DEFAULT_SHM,
                    format!("Docker default 64 MiB (no shm_size on {})", where_(s)),
                ),
            }
            match &major {
                Some((m, _)) => {
                    let legacy = *m >= 18
                        && s.volumes
                            .iter()
                            .any(|v| v.trim_end_matches('/') == "/var/lib/postgresql/data");
                    facts.set(
                        "stack.postgres_legacy_data_mount",
                        legacy,
                        format!(
                            "volumes of {}: {}",
                            where_(s),
                            if s.volumes.is_empty() {
                                "none".into()
                            } else {
                                s.volumes.join(", ")
                            }
                        ),
                    );
                }
                None => facts.unknown(
                    "stack.postgres_legacy_data_mount",
                    "the image tag names no PostgreSQL version",
                ),
            }
            match &s.mem_limit {
                Some(m) => facts.set("stack.postgres_mem_limit", m.value, m.at.clone()),
                None => facts.unknown(
                    "stack.postgres_mem_limit",
                    format!("no memory limit on {}", where_(s)),
                ),
            }
        }
        None => {
            for n in [
                "stack.postgres_service",
                "stack.postgres_image_major",
                "stack.postgres_shm",
                "stack.postgres_legacy_data_mount",
                "stack.postgres_mem_limit",
            ] {
                facts.unknown(n, "no Compose service runs postgres");
            }
        }
    }
    let mut n = 0_i64;
    let mut total = 0_i64;
    let mut parts = Vec::new();
    for s in p.services.values() {
        if gun.is_some_and(|g| g.name == s.name) || pg.is_some_and(|g| g.name == s.name) {
            continue;
        }
        let (each, how) = match (&s.mem_limit, &s.mem_reservation) {
            (Some(l), _) => (l.value, "limit"),
            (None, Some(r)) => (r.value, "reservation"),
            (None, None) => (OTHER_SERVICE_ESTIMATE, "estimate"),
        };
        let reps = s.replicas.max(1);
        n += reps;
        total = total.saturating_add(each.saturating_mul(reps));
        let size = crate::facts::units::bytes(each);
        parts.push(if reps > 1 {
            format!("{} {how} {size} × {reps}", s.name)
        } else {
            format!("{} {how} {size}", s.name)
        });
    }
    facts.set(
        "stack.other_services",
        n,
        format!(
            "{} active services in the Compose project",
            p.services.len()
        ),
    );
    facts.set(
        "stack.other_services_memory",
        total,
        if parts.is_empty() {
            "no other services".to_string()
        } else {
            parts.join(" + ")
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_versions_from_image_tags() {
        assert_eq!(postgres_major("postgres:16").map(|v| v.0), Some(16));
        assert_eq!(
            postgres_major("postgres:15.4-alpine").map(|v| v.0),
            Some(15)
        );
        assert_eq!(
            postgres_major("docker.io/library/postgres:12.1").map(|v| v.0),
            Some(12)
        );
        assert_eq!(postgres_major("postgres").map(|v| v.0), Some(18));
        assert_eq!(postgres_major("postgres:alpine").map(|v| v.0), Some(18));
        assert_eq!(postgres_major("postgis/postgis:16-3.4"), None);
        assert_eq!(postgres_major("postgres:${PG_VERSION}"), None);
    }
}
