//! Rule conditions (evalexpr) and message templates, compiled and evaluated against known,
//! unknown and oddly typed facts.
#![no_main]
use headroom::facts::Facts;
use headroom::rules::condition::Condition;
use headroom::rules::template::Template;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut facts = Facts::new();
    facts.set("memory.effective_total", 536_870_912_i64, "fuzz");
    facts.set("memory.host_total", i64::MAX, "fuzz");
    facts.set("gunicorn.workers", 0_i64, "fuzz");
    facts.set("gunicorn.timeout", 30.0_f64, "fuzz");
    facts.set("gunicorn.worker_class", "sync", "fuzz");
    facts.set("swap.cgroup_limited", false, "fuzz");
    facts.unknown("postgres.shared_buffers", "fuzz: unknown");
    let mut read = BTreeSet::new();
    if let Ok(c) = Condition::parse(text) {
        let _ = c.holds(&facts, &mut read);
    }
    if let Ok(t) = Template::parse(text) {
        let _ = t.render(&facts, &mut read);
    }
});
