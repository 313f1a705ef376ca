#!/usr/bin/env bash
# Builds a static x86_64 headroom that runs alone in a FROM-scratch container or on any Linux.
#
#   scripts/build-static.sh        # prints the path of the binary on stdout
#
# Prefers the musl target when it is installed (`rustup target add x86_64-unknown-linux-musl`);
# without it (no download is possible on some build machines) links glibc statically
# (`-C target-feature=+crt-static`), position-dependent like the normal build (see build.rs:
# no relocations to apply at start-up, ~200 page faults per check). Caveat of that fallback: a static
# glibc cannot load NSS plugins, so host names in --postgres/--url may not resolve where
# /etc/nsswitch.conf relies on them (IP addresses and unix sockets are unaffected). Prefer musl
# for release binaries.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
target_dir="${CARGO_TARGET_DIR:-$here/target}"

if rustup target list --installed 2>/dev/null | grep -qx 'x86_64-unknown-linux-musl'; then
    triple=x86_64-unknown-linux-musl
    cargo build --release --locked --target "$triple" >&2
else
    triple=x86_64-unknown-linux-gnu
    echo "musl target not installed; linking glibc statically (+crt-static)" >&2
    RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static -C relocation-model=static" \
        cargo build --release --locked --target "$triple" >&2
fi
bin="$target_dir/$triple/release/headroom"
if ! file "$bin" | grep -Eq 'statically linked|static-pie linked'; then
    echo "error: $bin is not statically linked: $(file "$bin")" >&2
    exit 1
fi
echo "$bin"
