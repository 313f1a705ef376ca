//! headroom's static reading of `postgresql.conf` against the real server.
//!
//! One cluster is started once per configuration below (units, bare numbers, quoting, includes,
//! include_dir, duplicates, fractions, -1, clamps, `name value` without `=`, command-line `-c`,
//! initdb's own file with `postgresql.auto.conf`). For every modelled parameter the fact headroom
//! derives must equal `pg_settings.setting × unit` of the running server: zero mismatches. Broken
//! configurations must be refused by the server (`postgres -C`) AND reported by headroom. The
//! worst-case model's shared-memory term is checked against the server's `shared_memory_size`.

mod pg_support;

use headroom::facts::{Facts, Value};
use headroom::postgres::{self, conf, model, params};
use headroom::probe::{Ctx, Host, Inputs};
use pg_support::Pg;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

struct Case {
    name: &'static str,
    /// (path relative to the case directory, contents); the first is the main file.
    files: &'static [(&'static str, &'static str)],
    /// Extra server command-line arguments (Compose `command:` style).
    args: &'static [&'static str],
}

const VALID: &[Case] = &[
    Case {
        name: "units",
        files: &[(
            "postgresql.conf",
            "# memory with units, quoted and not\n\
             shared_buffers = 256MB\n\
             work_mem = '8MB'\n\
             maintenance_work_mem = 1GB\n\
             effective_cache_size = '3 GB'\n\
             temp_buffers = '16MB'\n\
             logical_decoding_work_mem = 32768kB\n\
             wal_buffers = '1MB'\n\
             autovacuum_work_mem = '300MB'\n\
             huge_pages = off\n",
        )],
        args: &[],
    },
    Case {
        name: "bare",
        files: &[(
            "postgresql.conf",
            "shared_buffers = 4096\n\
             work_mem = 2048\n\
             maintenance_work_mem = 0x10000\n\
             effective_cache_size = 65536\n\
             temp_buffers = 2000\n\
             wal_buffers = 64\n\
             autovacuum_work_mem = 2048\n\
             max_connections = 010\n\
             superuser_reserved_connections = 2\n\
             logical_decoding_work_mem = '1e5'\n",
        )],
        args: &[],
    },
    Case {
        name: "quoting",
        files: &[(
            "postgresql.conf",
            "shared_buffers = '64MB'\n\
             work_mem = '12\\MB'\n\
             maintenance_work_mem = '\\061\\066MB'\n\
             effective_cache_size='1GB'#comment right after\n\
             \t huge_pages = 'OFF'   \n\
             dynamic_shared_memory_type = 'mmap'\n\
             cluster_name = 'it''s a \\'test\\''\n\
             temp_buffers = '  9MB  '\n",
        )],
        args: &[],
    },
    Case {
        name: "includes",
        files: &[
            (
                "postgresql.conf",
                "shared_buffers = 32MB\n\
                 work_mem = 1MB\n\
                 include 'inc/a.conf'\n\
                 include_if_exists 'no-such-file.conf'\n\
                 Include_Dir 'conf.d'\n\
                 max_connections = 30\n",
            ),
            (
                "inc/a.conf",
                "work_mem = 2MB\ntemp_buffers = 4MB\ninclude 'b.conf'   # relative to inc/\n",
            ),
            (
                "inc/b.conf",
                "maintenance_work_mem = 96MB\nwork_mem = 3MB\n",
            ),
            ("inc/c.conf", "effective_cache_size = 1GB\n"),
            (
                "conf.d/20-second.conf",
                "work_mem = 5MB\nmax_connections = 40\n",
            ),
            (
                "conf.d/10-first.conf",
                "work_mem = 4MB\nshared_buffers = 48MB\ninclude '../inc/c.conf'\n",
            ),
            ("conf.d/05-zero.conf", "temp_buffers = 5MB\n"),
            ("conf.d/ignored.txt", "work_mem = 99MB\n"),
            ("conf.d/.hidden.conf", "work_mem = 98MB\n"),
            ("conf.d/dir.conf/inner.conf", "work_mem = 97MB\n"),
        ],
        args: &[],
    },
    Case {
        name: "duplicates_and_fractions",
        files: &[(
            "postgresql.conf",
            "work_mem = '4mb'   # invalid, but only the last setting of a name is checked\n\
             work_mem = 100.5\n\
             maintenance_work_mem = '0.5GB'\n\
             shared_buffers = '100.5MB'\n\
             temp_buffers = '1001kB'\n\
             effective_cache_size = '1.5GB'\n\
             hash_mem_multiplier = 1.5\n\
             logical_decoding_work_mem = '1.5MB'\n\
             wal_buffers = '100.7kB'\n\
             max_connections = 20\n\
             max_connections = 25\n",
        )],
        args: &[],
    },
    Case {
        name: "forms",
        files: &[(
            "postgresql.conf",
            "max_connections 50\n\
             Work_Mem 16MB\n\
             wal_buffers -1\n\
             autovacuum_work_mem = -1\n\
             maintenance_work_mem 128MB\n\
             superuser_reserved_connections = 5\n\
             autovacuum_max_workers = 5\n\
             max_worker_processes = 12\n\
             max_parallel_workers 6\n\
             max_parallel_workers_per_gather = 3\n\
             max_parallel_maintenance_workers = 4\n\
             HASH_MEM_MULTIPLIER = 3\n\
             huge_pages = try\n\
             shared_memory_type = sysv\n\
             dynamic_shared_memory_type = sysv\n",
        )],
        args: &[],
    },
    Case {
        name: "clamps",
        files: &[(
            "postgresql.conf",
            "wal_buffers = 2\n\
             autovacuum_work_mem = '100kB'\n\
             temp_buffers = '8388608B'\n\
             work_mem = '64kB'\n\
             max_parallel_workers = 0\n\
             huge_pages = false\n",
        )],
        args: &[],
    },
    Case {
        name: "command_line",
        files: &[(
            "postgresql.conf",
            "shared_buffers = 64MB\nwork_mem = 2MB\nmax_connections = 60\n",
        )],
        args: &[
            "-c",
            "work_mem=24MB",
            "-N",
            "40",
            "--maintenance-work-mem=200MB",
            "-B",
            "3000",
        ],
    },
];

