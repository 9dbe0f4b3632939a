#!/bin/busybox sh
# /init of the QEMU guest (packed by ci/qemu/build_guest.sh). Brings up what a VFIO app needs, runs
# /etc/nicsim/commands.sh, prints its exit status between markers on the serial console, and powers off.
# Kernel command line: `nicsim.shell` gives an interactive shell instead of the commands;
# `nicsim.hugepages=N` reserves N 2 MiB hugepages (default 128).
/bin/busybox --install -s /bin
export PATH=/bin:/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/hugepages && mount -t devpts devpts /dev/pts
say() { echo "nicsim-guest: $*"; }

for m in $(cat /etc/nicsim/modules); do insmod "/lib/modules/$m.ko" || say "insmod $m failed"; done

pages=128
for arg in $(cat /proc/cmdline); do case "$arg" in nicsim.hugepages=*) pages=${arg#*=} ;; esac; done
mount -t hugetlbfs nodev /dev/hugepages
echo "$pages" >/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
say "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages) hugepages of 2 MiB at /dev/hugepages"

# Every 82576 (8086:10c9) or 82574 (8086:10d3) no kernel driver claimed goes to vfio-pci, and every 82599
# (8086:10fb: the simulator served over vfio-user) with `nicsim.vfio_10fb` on the command line (without it, they
# are left for Linux's ixgbe). NICSIM_PORTS lists them all in PCI order.
ids="0x8086:0x10c9 0x8086:0x10d3"
grep -qw nicsim.vfio_10fb /proc/cmdline && ids="$ids 0x8086:0x10fb"
ports=""
for d in /sys/bus/pci/devices/*; do
  case " $ids " in *" $(cat "$d/vendor"):$(cat "$d/device") "*) ;; *) continue ;; esac
  a=${d##*/}
  ports="${ports:+$ports,}$a"
  if [ ! -e "$d/driver" ]; then
    echo vfio-pci >"$d/driver_override"
    echo "$a" >/sys/bus/pci/drivers_probe
  fi
  say "$a -> $(basename "$(readlink "$d/driver")") (IOMMU group $(basename "$(readlink "$d/iommu_group")"))"
done
export NICSIM_PORTS="$ports"
say "ready after $(cut -d' ' -f1 /proc/uptime) s of uptime; ports $ports; /dev/vfio: $(ls /dev/vfio | tr '\n' ' ')"

cd /tmp
if grep -qw nicsim.shell /proc/cmdline; then
  say "interactive shell (exit or Ctrl-D powers off)"
  setsid cttyhack sh
  rc=$?
else
  echo "@@NICSIM-BEGIN"
  sh /etc/nicsim/commands.sh
  rc=$?
  echo "@@NICSIM-EXIT $rc"
fi
sync
poweroff -f
