#!/bin/sh
# A simulated application VM, for tests and the demo: a process session that canopy-hostd's
# command backend starts, stops and queries, standing in for a real VM.
#
#   simvm.sh start|stop|status VM
#
# The VM's directory is $SIMVM_DIR/vms/VM ($SIMVM_DIR defaults to this script's directory).
# Files there shape the "VM":
#   agent.toml   the config of its canopy-agent ($CANOPY_AGENT_BIN)
#   agent-bin    another agent program to run instead, with the same --config (a hostile agent)
#   gui          the address of its canopy-proxy gui: a canopy-proxy guest ($CANOPY_PROXY_BIN)
#                then offers the Wayland socket VMDIR/wayland-canopy
#   guest-args   extra arguments for that guest proxy (e.g. --compress lz4)
#   notify       the address of its listener in the GUI VM's canopy-notifyd: the VM gets its own
#                session bus (a private dbus-daemon at VMDIR/bus) with canopy-notify-agent
#                ($CANOPY_NOTIFY_AGENT_BIN) serving org.freedesktop.Notifications on it
#   mode         "noagent": only a placeholder process runs (an agent that never answers)
#   stop-fails   stop fails (exit 1, the file's text on stderr) and leaves the VM running
#   home/        the VM's HOME (made on start): files from other VMs land in home/Incoming/
# Without agent.toml the VM runs no canopy-agent (a placeholder holds its session).
# Each start is logged to starts.log with $CANOPY_DISK_IMAGE, if the backend passed one.
set -u
action=$1
dir="${SIMVM_DIR:-$(dirname "$0")}/vms/$2"
alive() {
  [ -f "$dir/pid" ] || return 1
  st=$(cut -d' ' -f3 "/proc/$(cat "$dir/pid")/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}
case "$action" in
start)
  echo "start ${CANOPY_DISK_IMAGE:-}" >> "$dir/starts.log"
  mkdir -p "$dir/home"
  if [ "$(cat "$dir/mode" 2>/dev/null)" = noagent ]; then
    setsid sleep 100000 < /dev/null > /dev/null 2>&1 &
  else
    setsid /bin/sh -c '
      if [ -f "$1/gui" ]; then
        # As the units order canopy-agent after canopy-proxy-guest: the agent (and the apps it
        # starts) only once the Wayland socket is there, not the last run'"'"'s stale one.
        rm -f "$1/wayland-canopy"
        XDG_RUNTIME_DIR="$1" "$2" guest --connect "$(cat "$1/gui")" --socket "$1/wayland-canopy" $(cat "$1/guest-args" 2>/dev/null) >> "$1/proxy.log" 2>&1 &
        n=0
        while [ ! -S "$1/wayland-canopy" ] && [ $n -lt 1000 ]; do n=$((n+1)); sleep 0.01; done
      fi
      if [ -f "$1/notify" ]; then
        rm -f "$1/bus" "$1/bus-address"
        dbus-daemon --session --nofork --nopidfile --address="unix:path=$1/bus" --print-address=3 3> "$1/bus-address" >> "$1/dbus.log" 2>&1 &
        n=0
        while [ ! -s "$1/bus-address" ] && [ $n -lt 1000 ]; do n=$((n+1)); sleep 0.01; done
        DBUS_SESSION_BUS_ADDRESS="unix:path=$1/bus" "$4" --connect "$(cat "$1/notify")" >> "$1/notify-agent.log" 2>&1 &
      fi
      [ -f "$1/agent.toml" ] || exec sleep 100000
      HOME="$1/home" exec "$3" --config "$1/agent.toml" >> "$1/agent.log" 2>&1' \
      vm "$dir" "${CANOPY_PROXY_BIN:-canopy-proxy}" "$(cat "$dir/agent-bin" 2>/dev/null || echo "$CANOPY_AGENT_BIN")" \
      "${CANOPY_NOTIFY_AGENT_BIN:-canopy-notify-agent}" < /dev/null &
  fi
  echo $! > "$dir/pid" ;;
stop)
  if [ -f "$dir/stop-fails" ]; then cat "$dir/stop-fails" >&2; exit 1; fi
  alive || { rm -f "$dir/pid"; exit 0; }
  pid=$(cat "$dir/pid")
  kill -TERM "-$pid" 2>/dev/null
  n=0
  while alive; do
    n=$((n+1))
    [ $n -eq 250 ] && kill -KILL "-$pid" 2>/dev/null
    sleep 0.02
  done
  rm -f "$dir/pid" ;;
status)
  alive ;;
esac
