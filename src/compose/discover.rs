//! Which Compose files, which `.env`, which profiles: found the way `docker compose` finds them.
//!
//! Order (compose-go `cli/options.go`): `--compose FILE…` (given to us as `Inputs.compose_files`),
//! else `COMPOSE_FILE` from the environment or from the `.env` in the working directory (split on
//! `COMPOSE_PATH_SEPARATOR`, default `:`), else the first of `compose.yaml`, `compose.yml`,
//! `docker-compose.yaml`, `docker-compose.yml` in the working directory or the nearest parent,
//! plus its `*.override.*` file when one sits next to it. The project directory is the first
//! file's directory; its `.env` and the working directory's `.env` (which wins) feed
//! interpolation unless `--env-file` was given, under the process environment.
//!
//! These are the user's project files, not system files, so their paths are taken as written
//! (relative ones against `Host::cwd`) rather than mapped through `Host::root`.

use super::ReadError;
use super::envfile;
use crate::probe::Ctx;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The default file names, in Compose's order of preference.
pub const DEFAULT_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// The override file Compose adds for each default name.
const OVERRIDE_NAMES: [&str; 4] = [
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
];

/// What a Compose invocation in `Host::cwd` would load.
#[derive(Clone, Debug, Default)]
pub struct Discovered {
    /// The files, in merge order.
    pub files: Vec<PathBuf>,
    /// Where the files came from, for the facts' source ("COMPOSE_FILE", "default name").
    pub how: String,
    /// The project directory (the first file's directory).
    pub project_dir: PathBuf,
    /// The variables interpolation sees: env files underneath, the process environment on top.
    pub env: BTreeMap<String, String>,
    /// Where each variable came from ("environment", ".env:3").
    pub env_source: BTreeMap<String, String>,
    /// The profiles that are enabled.
    pub profiles: Vec<String>,
    /// The env files read for interpolation, lowest precedence first, as a user would name them.
    pub env_files: Vec<String>,
}

/// The Compose files a `docker compose` run in the working directory would load, in merge order.
pub fn discover(ctx: &Ctx) -> Result<Vec<PathBuf>, String> {
    discover_all(ctx).map(|d| d.files).map_err(|e| match e {
        ReadError::NotFound(s) | ReadError::Invalid(s) => s,
    })
}

