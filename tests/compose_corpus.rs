//! Robustness: every real-world Compose file in the shared corpus (`../shared/corpus`, listed in
//! its MANIFEST.tsv) is read without a panic, and a summary says what could not be resolved.
//!
//! Each corpus compose file is copied (at run time, into a temporary directory — the corpus is
//! not part of this repository) as `compose.yaml`, with the same repository's env file, if the
//! corpus has one, as `.env`: the way a user sets a project up from its examples. Set
//! `HEADROOM_CORPUS` to point elsewhere. `scripts/corpus-compose.sh` runs this with the summary.

use headroom::compose;
use headroom::facts::{Fact, Facts};
use headroom::probe::{Ctx, Host, Inputs};
use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    std::env::var_os("HEADROOM_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
        PathBuf::from,
    )
}

#[test]
fn every_corpus_compose_file_is_read_without_a_crash() {
    let dir = corpus_dir();
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap_or_else(|e| {
        panic!(
            "the Compose corpus is missing ({}: {e}); it lives in the shared workspace next to the repository, or set HEADROOM_CORPUS",
            dir.display()
        )
    });
    let rows: Vec<Vec<&str>> = manifest
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    fn field<'a>(r: &[&'a str], i: usize) -> &'a str {
        r.get(i).copied().unwrap_or_default()
    }
    let mut loaded = 0;
    let mut failed = Vec::new();
    let mut total = 0;
    for r in &rows {
        let (file, repo) = (field(r, 0), field(r, 1));
        let is_yaml = file.ends_with(".yml") || file.ends_with(".yaml");
        if !(file.starts_with("compose/") || (file.starts_with("postgres/") && is_yaml)) {
            continue;
        }
        total += 1;
        let tmp = tempfile::tempdir().expect("temp dir");
        let text = std::fs::read(dir.join(file)).expect("corpus file readable");
        std::fs::write(tmp.path().join("compose.yaml"), &text).expect("write");
        let env = rows
            .iter()
            .find(|e| field(e, 1) == repo && field(e, 0).starts_with("env/"));
        if let Some(e) = env {
            std::fs::copy(dir.join(field(e, 0)), tmp.path().join(".env")).expect("copy env");
        }
        // One context per attempt, as one per run: a run reads the project once (memoised), so a
        // retry after writing a placeholder must be a new run.
        let new_ctx = || Ctx {
            host: Host::fixture(tmp.path()),
            inputs: Inputs::default(),
        };
        let env_note = if env.is_some() { " +.env" } else { "" };
        // A project whose `env_file:` is not in the corpus is retried with that file empty, so the
        // rest of it is still exercised; the summary says so.
        let mut placeholders = Vec::new();
        let facts = loop {
            let ctx = new_ctx();
            let result = std::panic::catch_unwind(|| {
                let mut facts = Facts::new();
                compose::collect(&ctx, &mut facts);
                facts
            });
            let facts = result.unwrap_or_else(|_| panic!("{file}: headroom panicked"));
            let missing = facts
                .str("compose.error")
                .and_then(|e| e.split("env file ").nth(1))
                .and_then(|rest| rest.strip_suffix(" not found"))
                .map(PathBuf::from)
                .filter(|p| p.starts_with(tmp.path()) && placeholders.len() < 10);
            match missing {
                Some(p) => {
                    if let Some(parent) = p.parent() {
                        std::fs::create_dir_all(parent).expect("mkdir");
                    }
                    std::fs::write(&p, "").expect("placeholder");
                    placeholders.push(
                        p.strip_prefix(tmp.path())
                            .unwrap_or(&p)
                            .display()
                            .to_string(),
                    );
                }
                None => break facts,
            }
        };
        let env_note = if placeholders.is_empty() {
            env_note.to_string()
        } else {
            format!(
                "{env_note} (empty placeholder env_file: {})",
                placeholders.join(", ")
            )
        };
        let value = |n: &str| match facts.get(n) {
            Some(Fact::Known { value, .. }) => format!("{value:?}"),
            Some(Fact::Unknown { unknown }) => format!("unknown ({unknown})"),
            None => "missing".to_string(),
        };
        let error = facts.str("compose.error").unwrap_or_default().to_string();
        if error.is_empty() {
            loaded += 1;
            println!(
                "ok    {file}{env_note}: {} services, {} without mem_limit, limits total {}, {} unset variables {}",
                value("compose.services"),
                value("compose.services_without_mem_limit"),
                value("compose.mem_limit_total"),
                value("compose.unset_variables"),
                facts
                    .str("compose.unset_variable_first")
                    .unwrap_or_default()
            );
        } else {
            println!("error {file}{env_note}: {error}");
            failed.push(file.to_string());
        }
        // Every fact the loader set must be documented, whatever the input.
        for (name, _) in facts.iter() {
            assert!(
                headroom::facts::lookup(name).is_some(),
                "{file}: undocumented fact {name}"
            );
        }
    }
    println!(
        "corpus: {total} files, {loaded} loaded, {} not resolved: {failed:?}",
        failed.len()
    );
    assert!(
        total >= 25,
        "expected the corpus compose files, found {total}"
    );
    // Most of the corpus is ordinary Compose; a regression that stops us reading it must fail.
    assert!(
        loaded * 10 >= total * 7,
        "only {loaded} of {total} corpus files loaded"
    );
}
