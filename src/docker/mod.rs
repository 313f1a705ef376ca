//! The Docker Engine as it runs on this machine: reachable or not, how much memory and CPU it sees
//! (a VM on Docker Desktop), cgroup version and swap-limit support, containers that were
//! OOM-killed or keep restarting, what the daemons cost, and disk used by images and volumes.
//!
//! [`engine`] talks to the API (bounded by `Host::timeout`, never hangs); [`daemon`] reads the
//! daemons' memory from `/proc`. Everything lands in `docker.*` facts; anything that cannot be
//! learned is unknown with the reason (no socket, permission denied, no answer, an Engine error).

pub mod daemon;
pub mod engine;

use crate::facts::Facts;
use crate::facts::registry::{FactSpec, boolean, bytes, int, string};
use crate::probe::Ctx;
use engine::{Endpoint, Engine};

/// Every fact this module sets.
pub const FACTS: &[FactSpec] = &[
    boolean("docker.reachable", "The Docker Engine API answered."),
    string(
        "docker.error",
        "Why the Engine could not be asked; \"\" when it answered.",
    ),
    string("docker.version", "Engine version (GET /version)."),
    bytes(
        "docker.mem_total",
        "Memory the Engine sees (GET /info MemTotal; the VM's on Docker Desktop).",
    ),
    int("docker.ncpu", "CPUs the Engine sees (GET /info NCPU)."),
    int(
        "docker.cgroup_version",
        "cgroup version the Engine uses (1 or 2).",
    ),
    boolean(
        "docker.desktop",
        "The Engine is Docker Desktop (a VM with its own memory setting).",
    ),
    boolean(
        "docker.swap_limit_support",
        "The kernel accounts swap per container (false: memswap_limit has no effect).",
    ),
    string(
        "docker.data_root",
        "Docker's data directory (DockerRootDir).",
    ),
    int("docker.containers_running", "Running containers."),
    int(
        "docker.oom_killed_containers",
        "Containers whose last exit was an OOM kill (State.OOMKilled), running or not.",
    ),
    int(
        "docker.restarting_containers",
        "Containers restarting now or restarted at least once by their restart policy.",
    ),
    int(
        "docker.containers_without_memory_limit",
        "Running containers with no memory limit (HostConfig.Memory = 0).",
    ),
    bytes(
        "docker.containers_memory_usage",
        "Memory used by running containers, as docker stats counts it (usage − inactive_file).",
    ),
    bytes(
        "docker.daemon_rss",
        "Memory of dockerd + containerd + every containerd-shim (Pss, else VmRSS).",
    ),
    int(
        "docker.shim_count",
        "containerd-shim processes (one per running container).",
    ),
    bytes(
        "docker.images_size",
        "Disk used by image layers (GET /system/df LayersSize).",
    ),
    bytes(
        "docker.volumes_size",
        "Disk used by volumes (GET /system/df).",
    ),
    bytes(
        "docker.build_cache_size",
        "Disk used by the build cache (GET /system/df).",
    ),
];

/// The probe group's entry point.
/// Whether this run asks the Engine. It answers in 10–80 ms per request (measured on Docker 20.10
/// here), more than the whole check of a machine: ask when the stack uses Docker, or when told to.
pub fn asked(ctx: &Ctx) -> bool {
    ctx.inputs.docker
        || ctx.host.env("DOCKER_HOST").is_some()
        || !ctx.inputs.compose_files.is_empty()
        || crate::stack::project(ctx).is_some()
}

pub fn collect(ctx: &Ctx, facts: &mut Facts) {
    if !asked(ctx) {
        let why = "not asked: no Compose project here (pass --docker to check the Engine anyway)";
        for spec in FACTS {
            if facts.get(spec.name).is_none() {
                facts.unknown(spec.name, why);
            }
        }
        return;
    }
    collect_daemons(ctx, facts);
    let (endpoint, name) = match Endpoint::from_host(&ctx.host) {
        Ok(e) => e,
        Err(why) => return unreachable(facts, &why, "DOCKER_HOST"),
    };
    if let Endpoint::Unix(p) = &endpoint
        && !p.exists()
    {
        return unreachable(facts, &format!("no socket at {name}"), &name);
    }
    let engine = match Engine::new(&endpoint, name.clone(), ctx.host.timeout) {
        Ok(e) => e,
        Err(why) => return unreachable(facts, &why, &name),
    };
    let version = match engine
        .get("/version")
        .and_then(|j| engine::parse_version(&j))
    {
        Ok(v) => v,
        Err(why) => return unreachable(facts, &format!("{name}: {why}"), &name),
    };
    facts.set("docker.reachable", true, format!("GET /version on {name}"));
    facts.set("docker.error", "", format!("GET /version on {name}"));
    facts.set(
        "docker.version",
        version.version.clone(),
        format!("GET /version (API {})", version.api_version),
    );
    collect_info(&engine, facts);
    collect_containers(&engine, facts);
    collect_df(&engine, facts);
}