/// Files, project directory, interpolation environment and profiles.
pub fn discover_all(ctx: &Ctx) -> Result<Discovered, ReadError> {
    let host = &ctx.host;
    let abs = |p: &Path| {
        if p.is_absolute() {
            super::load::clean(p)
        } else {
            super::load::clean(&host.cwd.join(p))
        }
    };
    // COMPOSE_* variables may come from the `.env` in the working directory (compose-go reads it
    // before choosing files).
    let cwd_env = read_env_file(&host.cwd.join(".env"), &host.env).unwrap_or_default();
    let setting = |name: &str| -> Option<(String, String)> {
        host.env
            .get(name)
            .map(|v| (v.clone(), format!("environment {name}")))
            .or_else(|| {
                cwd_env
                    .iter()
                    .find(|e| e.key == name)
                    .map(|e| (e.value.clone(), format!(".env:{} {name}", e.line)))
            })
    };

    let (files, how) = if !ctx.inputs.compose_files.is_empty() {
        (
            ctx.inputs.compose_files.iter().map(|p| abs(p)).collect(),
            "command line".to_string(),
        )
    } else if let Some((list, src)) = setting("COMPOSE_FILE").filter(|(v, _)| !v.is_empty()) {
        let sep = setting("COMPOSE_PATH_SEPARATOR")
            .map(|(s, _)| s)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| ":".to_string());
        let files: Vec<PathBuf> = list
            .split(sep.as_str())
            .filter(|s| !s.is_empty())
            .map(|s| abs(Path::new(s)))
            .collect();
        (files, src)
    } else {
        let found = find_default(&host.cwd).ok_or_else(|| {
            ReadError::NotFound(format!(
                "no compose file ({}) in {} or its parents",
                DEFAULT_NAMES.join(", "),
                host.cwd.display()
            ))
        })?;
        let dir = found.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut files = vec![found];
        if let Some(o) = OVERRIDE_NAMES
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file())
        {
            files.push(o);
        }
        (files, "default file name".to_string())
    };
    let project_dir = files
        .first()
        .and_then(|f| f.parent())
        .map_or_else(|| host.cwd.clone(), Path::to_path_buf);

    let mut env = BTreeMap::new();
    let mut env_source = BTreeMap::new();
    // Without --env-file, compose-go reads the working directory's `.env` first and, once the
    // project directory is known, the project's `.env`; a variable already set keeps its value,
    // so the working directory's file wins. We apply them lowest first.
    let env_files: Vec<PathBuf> = if ctx.inputs.env_files.is_empty() {
        let mut v = Vec::new();
        for dir in [&project_dir, &host.cwd] {
            let f = super::load::clean(&dir.join(".env"));
            if f.is_file() && !v.contains(&f) {
                v.push(f);
            }
        }
        v
    } else {
        ctx.inputs.env_files.iter().map(|p| abs(p)).collect()
    };
    let mut env_file_names = Vec::new();
    for f in &env_files {
        let entries = read_env_file(f, &host.env).map_err(ReadError::Invalid)?;
        let name = display_name(f, &project_dir);
        env_file_names.push(name.clone());
        for e in entries {
            env_source.insert(e.key.clone(), format!("{name}:{}", e.line));
            env.insert(e.key, e.value);
        }
    }
    for (k, v) in &host.env {
        env.insert(k.clone(), v.clone());
        env_source.insert(k.clone(), "environment".to_string());
    }

    let profiles = if ctx.inputs.profiles.is_empty() {
        env.get("COMPOSE_PROFILES")
            .map(|p| {
                p.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    } else {
        ctx.inputs.profiles.clone()
    };

    Ok(Discovered {
        files,
        how,
        project_dir,
        env,
        env_source,
        profiles,
        env_files: env_file_names,
    })
}

/// The first default-named file in `dir` or its nearest parent that has one.
fn find_default(dir: &Path) -> Option<PathBuf> {
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if let Some(f) = DEFAULT_NAMES
            .iter()
            .map(|n| d.join(n))
            .find(|p| p.is_file())
        {
            return Some(f);
        }
        cur = d.parent();
    }
    None
}

/// Reads an env file; a missing file is an error the caller decides about.
pub fn read_env_file(
    path: &Path,
    env: &BTreeMap<String, String>,
) -> Result<Vec<envfile::Entry>, String> {
    let bytes = read_bytes(path)?;
    let lookup = |k: &str| env.get(k).cloned();
    envfile::parse(&bytes, &lookup)
        .map_err(|e| format!("{}:{}: {}", path.display(), e.line, e.message))
}

/// Reads a project file whole, up to the same cap as every other read.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| {
        format!(
            "cannot read {}: {}",
            path.display(),
            crate::probe::host::describe(&e)
        )
    })?;
    let mut buf = Vec::new();
    let cap = crate::probe::host::MAX_READ;
    // One byte more than the cap tells "exactly at the cap" from "cut short".
    f.take(cap + 1).read_to_end(&mut buf).map_err(|e| {
        format!(
            "cannot read {}: {}",
            path.display(),
            crate::probe::host::describe(&e)
        )
    })?;
    if buf.len() as u64 > cap {
        return Err(format!(
            "{} is larger than {} MiB; not a Compose or env file headroom will read",
            path.display(),
            cap / 1024 / 1024
        ));
    }
    Ok(buf)
}

/// A path as a user would write it in a message: relative to the project when inside it.
pub fn display_name(path: &Path, project_dir: &Path) -> String {
    path.strip_prefix(project_dir)
        .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
}