/// (path relative to the case directory, contents); the first is the main file.
type Files = &'static [(&'static str, &'static str)];

/// Configurations PostgreSQL refuses: (name, files, text the reason headroom gives must contain).
const INVALID: &[(&str, Files, &str)] = &[
    (
        "bad_unit",
        &[("postgresql.conf", "work_mem = '4mb'\n")],
        "units are case-sensitive",
    ),
    (
        "unquoted_fraction",
        &[("postgresql.conf", "work_mem = 1.5MB\n")],
        "syntax error near token \"MB\"",
    ),
    (
        "below_minimum",
        &[("postgresql.conf", "work_mem = '32kB'\n")],
        "outside the valid range",
    ),
    (
        "bad_octal",
        &[("postgresql.conf", "max_connections = 08\n")],
        "invalid value for max_connections",
    ),
    (
        "bad_enum",
        &[("postgresql.conf", "huge_pages = maybe\n")],
        "available values: off, on, try",
    ),
    (
        "posix_main_segment",
        &[("postgresql.conf", "shared_memory_type = posix\n")],
        "invalid value for shared_memory_type",
    ),
    (
        "missing_include",
        &[("postgresql.conf", "work_mem = 8MB\ninclude 'nope.conf'\n")],
        "could not open configuration file",
    ),
    (
        "missing_include_dir",
        &[("postgresql.conf", "include_dir 'nope.d'\n")],
        "could not open configuration directory",
    ),
    (
        "self_include",
        &[("postgresql.conf", "include 'postgresql.conf'\n")],
        "maximum nesting depth exceeded",
    ),
    (
        "misspelled_name",
        &[("postgresql.conf", "shared_bufers = 64MB\n")],
        "did you mean shared_buffers?",
    ),
    (
        "include_loop",
        &[
            ("postgresql.conf", "include 'loop-b.conf'\n"),
            ("loop-b.conf", "include 'postgresql.conf'\n"),
        ],
        "maximum nesting depth exceeded",
    ),
];

