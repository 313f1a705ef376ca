//! A Compose project as Compose reads it: the YAML before the first NUL byte, a `.env` after
//! it, loaded with interpolation, merging and size parsing through `compose::collect`.
#![no_main]
use headroom::facts::Facts;
use headroom::probe::host::Host;
use headroom::probe::inputs::Inputs;
use headroom::probe::Ctx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (yaml, env) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(dir) = tempfile::tempdir() else { return };
    let file = dir.path().join("compose.yaml");
    if std::fs::write(&file, yaml).is_err() || std::fs::write(dir.path().join(".env"), env).is_err() {
        return;
    }
    let mut host = Host::fixture(dir.path());
    host.env.insert("TAG".into(), "1.0".into());
    let ctx = Ctx {
        host,
        inputs: Inputs {
            compose_files: vec![file],
            ..Default::default()
        },
    };
    let mut facts = Facts::new();
    headroom::compose::collect(&ctx, &mut facts);
    if let Ok(text) = std::str::from_utf8(yaml) {
        let _ = headroom::compose::yaml::parse(text);
        let lookup = |k: &str| (k == "TAG").then(|| "1.0".to_string());
        let _ = headroom::compose::interpolate::substitute(text, &lookup);
        let _ = headroom::compose::sizes::ram_in_bytes(text);
        let _ = headroom::compose::sizes::go_duration(text);
    }
});
