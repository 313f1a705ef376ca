//! The typed project: what each service will run with, once Compose has finished loading.
//!
//! Built from the merged, interpolated tree. Values are converted once, here: sizes to bytes with
//! go-units' rules, durations to seconds, string commands shell-split into argv the way
//! compose-go does (mattn/go-shellwords). A value Compose would refuse (`mem_limit: lots`) is an
//! error naming the file and line, because `docker compose up` would refuse the project too.

use super::merge::{key_values, volume_target};
use super::sizes::{go_duration, ram_in_bytes};
use super::yaml::{Item, Node};
use std::collections::BTreeMap;

/// A value and where it was written (`compose.yaml:12`).
#[derive(Clone, Debug, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    pub at: String,
}

/// The loaded project.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Project {
    /// The project name (`COMPOSE_PROJECT_NAME`, top-level `name:`, or the directory name).
    pub name: String,
    /// Active services (no `profiles:`, or a profile that is enabled).
    pub services: BTreeMap<String, Service>,
    /// Services left out because none of their profiles is enabled.
    pub inactive: Vec<String>,
}

impl Project {
    /// The services that run `program` (`gunicorn`, `postgres`): the program is a word of the
    /// entrypoint or command (by file name, so `/usr/local/bin/gunicorn` and `python -m gunicorn`
    /// count, and `sh -c "exec gunicorn …"` is searched too), or the image's name says so
    /// (`postgres:16`, `bitnami/postgresql`; a sidecar such as `pg_dump` on a postgres image also
    /// matches, so callers should prefer a command match). In name order.
    pub fn services_running(&self, program: &str) -> Vec<&Service> {
        self.services.values().filter(|s| s.runs(program)).collect()
    }
}

impl Service {
    /// Memory + swap the container may use, and where that comes from: `memswap_limit` when
    /// set; else, with a memory limit, Docker's default of twice the limit (the container may swap
    /// as much as its limit; domain.md §3.2, and what `docker inspect` shows as MemorySwap).
    pub fn effective_memswap(&self) -> Option<Sourced<i64>> {
        if let Some(v) = &self.memswap_limit {
            return Some(v.clone());
        }
        self.mem_limit.as_ref().map(|m| Sourced {
            value: m.value.saturating_mul(2),
            at: format!(
                "Docker default: 2 × mem_limit ({}; memswap_limit not set)",
                m.at
            ),
        })
    }

    /// See [`Project::services_running`].
    pub fn runs(&self, program: &str) -> bool {
        let words = self
            .entrypoint
            .iter()
            .chain(self.command.iter())
            .flat_map(|a| a.value.iter());
        for w in words {
            // `sh -c "exec gunicorn -w 3 app:app"` carries the program inside one word.
            let hit = w
                .split(|c: char| c.is_whitespace() || c == ';' || c == '&' || c == '|')
                .any(|part| part.rsplit('/').next() == Some(program));
            if hit {
                return true;
            }
        }
        self.image.as_ref().is_some_and(|i| {
            let repo = i.value.split('@').next().unwrap_or_default();
            let repo = repo
                .rsplit_once(':')
                .map_or(repo, |(r, tag)| if tag.contains('/') { repo } else { r });
            let name = repo.rsplit('/').next().unwrap_or_default();
            name == program || name.starts_with(program)
        })
    }
}

/// One service, as the container will be created.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Service {
    pub name: String,
    /// Where the service is defined.
    pub at: String,
    pub image: Option<Sourced<String>>,
    /// The command as argv; a string command is shell-split.
    pub command: Option<Sourced<Vec<String>>>,
    pub entrypoint: Option<Sourced<Vec<String>>>,
    /// `env_file:` contents with `environment:` on top; a bare `KEY` takes the value from the
    /// interpolation environment and is left out when that has none.
    pub environment: BTreeMap<String, String>,
    /// The memory limit the container gets: `deploy.resources.limits.memory` when set (Compose
    /// applies it after `mem_limit`), else `mem_limit`.
    pub mem_limit: Option<Sourced<i64>>,
    /// When `mem_limit` and `deploy.resources.limits.memory` are both set and disagree.
    pub mem_limit_conflict: Option<String>,
    /// Memory + swap (`-1` = unlimited swap; `0` is treated as unset, as Docker does).
    pub memswap_limit: Option<Sourced<i64>>,
    pub mem_reservation: Option<Sourced<i64>>,
    pub cpus: Option<Sourced<f64>>,
    pub shm_size: Option<Sourced<i64>>,
    /// Seconds.
    pub stop_grace_period: Option<Sourced<f64>>,
    pub restart: Option<Sourced<String>>,
    pub healthcheck: Option<Healthcheck>,
    /// Mount targets inside the container.
    pub volumes: Vec<String>,
    /// `deploy.replicas` or `scale` (1 when unset).
    pub replicas: i64,
    /// Where the replica count was set, if it was.
    pub replicas_at: Option<String>,
    pub profiles: Vec<String>,
}

