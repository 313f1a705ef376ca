//! `.env` files (Compose's dotenv dialect), with variable references resolved.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lookup = |k: &str| (k == "HOME").then(|| "/root".to_string());
    let _ = headroom::compose::envfile::parse(data, &lookup);
});
