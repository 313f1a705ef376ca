//! What the user pointed headroom at: the stack's files, commands and endpoints.
//!
//! Filled by `discover` from the command line and the working directory (the way Compose and
//! Gunicorn themselves find their files); probes read it, never the command line.

use std::path::PathBuf;

#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// `--gunicorn-cmd "gunicorn -w 3 app:app"`, resolved as Gunicorn would in `Host::cwd`.
    pub gunicorn_cmd: Option<String>,
    /// A Procfile whose `web:` line runs gunicorn.
    pub procfile: Option<PathBuf>,
    /// `--postgres-conf FILE`.
    pub postgres_conf: Option<PathBuf>,
    /// `--postgres URL` (or a `DATABASE_URL`-style variable found by discovery).
    pub postgres_url: Option<String>,
    /// `--postgres-version N`: the server major whose defaults apply when no `PG_VERSION` says.
    pub postgres_version: Option<u32>,
    /// Where the PostgreSQL URL came from, for the facts' source.
    pub postgres_url_source: Option<String>,
    /// Compose files, in merge order (`--compose`, `COMPOSE_FILE`, or the default names).
    pub compose_files: Vec<PathBuf>,
    /// `--env-file` for Compose interpolation (default: `.env` next to the first compose file).
    pub env_files: Vec<PathBuf>,
    /// Compose profiles to enable (`--profile`, `COMPOSE_PROFILES`).
    pub profiles: Vec<String>,
    /// Gunicorn logs to scan (`--log FILE`, `-` for stdin).
    pub logs: Vec<PathBuf>,
    /// `--docker`: ask the Docker Engine even without a Compose project.
    pub docker: bool,
    /// `--url URL`: endpoints whose latency is measured against the timeout.
    pub urls: Vec<String>,
}
