//! Runs one command end to end and returns the exit status; `main` only maps I/O errors.
//!
//! Output goes to the writers given, so tests can run whole commands in-process.

use crate::cli::{Cli, Command, Common, FactsArgs, ReportArgs, RulesCommand};
use crate::diag::{self, Diagnostic};
use crate::engine::{self, Selection};
use crate::facts::{self, Facts, Snapshot};
use crate::probe::{self, Ctx, Host, Inputs};
use crate::redact::Redactor;
use crate::report::{self, Format, Run};
use crate::rules::{self, RuleSet};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// Exit statuses (DESIGN.md).
pub const OK: i32 = 0;
pub const FINDINGS: i32 = 1;
pub const ERROR: i32 = 2;

pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> std::io::Result<i32> {
    match cli.command {
        None => check(&cli.common, out, err),
        Some(Command::Check(c)) => check(&merge(&cli.common, c), out, err),
        Some(Command::Facts(f)) => facts_cmd(&cli.common, f, out, err),
        Some(Command::Report(r)) => report_cmd(&cli.common, r, out, err),
        Some(Command::Tune(r)) => tune_cmd(&cli.common, r, out, err),
        Some(Command::Rules(r)) => rules_cmd(r, out, err),
    }
}

/// Options given before the subcommand still count (`headroom --format json check`).
fn merge(top: &Common, sub: Common) -> Common {
    let mut c = sub;
    macro_rules! take_vec {
        ($($f:ident),*) => {$( if c.$f.is_empty() { c.$f = top.$f.clone(); } )*};
    }
    take_vec!(compose, env_file, profile, log, url, rules, only, ignore);
    macro_rules! take_opt {
        ($($f:ident),*) => {$( if c.$f.is_none() { c.$f = top.$f.clone(); } )*};
    }
    take_opt!(gunicorn_cmd, postgres, postgres_conf, facts, root);
    c.strict |= top.strict;
    c.docker |= top.docker;
    c.no_redact |= top.no_redact;
    c.redact_hosts |= top.redact_hosts;
    c.verbose |= top.verbose;
    c.timings |= top.timings;
    c
}

fn fail_with(err: &mut dyn Write, diags: &[Diagnostic]) -> std::io::Result<i32> {
    err.write_all(diag::render_all(diags).as_bytes())?;
    Ok(ERROR)
}

fn load_rules(c: &Common, err: &mut dyn Write) -> std::io::Result<Result<RuleSet, i32>> {
    match rules::load(&c.rules) {
        Ok(r) => Ok(Ok(r)),
        Err(d) => fail_with(err, &d).map(Err),
    }
}

fn timeout(c: &Common) -> Duration {
    if c.timeout.is_finite() && c.timeout > 0.0 {
        Duration::from_secs_f64(c.timeout.min(3600.0))
    } else {
        Duration::from_secs(3)
    }
}

/// The host and inputs this run looks at.
fn context(c: &Common) -> Ctx {
    let mut host = Host::live(timeout(c));
    if let Some(root) = &c.root {
        host.root.clone_from(root);
        host.live = false;
    }
    let inputs = Inputs {
        gunicorn_cmd: c.gunicorn_cmd.clone(),
        postgres_conf: c.postgres_conf.clone(),
        postgres_url: c.postgres.clone(),
        postgres_url_source: c.postgres.as_ref().map(|_| "--postgres".to_string()),
        postgres_version: c.postgres_version,
        compose_files: c.compose.clone(),
        env_files: c.env_file.clone(),
        profiles: c.profile.clone(),
        logs: c.log.clone(),
        urls: c.url.clone(),
        docker: c.docker,
        procfile: None,
    };
    Ctx { host, inputs }
}

