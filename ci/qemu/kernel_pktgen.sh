# Guest commands for build_guest.sh -m igb -m pktgen: the Linux kernel's own igb driver and pktgen module on
# the same emulated 82576, for comparison with our pktgen. TX only: port 0 (eth0) sends COUNT 60-byte UDP
# frames (pkt_size 60; QEMU frames carry no FCS) to port 1's MAC; port 1 stays down, as when our pktgen runs
# alone. Prints pktgen's result (pps). How to run it: ci/qemu/README.md.
COUNT=${COUNT:-200000} BURST=${BURST:-1}  # prepend e.g. `BURST=64` to override
set -e
ip link set eth0 up
i=0
until [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" = 1 ]; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "eth0: no carrier"; exit 1; }; sleep 0.1
done
pg() { echo "$2" >"/proc/net/pktgen/$1"; }
pg kpktgend_0 "rem_device_all"
pg kpktgend_0 "add_device eth0"
pg eth0 "count $COUNT"
pg eth0 "pkt_size 60"
pg eth0 "delay 0"
pg eth0 "burst $BURST"  # >1: xmit_more, one tail write per burst (as our pktgen batches)
pg eth0 "dst 10.0.0.2"
pg eth0 "dst_mac 52:54:00:4e:49:01"
pg pgctrl start
grep -A2 '^Result' /proc/net/pktgen/eth0
echo "eth0 tx_packets: $(cat /sys/class/net/eth0/statistics/tx_packets)"
