# Runs inside the QEMU guest of //tests/qemu:qemu_vfio_user_test (ci/qemu/guest_init.sh runs it): the guest's
# view of two simulated 82599s served by tools/nicsim_server over vfio-user. Prints @@-tagged lines that
# qemu_vfio_user_test.sh checks on the host; it always exits 0 (the host decides what passed).
#   1. PCI enumeration from sysfs: every function, and how many are 8086:10fb;
#   2. Linux's ixgbe (and its dependencies, packed with build_guest.sh -M) loaded, the probe timed: insmod
#      runs in the background and is given PROBE_BUDGET seconds (prepended by the host script) to finish;
#   3. what the probe left: its kernel messages, the network interfaces ixgbe registered, their link;
#   4. traffic both ways between eth0 and eth1 (moved into its own network namespace): a ping, then a burst of
#      numbered UDP datagrams each way (udpburst, which checks every one), and both interfaces' counters.
# IPv6 off everywhere (here, and in the namespace before eth1 moves in): no neighbour discovery or router
# solicitations on the wire, so every frame captured is one of this script's and the counts can be compared.
for c in all default; do echo 1 >"/proc/sys/net/ipv6/conf/$c/disable_ipv6"; done
for d in /sys/bus/pci/devices/*; do
  echo "@@PCI ${d##*/} $(cat "$d/vendor"):$(cat "$d/device") class $(cat "$d/class")"
done
n=0
for d in /sys/bus/pci/devices/*; do
  [ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x8086:0x10fb" ] && n=$((n + 1))
done
echo "@@FUNCTIONS_10FB $n"

for m in $(grep -v '^ixgbe$' /etc/nicsim/later_modules); do
  insmod "/lib/modules/$m.ko" || echo "@@INSMOD_FAILED $m"
done
# insmod returns once ixgbe's probe of every 8086:10fb has returned (PCI probing is synchronous).
t0=$(cut -d' ' -f1 /proc/uptime)
(insmod /lib/modules/ixgbe.ko; echo "$?" >/tmp/insmod.rc) &
i=0
while [ ! -f /tmp/insmod.rc ] && [ $i -lt $((${PROBE_BUDGET:-60} * 10)) ]; do sleep 0.1; i=$((i + 1)); done
t1=$(cut -d' ' -f1 /proc/uptime)
if [ -f /tmp/insmod.rc ]; then
  echo "@@PROBE_DONE $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s, insmod status $(cat /tmp/insmod.rc)"
else
  echo "@@PROBE_UNFINISHED after $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s (budget ${PROBE_BUDGET:-60} s)"
fi

for d in /sys/bus/pci/devices/*; do
  [ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x8086:0x10fb" ] || continue
  drv=none
  [ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
  nets=$(ls "$d/net" 2>/dev/null | tr '\n' ' ')
  echo "@@BOUND ${d##*/} driver=$drv netdev=${nets:-none}"
done
for i in /sys/class/net/*; do
  [ -e "$i/device/driver" ] || continue
  [ "$(basename "$(readlink "$i/device/driver")")" = ixgbe ] || continue
  ip link set "${i##*/}" up 2>/dev/null && echo "@@LINK_UP_CMD ${i##*/} ok" || echo "@@LINK_UP_CMD ${i##*/} failed"
done
sleep 2
for i in /sys/class/net/*; do
  [ -e "$i/device/driver" ] || continue
  [ "$(basename "$(readlink "$i/device/driver")")" = ixgbe ] || continue
  echo "@@NETDEV ${i##*/} mac $(cat "$i/address") operstate $(cat "$i/operstate") carrier $(cat "$i/carrier" 2>/dev/null || echo ?)"
done
# 4. Traffic: eth1 in a network namespace of its own (else the kernel would route 10.9.0.1 -> 10.9.0.2 over
#    loopback), then ping and UDP bursts across the simulated cable; the interface counters from /proc/net/dev
#    (per namespace, unlike sysfs) once the traffic is over.
counters() {  # ... | counters IFACE: "rx N tx N" (packets) of IFACE from a /proc/net/dev on stdin
  tr ':' ' ' | awk -v i="$1" '$1 == i { print "rx " $3 " tx " $11 }'
}
if [ -e /sys/class/net/eth0 ] && [ -e /sys/class/net/eth1 ]; then
  unshare -n sh -c 'for c in all default; do echo 1 >/proc/sys/net/ipv6/conf/$c/disable_ipv6; done; exec sleep 600' &
  ns=$!
  sleep 0.5
  ip link set eth1 netns "$ns"
  ip addr add 10.9.0.1/24 dev eth0
  ip link set eth0 up
  nsenter -t "$ns" -n ip addr add 10.9.0.2/24 dev eth1
  nsenter -t "$ns" -n ip link set eth1 up
  nsenter -t "$ns" -n ip link set lo up
  # Carrier on both (sysfs shows the initial namespace only: eth1's flags come from ip in its own).
  carrier1() { nsenter -t "$ns" -n ip link show eth1 | grep -q LOWER_UP && echo 1 || echo 0; }
  i=0
  while { [ "$(carrier1)" != 1 ] || [ "$(cat /sys/class/net/eth0/carrier)" != 1 ]; } && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  echo "@@CARRIER eth0 $(cat /sys/class/net/eth0/carrier) eth1 $(carrier1) after ${i}00 ms"
  ping -c 5 -i 0.2 -W 3 10.9.0.2 2>&1 | sed 's/^/@@PING /'
  # UDP each way: the receiver listens first, the sender sends UDP_COUNT datagrams of 512 bytes.
  nsenter -t "$ns" -n udpburst --recv --port 9000 --count "${UDP_COUNT:-1000}" --timeout-ms 30000 >/tmp/udp01.txt 2>&1 &
  r=$!
  sleep 0.3
  udpburst --send 10.9.0.2 --port 9000 --count "${UDP_COUNT:-1000}" --size 512 2>&1 | sed 's/^/@@UDP01 /'
  wait "$r"
  sed 's/^/@@UDP01 /' /tmp/udp01.txt
  udpburst --recv --port 9001 --count "${UDP_COUNT:-1000}" --timeout-ms 30000 >/tmp/udp10.txt 2>&1 &
  r=$!
  sleep 0.3
  nsenter -t "$ns" -n udpburst --send 10.9.0.1 --port 9001 --count "${UDP_COUNT:-1000}" --size 512 2>&1 | sed 's/^/@@UDP10 /'
  wait "$r"
  sed 's/^/@@UDP10 /' /tmp/udp10.txt
  sleep 1  # the last frames' tx completions
  echo "@@COUNTERS eth0 $(counters eth0 </proc/net/dev)"
  echo "@@COUNTERS eth1 $(nsenter -t "$ns" -n cat /proc/net/dev | counters eth1)"
  kill "$ns"
fi
dmesg | grep -iE 'ixgbe|vfio|dmar.*(fault|error)' | sed 's/^/@@DMESG /'
# A probe still running holds its device's lock, and poweroff's device shutdown would wait for it forever:
# an emergency reboot (QEMU runs with -no-reboot, so it exits) a second after /init has printed the status.
if [ ! -f /tmp/insmod.rc ]; then
  (sleep 1; echo b >/proc/sysrq-trigger) &
fi
exit 0
