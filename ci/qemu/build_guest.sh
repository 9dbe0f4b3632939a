#!/usr/bin/env bash
# ci/qemu/build_guest.sh: packs the guest's initramfs (a gzipped cpio) for run_vm.sh.
#
#   build_guest.sh [-m MODULE]... [-M MODULE]... OUT.cpio.gz COMMANDS.sh [BINARY...]
#
# Contents: busybox (static), guest_init.sh as /init, the vfio modules of the unpacked Debian kernel
# (ci/qemu/setup.sh) plus any -m MODULE (e.g. -m igb -m pktgen), each with its dependencies, listed in load
# order in /etc/nicsim/modules; each -M MODULE (and its dependencies not loaded already) is packed too but
# listed in /etc/nicsim/later_modules instead, for the commands to load themselves (e.g. to time a driver's
# probe: tests/qemu/vfio_user_guest.sh); COMMANDS.sh as /etc/nicsim/commands.sh (run by /init); each BINARY in /bin,
# named without a `_static` suffix (selftest_static -> /bin/selftest). Binaries must be statically linked.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${NICSIM_QEMU_CACHE:-/var/cache/nicsim-qemu}"
die() { echo "build_guest.sh: $*" >&2; exit 1; }

modules=(vfio vfio_iommu_type1 irqbypass vfio_virqfd vfio-pci-core vfio-pci)
later=()
while getopts m:M: opt; do
  case $opt in
    m) modules+=("$OPTARG") ;;
    M) later+=("$OPTARG") ;;
    *) die "usage: build_guest.sh [-m MODULE]... [-M MODULE]... OUT.cpio.gz COMMANDS.sh [BINARY...]" ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || die "usage: build_guest.sh [-m MODULE]... OUT.cpio.gz COMMANDS.sh [BINARY...]"
out="$1" commands="$2"
shift 2

[ -f "$cache/linux/.complete" ] || die "no guest kernel in $cache/linux: run ci/qemu/setup.sh"
busybox=/bin/busybox  # from busybox-static: needs no libc in the guest
dpkg-query -W -f='${db:Status-Status}' busybox-static 2>/dev/null | grep -qx installed ||
  die "busybox-static is not installed: run ci/qemu/setup.sh"
kdir=$(echo "$cache"/linux/lib/modules/*)
[ -d "$kdir/kernel" ] || die "no kernel modules under $cache/linux/lib/modules"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,etc/nicsim,lib/modules,proc,sys,dev,tmp,root}
cp "$busybox" "$root/bin/busybox"
cp "$here/guest_init.sh" "$root/init"
cp "$commands" "$root/etc/nicsim/commands.sh"
chmod 755 "$root/init" "$root/etc/nicsim/commands.sh"
for b in "$@"; do
  [ -f "$b" ] || die "no such binary: $b"
  name=$(basename "$b")
  install -m 755 "$b" "$root/bin/${name%_static}"
done

# Modules: find each by name (- and _ are the same to the kernel), add its dependencies (the `depends=`
# entry of the module's .modinfo) first, decompress .ko.xz/.ko.gz/.ko.zst, and record the load order.
norm() { echo "${1//-/_}"; }
declare -A seen
find_module() {
  find "$kdir/kernel" -regextype egrep -regex ".*/($1|$(norm "$1")|${1//_/-})\.ko(\.xz|\.gz|\.zst)?" | head -1
}
add_module() {
  local name path dep deps
  name=$(norm "$1")
  [ -z "${seen[$name]:-}" ] || return 0
  seen[$name]=1
  path=$(find_module "$1")
  if [ -z "$path" ]; then
    [ "$name" = vfio_virqfd ] && return 0  # built into vfio on newer kernels
    die "module $1 not found under $kdir"
  fi
  case "$path" in
    *.xz) xz -dc "$path" >"$root/lib/modules/$name.ko" ;;
    *.gz) gzip -dc "$path" >"$root/lib/modules/$name.ko" ;;
    *.zst) zstd -qdc "$path" >"$root/lib/modules/$name.ko" ;;
    *) cp "$path" "$root/lib/modules/$name.ko" ;;
  esac
  deps=$(tr '\0' '\n' <"$root/lib/modules/$name.ko" | grep -a '^depends=' | head -1 | cut -d= -f2 | tr ',' ' ')
  for dep in $deps; do add_module "$dep"; done
  echo "$name" >>"$root/etc/nicsim/$list"  # after its dependencies
}
list=modules
: >"$root/etc/nicsim/modules"
for m in "${modules[@]}"; do add_module "$m"; done
list=later_modules
: >"$root/etc/nicsim/later_modules"
for m in "${later[@]}"; do add_module "$m"; done

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
echo "build_guest.sh: $out ($(du -k "$out" | cut -f1) KiB): modules $(tr '\n' ' ' <"$root/etc/nicsim/modules")${later:+; later $(tr '\n' ' ' <"$root/etc/nicsim/later_modules")}" >&2
