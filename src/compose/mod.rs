//! Compose, read the way Compose reads it: which files, which `.env`, which variables, which
//! services, and what memory each container will really get.
//!
//! `discover` finds the files as `docker compose` does; `load` parses, interpolates, applies
//! `extends`/`include`, merges the files and reads typed [`model::Service`]s; `collect` turns the
//! project into `compose.*` facts. The Gunicorn and PostgreSQL probes use [`read`] to find the
//! service that runs them. No Docker or Compose binary is needed: this is a static reading, checked
//! against docker-compose in `tests/compose_diff.rs`.
//!
//! Not modelled (read as plain values or ignored): the `!reset` / `!override` merge tags of
//! Compose 2.24+, `--project-directory`, `secrets`/`configs`, `build`, and any key not listed on
//! [`Service`]. Where Compose v1 and the compose-spec differ we follow the spec (compose-go and
//! the Compose file reference); each difference is pinned in a fixture's `v1_differs`.

pub mod discover;
pub mod envfile;
pub mod interpolate;
pub mod load;
pub mod merge;
pub mod model;
pub mod sizes;
pub mod yaml;

pub use discover::discover;
pub use load::Loaded;
pub use model::{Project, Service};

use crate::facts::registry::{FactSpec, FactType, bytes, int, secs, string};
use crate::facts::{Facts, Unit};
use crate::probe::Ctx;

/// Every fact this module sets.
pub const FACTS: &[FactSpec] = &[
    string(
        "compose.files",
        "The Compose files read, in merge order, joined with `:`.",
    ),
    string("compose.project", "The Compose project name."),
    int(
        "compose.services",
        "Number of active services (profiles applied).",
    ),
    int(
        "compose.services_without_mem_limit",
        "Active services with neither mem_limit nor deploy.resources.limits.memory.",
    ),
    bytes(
        "compose.mem_limit_total",
        "Sum of the memory limits of active services (times replicas); services without a limit add nothing.",
    ),
    bytes(
        "compose.mem_reservation_total",
        "Sum of mem_reservation / deploy.resources.reservations.memory of active services (times replicas).",
    ),
    int(
        "compose.unset_variables",
        "Variables used in the Compose files without a value or default (Compose substitutes \"\").",
    ),
    string(
        "compose.unset_variable_first",
        "The first unset variable and where it is used, e.g. \"MEM (compose.yaml:12)\"; \"\" when none.",
    ),
    string(
        "compose.error",
        "Why the Compose files could not be loaded; \"\" when they loaded.",
    ),
    string("compose.services.*.image", "The service's image."),
    bytes(
        "compose.services.*.mem_limit",
        "The container's memory limit (deploy.resources.limits.memory, else mem_limit).",
    ),
    bytes(
        "compose.services.*.memswap_limit",
        "Memory + swap the container may use: memswap_limit, else 2 × mem_limit (Docker's default); -1 = unlimited swap.",
    ),
    bytes(
        "compose.services.*.mem_reservation",
        "The soft limit (deploy.resources.reservations.memory, else mem_reservation).",
    ),
    FactSpec::new(
        "compose.services.*.cpus",
        FactType::Float,
        Some(Unit::Cpus),
        "CPU limit (deploy.resources.limits.cpus, else cpus).",
    ),
    bytes(
        "compose.services.*.shm_size",
        "Size of /dev/shm (Docker's default is 64 MiB).",
    ),
    secs(
        "compose.services.*.stop_grace_period",
        "Seconds between SIGTERM and SIGKILL on stop (Compose default 10 s).",
    ),
    string(
        "compose.services.*.restart",
        "Restart policy (no, always, on-failure, unless-stopped).",
    ),
    string(
        "compose.services.*.command",
        "The command, shell-quoted; unknown when the image's CMD is used.",
    ),
    int(
        "compose.services.*.replicas",
        "deploy.replicas or scale (1 when unset).",
    ),
];