fn unreachable(facts: &mut Facts, why: &str, name: &str) {
    facts.set("docker.reachable", false, name.to_string());
    facts.set("docker.error", why.to_string(), name.to_string());
    let reason = format!("the Docker Engine could not be asked: {why}");
    for spec in FACTS {
        let n = spec.name;
        if n == "docker.reachable" || n == "docker.error" || facts.get(n).is_some() {
            continue;
        }
        facts.unknown(n, reason.clone());
    }
}

fn collect_daemons(ctx: &Ctx, facts: &mut Facts) {
    // A remote Engine's daemons are not in our /proc.
    if let Some(h) = ctx.host.env("DOCKER_HOST")
        && h.starts_with("tcp://")
        && !(h.contains("127.0.0.1") || h.contains("localhost"))
    {
        let why = format!("DOCKER_HOST={h} is another machine; its daemons are not in this /proc");
        facts.unknown("docker.daemon_rss", why.clone());
        facts.unknown("docker.shim_count", why);
        return;
    }
    match daemon::read(&ctx.host) {
        Ok(d) if d.has_dockerd() => {
            let parts: Vec<String> = d
                .processes
                .iter()
                .map(|(c, pid, rss)| format!("{c}[{pid}] {}", crate::facts::units::bytes(*rss)))
                .collect();
            let how = if d.all_pss {
                "/proc/<pid>/smaps_rollup Pss"
            } else {
                "/proc/<pid>/smaps_rollup Pss or status VmRSS"
            };
            facts.set(
                "docker.daemon_rss",
                d.total_rss(),
                format!("{how}: {}", parts.join(", ")),
            );
            #[allow(clippy::cast_possible_wrap)]
            facts.set(
                "docker.shim_count",
                d.shim_count() as i64,
                "/proc/<pid>/comm containerd-shim*",
            );
        }
        Ok(_) => {
            let why = "no dockerd process visible in /proc (inside a container, hidepid, or Docker not running)";
            facts.unknown("docker.daemon_rss", why);
            facts.unknown("docker.shim_count", why);
        }
        Err(why) => {
            facts.unknown("docker.daemon_rss", why.clone());
            facts.unknown("docker.shim_count", why);
        }
    }
}

fn collect_info(engine: &Engine, facts: &mut Facts) {
    let info = match engine.get("/info").and_then(|j| engine::parse_info(&j)) {
        Ok(i) => i,
        Err(why) => {
            for n in [
                "docker.mem_total",
                "docker.ncpu",
                "docker.cgroup_version",
                "docker.desktop",
                "docker.swap_limit_support",
                "docker.data_root",
                "docker.containers_running",
            ] {
                facts.unknown(n, why.clone());
            }
            return;
        }
    };
    let src = |f: &str| format!("GET /info {f}");
    let missing = |f: &str| format!("GET /info has no {f} (older Engine?)");
    match info.mem_total {
        Some(v) => facts.set("docker.mem_total", v, src("MemTotal")),
        None => facts.unknown("docker.mem_total", missing("MemTotal")),
    }
    match info.ncpu {
        Some(v) => facts.set("docker.ncpu", v, src("NCPU")),
        None => facts.unknown("docker.ncpu", missing("NCPU")),
    }
    match info.cgroup_version {
        Some(v) => facts.set(
            "docker.cgroup_version",
            v,
            format!(
                "GET /info CgroupVersion (driver {})",
                info.cgroup_driver.as_deref().unwrap_or("?")
            ),
        ),
        None => facts.unknown("docker.cgroup_version", missing("CgroupVersion")),
    }
    match (info.desktop(), &info.operating_system) {
        (Some(d), Some(os)) => facts.set(
            "docker.desktop",
            d,
            format!("GET /info OperatingSystem \"{os}\""),
        ),
        _ => facts.unknown("docker.desktop", missing("OperatingSystem")),
    }
    match info.swap_limit {
        Some(v) => {
            let warn = info
                .warnings
                .iter()
                .find(|w| w.contains("swap"))
                .map(|w| format!("; {w}"))
                .unwrap_or_default();
            facts.set(
                "docker.swap_limit_support",
                v,
                format!("GET /info SwapLimit{warn}"),
            );
        }
        None => facts.unknown("docker.swap_limit_support", missing("SwapLimit")),
    }
    match info.data_root {
        Some(v) => facts.set(
            "docker.data_root",
            v,
            format!(
                "GET /info DockerRootDir (storage driver {})",
                info.driver.as_deref().unwrap_or("?")
            ),
        ),
        None => facts.unknown("docker.data_root", missing("DockerRootDir")),
    }
    match info.containers_running {
        Some(v) => facts.set("docker.containers_running", v, src("ContainersRunning")),
        None => facts.unknown("docker.containers_running", missing("ContainersRunning")),
    }
}

