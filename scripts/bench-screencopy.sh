#!/bin/sh
# Time per full 1920x1080 capture through wlr-screencopy with shm (Debian's grim, raw PPM so no
# PNG encoding counts; and our canopy-capture client) and through ext-image-copy-capture
# (canopy-capture, the frame read back but not written) against `canopy msg screenshot` (render
# and PNG in the compositor), on one headless canopy in the same run; medians of N runs and their
# ratios. Uses target/debug unless CANOPY_BIN names another directory.
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
cap() { ms "$B/canopy-capture" "$1" --output HEADLESS-1 --no-file "$dir"; }
wlr=$(for _ in $(seq "$N"); do cap wlr; done | median)
ext=$(for _ in $(seq "$N"); do cap ext; done | median)
echo "grim -t ppm (screencopy, shm):             median $grim ms"
echo "canopy-capture wlr (screencopy, shm):      median $wlr ms"
echo "canopy-capture ext (image-copy-capture):   median $ext ms"
echo "canopy msg screenshot:                     median $msg ms"
ratio() { awk "BEGIN {printf \"%.2f\", $1 / $2}"; }
echo "ratios: grim / msg $(ratio "$grim" "$msg"), ext / msg $(ratio "$ext" "$msg"), ext / wlr $(ratio "$ext" "$wlr")"