/// Docker's `/dev/shm` size when `shm_size` is not set (domain.md §0.7; the daemon's
/// `--default-shm-size` can change it, which we cannot see from the files).
pub const DEFAULT_SHM_SIZE: i64 = 64 * 1024 * 1024;
/// Compose's `stop_grace_period` when unset.
pub const DEFAULT_STOP_GRACE: f64 = 10.0;

/// Discovers and loads the project as `docker compose` would in `Host::cwd`.
pub fn read(ctx: &Ctx) -> Result<(discover::Discovered, Loaded), ReadError> {
    let d = discover::discover_all(ctx)?;
    let loaded = load::load(&d, &ctx.host.env).map_err(ReadError::Invalid)?;
    Ok((d, loaded))
}

/// [`read`], once per run: the compose group and every probe that wants the project share it
/// (each used to discover and load the files again).
pub fn read_once(ctx: &Ctx) -> std::sync::Arc<Result<(discover::Discovered, Loaded), ReadError>> {
    ctx.host.memo("compose.read", || read(ctx))
}

/// Why there is no project: none was found, or the files could not be loaded.
#[derive(Clone, Debug, PartialEq)]
pub enum ReadError {
    NotFound(String),
    Invalid(String),
}

/// The name a service has inside fact names: a `.` would split the name, so it becomes `_`.
pub fn fact_key(service: &str) -> String {
    service.replace('.', "_")
}

/// The probe group's entry point.
pub fn collect(ctx: &Ctx, facts: &mut Facts) {
    match read_once(ctx).as_ref() {
        Ok((d, loaded)) => set_facts(d, loaded, facts),
        Err(ReadError::NotFound(why)) => {
            for spec in FACTS.iter().filter(|s| !s.name.contains('*')) {
                facts.unknown(spec.name, why.clone());
            }
        }
        Err(ReadError::Invalid(why)) => {
            facts.set("compose.error", why.clone(), "loading the Compose files");
            let reason = format!("the Compose files could not be loaded: {why}");
            for spec in FACTS
                .iter()
                .filter(|s| !s.name.contains('*') && s.name != "compose.error")
            {
                facts.unknown(spec.name, reason.clone());
            }
        }
    }
}

