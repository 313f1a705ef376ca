//! FNV-1a over the rule texts, for the rule set's fingerprint. Shared with `build.rs` (which
//! includes this file), so the shipped set's fingerprint computed at build time and the one a
//! run computes for `--rules` packs cannot drift apart. The fact registry's name index hashes
//! with it too.

/// The FNV-1a offset basis: the hash of nothing.
pub const START: u64 = 0xcbf2_9ce4_8422_2325;

/// Folds `bytes` into `h`. Tiny, and stable across builds and platforms (std's hasher is not).
pub fn fold(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// `<crate version>+<high 32 bits of the hash>`.
pub fn version(h: u64) -> String {
    format!("{}+{:08x}", env!("CARGO_PKG_VERSION"), h >> 32)
}
