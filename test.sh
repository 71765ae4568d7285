#!/usr/bin/env bash
# Runs the whole canopy test suite: formatting, lints, unit tests, and the end-to-end tests
# that start the real compositor, proxies, daemons and Debian's Wayland clients.
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# Integration tests in tests/ start the other crates' binaries, so build them all first, with
# the libraries: the wlcs runner loads compositor/wlcs's.
cargo build --workspace --bins --lib --quiet
cargo test --workspace --quiet "$@"
