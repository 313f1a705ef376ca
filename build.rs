//! Embeds every `rules/*.yaml` pack in the binary, so adding a pack is adding a file.
//!
//! Two forms are generated: the file texts (for `rules::load` with spans, which the tests run
//! over the shipped packs so they get the same validation as a user's `--rules DIR`), and a
//! static table of the same rules, so a normal run parses no YAML at start-up. YAML parsing
//! cost ~1.2 ms for 15 rules, a third of the whole speed budget.

use serde::Deserialize;

#[path = "src/rules/fnv.rs"]
mod fnv;
#[path = "src/rules/ir.rs"]
#[allow(dead_code)] // the loader's half (root, args, infix) is for the crate
mod ir;
use std::fmt::Write as _;
use std::path::Path;

#[derive(Deserialize)]
struct Rule {
    id: Option<serde_saphyr::Spanned<String>>,
    name: Option<String>,
    area: Option<String>,
    summary: Option<String>,
    outcomes: Option<Vec<serde_saphyr::Spanned<std::collections::BTreeMap<String, Outcome>>>>,
    remediation: Option<String>,
    why: Option<String>,
    exceptions: Option<String>,
}

#[derive(Deserialize)]
struct Outcome {
    when: Option<String>,
    message: Option<String>,
}

/// Lowers a shipped condition. A shipped expression evalexpr cannot parse is a build error;
/// `headroom rules lint rules/` explains it in full (types are checked by the tests).
fn lower(expr: &str, file: &str) -> Vec<ir::Node> {
    let tree = evalexpr::build_operator_tree::<evalexpr::DefaultNumericTypes>(expr)
        .unwrap_or_else(|e| panic!("{file}: cannot parse `{expr}`: {e}"));
    ir::lower(&tree).unwrap_or_else(|e| panic!("{file}: `{expr}`: {e}"))
}

/// Splits and lowers a shipped message template, as `Template::parse` does (a test holds the
/// two equal). `x.source` names where fact `x` came from.
fn pieces(message: &str, file: &str) -> Vec<ir::Piece> {
    use std::borrow::Cow;
    let raw = ir::split_template(message)
        .unwrap_or_else(|at| panic!("{file}: unclosed `{{{{` at byte {at} of {message:?}"));
    raw.into_iter()
        .map(|r| match r {
            ir::Raw::Text(t) => ir::Piece::Text(Cow::Owned(t.to_string())),
            ir::Raw::Hole(_, inner) => match inner.strip_suffix(".source") {
                Some(name) if is_fact_name(name) => ir::Piece::Source(Cow::Owned(name.to_string())),
                _ => {
                    let (expr, filter) = ir::split_filter(inner)
                        .unwrap_or_else(|f| panic!("{file}: unknown filter `{f}`"));
                    ir::Piece::Expr(Cow::Owned(lower(expr, file)), filter)
                }
            },
        })
        .collect()
}

