//! Gunicorn's command line as Python's argparse reads it.
//!
//! Gunicorn builds an `argparse.ArgumentParser` from its settings table and parses both `sys.argv`
//! and `shlex.split(GUNICORN_CMD_ARGS)` with it. To know which word is the app and which is an
//! option's value, headroom must follow the same rules (Python 3.11's `argparse`): exact flags,
//! `--flag=value`, `-w4`, chained short flags (`-Dw4`), unambiguous long prefixes (`--timeo 5`),
//! `--` ending options, negative numbers as values, and the errors argparse exits with (status 2).

use super::options::{self, Kind, Opt, Ty};
use super::pyint;

/// A value as argparse stores it, before Gunicorn's validator sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum Raw {
    Int(i64),
    Str(String),
    /// `store_true` (`--preload`) or `store_const` (`--no-sendfile` stores False).
    Bool(bool),
    /// An `append` option's accumulated values (`-b a -b b`).
    List(Vec<String>),
}

/// One option occurrence, in order, with the words the user wrote (for the fact's source).
#[derive(Clone, Debug, PartialEq)]
pub struct Given {
    pub setting: &'static str,
    pub value: Raw,
    pub shown: String,
}

/// What one parse produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parsed {
    pub given: Vec<Given>,
    pub positionals: Vec<String>,
    /// argparse stopped the program (an error exits 2; `--help`/`--version` exit 0).
    pub exit: Option<String>,
}

impl Parsed {
    /// The value argparse ends with for a setting: last occurrence wins, `append` accumulates.
    pub fn last(&self, setting: &str) -> Option<(Raw, String)> {
        let mut found: Option<(Raw, String)> = None;
        for g in self.given.iter().filter(|g| g.setting == setting) {
            match (&mut found, &g.value) {
                (Some((Raw::List(acc), shown)), Raw::List(more)) => {
                    acc.extend(more.iter().cloned());
                    shown.push(' ');
                    shown.push_str(&g.shown);
                }
                _ => found = Some((g.value.clone(), g.shown.clone())),
            }
        }
        found
    }
}

/// How argparse classifies one word (`_parse_optional`).
enum Class {
    Positional,
    /// A known option, with a value attached to the word (`-w4`, `--workers=4`).
    Option(&'static Opt, &'static str, Option<String>),
    Help,
    Version,
    /// Looks like an option but names none: it ends up in "unrecognized arguments".
    Unknown,
}

const HELP: &[&str] = &["-h", "--help"];
const VERSION: &[&str] = &["-v", "--version"];

fn lookup(flag: &str) -> Option<Class> {
    if HELP.contains(&flag) {
        return Some(Class::Help);
    }
    if VERSION.contains(&flag) {
        return Some(Class::Version);
    }
    options::exact(flag).map(|o| Class::Option(o, flag_static(o, flag), None))
}

fn flag_static(o: &'static Opt, flag: &str) -> &'static str {
    o.flags.iter().find(|f| **f == flag).copied().unwrap_or("")
}

fn every_flag() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = options::all_flags().map(|(f, _)| f).collect();
    v.extend(HELP.iter().chain(VERSION.iter()));
    v
}

