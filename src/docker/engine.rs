//! The Docker Engine API: where the daemon listens, one bounded GET, and pure parsers for the
//! answers (`/version`, `/info`, `/containers/json`, `/containers/{id}/json`, stats, `/system/df`).
//!
//! The Engine is asked over HTTP/1.1 on its unix socket (`/var/run/docker.sock`, mapped through
//! `Host::root`, or `DOCKER_HOST=unix://…`) or on `DOCKER_HOST=tcp://…`, with reqwest on a
//! current-thread tokio runtime. Every request is bounded by `Host::timeout` (connect, request
//! and body together), so a socket that accepts and never answers costs the timeout, not a hang.
//! Field meanings and units are in domain.md §3.3.

use crate::probe::Host;
use serde_json::Value as J;
use std::path::PathBuf;
use std::time::Duration;

/// Where the Engine listens.
#[derive(Clone, Debug, PartialEq)]
pub enum Endpoint {
    Unix(PathBuf),
    /// `host:port` for `tcp://`.
    Tcp(String),
}

impl Endpoint {
    /// `DOCKER_HOST` when set, else the default socket under the host's root.
    pub fn from_host(host: &Host) -> Result<(Endpoint, String), String> {
        match host.env("DOCKER_HOST").filter(|s| !s.is_empty()) {
            Some(h) => {
                let src = format!("DOCKER_HOST={h}");
                if let Some(p) = h.strip_prefix("unix://") {
                    Ok((Endpoint::Unix(host.path(p)), src))
                } else if let Some(a) = h.strip_prefix("tcp://") {
                    Ok((Endpoint::Tcp(a.trim_end_matches('/').to_string()), src))
                } else {
                    Err(format!(
                        "DOCKER_HOST={h} is not unix:// or tcp:// (ssh:// and npipe:// are not supported)"
                    ))
                }
            }
            None => Ok((
                Endpoint::Unix(host.path("/var/run/docker.sock")),
                "/var/run/docker.sock".to_string(),
            )),
        }
    }
}

/// The whole Docker probe gets this many timeouts in total, however many containers there are.
pub const BUDGET_TIMEOUTS: u32 = 5;

/// A client for one Engine, with its runtime. Cheap to build; used for one probe run.
pub struct Engine {
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
    base: String,
    timeout: Duration,
    /// After this, no more requests are made: a slow Engine with many containers must not turn
    /// one probe into minutes.
    deadline: std::time::Instant,
    /// How the endpoint is named in messages (`/var/run/docker.sock`, `DOCKER_HOST=tcp://…`).
    pub name: String,
}

impl Engine {
    pub fn new(endpoint: &Endpoint, name: String, timeout: Duration) -> Result<Self, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the I/O runtime: {e}"))?;
        let mut b = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .no_proxy();
        let base = match endpoint {
            Endpoint::Unix(p) => {
                b = b.unix_socket(p.clone());
                // The host part is ignored on a unix socket; Docker's own CLI uses "docker".
                "http://docker".to_string()
            }
            Endpoint::Tcp(a) => format!("http://{a}"),
        };
        let client = b
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            rt,
            client,
            base,
            timeout,
            deadline: std::time::Instant::now() + timeout * BUDGET_TIMEOUTS,
            name,
        })
    }

    /// GETs `path` and parses the JSON body. The error is a sentence for an unknown fact.
    pub fn get(&self, path: &str) -> Result<J, String> {
        let left = self
            .deadline
            .saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(format!(
                "not asked: the Engine used up the probe's time budget ({BUDGET_TIMEOUTS} × {} s)",
                self.timeout.as_secs_f64()
            ));
        }
        let url = format!("{}{path}", self.base);
        let fut = async {
            let resp = self
                .client
                .get(&url)
                .send()
                .await
                .map_err(|e| describe(&e))?;
            let status = resp.status();
            let body = resp.bytes().await.map_err(|e| describe(&e))?;
            Ok::<_, String>((status, body))
        };
        // reqwest's timeout already bounds the request; this outer one also bounds anything it
        // might not cover (a body trickling forever), one timeout's worth of slack.
        let (status, body) = self
            .rt
            .block_on(async { tokio::time::timeout(left.min(self.timeout * 2), fut).await })
            .map_err(|_| format!("no answer within {} s", self.timeout.as_secs_f64()))??;
        if !status.is_success() {
            let msg = serde_json::from_slice::<J>(&body)
                .ok()
                .and_then(|j| j["message"].as_str().map(String::from))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
            return Err(format!(
                "the Engine answered {} to GET {path}: {msg}",
                status.as_u16()
            ));
        }
        serde_json::from_slice(&body).map_err(|e| format!("GET {path}: not JSON: {e}"))
    }
}

