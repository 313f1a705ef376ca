//! A `--facts` snapshot from anywhere, judged by the shipped rule packs.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    static RULES: OnceLock<headroom::rules::RuleSet> = OnceLock::new();
    let rules = RULES.get_or_init(|| {
        headroom::rules::load::load_embedded().unwrap_or_else(|_| panic!("shipped rules load"))
    });
    if let Ok(snap) = serde_json::from_slice::<headroom::facts::Snapshot>(data) {
        let findings = headroom::engine::evaluate(rules, &snap.facts, &Default::default());
        let _ = headroom::engine::summarize(&findings);
    }
});
