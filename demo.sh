#!/usr/bin/env bash
# Runs the canopy desktop demo: the compositor, clients from simulated VMs of different trust
# levels, panel and launcher. Nested in a window when a display exists; otherwise headless,
# writing canopy-demo.png.
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh
cargo build --workspace --bins --quiet
exec target/debug/canopy-demo "$@"
