//! Reports: render findings (and the facts behind them) in the format the user asked for.
//!
//! One renderer per file, each a pure function from a [`Run`] to text, so every format can be
//! snapshot-tested on the same fixed findings.

pub mod budget;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod prometheus;
pub mod ticket;

use crate::engine::{Finding, Summary};
use crate::facts::Facts;

/// Output formats of `check` (and `facts`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Human,
    Json,
    Markdown,
    Junit,
    Prometheus,
    /// `tune`: an env file (WEB_CONCURRENCY, GUNICORN_CMD_ARGS, DB_POOL_SIZE).
    Env,
    /// `tune`: Gunicorn command-line flags.
    Flags,
    /// `tune`: a compose.override.yaml fragment.
    Compose,
    /// `tune`: a postgresql.conf snippet.
    Postgresql,
}

/// Everything a renderer may show about one run.
#[derive(Clone, Debug)]
pub struct Run {
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub facts: Facts,
    pub rules_version: String,
    /// Where the facts came from: "this machine" or "facts file X".
    pub subject: String,
}
