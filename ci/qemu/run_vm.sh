#!/usr/bin/env bash
# ci/qemu/run_vm.sh: boots the guest (ci/qemu/build_guest.sh) under QEMU (TCG, q35 + virtual Intel IOMMU)
# with two emulated Intel NICs on one hub (82576 `igb` by default, or `--nic e1000e` for the 82574), and
# returns the exit status of the guest's commands.
#
#   run_vm.sh [--shell] [--no-capture] [--nic igb|e1000e] [--timeout S] [--smp N] [--mem MB] [--append ARGS] OUTDIR INITRD
#   run_vm.sh --qemu QEMU --vfio-user SOCKET [--vfio-user SOCKET]... [...] OUTDIR INITRD
#
# Guest ports: 0000:00:03.0 (MAC 52:54:00:4e:49:00) and 0000:00:06.0 (MAC 52:54:00:4e:49:01), one -netdev
# hubport each on hub 0, so a frame sent by one arrives at the other. Host side, in OUTDIR: serial.log (the
# guest console, also copied to stdout), port0.pcap and port1.pcap (filter-dump: every frame in or out of
# that port). Exit status: the guest's, 124 when the timeout (default 150 s) hit, 125 when the guest never
# reported one (crash, panic). --shell: an interactive guest shell instead (Ctrl-A X quits QEMU).
# --no-capture: no pcaps (writing them slows high packet rates: our pktgen 3.6 -> 1.3 Mpps).
# --vfio-user SOCKET (repeatable): instead of the emulated NICs, one vfio-user-pci device per socket (a
# vfio-user server such as tools/nicsim_server), each behind its own PCIe root port (00:01.0, 00:02.0, ...:
# the device then keeps its PCIe link registers), with guest RAM in a shared memfd the server maps.
# --netdev-stream PATH (with --vfio-user): also one emulated NIC (--nic, igb by default) at 0000:00:03.0 with
# MAC 52:54:00:4e:49:00, its network backend a unix stream socket QEMU connects to (-netdev stream,
# server=off: e.g. nicsim_server --wire netdev), captured in port0.pcap: an emulated NIC and a simulated
# 82599 on one link.
# --qemu QEMU: the QEMU to run (default qemu-system-x86_64; vfio-user needs QEMU 11: ci/qemu/setup.sh
# installs one in $NICSIM_QEMU_CACHE/qemu11).
set -euo pipefail

cache="${NICSIM_QEMU_CACHE:-/var/cache/nicsim-qemu}"
timeout=150 smp=2 mem=768 shell="" append="" capture=1 nic=igb qemu=qemu-system-x86_64 vfio_user=() netdev_stream=""
die() { echo "run_vm.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --shell) shell=1 ;;
    --no-capture) capture="" ;;
    --nic) nic="$2"; shift ;;
    --timeout) timeout="$2"; shift ;;
    --smp) smp="$2"; shift ;;
    --mem) mem="$2"; shift ;;
    --append) append="$2"; shift ;;
    --qemu) qemu="$2"; shift ;;
    --vfio-user) vfio_user+=("$2"); shift ;;
    --netdev-stream) netdev_stream="$2"; shift ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
  shift
done
[ $# -eq 2 ] || die "usage: run_vm.sh [--shell] [--no-capture] [--nic igb|e1000e] [--timeout S] [--smp N] [--mem MB] [--append ARGS] OUTDIR INITRD"
case "$nic" in igb | e1000e) ;; *) die "--nic must be igb or e1000e (got $nic)" ;; esac
out="$1" initrd="$2"
kernel=$(echo "$cache"/linux/boot/vmlinuz-*)
[ -f "$kernel" ] || die "no guest kernel in $cache/linux/boot: run ci/qemu/setup.sh"
command -v "$qemu" >/dev/null || die "$qemu not installed: run ci/qemu/setup.sh"
[ -f "$initrd" ] || die "no initramfs $initrd (ci/qemu/build_guest.sh makes one)"
mkdir -p "$out"
rm -f "$out"/serial.log "$out"/port0.pcap "$out"/port1.pcap

machine=q35,kernel-irqchip=split
[ ${#vfio_user[@]} -eq 0 ] || machine="$machine,memory-backend=mem"
args=(
  -accel tcg -cpu max -smp "$smp" -m "$mem" -nodefaults -display none -no-reboot
  -machine "$machine"
  -device intel-iommu,intremap=on,caching-mode=on
  -kernel "$kernel" -initrd "$initrd"
  -append "console=ttyS0 intel_iommu=on panic=1 quiet ${shell:+nicsim.shell} $append"
  -chardev "stdio,id=con,mux=on,signal=off,logfile=$out/serial.log" -serial chardev:con -mon chardev=con
)
if [ ${#vfio_user[@]} -gt 0 ]; then
  args+=(-object "memory-backend-memfd,id=mem,size=${mem}M,share=on")
  for i in "${!vfio_user[@]}"; do
    args+=(-device "pcie-root-port,id=rp$i,chassis=$((i + 1)),slot=$((i + 1)),addr=0x$((i + 1))"
           -device "{\"driver\":\"vfio-user-pci\",\"bus\":\"rp$i\",\"socket\":{\"path\":\"${vfio_user[$i]}\",\"type\":\"unix\"}}")
  done
fi
if [ -n "$netdev_stream" ]; then
  args+=(-netdev "stream,id=port0,server=off,addr.type=unix,addr.path=$netdev_stream"
         -device "$nic,netdev=port0,addr=0x3,mac=52:54:00:4e:49:00")
  [ -z "$capture" ] || args+=(-object "filter-dump,id=dump0,netdev=port0,file=$out/port0.pcap")
fi
for i in 0 1; do
  [ ${#vfio_user[@]} -eq 0 ] || break
  args+=(-netdev "hubport,id=port$i,hubid=0"
         -device "$nic,netdev=port$i,addr=$([ $i = 0 ] && echo 0x3 || echo 0x6),mac=52:54:00:4e:49:0$i")
  [ -z "$capture" ] || args+=(-object "filter-dump,id=dump$i,netdev=port$i,file=$out/port$i.pcap")
done

status=0
if [ -n "$shell" ]; then
  "$qemu" "${args[@]}" || status=$?
  exit "$status"
fi
timeout --foreground --kill-after=5 "$timeout" "$qemu" "${args[@]}" </dev/null || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "run_vm.sh: VM killed after the ${timeout} s timeout" >&2
  exit 124
fi
[ "$status" -eq 0 ] || echo "run_vm.sh: $qemu exited with status $status" >&2
rc=$(sed -n 's/^@@NICSIM-EXIT \([0-9]*\).*/\1/p' "$out/serial.log" | tail -1)
if [ -z "$rc" ]; then
  echo "run_vm.sh: the guest reported no exit status (see $out/serial.log)" >&2
  exit 125
fi
exit "$rc"
