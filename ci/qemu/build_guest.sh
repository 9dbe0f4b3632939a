#!/usr/bin/env bash
# ci/qemu/build_guest.sh: packs the guest's initramfs (a gzipped cpio) for run_vm.sh.
#
#   build_guest.sh [-m MODULE]... [-M MODULE]... [-D DPDK_ROOT] OUT.cpio.gz COMMANDS.sh [BINARY...]
#
# Contents: busybox (static), guest_init.sh as /init, the vfio modules of the unpacked Debian kernel
# (ci/qemu/setup.sh) plus any -m MODULE (e.g. -m igb -m pktgen), each with its dependencies, listed in load
# order in /etc/nicsim/modules; each -M MODULE (and its dependencies not loaded already) is packed too but
# listed in /etc/nicsim/later_modules instead, for the commands to load themselves (e.g. to time a driver's
# probe: tests/qemu/vfio_user_guest.sh); COMMANDS.sh as /etc/nicsim/commands.sh (run by /init); each BINARY in /bin,
# named without a `_static` suffix (selftest_static -> /bin/selftest). Binaries must be statically linked.
# -D DPDK_ROOT (an unpacked DPDK: ci/qemu/setup.sh puts bookworm's in $NICSIM_QEMU_CACHE/dpdk): DPDK's testpmd
# as /bin/dpdk-testpmd, a launcher that runs usr/bin/dpdk-testpmd of the root with the root's dynamic loader
# and the libraries it needs, found by that loader (`ld.so --list`: the guest has no libc of its own), under
# /opt/dpdk/lib (and libgcc_s, which glibc opens itself); the mempool driver it loads as a plugin (-d
# /opt/dpdk/pmds: testpmd links the ixgbe PMD itself, not the ring mempool). Nothing else of the root (no other PMD) goes in.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${NICSIM_QEMU_CACHE:-/var/cache/nicsim-qemu}"
die() { echo "build_guest.sh: $*" >&2; exit 1; }

modules=(vfio vfio_iommu_type1 irqbypass vfio_virqfd vfio-pci-core vfio-pci)
later=()
dpdk=""
while getopts m:M:D: opt; do
  case $opt in
    m) modules+=("$OPTARG") ;;
    M) later+=("$OPTARG") ;;
    D) dpdk="$OPTARG" ;;
    *) die "usage: build_guest.sh [-m MODULE]... [-M MODULE]... [-D DPDK_ROOT] OUT.cpio.gz COMMANDS.sh [BINARY...]" ;;
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

if [ -n "$dpdk" ]; then
  ld="$dpdk/lib64/ld-linux-x86-64.so.2" lp="$dpdk/lib/x86_64-linux-gnu:$dpdk/usr/lib/x86_64-linux-gnu"
  ring="$dpdk/usr/lib/x86_64-linux-gnu/librte_mempool_ring.so.23"
  [ -x "$dpdk/usr/bin/dpdk-testpmd" ] && [ -f "$ring" ] && [ -x "$ld" ] ||
    die "-D $dpdk: no usr/bin/dpdk-testpmd, librte_mempool_ring or loader there (ci/qemu/setup.sh unpacks one)"
  mkdir -p "$root/opt/dpdk/lib" "$root/opt/dpdk/pmds" "$root/opt/dpdk/bin"
  cp "$dpdk/usr/bin/dpdk-testpmd" "$root/opt/dpdk/bin/"
  cp -L "$ring" "$root/opt/dpdk/pmds/librte_mempool_ring.so"  # EAL loads *.so and *.so.<ABI>.0 from a -d directory
  cp -L "$ld" "$root/opt/dpdk/lib/"
  # glibc loads libgcc_s itself (dlopen) to unwind a cancelled thread; ld.so --list cannot see that.
  cp -L "$dpdk/lib/x86_64-linux-gnu/libgcc_s.so.1" "$root/opt/dpdk/lib/" || die "-D: no libgcc_s.so.1 in $dpdk"
  # Every library the binary and the plugin need, by the name they ask for (the loader's answer, as ldd's).
  for elf in "$dpdk/usr/bin/dpdk-testpmd" "$ring"; do
    "$ld" --library-path "$lp" --list "$elf" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }'
  done | sort -u | while read -r soname path; do
    [ -f "$path" ] || die "-D: $soname resolves to $path, which is missing"
    cp -L "$path" "$root/opt/dpdk/lib/${soname##*/}"
  done
  # coreutils' libstdbuf (what stdbuf -oL preloads): testpmd's statistics reach a file as they are printed.
  cp "$dpdk/usr/libexec/coreutils/libstdbuf.so" "$root/opt/dpdk/lib/" || die "-D: no libstdbuf.so in $dpdk"
  cat >"$root/bin/dpdk-testpmd" <<'LAUNCHER'
#!/bin/sh
# DPDK's testpmd from bookworm's dpdk-dev (ci/qemu/build_guest.sh -D), with its own loader and libraries;
# standard output line-buffered (coreutils' libstdbuf, as `stdbuf -oL`) even into a file or a pipe.
_STDBUF_O=L LD_PRELOAD=/opt/dpdk/lib/libstdbuf.so \
  exec /opt/dpdk/lib/ld-linux-x86-64.so.2 --library-path /opt/dpdk/lib /opt/dpdk/bin/dpdk-testpmd -d /opt/dpdk/pmds "$@"
LAUNCHER
  chmod 755 "$root/bin/dpdk-testpmd"
  # Loader check on the host: every library testpmd needs is in the packed directory.
  if "$root/opt/dpdk/lib/ld-linux-x86-64.so.2" --library-path "$root/opt/dpdk/lib" --list "$root/opt/dpdk/bin/dpdk-testpmd" |
     grep -q 'not found'; then
    die "-D: a library of dpdk-testpmd is missing from the packed set"
  fi
  echo "build_guest.sh: DPDK $(cat "$dpdk/.complete" 2>/dev/null || echo "from $dpdk"): testpmd and $(ls "$root/opt/dpdk/lib" | wc -l) libraries ($(du -sk "$root/opt/dpdk" | cut -f1) KiB)" >&2
fi

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
