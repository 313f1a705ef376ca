//! A rule pack as a user would hand it to `--rules DIR`: YAML, conditions, templates and all.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    if std::fs::write(dir.path().join("rules.yaml"), data).is_err() {
        return;
    }
    if let Ok(set) = headroom::rules::load::load_dir(dir.path()) {
        // A pack that loads must also judge any facts without panicking.
        let facts = headroom::facts::Facts::new();
        let _ = headroom::engine::evaluate(&set, &facts, &Default::default());
    }
});
