#!/bin/sh
# Runs inside the test VMs (a chroot into the host's root, see tests/vm/init): starts one part
# of canopy and returns once it is ready, or fails naming what did not come up. Logs go to
# /run/vm/VM-PART.log (the run directory the host shares). BIN is the directory of canopy's
# binaries (the host's target/debug, seen at the same path).
#   guest.sh udev          udevd with the device database filled (libinput and KMS need it)
#   guest.sh compositor [pixman|gles]   canopy --backend udev with that renderer (default pixman)
#   guest.sh compositor-supervised      the same, started again when it dies (as its systemd
#                          unit does); /run/canopy.pid names the one running
#   guest.sh ivshmem       print the BAR file of the ivshmem device (the memory shared with a VM)
#   guest.sh proxy-gui [ARGS…]          canopy-proxy gui for app-vm, accepting the host relay (CID 2)
#   guest.sh panel [HOSTD] canopy-panel showing a fixed time (hostd at HOSTD: VM chips)
#   guest.sh launcher HOSTD            canopy-launcher with the apps of hostd at HOSTD
#   guest.sh lid           a uinput lid switch (canopy-lid-switch), worked by `guest.sh lid-do`
#   guest.sh lid-do CMD…   close | open | flap N MS
#   guest.sh agent CONFIG  canopy-agent (started by NAME-boot.sh of a VM that hostd boots)
#   guest.sh power-button  the ACPI power button (QEMU's system_powerdown) powers the VM off
#   guest.sh msg ARGS…     canopy msg ARGS…
#   guest.sh proxy-guest [ARGS…]        canopy-proxy guest, through the host relay (vsock port 6000
#                          of CID 2); /run/proxy-guest.pid
#   guest.sh client ARGS…  canopy-test-client through the guest proxy; events to /run/vm/client.jsonl,
#                          /run/client.pid
#   guest.sh app PROGRAM ARGS…          a program through the guest proxy (weston-simple-shm, foot)
#   guest.sh context-client VM ARGS…   canopy-test-client in this VM as VM's client (canopy context)
set -eu
: "${BIN:?BIN: the directory of canopy binaries}"
vm=$(hostname)
part=$1
shift
log=/run/vm/$vm-$part.log
ipc=$XDG_RUNTIME_DIR/canopy-wayland-1.sock

# wait_for SECONDS WHAT COMMAND…: poll COMMAND every 0.1 s.
wait_for() {
  secs=$1 what=$2
  shift 2
  n=0
  until "$@" 2>/dev/null; do
    n=$((n + 1))
    if [ $n -ge $((secs * 10)) ]; then
      echo "guest.sh: $vm: no $what after ${secs}s; log $log:" >&2
      tail -n 30 "$log" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
}
# alive PID: the process runs (not a zombie).
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status"; }
# ready PID FILE: FILE exists while PID runs; exits when PID died.
ready() {
  alive "$1" || { echo "guest.sh: $vm: $part exited; log $log:" >&2; tail -n 30 "$log" >&2; exit 1; }
  test -e "$2"
}
logged() { grep -q "$2" "$1"; }
# canopy_udev RENDERER &: the compositor on KMS (it execs, so that $! is canopy's pid).
canopy_udev() {
  export CANOPY_RENDERER="$1" RUST_LOG="${RUST_LOG:-info}"
  exec "$BIN/canopy" --backend udev --socket wayland-1 --config /run/vm/canopy.toml
}

case $part in
udev)
  /lib/systemd/systemd-udevd --daemon > "$log" 2>&1
  udevadm trigger --type=subsystems --action=add
  udevadm trigger --type=devices --action=add
  udevadm settle --timeout=60
  ;;
compositor)
  canopy_udev "${1:-pixman}" > "$log" 2>&1 &
  pid=$!
  wait_for 120 "control socket $ipc" ready $pid "$ipc"
  ;;
