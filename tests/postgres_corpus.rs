//! Real-world PostgreSQL configuration from public projects (`shared/corpus/postgres/`, read in
//! place, never copied into the repo) and the packaged `postgresql.conf.sample`: every file must
//! read without an error, with every modelled fact known, and equal to what the real server makes
//! of the same file (`postgres -C`, which prints base units and exits without starting).
//! A Compose `command:` list from the corpus goes through `settings_from_args` the same way.

mod pg_support;

use headroom::facts::{Facts, Value};
use headroom::postgres::{self, params};
use headroom::probe::{Ctx, Host, Inputs};
use pg_support::Pg;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `$HEADROOM_CORPUS`, `<repo>/../shared/corpus`, or `/work/shared/corpus`.
fn corpus() -> PathBuf {
    let candidates = [
        std::env::var_os("HEADROOM_CORPUS").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")),
        Some(PathBuf::from("/work/shared/corpus")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("postgres").is_dir())
        .expect("corpus not found: set HEADROOM_CORPUS to the shared/corpus directory")
}

/// The lc_* settings of these files name locales this machine may not have (`en_US.utf8`), and
/// the server refuses a whole file for one bad value even when the command line overrides it. So
/// the server gets a copy with those lines commented out; they are not modelled, and headroom
/// reads the file as published.
fn without_locales(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.trim_start().starts_with("lc_") {
                format!("# {l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the server makes of `args`, per modelled parameter, as the fact would hold it.
fn server_values(pg: &Pg, args: &[String]) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut mwm = None;
    for p in params::PARAMS.iter().filter(|p| p.exists_in(pg.major)) {
        let raw = pg
            .show_c(args, p.name)
            .unwrap_or_else(|e| panic!("postgres -C {}: {e}", p.name));
        let v = match p.kind(pg.major) {
            // `-C` prints base units; the unit is pg_settings.unit, which the diff test checks.
            params::Kind::Int { unit, .. } => {
                let n: i64 = raw.parse().unwrap();
                match unit.bytes() {
                    Some(b) if n != -1 => (n * b).to_string(),
                    _ => n.to_string(),
                }
            }
            params::Kind::Real { .. } => format!("{}", raw.parse::<f64>().unwrap()),
            params::Kind::Enum(_) => raw,
        };
        if p.name == "maintenance_work_mem" {
            mwm = Some(v.clone());
        }
        out.push((p.name, v));
    }
    for (name, v) in &mut out {
        // -1 is what the file says; the facts hold what the server derives from it.
        if *name == "autovacuum_work_mem" && v == "-1" {
            *v = mwm.clone().unwrap();
        }
    }
    // wal_buffers = -1 is only resolved once shared memory is sized, after -C prints.
    out.retain(|(name, v)| !(*name == "wal_buffers" && v == "-1"));
    out
}

fn fact_text(f: &Facts, name: &str) -> String {
    match f.value(&format!("postgres.{name}")) {
        Some(Value::Int(i)) => i.to_string(),
        Some(Value::Float(x)) => format!("{x}"),
        Some(Value::Str(s)) => s.clone(),
        Some(other) => format!("{other:?}"),
        None => format!("unknown: {}", f.why_unknown(&format!("postgres.{name}"))),
    }
}

fn read_conf(path: &Path, major: u32) -> Facts {
    let ctx = Ctx {
        host: Host::live(Duration::from_secs(2)),
        inputs: Inputs {
            postgres_conf: Some(path.to_path_buf()),
            postgres_version: Some(major),
            ..Inputs::default()
        },
    };
    let mut f = Facts::new();
    postgres::collect(&ctx, &mut f);
    f
}

#[test]
fn corpus_files_read_like_the_server() {
    let pg = Pg::init();
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus().join("postgres"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "expected the corpus's postgresql.conf files, found {files:?}"
    );
    let sample = pg
        .bin
        .parent()
        .and_then(|d| d.file_name())
        .map(|v| {
            PathBuf::from(format!(
                "/usr/share/postgresql/{}/postgresql.conf.sample",
                v.to_string_lossy()
            ))
        })
        .filter(|p| p.exists())
        .expect("postgresql.conf.sample missing: run scripts/setup/postgres.sh");
    files.push(sample);

    let mut mismatches = Vec::new();
    let mut compared = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file).unwrap();
        let facts = read_conf(file, pg.major);
        // The server reads its copy from a place it may open.
        let copy = pg.write(&format!("corpus/{name}"), &without_locales(&text));
        assert_eq!(
            facts.int("postgres.conf_errors"),
            Some(0),
            "{name}: {:?}",
            facts.source("postgres.conf_errors")
        );
        let sb = facts.int("postgres.shared_buffers").unwrap();
        assert!(
            (128 * 1024..=64 << 30).contains(&sb),
            "{name}: shared_buffers {sb}"
        );
        let worst = facts.int("postgres.worst_case_bytes").unwrap();
        assert!(
            worst > sb,
            "{name}: worst case {worst} ≤ shared_buffers {sb}"
        );
        let args = vec!["-c".to_string(), format!("config_file={}", copy.display())];
        for (p, want) in server_values(&pg, &args) {
            compared += 1;
            let got = fact_text(&facts, p);
            if got != want {
                mismatches.push(format!("{name}: {p}: headroom {got}, server {want}"));
            }
        }
        eprintln!(
            "{name}: shared_buffers {} MiB, worst case {} MiB",
            sb >> 20,
            worst >> 20
        );
    }
    eprintln!(
        "{} files, {compared} settings compared, {} mismatches",
        files.len(),
        mismatches.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn compose_command_list_from_the_corpus() {
    let path = corpus().join("postgres/wger-project__docker__services__postgres.yaml");
    let text = std::fs::read_to_string(&path).expect("wger compose snippet in the corpus");
    let doc: serde_json::Value = serde_saphyr::from_str(&text).expect("valid YAML");
    let command: Vec<String> = doc["services"]["db"]["command"]
        .as_array()
        .expect("list-form command")
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let v = postgres::Version {
        major: 15,
        source: "image postgres:15-alpine".into(),
    };
    let mut facts = Facts::new();
    postgres::record_command(&v, &command, &mut facts).unwrap();
    assert_eq!(facts.str("postgres.source"), Some("command"));
    assert_eq!(facts.int("postgres.conf_errors"), Some(0));
    assert_eq!(facts.int("postgres.shared_buffers"), Some(256 << 20));
    assert_eq!(facts.int("postgres.effective_cache_size"), Some(768 << 20));
    assert_eq!(facts.int("postgres.work_mem"), Some(8 << 20));
    assert_eq!(facts.int("postgres.max_connections"), Some(30));
    assert_eq!(
        facts.source("postgres.max_connections"),
        Some("command line -c max_connections=30")
    );

    // And the server agrees on the same arguments.
    let pg = Pg::init();
    let args: Vec<String> = command.iter().skip(1).cloned().collect();
    let mut mismatches = Vec::new();
    for (p, want) in server_values(&pg, &args) {
        let got = fact_text(&facts, p);
        if got != want {
            mismatches.push(format!("{p}: headroom {got}, server {want}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
