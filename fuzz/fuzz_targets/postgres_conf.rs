//! postgresql.conf: the lexer, and loading through `include` directives (which may loop).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = headroom::postgres::conf::parse(text);
    let Ok(dir) = tempfile::tempdir() else { return };
    let file = dir.path().join("postgresql.conf");
    if std::fs::write(&file, text).is_err() {
        return;
    }
    let host = headroom::probe::host::Host::fixture(dir.path());
    let _ = headroom::postgres::conf::load(&host, &file);
});