/// Reads a facts snapshot. A newer schema is refused: its facts may mean something else.
#[allow(clippy::result_large_err)] // a cold path that ends the run
pub fn read_snapshot(path: &Path) -> Result<Facts, Diagnostic> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::new(
            "facts-file",
            &shown,
            format!("cannot read: {}", probe::host::describe(&e)),
        )
    })?;
    // A support report embeds the snapshot in a fenced block; replay accepts the report itself.
    let text = report::ticket::extract_facts(&text).map_or(text.clone(), str::to_string);
    let snap: Snapshot = serde_json::from_str(&text).map_err(|e| {
        Diagnostic::new(
            "facts-file",
            &shown,
            format!("not a headroom facts snapshot: {e}"),
        )
        .at(&text, e.line(), e.column(), 1)
        .help(Some(
            "create one with `headroom facts --format json > facts.json`".into(),
        ))
    })?;
    if snap.schema > facts::SCHEMA {
        return Err(Diagnostic::new(
            "facts-file",
            &shown,
            format!(
                "facts schema {} is newer than this headroom reads (schema {}; written by headroom {})",
                snap.schema,
                facts::SCHEMA,
                snap.headroom
            ),
        )
        .help(Some("upgrade headroom to replay this snapshot".into())));
    }
    Ok(snap.facts)
}

/// Probes (or replays) the facts the given rules need.
fn gather(
    c: &Common,
    needed: Option<&std::collections::BTreeSet<String>>,
    err: &mut dyn Write,
) -> std::io::Result<Result<(Facts, String), i32>> {
    if let Some(path) = &c.facts {
        return match read_snapshot(path) {
            Ok(f) => Ok(Ok((f, format!("facts from {}", path.display())))),
            Err(d) => fail_with(err, &[d]).map(Err),
        };
    }
    let ctx = context(c);
    let (facts, timings) = probe::collect(&ctx, needed);
    if c.timings {
        for t in &timings {
            writeln!(
                err,
                "timing: {:<10} {:>8.3} ms",
                t.probe,
                t.took.as_secs_f64() * 1000.0
            )?;
        }
    }
    let subject = match &c.root {
        Some(r) => format!("host tree {}", r.display()),
        None => "this machine".to_string(),
    };
    Ok(Ok((facts, subject)))
}

/// Loads rules, gathers facts and judges them; the run is redacted unless `--no-redact`.
/// `every_fact`: the output prints the facts themselves (json, tickets, `-v`); otherwise only
/// the budget's terms are shown, and only they are redacted and kept (redacting 200 facts
/// nobody prints was a fifth of a check's instructions).
fn judge(
    c: &Common,
    every_fact: bool,
    err: &mut dyn Write,
) -> std::io::Result<Result<(Run, Redactor), i32>> {
    let all = match load_rules(c, err)? {
        Ok(r) => r,
        Err(code) => return Ok(Err(code)),
    };
    let sel = Selection {
        only: c.only.clone(),
        ignore: c.ignore.clone(),
    };
    let unmatched = sel.unmatched(&all);
    if !unmatched.is_empty() {
        let d: Vec<Diagnostic> = unmatched
            .iter()
            .map(|k| {
                Diagnostic::new(
                    "argument",
                    "--only/--ignore",
                    format!("`{k}` names no rule and no area"),
                )
                .help(Some(
                    "`headroom rules list` shows every rule id and area".into(),
                ))
            })
            .collect();
        return fail_with(err, &d).map(Err);
    }
    let rules = sel.apply(all);
    let needed = rules.needed_facts();
    let (facts, subject) = match gather(c, Some(&needed), err)? {
        Ok(x) => x,
        Err(code) => return Ok(Err(code)),
    };
    // Rules judge the real values; only what is printed is redacted: in messages, what they
    // print of the machine (redacting the rules' own words cost a fifth of a check).
    let mut red = Redactor::new(!c.no_redact, c.redact_hosts);
    let mut findings =
        engine::evaluate_scrubbed(&rules, &facts, &sel, &mut |fact, s| red.value(fact, s));
    let summary = engine::summarize(&findings);
    let facts = if every_fact {
        red.facts(&facts)
    } else {
        red.facts(&facts.filter(report::budget::shows))
    };
    for f in &mut findings {
        for (name, v) in &mut f.facts {
            if let Some(crate::facts::Value::Str(s)) = v {
                *s = red.value(Some(name), s);
            }
        }
    }
    let run = Run {
        findings,
        summary,
        facts,
        rules_version: rules.version.clone(),
        subject: red.text(&subject),
    };
    // The process ends right after the report; freeing every rule, compiled expression and
    // fact set one by one was 4 % of a check's instructions (callgrind) for nothing.
    std::mem::forget(rules);
    Ok(Ok((run, red)))
}