fn ctx(conf: &Path, major: Option<u32>) -> Ctx {
    let mut host = Host::live(Duration::from_secs(5));
    host.root = PathBuf::from("/");
    Ctx {
        host,
        inputs: Inputs {
            postgres_conf: Some(conf.to_path_buf()),
            postgres_version: major,
            ..Inputs::default()
        },
    }
}

/// headroom's facts for a case: the whole probe when there are no arguments, else the file plus
/// `settings_from_args` the way the Compose probe combines them.
fn headroom_facts(conf_path: &Path, args: &[String], major: Option<u32>) -> Facts {
    let c = ctx(conf_path, major);
    let mut facts = Facts::new();
    if args.is_empty() {
        postgres::collect(&c, &mut facts);
        return facts;
    }
    let (version, loaded) = postgres::load_conf(&c, conf_path);
    let mut entries = loaded.entries.clone();
    entries.extend(postgres::settings_from_args(args).expect("args parse"));
    let resolved = postgres::resolve(&version, &entries, &loaded.problems);
    postgres::record(&version, &resolved, "file", &mut facts);
    model::record(&mut facts);
    facts
}

/// `pg_settings` of the running server → (name, expected fact value as text).
fn server_settings(pg: &Pg) -> Vec<(String, String)> {
    let names: Vec<String> = params::PARAMS
        .iter()
        .map(|p| format!("'{}'", p.name))
        .collect();
    let out = pg.psql(&format!(
        "SELECT name, setting, coalesce(unit, ''), vartype FROM pg_settings WHERE name IN ({})",
        names.join(",")
    ));
    let mut rows: BTreeMap<String, String> = BTreeMap::new();
    for l in out.lines().filter(|l| !l.is_empty()) {
        let f: Vec<&str> = l.split('|').collect();
        let (name, setting, unit, vartype) = (f[0], f[1], f[2], f[3]);
        let value = match (vartype, unit) {
            ("integer", "") => setting.to_string(),
            ("integer", _) if setting == "-1" => "-1".to_string(),
            ("integer", u) => {
                // An independent reading of pg_settings units: "8kB", "kB", "MB", "B".
                let per: i64 = match u {
                    "B" => 1,
                    "kB" => 1024,
                    "8kB" => 8192,
                    "MB" => 1 << 20,
                    other => panic!("unexpected unit {other} for {name}"),
                };
                (setting.parse::<i64>().unwrap() * per).to_string()
            }
            ("real", _) => format!("{}", setting.parse::<f64>().unwrap()),
            _ => setting.to_string(),
        };
        rows.insert(name.to_string(), value);
    }
    // pg_settings shows autovacuum_work_mem = -1 as is; the fact is the value in effect, which
    // the documentation defines as maintenance_work_mem.
    if rows.get("autovacuum_work_mem").map(String::as_str) == Some("-1")
        && let Some(m) = rows.get("maintenance_work_mem").cloned()
    {
        rows.insert("autovacuum_work_mem".into(), m);
    }
    rows.into_iter().collect()
}

fn fact_text(f: &Facts, name: &str) -> String {
    match f.value(&format!("postgres.{name}")) {
        Some(headroom::facts::Value::Int(i)) => i.to_string(),
        Some(headroom::facts::Value::Float(x)) => format!("{x}"),
        Some(headroom::facts::Value::Str(s)) => s.clone(),
        Some(other) => format!("{other:?}"),
        None => format!("unknown: {}", f.why_unknown(&format!("postgres.{name}"))),
    }
}