fn is_fact_name(s: &str) -> bool {
    s.contains('.')
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// Links the `headroom` binary as a position-dependent executable on Linux/glibc. A PIE's 5,500
/// relative relocations are applied by the dynamic loader at every start, writing (and so
/// faulting in) ~100 KiB of pages. Measured on the 2-CPU test machine (`perf stat -e
/// page-faults`, hyperfine in one run): 272 → 243 page faults per check, median 7.0 → 6.6 ms.
/// The objects stay position-independent and proc-macros and build scripts are untouched; only
/// the final link of our binaries changes. The cost is ASLR for headroom's own code (libraries
/// and stack stay randomised): the README says so.
fn link_args() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let static_crt = std::env::var("CARGO_CFG_TARGET_FEATURE")
        .unwrap_or_default()
        .split(',')
        .any(|f| f == "crt-static");
    if os == "linux" && env == "gnu" && !static_crt {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}

fn main() {
    link_args();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    // (id, the texts `rules::load::fingerprint` hashes, in its order), to fingerprint the
    // shipped set here rather than hash 100 KB of rule text on every run.
    let mut hashed: Vec<(String, Vec<String>)> = Vec::new();
    let mut texts = String::from("&[\n");
    let mut table = String::from("&[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let _ = writeln!(
            texts,
            "    ({name:?}, include_str!({:?})),",
            f.display().to_string()
        );
        let text = std::fs::read_to_string(f).unwrap_or_default();
        // A broken shipped pack is a build error; `headroom rules lint rules/` explains it in full.
        let rules: Vec<serde_saphyr::Spanned<Rule>> = match serde_saphyr::from_str(&text) {
            Ok(r) => r,
            Err(e) => panic!("rules/{name} is not valid: {e}\n(run `headroom rules lint rules/`)"),
        };
        for r in rules {
            let line = r.referenced.line();
            let r = r.value;
            let id = r.id.as_ref().map(|s| s.value.clone()).unwrap_or_default();
            let mut facts = std::collections::BTreeSet::new();
            let mut outs = String::new();
            let mut parts: Vec<String> = [&r.why, &r.remediation, &r.summary]
                .into_iter()
                .map(|p| p.clone().unwrap_or_default())
                .collect();
            let file = format!("rules/{name}");
            for o in r.outcomes.unwrap_or_default() {
                let oline = o.referenced.line();
                for (status, body) in o.value {
                    let when_ir = body.when.as_deref().map(|w| lower(w, &file));
                    let msg = body.message.unwrap_or_default();
                    let message_ir = pieces(&msg, &file);
                    parts.push(body.when.clone().unwrap_or_default());
                    parts.push(msg.clone());
                    for nodes in when_ir.iter() {
                        facts.extend(ir::facts(nodes).map(str::to_string));
                    }
                    facts.extend(ir::template_facts(&message_ir).map(str::to_string));
                    let when_ir =
                        when_ir.map_or("None".to_string(), |n| format!("Some({})", ir::emit(&n)));
                    let _ = write!(
                        outs,
                        "StaticOutcome {{ status: {status:?}, when: {:?}, message: {msg:?}, line: {oline}, when_ir: {when_ir}, message_ir: {} }}, ",
                        body.when,
                        ir::emit_pieces(&message_ir),
                    );
                }
            }
            hashed.push((id.clone(), parts));
            let facts: Vec<String> = facts
                .into_iter()
                .map(|f| format!("Cow::Borrowed({f:?})"))
                .collect();
            let _ = writeln!(
                table,
                "    StaticRule {{ file: {:?}, line: {line}, id: {id:?}, name: {:?}, area: {:?}, summary: {:?}, remediation: {:?}, why: {:?}, exceptions: {:?}, outcomes: &[{outs}], facts: &[{}] }},",
                format!("rules/{name}"),
                r.name.unwrap_or_default(),
                r.area.unwrap_or_default(),
                r.summary.unwrap_or_default(),
                r.remediation.unwrap_or_default(),
                r.why.unwrap_or_default(),
                r.exceptions,
                facts.join(", "),
            );
        }
    }
    texts.push(']');
    table.push(']');
    // Same order and algorithm as `rules::load::fingerprint` (a test holds them equal).
    hashed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut h = fnv::START;
    for (id, parts) in &hashed {
        h = fnv::fold(h, id.as_bytes());
        for p in parts {
            h = fnv::fold(h, p.as_bytes());
        }
    }
    let version = format!("{:?}", fnv::version(h));
    let out = std::env::var("OUT_DIR").unwrap_or_default();
    for (file, body) in [
        ("embedded_rules.rs", &texts),
        ("embedded_table.rs", &table),
        ("embedded_version.rs", &version),
    ] {
        let dest = Path::new(&out).join(file);
        if let Err(e) = std::fs::write(&dest, body) {
            panic!("cannot write {}: {e}", dest.display());
        }
    }
}