fn check(c: &Common, out: &mut dyn Write, err: &mut dyn Write) -> std::io::Result<i32> {
    let every_fact = c.verbose || !matches!(c.format, Format::Human);
    let (run, _) = match judge(c, every_fact, err)? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let summary = run.summary;
    if matches!(
        c.format,
        Format::Env | Format::Flags | Format::Compose | Format::Postgresql
    ) {
        return fail_with(
            err,
            &[Diagnostic::new(
                "argument",
                "--format",
                "env, flags, compose and postgresql are formats of `headroom tune`",
            )
            .help(Some(
                "check prints human, json, markdown, junit or prometheus".into(),
            ))],
        );
    }
    let text = match c.format {
        Format::Human => report::human::render(&run, c.verbose),
        Format::Json => report::json::render(&run),
        Format::Markdown => report::markdown::render(&run),
        Format::Junit => report::junit::render(&run, c.strict),
        Format::Prometheus => report::prometheus::render(&run),
        _ => unreachable!("tune formats rejected above"),
    };
    out.write_all(text.as_bytes())?;
    Ok(engine::exit_code(&summary, c.strict))
}

fn facts_cmd(
    top: &Common,
    f: FactsArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<i32> {
    let c = merge(top, f.common);
    if f.list {
        let mut s = String::new();
        for spec in facts::registry() {
            let unit = spec
                .unit
                .map(|u| {
                    format!(
                        " {}",
                        serde_json::to_string(&u)
                            .unwrap_or_default()
                            .trim_matches('"')
                    )
                })
                .unwrap_or_default();
            s.push_str(&format!(
                "{:<44} {}{unit}\n    {}\n",
                spec.name,
                spec.ty.name(),
                spec.help
            ));
        }
        out.write_all(s.as_bytes())?;
        return Ok(OK);
    }
    let (facts, _) = match gather(&c, None, err)? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let facts = Redactor::new(!c.no_redact, c.redact_hosts).facts(&facts);
    let text = match c.format {
        Format::Json => report::json::render_facts(&Snapshot::new(facts)),
        _ => report::human::render_facts(&facts),
    };
    out.write_all(text.as_bytes())?;
    Ok(OK)
}

fn rules_cmd(r: RulesCommand, out: &mut dyn Write, err: &mut dyn Write) -> std::io::Result<i32> {
    match r {
        RulesCommand::List { rules } => {
            let set = match rules::load(&rules) {
                Ok(s) => s,
                Err(d) => return fail_with(err, &d),
            };
            for rule in &set.rules {
                writeln!(
                    out,
                    "{:<7} {:<9} {:<40} {}",
                    rule.id, rule.area, rule.name, rule.summary
                )?;
            }
            Ok(OK)
        }
        RulesCommand::Explain { id, rules } => {
            let set = match rules::load(&rules) {
                Ok(s) => s,
                Err(d) => return fail_with(err, &d),
            };
            let Some(rule) = set.get(&id) else {
                return fail_with(
                    err,
                    &[
                        Diagnostic::new("argument", "rules explain", format!("no rule `{id}`"))
                            .help(Some("`headroom rules list` shows every rule".into())),
                    ],
                );
            };
            out.write_all(crate::docs::explain(rule).as_bytes())?;
            Ok(OK)
        }
        RulesCommand::Lint { dir } => match rules::load_dir(&dir) {
            Ok(set) => {
                writeln!(
                    out,
                    "{}: {} rules, no problems",
                    dir.display(),
                    set.rules.len()
                )?;
                Ok(OK)
            }
            Err(d) => fail_with(err, &d),
        },
    }
}

fn report_cmd(
    top: &Common,
    r: ReportArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<i32> {
    let c = merge(top, r.common);
    let (run, red) = match judge(&c, true, err)? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let mut red = red;
    let logs = report::ticket::log_excerpts(&c.log, 20);
    let text = report::ticket::render(&run, &mut red, &logs);
    if let Some(code) = emit(r.output.as_deref(), r.force, &text, out, err)? {
        return Ok(code);
    }
    Ok(engine::exit_code(&run.summary, c.strict))
}

/// Prints `text`, or writes it to `-o FILE`; `Some(code)` when the file could not be written.
fn emit(
    output: Option<&Path>,
    force: bool,
    text: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<Option<i32>> {
    match output {
        None => out.write_all(text.as_bytes())?,
        Some(path) => {
            if let Err(d) = write_new_file(path, text, force) {
                return fail_with(err, &[d]).map(Some);
            }
            writeln!(err, "wrote {}", path.display())?;
        }
    }
    Ok(None)
}

/// Writes a file the user asked for; never over an existing one without `--force`.
#[allow(clippy::result_large_err)] // a cold path that ends the run
pub fn write_new_file(path: &Path, text: &str, force: bool) -> Result<(), Diagnostic> {
    let shown = path.display().to_string();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true);
    if force {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    let mut f = opts.open(path).map_err(|e| {
        let d = Diagnostic::new(
            "output",
            &shown,
            format!("cannot write: {}", probe::host::describe(&e)),
        );
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            d.help(Some("the file exists; pass --force to overwrite it".into()))
        } else {
            d
        }
    })?;
    f.write_all(text.as_bytes()).map_err(|e| {
        Diagnostic::new(
            "output",
            &shown,
            format!("cannot write: {}", probe::host::describe(&e)),
        )
    })
}

fn tune_cmd(
    top: &Common,
    r: ReportArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<i32> {
    let c = merge(top, r.common);
    if matches!(
        c.format,
        Format::Markdown | Format::Junit | Format::Prometheus
    ) {
        return fail_with(
            err,
            &[Diagnostic::new(
                "argument",
                "--format",
                "tune prints human, env, flags, compose, postgresql or json",
            )],
        );
    }
    let rules = match load_rules(&c, err)? {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let (facts, _) = match gather(&c, None, err)? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let plan = match crate::tune::plan(&facts, &rules) {
        Ok(p) => p,
        Err(e) => {
            return fail_with(
                err,
                &[Diagnostic::new(
                    "tune",
                    "this machine",
                    format!("cannot tune: {e}"),
                )],
            );
        }
    };
    let argv = if c.facts.is_none() {
        let ctx = context(&c);
        crate::stack::project(&ctx)
            .and_then(|p| crate::stack::gunicorn_service(&p).map(crate::stack::argv))
    } else {
        None
    };
    let text = match c.format {
        Format::Env => crate::tune::render_env(&plan),
        Format::Flags => crate::tune::render_flags(&plan),
        Format::Compose => crate::tune::render_compose(&plan, argv.as_deref()),
        Format::Postgresql => crate::tune::render_postgresql(&plan),
        Format::Json => crate::tune::render_json(&plan),
        _ => crate::tune::render_human(&plan),
    };
    if let Some(code) = emit(r.output.as_deref(), r.force, &text, out, err)? {
        return Ok(code);
    }
    Ok(if plan.still_failing.is_empty() {
        OK
    } else {
        FINDINGS
    })
}
