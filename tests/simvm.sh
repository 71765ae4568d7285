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
#   mode         "noagent": only a placeholder process runs (an agent that never answers)
#   home/        the VM's HOME (made on start): files from other VMs land in home/Incoming/
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
        XDG_RUNTIME_DIR="$1" "$2" guest --connect "$(cat "$1/gui")" --socket "$1/wayland-canopy" $(cat "$1/guest-args" 2>/dev/null) >> "$1/proxy.log" 2>&1 &
      fi
      HOME="$1/home" exec "$3" --config "$1/agent.toml" >> "$1/agent.log" 2>&1' \
      vm "$dir" "${CANOPY_PROXY_BIN:-canopy-proxy}" "$(cat "$dir/agent-bin" 2>/dev/null || echo "$CANOPY_AGENT_BIN")" < /dev/null &
  fi
  echo $! > "$dir/pid" ;;
stop)
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