fn collect_containers(engine: &Engine, facts: &mut Facts) {
    let names = [
        "docker.oom_killed_containers",
        "docker.restarting_containers",
        "docker.containers_without_memory_limit",
        "docker.containers_memory_usage",
    ];
    let mut list = match engine
        .get("/containers/json?all=true")
        .and_then(|j| engine::parse_containers(&j))
    {
        Ok(l) => l,
        Err(why) => {
            for n in names {
                facts.unknown(n, why.clone());
            }
            return;
        }
    };
    let mut inspect_errors = Vec::new();
    for c in &mut list {
        match engine.get(&format!("/containers/{}/json", c.id)) {
            Ok(j) => engine::apply_inspect(c, &j),
            // A container removed between the list and the inspect is not an error worth a skip.
            Err(e) if e.contains(" 404 ") => {}
            Err(e) => inspect_errors.push(format!("{}: {e}", c.name)),
        }
    }
    if !inspect_errors.is_empty() {
        let why = format!("cannot inspect containers: {}", inspect_errors.join("; "));
        facts.unknown("docker.oom_killed_containers", why.clone());
        facts.unknown("docker.restarting_containers", why.clone());
        facts.unknown("docker.containers_without_memory_limit", why);
    } else {
        let label = |c: &engine::Container| match (&c.compose_project, &c.compose_service) {
            (Some(p), Some(s)) => format!("{} ({p}/{s})", c.name),
            _ => c.name.clone(),
        };
        let oom: Vec<String> = list.iter().filter(|c| c.oom_killed).map(label).collect();
        let restarting: Vec<String> = list
            .iter()
            .filter(|c| c.restarting || c.restart_count > 0)
            .map(|c| format!("{} x{}", label(c), c.restart_count))
            .collect();
        #[allow(clippy::cast_possible_wrap)]
        facts.set(
            "docker.oom_killed_containers",
            oom.len() as i64,
            if oom.is_empty() {
                format!("State.OOMKilled of {} containers", list.len())
            } else {
                format!("State.OOMKilled: {}", oom.join(", "))
            },
        );
        let running: Vec<&engine::Container> =
            list.iter().filter(|c| c.state == "running").collect();
        let unlimited: Vec<String> = running
            .iter()
            .filter(|c| c.memory_limit == 0)
            .map(|c| label(c))
            .collect();
        #[allow(clippy::cast_possible_wrap)]
        facts.set(
            "docker.containers_without_memory_limit",
            unlimited.len() as i64,
            if unlimited.is_empty() {
                format!("HostConfig.Memory of {} running containers", running.len())
            } else {
                format!("HostConfig.Memory = 0: {}", unlimited.join(", "))
            },
        );
        #[allow(clippy::cast_possible_wrap)]
        facts.set(
            "docker.restarting_containers",
            restarting.len() as i64,
            if restarting.is_empty() {
                format!("RestartCount of {} containers", list.len())
            } else {
                format!("RestartCount: {}", restarting.join(", "))
            },
        );
    }
    let mut total = 0i64;
    let mut parts = Vec::new();
    for c in list.iter().filter(|c| c.state == "running") {
        match engine
            .get(&format!(
                "/containers/{}/stats?stream=false&one-shot=true",
                c.id
            ))
            .and_then(|j| engine::parse_stats_usage(&j))
        {
            Ok(u) => {
                total = total.saturating_add(u);
                parts.push(format!("{} {}", c.name, crate::facts::units::bytes(u)));
            }
            Err(e) => {
                facts.unknown("docker.containers_memory_usage", format!("{}: {e}", c.name));
                return;
            }
        }
    }
    facts.set(
        "docker.containers_memory_usage",
        total,
        if parts.is_empty() {
            "no running containers".to_string()
        } else {
            format!("stats (usage − inactive_file): {}", parts.join(", "))
        },
    );
}

fn collect_df(engine: &Engine, facts: &mut Facts) {
    match engine.get("/system/df").and_then(|j| engine::parse_df(&j)) {
        Ok(d) => {
            facts.set("docker.images_size", d.images, "GET /system/df LayersSize");
            facts.set(
                "docker.volumes_size",
                d.volumes,
                "GET /system/df Volumes[].UsageData.Size",
            );
            facts.set(
                "docker.build_cache_size",
                d.build_cache,
                "GET /system/df BuildCache[].Size",
            );
        }
        Err(why) => {
            for n in [
                "docker.images_size",
                "docker.volumes_size",
                "docker.build_cache_size",
            ] {
                facts.unknown(n, why.clone());
            }
        }
    }
}