fn is_negative_number(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('-') else {
        return false;
    };
    // argparse: '^-\d+$|^-\d*\.\d+$'
    if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()) {
        return true;
    }
    match rest.split_once('.') {
        Some((a, b)) => {
            a.chars().all(|c| c.is_ascii_digit())
                && !b.is_empty()
                && b.chars().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

fn classify(word: &str) -> Result<Class, String> {
    if !word.starts_with('-') {
        return Ok(Class::Positional);
    }
    if let Some(c) = lookup(word) {
        return Ok(c);
    }
    if word.len() == 1 {
        return Ok(Class::Positional);
    }
    if let Some((flag, val)) = word.split_once('=')
        && let Some(c) = lookup(flag)
    {
        return Ok(with_explicit(c, val.to_string()));
    }
    // Prefix matching (`allow_abbrev`), as `_get_option_tuples` does it.
    let mut matches: Vec<(&'static str, Option<String>)> = Vec::new();
    if word.starts_with("--") {
        let (prefix, explicit) = match word.split_once('=') {
            Some((p, v)) => (p, Some(v.to_string())),
            None => (word, None),
        };
        for f in every_flag() {
            if f.starts_with(prefix) {
                matches.push((f, explicit.clone()));
            }
        }
    } else {
        let short = word.get(..2).unwrap_or(word);
        let rest = word.get(2..).unwrap_or("");
        for f in every_flag() {
            if f == short {
                matches.push((f, Some(rest.to_string())));
            } else if f.starts_with(word) {
                matches.push((f, None));
            }
        }
    }
    match matches.len() {
        0 => {}
        1 => {
            if let Some((flag, explicit)) = matches.pop()
                && let Some(c) = lookup(flag)
            {
                return Ok(match explicit {
                    Some(v) => with_explicit(c, v),
                    None => c,
                });
            }
        }
        _ => {
            let names: Vec<&str> = matches.iter().map(|(f, _)| *f).collect();
            return Err(format!(
                "ambiguous option: {} could match {}",
                word.split('=').next().unwrap_or(word),
                names.join(", ")
            ));
        }
    }
    if is_negative_number(word) || word.contains(' ') {
        return Ok(Class::Positional);
    }
    Ok(Class::Unknown)
}

fn with_explicit(c: Class, v: String) -> Class {
    match c {
        Class::Option(o, f, _) => Class::Option(o, f, Some(v)),
        other => other,
    }
}

/// argparse's name for an option in error messages: `-w/--workers`.
fn display(o: &Opt) -> String {
    o.flags.join("/")
}

/// Converts a command-line string with the option's argparse `type`.
fn convert(o: &Opt, s: &str) -> Result<Raw, String> {
    let r = match o.ty {
        Ty::Str => return Ok(Raw::Str(s.to_string())),
        Ty::Int => pyint::int10(s),
        Ty::AutoInt => pyint::auto_int(s),
    };
    r.map(Raw::Int).map_err(|_| {
        let ty = if o.ty == Ty::Int { "int" } else { "auto_int" };
        format!("argument {}: invalid {ty} value: {}", display(o), pyrepr(s))
    })
}

/// Python's `repr()` of a str, enough for error messages.
pub fn pyrepr(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

fn store(o: &'static Opt, value: Raw, shown: String) -> Given {
    let value = match (o.kind, value) {
        (Kind::Append, Raw::Str(s)) => Raw::List(vec![s]),
        (_, v) => v,
    };
    Given {
        setting: o.setting,
        value,
        shown,
    }
}

fn flag_value(o: &Opt) -> Raw {
    // `--no-sendfile` is the one `store_const` (False); every other flag is `store_true`.
    Raw::Bool(o.setting != "sendfile")
}

/// Parses words the way `parser.parse_args(words)` does in Gunicorn.
pub fn parse(words: &[String]) -> Parsed {
    let mut p = Parsed::default();
    if let Err(e) = parse_into(words, &mut p) {
        p.exit = Some(e);
    }
    p
}

fn parse_into(words: &[String], p: &mut Parsed) -> Result<(), String> {
    let mut i = 0;
    let mut positional_runs = 0usize;
    let mut in_run = false;
    let mut extras: Vec<String> = Vec::new();
    let mut dashdash = false;
    while i < words.len() {
        let w = &words[i];
        i += 1;
        if dashdash {
            push_positional(p, &mut extras, &mut positional_runs, &mut in_run, w);
            continue;
        }
        if w == "--" {
            dashdash = true;
            continue;
        }
        match classify(w)? {
            Class::Positional => {
                push_positional(p, &mut extras, &mut positional_runs, &mut in_run, w);
                continue;
            }
            Class::Help => return Err("--help: gunicorn prints its usage".into()),
            Class::Version => return Err("--version: gunicorn prints its version".into()),
            Class::Unknown => {
                in_run = false;
                extras.push(w.clone());
            }
            Class::Option(o, flag, explicit) => {
                in_run = false;
                let mut o = o;
                let mut flag = flag;
                let mut explicit = explicit;
                loop {
                    match (o.kind, explicit.take()) {
                        (Kind::Flag, None) => {
                            p.given.push(store(o, flag_value(o), flag.to_string()));
                        }
                        (Kind::Flag, Some(x)) => {
                            // `-Dw4`: a single-dash flag followed by more single-letter options.
                            let single = !flag.starts_with("--");
                            let mut cs = x.chars();
                            let next = cs.next();
                            let next_flag = next.map(|c| format!("-{c}"));
                            let chained = next_flag.as_deref().and_then(options::exact);
                            match (single, chained) {
                                (true, Some(n)) => {
                                    p.given.push(store(o, flag_value(o), flag.to_string()));
                                    let nf = next_flag.unwrap_or_default();
                                    flag = flag_static(n, &nf);
                                    o = n;
                                    let rest: String = cs.collect();
                                    explicit = if rest.is_empty() { None } else { Some(rest) };
                                    continue;
                                }
                                _ => {
                                    return Err(format!(
                                        "argument {}: ignored explicit argument {}",
                                        display(o),
                                        pyrepr(&x)
                                    ));
                                }
                            }
                        }
                        (_, Some(x)) => {
                            let shown = if flag.starts_with("--") {
                                format!("{flag}={x}")
                            } else {
                                format!("{flag}{x}")
                            };
                            p.given.push(store(o, convert(o, &x)?, shown));
                        }
                        (Kind::Optional, None) => {
                            let takes = words.get(i).is_some_and(|n| {
                                n != "--" && matches!(classify(n), Ok(Class::Positional))
                            });
                            if takes {
                                let v = words.get(i).cloned().unwrap_or_default();
                                i += 1;
                                let shown = format!("{flag} {}", super::shlex::quote(&v));
                                p.given.push(store(o, convert(o, &v)?, shown));
                            } else {
                                p.given
                                    .push(store(o, Raw::Str("auto".into()), flag.to_string()));
                            }
                        }
                        (_, None) => {
                            let next = words.get(i);
                            let ok = next.is_some_and(|n| {
                                n != "--" && matches!(classify(n), Ok(Class::Positional))
                            });
                            let Some(v) = next.filter(|_| ok) else {
                                return Err(format!(
                                    "argument {}: expected one argument",
                                    display(o)
                                ));
                            };
                            i += 1;
                            let shown = format!("{flag} {}", super::shlex::quote(v));
                            p.given.push(store(o, convert(o, v)?, shown));
                        }
                    }
                    break;
                }
            }
        }
    }
    if !extras.is_empty() {
        let shown: Vec<String> = extras.iter().map(|e| super::shlex::quote(e)).collect();
        return Err(format!("unrecognized arguments: {}", shown.join(" ")));
    }
    Ok(())
}

/// The app positional (`nargs="*"`) takes the first run of positional words; argparse leaves
/// any later run unrecognized.
fn push_positional(
    p: &mut Parsed,
    extras: &mut Vec<String>,
    runs: &mut usize,
    in_run: &mut bool,
    w: &str,
) {
    if !*in_run {
        *runs += 1;
        *in_run = true;
    }
    if *runs == 1 {
        p.positionals.push(w.to_string());
    } else {
        extras.push(w.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn val(p: &Parsed, s: &str) -> Option<Raw> {
        p.last(s).map(|(v, _)| v)
    }

    #[test]
    fn short_long_attached_and_repeated() {
        let p = parse(&words(
            "-w4 --timeout=60 -t 90 --preload app:app --threads 3",
        ));
        assert_eq!(p.exit, None);
        assert_eq!(val(&p, "workers"), Some(Raw::Int(4)));
        assert_eq!(val(&p, "timeout"), Some(Raw::Int(90)));
        assert_eq!(val(&p, "preload_app"), Some(Raw::Bool(true)));
        assert_eq!(val(&p, "threads"), Some(Raw::Int(3)));
        assert_eq!(p.positionals, ["app:app"]);
        assert_eq!(p.last("timeout").map(|g| g.1), Some("-t 90".to_string()));
    }

    #[test]
    fn flags_do_not_swallow_the_app() {
        let p = parse(&words("-D --reload --preload myapp:create_app() -k gevent"));
        assert_eq!(p.exit, None);
        assert_eq!(p.positionals, ["myapp:create_app()"]);
        assert_eq!(val(&p, "worker_class"), Some(Raw::Str("gevent".into())));
    }

    #[test]
    fn chained_short_flags_and_prefixes() {
        let p = parse(&words("-Dw4 --timeo 5 --graceful 7 app"));
        assert_eq!(p.exit, None);
        assert_eq!(val(&p, "daemon"), Some(Raw::Bool(true)));
        assert_eq!(val(&p, "workers"), Some(Raw::Int(4)));
        assert_eq!(val(&p, "timeout"), Some(Raw::Int(5)));
        assert_eq!(val(&p, "graceful_timeout"), Some(Raw::Int(7)));
    }

    #[test]
    fn bind_appends() {
        let p = parse(&words("-b a:1 --bind=b:2 app"));
        assert_eq!(
            val(&p, "bind"),
            Some(Raw::List(vec!["a:1".into(), "b:2".into()]))
        );
    }

    #[test]
    fn argparse_errors() {
        let p = parse(&words("-w abc app"));
        assert_eq!(
            p.exit.as_deref(),
            Some("argument -w/--workers: invalid int value: 'abc'")
        );
        assert!(
            parse(&words("--work 3 app"))
                .exit
                .unwrap()
                .starts_with("ambiguous option")
        );
        assert!(
            parse(&words("app -t"))
                .exit
                .unwrap()
                .contains("expected one argument")
        );
        assert!(
            parse(&words("--bogus app"))
                .exit
                .unwrap()
                .contains("unrecognized")
        );
        assert!(
            parse(&words("a -w 2 b"))
                .exit
                .unwrap()
                .contains("unrecognized arguments: b")
        );
        assert_eq!(
            val(&parse(&words("-t -5 app")), "timeout"),
            Some(Raw::Int(-5))
        );
    }
}