/// The health check's timing (seconds) and retries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Healthcheck {
    pub disabled: bool,
    pub interval: Option<f64>,
    pub timeout: Option<f64>,
    pub start_period: Option<f64>,
    pub retries: Option<i64>,
}

/// Reads one merged service definition. `lookup` resolves bare `KEY` environment entries;
/// `env_files` are the already-read `env_file:` entries (in order).
pub fn service(
    name: &str,
    item: &Item,
    env_files: &[(String, String)],
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Service, String> {
    if !matches!(item.node, Node::Map(_) | Node::Null) {
        return Err(format!(
            "{}: service {name} must be a mapping, not {}",
            item.at(),
            item.node.kind()
        ));
    }
    let field = |k: &str| item.get(k).filter(|i| !matches!(i.node, Node::Null));
    let path = |k: &str| format!("services.{name}.{k}");
    let mut s = Service {
        name: name.to_string(),
        at: item.at(),
        replicas: 1,
        ..Service::default()
    };
    if let Some(i) = field("image") {
        s.image = Some(Sourced {
            value: string(i, &path("image"))?,
            at: i.at(),
        });
    }
    for (key, slot) in [
        ("command", &mut s.command),
        ("entrypoint", &mut s.entrypoint),
    ] {
        if let Some(i) = field(key) {
            *slot = Some(Sourced {
                value: argv(i, &path(key))?,
                at: i.at(),
            });
        }
    }
    for (k, v) in env_files {
        s.environment.insert(k.clone(), v.clone());
    }
    if let Some(i) = field("environment") {
        if !matches!(i.node, Node::Map(_) | Node::Seq(_)) {
            return Err(type_error(i, &path("environment"), "a mapping or a list"));
        }
        for (k, v) in key_values(i) {
            match &v.node {
                Node::Null => match lookup(&k) {
                    Some(val) => {
                        s.environment.insert(k, val);
                    }
                    None => {
                        s.environment.remove(&k);
                    }
                },
                n => {
                    let val = n.scalar_string().ok_or_else(|| {
                        type_error(&v, &format!("{}.{k}", path("environment")), "a string")
                    })?;
                    s.environment.insert(k, val);
                }
            }
        }
    }
    let deploy = field("deploy");
    let res = |a: &str, b: &str| {
        deploy
            .and_then(|d| d.get("resources"))
            .and_then(|r| r.get(a))
            .and_then(|r| r.get(b))
            .filter(|i| !matches!(i.node, Node::Null))
    };
    let plain_limit = field("mem_limit")
        .map(|i| size(i, &path("mem_limit")))
        .transpose()?;
    let deploy_limit = res("limits", "memory")
        .map(|i| size(i, &path("deploy.resources.limits.memory")))
        .transpose()?;
    if let (Some(p), Some(d)) = (&plain_limit, &deploy_limit)
        && p.value != d.value
    {
        s.mem_limit_conflict = Some(format!(
            "mem_limit {} ({}) disagrees with deploy.resources.limits.memory {} ({}); Compose applies the deploy value",
            p.value, p.at, d.value, d.at
        ));
    }
    // 0 means "no limit" to Docker (HostConfig.Memory = 0), in either key.
    s.mem_limit = deploy_limit.or(plain_limit).filter(|v| v.value > 0);
    let plain_res = field("mem_reservation")
        .map(|i| size(i, &path("mem_reservation")))
        .transpose()?;
    let deploy_res = res("reservations", "memory")
        .map(|i| size(i, &path("deploy.resources.reservations.memory")))
        .transpose()?;
    s.mem_reservation = deploy_res.or(plain_res).filter(|v| v.value > 0);
    s.memswap_limit = field("memswap_limit")
        .map(|i| size(i, &path("memswap_limit")))
        .transpose()?
        .filter(|v| v.value != 0);
    let plain_cpus = field("cpus")
        .map(|i| number(i, &path("cpus")))
        .transpose()?;
    let deploy_cpus = res("limits", "cpus")
        .map(|i| number(i, &path("deploy.resources.limits.cpus")))
        .transpose()?;
    s.cpus = deploy_cpus.or(plain_cpus).filter(|c| c.value != 0.0);
    s.shm_size = field("shm_size")
        .map(|i| size(i, &path("shm_size")))
        .transpose()?;
    s.stop_grace_period = field("stop_grace_period")
        .map(|i| duration(i, &path("stop_grace_period")))
        .transpose()?;
    if let Some(i) = field("restart") {
        s.restart = Some(Sourced {
            value: string(i, &path("restart"))?,
            at: i.at(),
        });
    }
    if let Some(h) = field("healthcheck") {
        let d = |k: &str| {
            h.get(k)
                .filter(|i| !matches!(i.node, Node::Null))
                .map(|i| duration(i, &format!("{}.{k}", path("healthcheck"))).map(|v| v.value))
                .transpose()
        };
        s.healthcheck = Some(Healthcheck {
            disabled: matches!(h.get("disable").map(|i| &i.node), Some(Node::Bool(true))),
            interval: d("interval")?,
            timeout: d("timeout")?,
            start_period: d("start_period")?,
            retries: h
                .get("retries")
                .filter(|i| !matches!(i.node, Node::Null))
                .map(|i| integer(i, &format!("{}.retries", path("healthcheck"))))
                .transpose()?,
        });
    }
    if let Some(Node::Seq(v)) = field("volumes").map(|i| &i.node) {
        s.volumes = v.iter().filter_map(volume_target).collect();
    }
    if let Some(r) = deploy
        .and_then(|d| d.get("replicas"))
        .filter(|i| !matches!(i.node, Node::Null))
    {
        s.replicas = integer(r, &path("deploy.replicas"))?;
        s.replicas_at = Some(r.at());
    } else if let Some(r) = field("scale") {
        s.replicas = integer(r, &path("scale"))?;
        s.replicas_at = Some(r.at());
    }
    if let Some(Node::Seq(v)) = field("profiles").map(|i| &i.node) {
        s.profiles = v.iter().filter_map(|i| i.node.scalar_string()).collect();
    }
    Ok(s)
}

fn type_error(i: &Item, path: &str, want: &str) -> String {
    format!("{}: {path} must be {want}, not {}", i.at(), i.node.kind())
}

fn string(i: &Item, path: &str) -> Result<String, String> {
    match &i.node {
        Node::Map(_) | Node::Seq(_) => Err(type_error(i, path, "a string")),
        n => n
            .scalar_string()
            .ok_or_else(|| type_error(i, path, "a string")),
    }
}

fn argv(i: &Item, path: &str) -> Result<Vec<String>, String> {
    match &i.node {
        Node::Str(s) => shell_split(s).map_err(|e| format!("{}: {path}: {e}", i.at())),
        Node::Seq(v) => v
            .iter()
            .map(|x| {
                x.node
                    .scalar_string()
                    .ok_or_else(|| type_error(x, path, "a list of strings"))
            })
            .collect(),
        _ => Err(type_error(i, path, "a string or a list")),
    }
}

fn size(i: &Item, path: &str) -> Result<Sourced<i64>, String> {
    let value = match &i.node {
        Node::Int(n) => *n,
        #[allow(clippy::cast_possible_truncation)]
        Node::Float(f) if f.is_finite() => *f as i64,
        Node::Str(s) => ram_in_bytes(s).map_err(|e| format!("{}: {path}: {e}", i.at()))?,
        _ => return Err(type_error(i, path, "a size such as 512m")),
    };
    Ok(Sourced { value, at: i.at() })
}

fn number(i: &Item, path: &str) -> Result<Sourced<f64>, String> {
    #[allow(clippy::cast_precision_loss)]
    let value = match &i.node {
        Node::Int(n) => *n as f64,
        Node::Float(f) => *f,
        Node::Str(s) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("{}: {path}: '{s}' is not a number", i.at()))?,
        _ => return Err(type_error(i, path, "a number")),
    };
    Ok(Sourced { value, at: i.at() })
}

