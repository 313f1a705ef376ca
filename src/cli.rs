//! Command-line arguments, as typed values. Nothing here reads the host: `discover` does that.

use crate::report::Format;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Does this machine have the headroom this Gunicorn + PostgreSQL + Docker stack needs?
///
/// Exit status: 0 no failure (warnings allowed), 1 at least one failure (or warning with
/// --strict), 2 headroom could not do its job (bad arguments, invalid rule or input file).
#[derive(Debug, Parser)]
#[command(name = "headroom", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `check`, which is what runs when no command is given.
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Probe this machine (or replay --facts), judge it with the rules, print findings.
    Check(Common),
    /// Print the facts headroom can see (`--format json` is the replayable snapshot).
    Facts(FactsArgs),
    /// One redacted Markdown file for a support ticket, with the facts embedded for replay.
    Report(ReportArgs),
    /// Recommended settings for this machine and stack (--format human|env|flags|compose|postgresql|json).
    Tune(ReportArgs),
    /// The rule packs: list, explain one rule, lint a directory of rule files.
    #[command(subcommand)]
    Rules(RulesCommand),
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub common: Common,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct FactsArgs {
    #[command(flatten)]
    pub common: Common,
    /// Document every fact name, its type and meaning, instead of probing.
    #[arg(long)]
    pub list: bool,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// One line per rule: id, area, name, summary.
    List {
        /// Also load rule packs from this directory.
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// A rule's full documentation: outcomes, remediation, why.
    Explain {
        id: String,
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Validate the rule files in DIR and report every problem.
    Lint { dir: PathBuf },
}

#[derive(Debug, Args, Clone, Default)]
pub struct Common {
    /// Compose file (repeatable, merged in order; default: found as Compose finds it).
    #[arg(long = "compose", short = 'f', value_name = "FILE")]
    pub compose: Vec<PathBuf>,
    /// Env file for Compose interpolation (default: .env next to the compose file).
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Compose profile to enable (repeatable).
    #[arg(long = "profile", value_name = "NAME")]
    pub profile: Vec<String>,
    /// The Gunicorn command line, resolved in this directory and environment as Gunicorn would.
    #[arg(long = "gunicorn-cmd", value_name = "CMD")]
    pub gunicorn_cmd: Option<String>,
    /// A Gunicorn error log to scan for WORKER TIMEOUT and SIGKILL lines (`-` for stdin).
    #[arg(long = "log", value_name = "FILE")]
    pub log: Vec<PathBuf>,
    /// An endpoint whose latency is compared with the timeouts (repeatable).
    #[arg(long = "url", value_name = "URL")]
    pub url: Vec<String>,
    /// Ask the Docker Engine even when no Compose project is found (it costs 10–100 ms).
    #[arg(long)]
    pub docker: bool,
    /// A live PostgreSQL to read settings from (postgres://user:pass@host:port/db).
    #[arg(long = "postgres", value_name = "URL")]
    pub postgres: Option<String>,
    /// A postgresql.conf to read settings from, without a running server.
    #[arg(long = "postgres-conf", value_name = "FILE")]
    pub postgres_conf: Option<PathBuf>,
    /// PostgreSQL major version whose defaults apply when no PG_VERSION file says (default 16).
    #[arg(long = "postgres-version", value_name = "MAJOR")]
    pub postgres_version: Option<u32>,
    /// Judge a captured facts snapshot instead of probing this machine.
    #[arg(long = "facts", value_name = "FILE")]
    pub facts: Option<PathBuf>,
    /// Also load rule packs from DIR; a rule with a shipped id replaces it.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Run only these rules or areas (comma-separated ids or area names).
    #[arg(long = "only", value_name = "IDS", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Show these rules as ignored and do not count them (comma-separated ids or areas).
    #[arg(long = "ignore", value_name = "IDS", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Exit 1 on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Seconds allowed for every network probe (connect, request and answer together).
    #[arg(long, value_name = "SECS", default_value_t = 3.0)]
    pub timeout: f64,
    /// Show the facts each finding used.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Print how long each probe took (to stderr).
    #[arg(long)]
    pub timings: bool,
    /// Print secrets as they are (passwords, tokens, keys). Off by default.
    #[arg(long = "no-redact")]
    pub no_redact: bool,
    /// Also replace host names, IP addresses and e-mail addresses with placeholders.
    #[arg(long = "redact-hosts")]
    pub redact_hosts: bool,
    /// Look for /proc, /sys and /etc under this directory instead of / (fixture trees).
    #[arg(long, value_name = "DIR", hide = true)]
    pub root: Option<PathBuf>,
}