fn set_facts(d: &discover::Discovered, loaded: &Loaded, facts: &mut Facts) {
    let p = &loaded.project;
    facts.set("compose.error", "", "the Compose files loaded");
    let vars = if d.env_files.is_empty() {
        "variables from the environment only".to_string()
    } else {
        format!(
            "variables from {} and the environment",
            d.env_files.join(", ")
        )
    };
    facts.set(
        "compose.files",
        loaded.files.join(":"),
        format!("{}; {vars}", d.how),
    );
    facts.set(
        "compose.project",
        p.name.clone(),
        loaded.name_source.clone(),
    );
    let mut src = format!("services in {}", loaded.files.join(", "));
    if !p.inactive.is_empty() {
        src.push_str(&format!(
            "; not counted (profile not enabled): {}",
            p.inactive.join(", ")
        ));
    }
    #[allow(clippy::cast_possible_wrap)]
    facts.set("compose.services", p.services.len() as i64, src);

    let without: Vec<&str> = p
        .services
        .values()
        .filter(|s| s.mem_limit.is_none())
        .map(|s| s.name.as_str())
        .collect();
    #[allow(clippy::cast_possible_wrap)]
    facts.set(
        "compose.services_without_mem_limit",
        without.len() as i64,
        if without.is_empty() {
            "every active service has a memory limit".to_string()
        } else {
            format!("no limit: {}", without.join(", "))
        },
    );
    for (fact, pick) in [
        (
            "compose.mem_limit_total",
            (|s: &Service| s.mem_limit.as_ref()) as fn(&Service) -> Option<&model::Sourced<i64>>,
        ),
        ("compose.mem_reservation_total", |s: &Service| {
            s.mem_reservation.as_ref()
        }),
    ] {
        let mut total: i64 = 0;
        let mut parts = Vec::new();
        for s in p.services.values() {
            if let Some(v) = pick(s) {
                total = total.saturating_add(v.value.saturating_mul(s.replicas.max(0)));
                let times = if s.replicas == 1 {
                    String::new()
                } else {
                    format!(" x{}", s.replicas)
                };
                parts.push(format!(
                    "{} {}{times}",
                    s.name,
                    crate::facts::units::bytes(v.value)
                ));
            }
        }
        let src = if parts.is_empty() {
            "no active service sets one".to_string()
        } else {
            format!("sum of {}", parts.join(" + "))
        };
        facts.set(fact, total, src);
    }

    let mut vars: Vec<&str> = Vec::new();
    for u in &loaded.unset {
        if !vars.contains(&u.var.as_str()) {
            vars.push(&u.var);
        }
    }
    #[allow(clippy::cast_possible_wrap)]
    facts.set(
        "compose.unset_variables",
        vars.len() as i64,
        if vars.is_empty() {
            "every variable used is set".to_string()
        } else {
            format!("not set: {}", vars.join(", "))
        },
    );
    match loaded.unset.first() {
        Some(u) => facts.set(
            "compose.unset_variable_first",
            format!("{} ({})", u.var, u.at),
            "Compose warns: the variable is not set, defaulting to a blank string",
        ),
        None => facts.set(
            "compose.unset_variable_first",
            "",
            "every variable used is set",
        ),
    }

    for s in p.services.values() {
        let k = |f: &str| format!("compose.services.{}.{f}", fact_key(&s.name));
        let not_set = |what: &str| format!("service {} sets no {what}", s.name);
        match &s.image {
            Some(v) => facts.set(&k("image"), v.value.clone(), v.at.clone()),
            None => facts.unknown(&k("image"), not_set("image (built locally?)")),
        }
        match &s.mem_limit {
            Some(v) => {
                let src = match &s.mem_limit_conflict {
                    Some(c) => format!("{}; {c}", v.at),
                    None => v.at.clone(),
                };
                facts.set(&k("mem_limit"), v.value, src);
            }
            None => facts.unknown(
                &k("mem_limit"),
                not_set("mem_limit or deploy.resources.limits.memory"),
            ),
        }
        match s.effective_memswap() {
            Some(v) => facts.set(&k("memswap_limit"), v.value, v.at),
            None => facts.unknown(
                &k("memswap_limit"),
                format!(
                    "service {} has no memory limit, so no swap limit either",
                    s.name
                ),
            ),
        }
        match &s.mem_reservation {
            Some(v) => facts.set(&k("mem_reservation"), v.value, v.at.clone()),
            None => facts.unknown(&k("mem_reservation"), not_set("memory reservation")),
        }
        match &s.cpus {
            Some(v) => facts.set(&k("cpus"), v.value, v.at.clone()),
            None => facts.unknown(&k("cpus"), not_set("CPU limit")),
        }
        match &s.shm_size {
            Some(v) => facts.set(&k("shm_size"), v.value, v.at.clone()),
            None => facts.set(
                &k("shm_size"),
                DEFAULT_SHM_SIZE,
                "Docker default (64 MiB; shm_size not set)",
            ),
        }
        match &s.stop_grace_period {
            Some(v) => facts.set(&k("stop_grace_period"), v.value, v.at.clone()),
            None => facts.set(
                &k("stop_grace_period"),
                DEFAULT_STOP_GRACE,
                "Compose default (10s; stop_grace_period not set)",
            ),
        }
        match &s.restart {
            Some(v) => facts.set(&k("restart"), v.value.clone(), v.at.clone()),
            None => facts.set(&k("restart"), "no", "Compose default (restart not set)"),
        }
        match &s.command {
            Some(v) => facts.set(&k("command"), model::shell_join(&v.value), v.at.clone()),
            None => facts.unknown(
                &k("command"),
                format!("service {} uses its image's CMD", s.name),
            ),
        }
        facts.set(
            &k("replicas"),
            s.replicas,
            s.replicas_at
                .clone()
                .unwrap_or_else(|| "Compose default (1; deploy.replicas not set)".to_string()),
        );
    }
}
