#!/usr/bin/env bash
# Builds what the VM tests boot, from Debian packages and crates.io only, into CACHE_DIR:
#   vmlinux                  the Debian kernel, uncompressed: QEMU boots the ELF through its PVH
#                            entry, which saves the ~3 s that TCG spends decompressing a bzImage
#   initramfs.cpio           busybox-static, the virtio/DRM/input/vsock/9p modules, tests/vm/init
#   bin/vhost-device-vsock   the vhost-user vsock device from crates.io (built once, ~1.5 min)
# Missing Debian packages (QEMU, the kernel, busybox-static, udev, …) are installed first.
# Each piece is rebuilt only when its inputs are newer. Usage: tests/vm/build.sh CACHE_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${1:?usage: build.sh CACHE_DIR}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

"$repo/scripts/deps.sh"

# The kernel of the linux-image-amd64 package (the newest one installed).
kver=$(ls /lib/modules | sort -V | tail -1)
[ -n "$kver" ] && [ -f "/boot/vmlinuz-$kver" ] || { echo "no kernel in /boot and /lib/modules" >&2; exit 1; }

if [ ! -f "$cache/vmlinux" ] || [ "/boot/vmlinuz-$kver" -nt "$cache/vmlinux" ]; then
  # The bzImage carries the ELF kernel as one xz stream after the boot code.
  off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "/boot/vmlinuz-$kver" | head -1 | cut -d: -f1)
  # (tail gets SIGPIPE when xz stops at the end of the stream.)
  { tail -c +$((off + 1)) "/boot/vmlinuz-$kver" || true; } | xz -dc --single-stream > "$cache/vmlinux.tmp"
  [ "$(head -c 4 "$cache/vmlinux.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] \
    || { echo "no ELF kernel inside /boot/vmlinuz-$kver" >&2; exit 1; }
  mv "$cache/vmlinux.tmp" "$cache/vmlinux"
  echo "vm: extracted vmlinux of $kver"
fi

initramfs=$cache/initramfs.cpio
if [ ! -f "$initramfs" ] || [ "$here/init" -nt "$initramfs" ] || [ "$here/build.sh" -nt "$initramfs" ] \
    || [ "/lib/modules/$kver/modules.dep" -nt "$initramfs" ]; then
  stage=$(mktemp -d "$cache/initramfs.XXXXXX")
  trap 'rm -rf "$stage"' EXIT
  mkdir -p "$stage"/{bin,proc,sys,dev,etc,host,lib/modules}
  cp /bin/busybox "$stage/bin/busybox"
  # The modules the guests need, with their dependencies first (from modules.dep).
  want="virtio_pci virtio_gpu virtio_input evdev vmw_vsock_virtio_transport 9p 9pnet_virtio"
  # uinput: a lid switch made in the GUI VM; button: the ACPI power button, which powers an app VM off.
  want="$want uinput button"
  awk -F: -v want="$want" '
    { n = $1; sub(/.*\//, "", n); sub(/\.ko.*/, "", n); gsub("-", "_", n); path[n] = $1; deps[$1] = $2 }
    function visit(p,   d, i, k) {
      if (p in seen) return
      seen[p] = 1
      k = split(deps[p], d, " ")
      for (i = 1; i <= k; i++) visit(d[i])
      print p
    }
    END { k = split(want, w, " "); for (i = 1; i <= k; i++) { if (!(w[i] in path)) { print "no module " w[i] > "/dev/stderr"; exit 1 } visit(path[w[i]]) } }
  ' "/lib/modules/$kver/modules.dep" > "$stage/etc/modules.order"
  while read -r m; do
    mkdir -p "$stage/lib/modules/$(dirname "$m")"
    cp "/lib/modules/$kver/$m" "$stage/lib/modules/$m"
  done < "$stage/etc/modules.order"
  cp "$here/init" "$stage/init"
  chmod +x "$stage/init"
  # Uncompressed: unpacking costs less than gunzip under TCG.
  (cd "$stage" && find . | /bin/busybox cpio -o -H newc 2>/dev/null) > "$initramfs.tmp"
  mv "$initramfs.tmp" "$initramfs"
  echo "vm: built initramfs ($(wc -l < "$stage/etc/modules.order") modules of $kver)"
fi

vhost=$cache/bin/vhost-device-vsock
if [ ! -x "$vhost" ]; then
  echo "vm: building vhost-device-vsock 0.3.0 from crates.io (once; about 1.5 min on 2 cores)"
  CARGO_TARGET_DIR=$cache/vhost-build nice cargo install --quiet --locked --root "$cache" vhost-device-vsock@0.3.0
  rm -rf "$cache/vhost-build"
fi
