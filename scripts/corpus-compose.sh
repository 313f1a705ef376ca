#!/bin/sh
# Reads every Compose file of the shared corpus (../shared/corpus, or $HEADROOM_CORPUS) with
# headroom and prints one line per file: what loaded, and what could not be resolved and why.
# Fails if headroom panics on any of them. The corpus files are copied to temporary directories
# at run time; none is kept in this repository.
set -eu
cd "$(dirname "$0")/.."
exec cargo test --test compose_corpus -- --nocapture --test-threads=1
