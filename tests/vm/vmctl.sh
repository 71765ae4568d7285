#!/bin/sh
# canopy-hostd's command backend in the real-VM test: boots a QEMU guest, powers it off and says
# whether it runs, as a VM host's units do. RUN is the scenario's run directory, where the
# harness wrote VM.qemu.sh (the guest's QEMU command line, see Lab::write_boot_command).
#   vmctl.sh start|stop|status RUN VM
# Logs: RUN/VM-console.log, RUN/VM-qemu.log, and RUN/VM-backend.log (each action, timed).
set -u
action=$1 run=$2 vm=$3
pidf=$run/$vm.pid
mon=$run/$vm.monitor
alive() {
  [ -f "$pidf" ] || return 1
  st=$(cut -d' ' -f3 "/proc/$(cat "$pidf")/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}
note() { echo "$1 $(date +%s.%N)" >> "$run/$vm-backend.log"; }
case $action in
start)
  alive && exit 0
  note start
  # QEMU's human monitor on two FIFOs (pipe:PATH opens PATH.in and PATH.out): the stop below
  # presses the VM's power button through it.
  rm -f "$mon.in" "$mon.out"
  mkfifo "$mon.in" "$mon.out"
  setsid sh "$run/$vm.qemu.sh" -monitor "pipe:$mon" < /dev/null > "$run/$vm-console.log" 2> "$run/$vm-qemu.log" &
  echo $! > "$pidf"
  ;;
stop)
  alive || { rm -f "$pidf"; exit 0; }
  note stop
  # The ACPI power button (system_powerdown): the guest powers itself off, QEMU exits.
  echo system_powerdown > "$mon.in"
  n=0
  while alive; do
    n=$((n + 1))
    if [ $n -ge 1200 ]; then
      echo "$vm did not power off within 120 s after its power button" >&2
      kill -KILL "$(cat "$pidf")"
      exit 1
    fi
    sleep 0.1
  done
  note powered-off
  rm -f "$pidf"
  ;;
status)
  alive
  ;;
*)
  echo "usage: vmctl.sh start|stop|status RUN VM" >&2
  exit 2
  ;;
esac