compositor-supervised)
  # As canopy.service (Restart=on-failure after 100 ms, given up after 5 starts) and
  # ./demo.sh --crash: a canopy that dies is started again on the same socket.
  renderer=${1:-pixman}
  rm -f /run/canopy.pid
  (
    n=0
    while [ $n -lt 5 ]; do
      n=$((n + 1))
      canopy_udev "$renderer" >> "$log" 2>&1 &
      echo $! > /run/canopy.pid
      wait $! && break
      echo "guest.sh: canopy exited ($?); starting it again" >> "$log"
      sleep 0.1
    done
  ) < /dev/null > /dev/null 2>&1 &
  wait_for 10 "/run/canopy.pid" test -s /run/canopy.pid
  wait_for 120 "control socket $ipc" ready "$(cat /run/canopy.pid)" "$ipc"
  ;;
ivshmem)
  for d in /sys/bus/pci/devices/*; do
    if [ "$(cat "$d/vendor")" = 0x1af4 ] && [ "$(cat "$d/device")" = 0x1110 ]; then
      # Memory decoding on: no driver binds the device, the proxies map the BAR file.
      echo 1 > "$d/enable"
      echo "$d/resource2"
      exit 0
    fi
  done
  echo "guest.sh: $vm: no ivshmem device (PCI 1af4:1110)" >&2
  exit 1
  ;;
proxy-gui)
  WAYLAND_DISPLAY=wayland-1 "$BIN/canopy-proxy" gui --listen vsock:any:5000 --allow-cid 2 --vm app-vm "$@" \
    > "$log" 2>&1 &
  pid=$!
  wait_for 60 "'canopy-proxy gui ready'" logged "$log" "canopy-proxy gui ready"
  alive $pid
  ;;
panel)
  mkdir -p /run/no-power-supply
  WAYLAND_DISPLAY=wayland-1 "$BIN/canopy-panel" --time "2026-11-26 14:05" --hostd "${1:-unix:/run/no-hostd.sock}" \
    --power-supply /run/no-power-supply > "$log" 2>&1 &
  ;;
launcher)
  WAYLAND_DISPLAY=wayland-1 "$BIN/canopy-launcher" --hostd "$1" > "$log" 2>&1 &
  ;;
lid)
  rm -f /tmp/lid /run/vm/lid.log
  mkfifo /tmp/lid
  "$BIN/canopy-lid-switch" --control /tmp/lid --log /run/vm/lid.log > "$log" 2>&1 &
  pid=$!
  wait_for 60 "lid switch" ready $pid /run/vm/lid.log
  ;;
lid-do)
  echo "$*" > /tmp/lid
  ;;
agent)
  "$BIN/canopy-agent" --config "$1" > "$log" 2>&1 &
  ;;
power-button)
  ev=
  for d in /sys/class/input/input*; do
    [ "$(cat "$d/name")" = "Power Button" ] && ev=$(basename "$(ls -d "$d"/event*)")
  done
  [ -n "$ev" ] || { echo "guest.sh: $vm: no ACPI power button" >&2; exit 1; }
  # The button sends nothing else: one event (24 bytes) is a press.
  (dd if="/dev/input/$ev" bs=24 count=1 of=/dev/null 2>/dev/null
    echo "power button: powering off"
    busybox poweroff -f) > "$log" 2>&1 &
  ;;
msg)
  "$BIN/canopy" msg --socket "$ipc" "$@"
  ;;
proxy-guest)
  # (A socket left by an earlier guest proxy would read as ready.)
  rm -f "$XDG_RUNTIME_DIR/wayland-canopy"
  "$BIN/canopy-proxy" guest --connect vsock:2:6000 "$@" > "$log" 2>&1 &
  pid=$!
  echo $pid > /run/proxy-guest.pid
  wait_for 60 "socket wayland-canopy" ready $pid "$XDG_RUNTIME_DIR/wayland-canopy"
  ;;
client)
  WAYLAND_DISPLAY=wayland-canopy "$BIN/canopy-test-client" "$@" > /run/vm/client.jsonl 2> "$log" &
  echo $! > /run/client.pid
  ;;
app)
  WAYLAND_DISPLAY=wayland-canopy "$@" > "$log" 2>&1 &
  ;;
context-client)
  ctx_vm=$1
  shift
  WAYLAND_DISPLAY=wayland-1 "$BIN/canopy" context --vm "$ctx_vm" -- "$BIN/canopy-test-client" "$@" \
    > /run/vm/client.jsonl 2> "$log" &
  ;;
*)
  echo "guest.sh: unknown part $part" >&2
  exit 2
  ;;
esac