/// A reqwest error in the words of its root cause ("cannot connect: permission denied",
/// "timed out"), without reqwest's wrapping ("error sending request for url (…)").
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out waiting for an answer".to_string();
    }
    let mut root: &dyn std::error::Error = e;
    while let Some(next) = root.source() {
        root = next;
    }
    let cause = match root.downcast_ref::<std::io::Error>() {
        Some(io) => crate::probe::host::describe(io),
        None => {
            let s = root.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_string()
        }
    };
    if e.is_connect() {
        format!("cannot connect: {cause}")
    } else {
        cause
    }
}

/// `GET /version`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Version {
    pub version: String,
    pub api_version: String,
}

pub fn parse_version(j: &J) -> Result<Version, String> {
    let version = j["Version"]
        .as_str()
        .ok_or("GET /version: no Version field")?
        .to_string();
    Ok(Version {
        version,
        api_version: j["ApiVersion"].as_str().unwrap_or_default().to_string(),
    })
}

/// The parts of `GET /info` headroom uses (domain.md §3.3).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Info {
    /// Bytes (the CLI shows GiB); on Docker Desktop this is the VM's memory.
    pub mem_total: Option<i64>,
    pub ncpu: Option<i64>,
    /// 1 or 2; absent before API 1.40.
    pub cgroup_version: Option<i64>,
    pub cgroup_driver: Option<String>,
    pub driver: Option<String>,
    pub data_root: Option<String>,
    pub operating_system: Option<String>,
    pub swap_limit: Option<bool>,
    pub containers_running: Option<i64>,
    pub warnings: Vec<String>,
}

impl Info {
    /// Docker Desktop runs the Engine in a VM and says so in `OperatingSystem`.
    pub fn desktop(&self) -> Option<bool> {
        self.operating_system
            .as_deref()
            .map(|o| o.contains("Docker Desktop"))
    }
}

