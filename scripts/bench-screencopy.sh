#!/bin/sh
# Time per full 1920x1080 capture through wlr-screencopy with shm (Debian's grim, raw PPM so no
# PNG encoding counts) against `canopy msg screenshot` (render and PNG in the compositor), on one
# headless canopy in the same run; medians of N runs and their ratio. Uses target/debug unless
# CANOPY_BIN names another directory.
set -eu
B=${CANOPY_BIN:-$(dirname "$0")/../target/debug}
N=${N:-15}
dir=$(mktemp -d)
export XDG_RUNTIME_DIR="$dir"
: > "$dir/canopy.toml"
"$B/canopy" --backend headless --socket wayland-bench --config "$dir/canopy.toml" \
    --output HEADLESS-1:1920x1080 > "$dir/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do [ -S "$dir/canopy-wayland-bench.sock" ] && break; sleep 0.1; done
export WAYLAND_DISPLAY=wayland-bench
ms() { s=$(date +%s%N); "$@" > /dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
grim=$(for _ in $(seq "$N"); do ms grim -t ppm "$dir/shot.ppm"; done | median)
msg=$(for _ in $(seq "$N"); do ms "$B/canopy" msg --socket wayland-bench screenshot "$dir/shot.png"; done | median)
echo "grim -t ppm (screencopy, shm): median $grim ms"
echo "canopy msg screenshot:         median $msg ms"
echo "ratio grim / msg: $(awk "BEGIN {printf \"%.2f\", $grim / $msg}")"