#[test]
fn static_reading_equals_pg_settings() {
    let started = std::time::Instant::now();
    let mut pg = Pg::init();
    let mut mismatches = Vec::new();
    let mut compared = 0;
    let mut shared_checks = Vec::new();

    let mut cases: Vec<(String, PathBuf, Vec<String>, Option<u32>)> = Vec::new();
    for case in VALID {
        let mut main = None;
        for (rel, text) in case.files {
            let p = pg.write(&format!("cases/{}/{rel}", case.name), text);
            main.get_or_insert(p);
        }
        let args: Vec<String> = case.args.iter().map(ToString::to_string).collect();
        cases.push((case.name.to_string(), main.unwrap(), args, Some(pg.major)));
    }
    // initdb's own file inside the data directory, with an ALTER SYSTEM override: the version
    // must come from PG_VERSION and postgresql.auto.conf must be read after the main file.
    // (Written just before that case runs: the server reads the data directory's
    // postgresql.auto.conf whatever config_file says.)
    cases.push((
        "initdb_with_auto_conf".into(),
        pg.data.join("postgresql.conf"),
        vec![],
        None,
    ));

    for (name, conf_path, args, major) in &cases {
        if name == "initdb_with_auto_conf" {
            pg.write("data/postgresql.auto.conf", "work_mem = '12MB'\n");
        }
        let facts = headroom_facts(conf_path, args, *major);
        let mut server_args = Vec::new();
        if !conf_path.starts_with(&pg.data) {
            server_args.push(format!("-c config_file={}", conf_path.display()));
        }
        server_args.extend(args.iter().cloned());
        // pg_ctl -o takes one string; the arguments above have no spaces.
        let joined: Vec<String> = vec![server_args.join(" ")];
        pg.start(&joined)
            .unwrap_or_else(|e| panic!("case {name}: server refused a valid config: {e}"));
        for (pname, want) in server_settings(&pg) {
            compared += 1;
            let got = fact_text(&facts, &pname);
            if got != want {
                mismatches.push(format!("{name}: {pname}: headroom {got}, server {want}"));
            }
        }
        if *name == "quoting" {
            let server = pg.psql("SHOW cluster_name").trim().to_string();
            let loaded = conf::load(&Host::live(Duration::from_secs(1)), conf_path);
            let ours = loaded
                .entries
                .iter()
                .rev()
                .find(|e| e.name == "cluster_name")
                .map(|e| e.value.clone());
            compared += 1;
            if ours.as_deref() != Some(server.as_str()) {
                mismatches.push(format!(
                    "{name}: cluster_name: headroom {ours:?}, server {server:?}"
                ));
            }
        }
        if *name == "initdb_with_auto_conf" {
            assert_eq!(facts.int("postgres.version"), Some(i64::from(pg.major)));
            assert!(
                facts
                    .source("postgres.version")
                    .unwrap()
                    .ends_with("PG_VERSION"),
                "{:?}",
                facts.source("postgres.version")
            );
            assert!(
                facts
                    .source("postgres.work_mem")
                    .unwrap()
                    .contains("postgresql.auto.conf:1"),
                "{:?}",
                facts.source("postgres.work_mem")
            );
        }
        if args.is_empty() {
            assert_eq!(facts.int("postgres.conf_errors"), Some(0), "case {name}");
        }
        pg.stop();

        // shared_memory_size (MB, rounded up) is only computed with the server stopped.
        let sms: i64 = pg
            .show_c(
                &server_args
                    .iter()
                    .flat_map(|a| a.split(' ').map(String::from))
                    .collect::<Vec<_>>(),
                "shared_memory_size",
            )
            .unwrap_or_else(|e| panic!("case {name}: postgres -C shared_memory_size: {e}"))
            .parse()
            .unwrap();
        let model = facts
            .int("postgres.model.shared")
            .expect("model.shared known");
        shared_checks.push((name.clone(), sms, model));
    }

    eprintln!(
        "{} configurations, {compared} settings compared, {} mismatches, {:?}",
        cases.len(),
        mismatches.len(),
        started.elapsed()
    );
    assert!(
        mismatches.is_empty(),
        "static reading differs from the server:\n{}",
        mismatches.join("\n")
    );
    // Every modelled parameter that exists in this major was compared in every configuration.
    let per_case = params::PARAMS
        .iter()
        .filter(|p| p.exists_in(pg.major))
        .count();
    assert!(
        compared >= per_case * cases.len(),
        "{compared} < {per_case} × {}",
        cases.len()
    );

    let mib = 1024 * 1024;
    for (name, sms_mb, model) in shared_checks {
        let actual = sms_mb * mib;
        // shared_memory_size is rounded up to whole MB: the model must not be below it by more
        // than that rounding, nor above it by more than 1 % + 2 MiB.
        assert!(
            model >= actual - mib && model <= actual + actual / 100 + 2 * mib,
            "case {name}: model.shared {} MiB vs server shared_memory_size {sms_mb} MB",
            model / mib
        );
    }
}