fn integer(i: &Item, path: &str) -> Result<i64, String> {
    match &i.node {
        Node::Int(n) => Ok(*n),
        Node::Str(s) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("{}: {path}: '{s}' is not an integer", i.at())),
        _ => Err(type_error(i, path, "an integer")),
    }
}

fn duration(i: &Item, path: &str) -> Result<Sourced<f64>, String> {
    match &i.node {
        Node::Str(s) => go_duration(s)
            .map(|value| Sourced { value, at: i.at() })
            .map_err(|e| format!("{}: {path}: {e}", i.at())),
        _ => Err(type_error(
            i,
            path,
            "a duration string such as 10s or 1m30s",
        )),
    }
}

/// Splits a command string into words as mattn/go-shellwords (used by compose-go) does:
/// whitespace separates, single quotes are literal, a backslash escapes the next character outside
/// single quotes (inside double quotes too, where POSIX would keep it before most characters).
pub fn shell_split(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let (mut single, mut double, mut escaped) = (false, false, false);
    for c in s.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            in_word = true;
            continue;
        }
        match c {
            '\\' if !single => {
                escaped = true;
                in_word = true;
            }
            '\'' if !double => {
                single = !single;
                in_word = true;
            }
            '"' if !single => {
                double = !double;
                in_word = true;
            }
            c if c.is_whitespace() && !single && !double => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if single || double {
        return Err(format!("unterminated quote in command {s:?}"));
    }
    if escaped {
        return Err(format!("command {s:?} ends with a backslash"));
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// Joins argv back into one string a shell would split the same way (for the `command` fact).
pub fn shell_join(argv: &[String]) -> String {
    argv.iter()
        .map(|w| {
            let safe = !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
            if safe {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(image: Option<&str>, command: Option<&str>) -> Service {
        Service {
            image: image.map(|v| Sourced {
                value: v.to_string(),
                at: String::new(),
            }),
            command: command.map(|c| Sourced {
                value: shell_split(c).unwrap(),
                at: String::new(),
            }),
            ..Service::default()
        }
    }

    #[test]
    fn finds_the_service_running_a_program() {
        assert!(svc(Some("app:1"), Some("gunicorn -w 3 app:app")).runs("gunicorn"));
        assert!(svc(None, Some("/venv/bin/gunicorn app:app")).runs("gunicorn"));
        assert!(svc(Some("app"), Some("python -m gunicorn app:app")).runs("gunicorn"));
        assert!(
            svc(
                Some("app"),
                Some("sh -c 'migrate && exec gunicorn app:app'")
            )
            .runs("gunicorn")
        );
        assert!(!svc(Some("app"), Some("celery worker")).runs("gunicorn"));
        assert!(svc(Some("postgres:16-alpine"), None).runs("postgres"));
        assert!(svc(Some("docker.io/bitnami/postgresql:15"), None).runs("postgres"));
        assert!(svc(Some("localhost:5000/postgres"), None).runs("postgres"));
        assert!(!svc(Some("redis:7"), None).runs("postgres"));
        assert!(svc(Some("postgres:16"), Some("postgres -c shared_buffers=1GB")).runs("postgres"));
    }

    #[test]
    fn shell_split_like_go_shellwords() {
        let w = |s: &str| shell_split(s).unwrap();
        assert_eq!(
            w("gunicorn -w 3 app:app"),
            ["gunicorn", "-w", "3", "app:app"]
        );
        assert_eq!(
            w("sh -c 'echo $HOME && ls'"),
            ["sh", "-c", "echo $HOME && ls"]
        );
        assert_eq!(w(r#"a "b c" d\ e ''"#), ["a", "b c", "d e", ""]);
        assert_eq!(w(r#""say \"hi\"""#), [r#"say "hi""#]);
        assert_eq!(w("  "), Vec::<String>::new());
        assert!(shell_split("'open").is_err());
        assert!(shell_split("x\\").is_err());
    }

    #[test]
    fn shell_join_round_trips() {
        for s in [
            "gunicorn -w 3 app:app",
            "sh -c 'echo \"$X\" it'\\''s'",
            "a '' b",
        ] {
            let argv = shell_split(s).unwrap();
            assert_eq!(shell_split(&shell_join(&argv)).unwrap(), argv, "{s}");
        }
        assert_eq!(shell_join(&["a b".into(), "c".into()]), "'a b' c");
    }
}