pub fn parse_info(j: &J) -> Result<Info, String> {
    if !j.is_object() {
        return Err("GET /info: not a JSON object".to_string());
    }
    let s = |k: &str| j[k].as_str().map(String::from);
    Ok(Info {
        mem_total: j["MemTotal"].as_i64(),
        ncpu: j["NCPU"].as_i64(),
        cgroup_version: j["CgroupVersion"]
            .as_str()
            .and_then(|v| v.parse().ok())
            .or_else(|| j["CgroupVersion"].as_i64()),
        cgroup_driver: s("CgroupDriver"),
        driver: s("Driver"),
        data_root: s("DockerRootDir"),
        operating_system: s("OperatingSystem"),
        swap_limit: j["SwapLimit"].as_bool(),
        containers_running: j["ContainersRunning"].as_i64(),
        warnings: j["Warnings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|w| w.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// One container from `GET /containers/json?all=true` plus its inspect.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Container {
    pub id: String,
    pub name: String,
    /// `running`, `exited`, `restarting`, …
    pub state: String,
    pub compose_project: Option<String>,
    pub compose_service: Option<String>,
    /// `HostConfig.Memory` (0 = no limit).
    pub memory_limit: i64,
    pub oom_killed: bool,
    pub restart_count: i64,
    pub restarting: bool,
}

/// `GET /containers/json?all=true` → id, name, state, compose labels.
pub fn parse_containers(j: &J) -> Result<Vec<Container>, String> {
    let arr = j
        .as_array()
        .ok_or("GET /containers/json: not a JSON list")?;
    Ok(arr
        .iter()
        .filter_map(|c| {
            let id = c["Id"].as_str()?.to_string();
            let label = |k: &str| c["Labels"][k].as_str().map(String::from);
            Some(Container {
                name: c["Names"][0]
                    .as_str()
                    .unwrap_or_default()
                    .trim_start_matches('/')
                    .to_string(),
                state: c["State"].as_str().unwrap_or_default().to_string(),
                compose_project: label("com.docker.compose.project"),
                compose_service: label("com.docker.compose.service"),
                id,
                ..Container::default()
            })
        })
        .collect())
}

/// Adds `GET /containers/{id}/json` to a listed container.
pub fn apply_inspect(c: &mut Container, j: &J) {
    c.memory_limit = j["HostConfig"]["Memory"].as_i64().unwrap_or(0);
    c.oom_killed = j["State"]["OOMKilled"].as_bool().unwrap_or(false);
    c.restarting = j["State"]["Restarting"].as_bool().unwrap_or(false);
    c.restart_count = j["RestartCount"].as_i64().unwrap_or(0);
}

/// Memory in use by a running container, as `docker stats` shows it: `usage` minus the page
/// cache that can be dropped (`inactive_file` on cgroup v2, `total_inactive_file` on v1;
/// docker/cli `stats_helpers.go`).
pub fn parse_stats_usage(j: &J) -> Result<i64, String> {
    let m = &j["memory_stats"];
    let usage = m["usage"]
        .as_i64()
        .ok_or("stats: no memory_stats.usage (container not running?)")?;
    let inactive = m["stats"]["total_inactive_file"]
        .as_i64()
        .or_else(|| m["stats"]["inactive_file"].as_i64())
        .unwrap_or(0);
    Ok(if inactive < usage {
        usage - inactive
    } else {
        usage
    })
}

/// `GET /system/df` → (images, volumes, build cache) bytes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DiskUsage {
    pub images: i64,
    pub volumes: i64,
    pub build_cache: i64,
}

pub fn parse_df(j: &J) -> Result<DiskUsage, String> {
    if !j.is_object() {
        return Err("GET /system/df: not a JSON object".to_string());
    }
    let sum = |list: &J, field: &dyn Fn(&J) -> Option<i64>| -> i64 {
        list.as_array()
            .map(|a| a.iter().filter_map(field).filter(|v| *v > 0).sum())
            .unwrap_or(0)
    };
    Ok(DiskUsage {
        // LayersSize counts shared layers once, as `docker system df` does.
        images: j["LayersSize"]
            .as_i64()
            .unwrap_or_else(|| sum(&j["Images"], &|i| i["Size"].as_i64())),
        volumes: sum(&j["Volumes"], &|v| v["UsageData"]["Size"].as_i64()),
        build_cache: sum(&j["BuildCache"], &|b| b["Size"].as_i64()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn info_fields_and_desktop() {
        let i = parse_info(&json!({
            "MemTotal": 25275830272_i64, "NCPU": 8, "CgroupVersion": "2", "CgroupDriver": "systemd",
            "Driver": "overlay2", "DockerRootDir": "/var/lib/docker", "OperatingSystem": "Docker Desktop",
            "SwapLimit": false, "ContainersRunning": 3, "Warnings": ["WARNING: No swap limit support"]
        }))
        .unwrap();
        assert_eq!(i.mem_total, Some(25_275_830_272));
        assert_eq!(i.cgroup_version, Some(2));
        assert_eq!(i.desktop(), Some(true));
        assert_eq!(i.swap_limit, Some(false));
        assert_eq!(i.warnings.len(), 1);
        assert!(parse_info(&json!([1])).is_err());
        let old =
            parse_info(&json!({"OperatingSystem": "Debian GNU/Linux 12 (bookworm)"})).unwrap();
        assert_eq!(old.cgroup_version, None);
        assert_eq!(old.desktop(), Some(false));
    }

    #[test]
    fn stats_subtract_inactive_file() {
        let v2 = json!({"memory_stats": {"usage": 100, "stats": {"inactive_file": 30}}});
        assert_eq!(parse_stats_usage(&v2), Ok(70));
        let v1 = json!({"memory_stats": {"usage": 100, "stats": {"total_inactive_file": 40}}});
        assert_eq!(parse_stats_usage(&v1), Ok(60));
        assert!(parse_stats_usage(&json!({"memory_stats": {}})).is_err());
    }

    #[test]
    fn df_sums() {
        let d = parse_df(&json!({
            "LayersSize": 1000,
            "Volumes": [{"UsageData": {"Size": 10}}, {"UsageData": {"Size": -1}}],
            "BuildCache": [{"Size": 5}, {"Size": 6}]
        }))
        .unwrap();
        assert_eq!(
            d,
            DiskUsage {
                images: 1000,
                volumes: 10,
                build_cache: 11
            }
        );
    }

    #[test]
    fn endpoints() {
        let mut h = Host::fixture("/fx");
        assert_eq!(
            Endpoint::from_host(&h).unwrap().0,
            Endpoint::Unix(PathBuf::from("/fx/var/run/docker.sock"))
        );
        h.env
            .insert("DOCKER_HOST".into(), "tcp://127.0.0.1:2375".into());
        assert_eq!(
            Endpoint::from_host(&h).unwrap().0,
            Endpoint::Tcp("127.0.0.1:2375".into())
        );
        h.env.insert("DOCKER_HOST".into(), "ssh://me@box".into());
        assert!(Endpoint::from_host(&h).is_err());
    }
}