#[test]
fn broken_configurations_are_refused_by_both() {
    let pg = Pg::init();
    let mut disagreements = Vec::new();
    for (name, files, expect) in INVALID {
        let mut main = None;
        for (rel, text) in *files {
            let p = pg.write(&format!("bad/{name}/{rel}"), text);
            main.get_or_insert(p);
        }
        let main = main.unwrap();
        let server = pg.show_c(
            &["-c".to_string(), format!("config_file={}", main.display())],
            "work_mem",
        );
        if let Ok(v) = &server {
            disagreements.push(format!("{name}: the server accepted it (work_mem {v})"));
        }
        let facts = headroom_facts(&main, &[], Some(pg.major));
        let errors = facts.int("postgres.conf_errors").unwrap_or(0);
        let reasons: Vec<String> = facts
            .iter()
            .filter_map(|(_, f)| f.unknown_reason().map(String::from))
            .chain(facts.source("postgres.conf_errors").map(String::from))
            .collect();
        if errors == 0 {
            disagreements.push(format!("{name}: headroom reports no error"));
        }
        if !reasons.iter().any(|r| r.contains(expect)) {
            disagreements.push(format!(
                "{name}: no reason mentions {expect:?}: {reasons:?}"
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "headroom and the server disagree:\n{}",
        disagreements.join("\n")
    );
}

#[test]
fn command_line_args_parse_like_the_server() {
    let args: Vec<String> = ["postgres", "-c", "shared_buffers=256MB", "-N", "40"]
        .iter()
        .map(ToString::to_string)
        .collect();
    let e = postgres::settings_from_args(&args).unwrap();
    assert_eq!(e.len(), 2);
    assert_eq!(e[0].origin, "command line -c shared_buffers=256MB");
}

/// The shared-memory term against the server's own `shared_memory_size` over the grid the model
/// was fitted on (shared_buffers 16 MB … 4 GB × max_connections 10 … 1000) plus non-default
/// worker counts: never below the server (beyond its rounding up to whole MB), at most 0.5 % +
/// 2 MiB above it.
#[test]
fn shared_memory_model_brackets_the_server() {
    let pg = Pg::init();
    let version = postgres::Version {
        major: pg.major,
        source: "test".into(),
    };
    let mib = 1024 * 1024;
    let mut worst_over = 0.0_f64;
    let mut bad = Vec::new();
    let grid = [
        ("16MB", "10", "8"),
        ("16MB", "1000", "8"),
        ("128MB", "10", "8"),
        ("128MB", "100", "8"),
        ("128MB", "1000", "8"),
        ("1GB", "10", "8"),
        ("1GB", "100", "64"),
        ("1GB", "1000", "8"),
        ("4GB", "10", "8"),
        ("4GB", "1000", "32"),
    ];
    for (sb, mc, mwp) in grid {
        let args: Vec<String> = [
            format!("shared_buffers={sb}"),
            format!("max_connections={mc}"),
            format!("max_worker_processes={mwp}"),
        ]
        .into_iter()
        .flat_map(|a| ["-c".to_string(), a])
        .collect();
        let sms: i64 = pg
            .show_c(&args, "shared_memory_size")
            .expect("postgres -C shared_memory_size")
            .parse()
            .unwrap();
        let mut facts = Facts::new();
        postgres::record_command(&version, &args, &mut facts).unwrap();
        let model = facts.int("postgres.model.shared").unwrap();
        let actual = sms * mib;
        #[allow(clippy::cast_precision_loss)]
        let over = (model - actual) as f64 / actual as f64 * 100.0;
        worst_over = worst_over.max(over);
        if model < actual - mib || model > actual + actual / 200 + 2 * mib {
            bad.push(format!(
                "sb {sb}, max_connections {mc}, max_worker_processes {mwp}: model {:.1} MiB, server {sms} MB",
                model as f64 / mib as f64
            ));
        }
    }
    eprintln!("shared term at most {worst_over:.2} % above shared_memory_size");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Tricky values, one parameter at a time on the server's command line (same `parse_int` /
/// `parse_real` / enum lookup as the file, without the lexer): headroom must accept exactly what
/// the server accepts, with the same result.
#[test]
fn tricky_values_parse_like_the_server() {
    let pg = Pg::init();
    let cases: &[(&str, &[&str])] = &[
        (
            "work_mem",
            &[
                "64",
                "63",
                "4MB",
                "4mb",
                "4 MB",
                " 4MB",
                "4MB ",
                "4  MB",
                "1.5MB",
                ".5MB",
                "5.MB",
                "1e3",
                "1e3kB",
                "1E3",
                "0x40",
                "0x40kB",
                "010",
                "08",
                "0.0625MB",
                "65536B",
                "100B",
                "1TB",
                "2TB",
                "+64",
                "-64",
                "64.5",
                "65.5",
                "4KB",
                "4Mb",
                "4MBs",
                "4 M B",
                "",
                "x",
                "1,5MB",
                "4096kB",
                "2147483647",
                "2147483648",
            ],
        ),
        (
            "shared_buffers",
            &[
                "16384", "128MB", "1001kB", "100.5MB", "0.5GB", "127kB", "128kB", "15", "8192B",
                "1GB", "1.1GB",
            ],
        ),
        (
            "wal_buffers",
            &["-1", "0", "2", "3", "4", "1MB", "100.7kB", "-2"],
        ),
        ("autovacuum_work_mem", &["-1", "0", "100kB", "1MB", "-2"]),
        (
            "hash_mem_multiplier",
            &[
                "1", "1.5", "2.0", "0.5", "1e1", "1000", "1001", "nan", "inf", "1x", " 2",
            ],
        ),
        (
            "huge_pages",
            &[
                "on", "OFF", "Try", "true", "yes", "1", "0", "no", "maybe", "o",
            ],
        ),
        (
            "max_connections",
            &["10", "0", "262143", "262144", "1.4", "1.6", "0x10"],
        ),
    ];
    let mut disagreements = Vec::new();
    let mut checked = 0;
    for (name, values) in cases {
        let p = params::find(name).unwrap();
        for v in *values {
            checked += 1;
            let args = vec!["-c".to_string(), format!("{name}={v}")];
            let server = pg.show_c(&args, name);
            // The whole path a Compose `command:` takes: arguments → facts.
            let mut facts = Facts::new();
            postgres::record_command(
                &postgres::Version {
                    major: pg.major,
                    source: "test".into(),
                },
                &args,
                &mut facts,
            )
            .unwrap();
            let ours = facts.value(&format!("postgres.{name}")).cloned();
            let expected = server.as_ref().ok().map(|s| match p.kind(pg.major) {
                params::Kind::Int { .. } => {
                    let base: i64 = s.parse().unwrap();
                    // -C prints -1 as given; the fact is what the server derives from the
                    // defaults of the siblings (128 MB shared_buffers, 64 MB maintenance_work_mem).
                    match (*name, base) {
                        ("wal_buffers", -1) => Value::Int(4 << 20),
                        ("autovacuum_work_mem", -1) => Value::Int(64 << 20),
                        _ => Value::Int(base * p.unit().bytes().unwrap_or(1)),
                    }
                }
                params::Kind::Real { .. } => Value::Float(s.parse().unwrap()),
                params::Kind::Enum(_) => Value::Str(s.clone()),
            });
            if ours != expected {
                let server = server.map_err(|e| e.lines().last().unwrap_or_default().to_string());
                disagreements.push(format!(
                    "{name} = {v:?}: headroom {ours:?} ({}), server {server:?}",
                    facts.why_unknown(&format!("postgres.{name}"))
                ));
            }
        }
    }
    eprintln!(
        "{checked} values checked, {} disagreements",
        disagreements.len()
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// One-line files through the lexer: separators, quoting, escapes, comments and line ends in
/// combination. The server (`postgres -C work_mem` with that file) and headroom must agree on
/// whether the file is valid and, when it is, on the value.
#[test]
fn lexer_variants_read_like_the_server() {
    let pg = Pg::init();
    let values = [
        "8MB",
        "'8MB'",
        "'8 MB'",
        "8 MB",
        "1.5MB",
        "'1.5MB'",
        "100.5",
        "0x2000",
        "'\\070MB'",
        "'8''MB'",
        "'4mb'",
        "\"8MB\"",
        "'8MB",
        "8MB'",
        "e",
        "'\\8MB'",
        "+8MB",
        "8MB8",
    ];
    let seps = [" = ", "\t"];
    let ends = ["\n", "  # trailing comment\r\n"];
    let mut disagreements = Vec::new();
    let mut n = 0;
    for v in values {
        for sep in seps {
            for end in ends {
                n += 1;
                let text = format!("# case {n}\nwork_mem{sep}{v}{end}");
                let path = pg.write(&format!("lex/{n}.conf"), &text);
                let server = pg.show_c(
                    &["-c".to_string(), format!("config_file={}", path.display())],
                    "work_mem",
                );
                let facts = headroom_facts(&path, &[], Some(pg.major));
                let errors = facts.int("postgres.conf_errors").unwrap_or(-1);
                let ours = facts.int("postgres.work_mem");
                let agree = match &server {
                    Ok(s) => errors == 0 && ours == Some(s.parse::<i64>().unwrap() * 1024),
                    Err(_) => errors > 0,
                };
                if !agree {
                    let server =
                        server.map_err(|e| e.lines().last().unwrap_or_default().to_string());
                    disagreements.push(format!(
                        "{text:?}: headroom {ours:?} with {errors} errors ({:?}), server {server:?}",
                        facts.source("postgres.conf_errors")
                    ));
                }
            }
        }
    }
    eprintln!("{n} files, {} disagreements", disagreements.len());
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// Every parameter the installed server knows is accepted by headroom's misspelling check: a
/// near-miss of a modelled name must never be a real parameter.
#[test]
fn no_real_parameter_counts_as_a_misspelling() {
    let out = std::process::Command::new(pg_support::bin_dir().join("postgres"))
        .arg("--describe-config")
        .output()
        .expect(pg_support::INSTALL_HINT);
    let entries: Vec<conf::Entry> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split('\t').next())
        .filter(|n| !n.is_empty())
        .map(|n| conf::Entry {
            name: n.to_string(),
            value: String::new(),
            origin: "postgres --describe-config".into(),
        })
        .collect();
    assert!(
        entries.len() > 200,
        "describe-config gave {} names",
        entries.len()
    );
    let flagged = postgres::misspellings(&entries);
    assert!(flagged.is_empty(), "{flagged:?}");
}
