//! How Gunicorn resolves its settings: a command line, `GUNICORN_CMD_ARGS` and a
//! `gunicorn.conf.py`, NUL-separated in that order.
#![no_main]
use headroom::gunicorn::{argv, conf_py, resolve, shlex};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut parts = text.splitn(3, '\0');
    let cmd = parts.next().unwrap_or("");
    let cmd_args = parts.next().unwrap_or("");
    let conf = parts.next().unwrap_or("");
    let mut env = BTreeMap::new();
    env.insert("GUNICORN_CMD_ARGS".to_string(), cmd_args.to_string());
    env.insert("WEB_CONCURRENCY".to_string(), "3".to_string());
    if let Ok(words) = shlex::split(cmd) {
        let _ = argv::parse(&words);
    }
    if let Ok(words) = shlex::split(cmd_args) {
        let _ = argv::parse(&words);
    }
    let _ = conf_py::parse(conf, &conf_py::Env { vars: Some(&env), cpus: Some(2) });
    let Ok(dir) = tempfile::tempdir() else { return };
    if std::fs::write(dir.path().join("gunicorn.conf.py"), conf).is_err() {
        return;
    }
    let mut argv_words = vec!["gunicorn".to_string()];
    argv_words.extend(shlex::split(cmd).unwrap_or_default());
    let r = resolve::resolve_in(&argv_words, &env, dir.path(), Some(dir.path()), Some(2));
    let mut facts = headroom::facts::Facts::new();
    headroom::gunicorn::to_facts(&r, "fuzz", &mut facts);
});
