//! Gunicorn error logs, whole and streamed through the line scanner.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut s = headroom::gunicorn::logs::Scanner::new();
    let _ = s.read(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let summary = headroom::gunicorn::logs::parse(text);
        let mut facts = headroom::facts::Facts::new();
        headroom::gunicorn::log_facts(&summary, "fuzz.log", &mut facts);
    }
});
