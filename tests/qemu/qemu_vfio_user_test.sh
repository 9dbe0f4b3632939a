#!/usr/bin/env bash
# //tests/qemu:qemu_vfio_user_test: the simulator as a PCI device for Linux. tools/nicsim_server serves two
# simulated 82599 ports (cabled to each other) over vfio-user; QEMU 11 (ci/qemu/setup.sh installs it in a
# private root) boots the guest (ci/qemu) with two vfio-user-pci devices on them, guest RAM in a shared memfd,
# q35 with a virtual Intel IOMMU; in the guest (vfio_user_guest.sh) Linux enumerates them and its own ixgbe
# driver probes them.
#
# Asserted (what works today): the server comes up; QEMU connects to both sockets and negotiates; the guest
# enumerates two 8086:10fb functions of class 020000; ixgbe's probe runs against the model (the server
# answers its BAR0 accesses); the server survives all of it, sees the clients go when the VM powers off and
# exits cleanly with its report; ixgbe's probe finishes (EEPROM through EERD, the SW/FW semaphores), binds both
# functions and registers eth0/eth1 with the model's MACs; it identifies the SFP+ module on each port over
# I2C (a passive direct-attach cable, its type 3), finds the module's init sequence in the EEPROM, restarts
# auto-negotiation and reports "NIC Link is Up 10 Gbps" with carrier on both ports. Reported, not asserted:
# the kernel messages and the server's list of BAR0 registers the driver touched that the model does not have.
# Traffic both ways: eth1 in its own network namespace, a ping and a burst of UDP_COUNT numbered datagrams
# each way (every byte checked by udpburst), Linux's UDP checksums inserted by the model (TXSM) and good in
# tshark's reading of the capture; the guest's interface counters, the model's GPTC/GPRC, the server's wire
# counts and the capture agree frame for frame in each direction.
#
# Skips (exit 0, saying so) only when QEMU 11 is not installed and ci/qemu/setup.sh could not install it;
# the other pieces (guest kernel, busybox, cpio) missing is a failure naming ci/qemu/setup.sh.
#   args: nicsim_server build_guest.sh run_vm.sh vfio_user_guest.sh
set -uo pipefail

PROBE_BUDGET=${PROBE_BUDGET:-60}  # seconds the guest gives ixgbe's probe (the VM lives ~20 s more)
cache="${NICSIM_QEMU_CACHE:-/var/cache/nicsim-qemu}"
qemu="$cache/qemu11/qemu-system-x86_64"
[ $# -eq 5 ] || { echo "usage: qemu_vfio_user_test.sh nicsim_server build_guest.sh run_vm.sh vfio_user_guest.sh udpburst"; exit 2; }
server="$1" build_guest="$2" run_vm="$3" commands="$4" udpburst="$5"
UDP_COUNT=${UDP_COUNT:-1000}  # datagrams each way

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"  # check, fatal, await_server

# --- Preflight.
if ! [ -x "$qemu" ] || ! "$qemu" -device help 2>/dev/null | grep -q '"vfio-user-pci"'; then
  echo "SKIP: QEMU 11 with vfio-user-pci is not installed in $cache/qemu11 (ci/qemu/setup.sh installs it from"
  echo "SKIP: trixie-backports; it could not here: see its output). Nothing was tested."
  exit 0
fi
[ -f "$cache/linux/.complete" ] || fatal "no unpacked guest kernel in $cache/linux"
[ -x /bin/busybox ] && command -v cpio >/dev/null || fatal "busybox-static or cpio is missing"

out="${TEST_UNDECLARED_OUTPUTS_DIR:-$(mktemp -d)}"
socks=$(mktemp -d /tmp/nicsim-vu.XXXXXX)  # short: sockaddr_un paths are at most 107 bytes
server_pid=""
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null
  rm -rf "$socks"
}
trap cleanup EXIT
echo "VM logs, server log: $out ($("$qemu" --version | head -1))"

{ echo "PROBE_BUDGET=$PROBE_BUDGET UDP_COUNT=$UDP_COUNT"; cat "$commands"; } >"$out/commands.sh"
"$build_guest" -M ixgbe "$out/initramfs.cpio.gz" "$out/commands.sh" "$udpburst" || fatal "ci/qemu/build_guest.sh failed"

# --- The server: two ports, cabled; unknown registers logged as they are first touched.
pcap="$out/wire.pcap"
"$server" --ports 2 --socket-dir "$socks" --wire pair --pcap "$pcap" --strict --log-unknown --max-seconds 400 >"$out/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$out/server.log" && break; sleep 0.1; done
echo "=== server"
check "nicsim_server listens on both sockets" grep -q "listening on $socks/port0.sock $socks/port1.sock" "$out/server.log"

start=$SECONDS
"$run_vm" --qemu "$qemu" --vfio-user "$socks/port0.sock" --vfio-user "$socks/port1.sock" --timeout $((PROBE_BUDGET + 90)) \
  "$out" "$out/initramfs.cpio.gz"
guest_rc=$?
rm -f "$out/initramfs.cpio.gz"
echo "=== VM ran for $((SECONDS - start)) s; guest exit status $guest_rc"
log="$out/serial.log"
[ -f "$log" ] || fatal "no serial log from the VM"

# The VM is gone, so are the clients: the server ends by itself.
await_server "$server_pid"
server_pid=""

echo "=== QEMU and the guest"
check "QEMU connected to both ports" [ "$(grep -c 'client connected' "$out/server.log")" = 2 ]
check "the guest booted and ran its commands (status $guest_rc)" [ "$guest_rc" = 0 ]
grep -a '^@@PCI' "$log" | sed 's/^@@PCI/    PCI/'
check "the guest enumerates two 8086:10fb functions" grep -aq '^@@FUNCTIONS_10FB 2' "$log"
check "both are Ethernet controllers (class 020000)" [ "$(grep -ac '^@@PCI .* 0x8086:0x10fb class 0x020000' "$log")" = 2 ]
reads0=$(sed -n '/^=== port0/,/^===/p' "$out/server.log" | grep -oE 'BAR reads [0-9]+' | head -1 | grep -oE '[0-9]+')
reads1=$(sed -n '/^=== port1/,$p' "$out/server.log" | grep -oE 'BAR reads [0-9]+' | head -1 | grep -oE '[0-9]+')
check "ixgbe's probe ran against the model (BAR0 reads: port0 ${reads0:-?}, port1 ${reads1:-?})" [ "${reads0:-0}" -gt 100 ]
# The model answers what the probe needs (EEPROM words through EERD with a valid checksum and part number, the
# SW/FW semaphores): Linux's ixgbe binds both functions and registers a netdev on each with the model's MAC.
check "ixgbe's probe finished ($(grep -aoE '^@@PROBE_DONE [0-9.]+ s' "$log" | cut -d' ' -f2-3 || echo never))" grep -aqE '^@@PROBE_DONE .*insmod status 0' "$log"
check "ixgbe bound both functions and registered a netdev on each" [ "$(grep -ac '^@@BOUND .* driver=ixgbe netdev=eth' "$log")" = 2 ]
check "the netdevs have the model's MAC addresses (02:53:49:4d:00:00, :01)" \
  sh -c "grep -aq '^@@NETDEV .* mac 02:53:49:4d:00:00 ' '$log' && grep -aq '^@@NETDEV .* mac 02:53:49:4d:00:01 ' '$log'"
check "ixgbe read a valid EEPROM (its part number in the kernel log)" grep -aq 'PBA No: 123456-078' "$log"
# The SFP+ module over I2C (sim/sfp.h): SFF-8472 identifier 0x03, passive cable -> Linux's sfp_type 3 (direct
# attach, core 0); the EEPROM's init-sequence list has that type; ANLP1 leaves AN state 0 after the restart.
check "ixgbe identified the SFP+ module on both ports (direct-attach copper, type 3)" \
  sh -c "grep -aq 'eth0: detected SFP+: 3' '$log' && grep -aq 'eth1: detected SFP+: 3' '$log'"
check "link is up at 10 Gbit/s on both ports (kernel log)" \
  sh -c "grep -aq 'eth0: NIC Link is Up 10 Gbps' '$log' && grep -aq 'eth1: NIC Link is Up 10 Gbps' '$log'"
check "both netdevs have carrier" [ "$(grep -ac '^@@NETDEV eth[01] .* carrier 1' "$log")" = 2 ]
check "no module reported unsupported or missing" sh -c "! grep -aqiE 'unsupported SFP|SFP.*not (supported|present)|HW Init failed' '$log'"

# Traffic both ways across the simulated cable, and one count of it from four places that agree frame for
# frame: the guest's interface counters, the model's GPTC/GPRC, the server's wire taps and tshark's reading of
# the capture. IPv6 is off in the guest, so the wire carries only ARP, the ping and the UDP bursts.
echo "=== traffic (eth0 = port0 = 02:53:49:4d:00:00, eth1 = port1 = :01)"
grep -a -E '^@@(CARRIER|PING .*(transmitted|bytes from)|UDP|COUNTERS)' "$log" | sed 's/^@@/    /'
check "ping eth0 -> eth1: 5 of 5 answered" grep -aq '^@@PING 5 packets transmitted, 5 packets received' "$log"
check "UDP eth0 -> eth1: $UDP_COUNT of $UDP_COUNT datagrams, every byte checked" \
  grep -aq "^@@UDP01 received $UDP_COUNT of $UDP_COUNT, bad 0, duplicate 0" "$log"
check "UDP eth1 -> eth0: $UDP_COUNT of $UDP_COUNT datagrams, every byte checked" \
  grep -aq "^@@UDP10 received $UDP_COUNT of $UDP_COUNT, bad 0, duplicate 0" "$log"
guest() {  # guest IFACE rx|tx
  grep -a "^@@COUNTERS $1 " "$log" | tr -d '\r' | awk -v k="$2" '{ for (i = 3; i < NF; i++) if ($i == k) print $(i + 1) }' | head -1
}
model() {  # model PORT GPTC|GPRC|wire
  sed -n "/^=== port$1 /,/^=== /p" "$out/server.log" | grep -E '^  frames: ' | head -1 |
    sed -E 's/.*GPTC ([0-9]+), GPRC ([0-9]+).*onto the wire ([0-9]+).*/\1 \2 \3/' |
    awk -v k="$2" '{ print k == "GPTC" ? $1 : k == "GPRC" ? $2 : $3 }'
}
captured() {  # captured FILTER: frames in the capture that match
  tshark -r "$pcap" -Y "$1" 2>/dev/null | wc -l
}
if command -v tshark >/dev/null && [ -s "$pcap" ]; then
  for dir in "0 1 eth0 eth1" "1 0 eth1 eth0"; do
    set -- $dir
    sent=$(guest "$3" tx) got=$(guest "$4" rx)
    gptc=$(model "$1" GPTC) wire=$(model "$1" wire) gprc=$(model "$2" GPRC)
    cap=$(captured "eth.src == 02:53:49:4d:00:0$1")
    echo "    port$1 -> port$2: guest $3 tx ${sent:-?}, model port$1 GPTC ${gptc:-?}, wire ${wire:-?}, capture $cap, model port$2 GPRC ${gprc:-?}, guest $4 rx ${got:-?}"
    check "port$1 -> port$2: the guest's, the model's, the wire's and tshark's counts agree (${sent:-?} frames)" \
      sh -c "[ -n '$sent' ] && [ '$sent' -gt $UDP_COUNT ] && [ '$sent' = '$gptc' ] && [ '$gptc' = '$wire' ] && [ '$wire' = '$cap' ] && [ '$cap' = '$gprc' ] && [ '$gprc' = '$got' ]"
  done
  udp01=$(captured "eth.src == 02:53:49:4d:00:00 && udp.dstport == 9000")
  udp10=$(captured "eth.src == 02:53:49:4d:00:01 && udp.dstport == 9001")
  check "the capture holds the $UDP_COUNT datagrams of each burst (port0 -> port1 $udp01, port1 -> port0 $udp10)" \
    [ "$udp01" = "$UDP_COUNT" -a "$udp10" = "$UDP_COUNT" ]
  # Linux's ixgbe offloads the UDP checksum (a context descriptor, POPTS.TXSM): the model inserted it.
  good=$(tshark -r "$pcap" -o udp.check_checksum:TRUE -Y "udp.checksum.status == 1" 2>/dev/null | wc -l)
  bad=$(tshark -r "$pcap" -o udp.check_checksum:TRUE -o ip.check_checksum:TRUE -Y "udp.checksum.status == 0 || ip.checksum.status == 0" 2>/dev/null | wc -l)
  check "tshark finds every UDP checksum good ($good) and no bad IP or UDP checksum ($bad)" [ "$good" = $((2 * UDP_COUNT)) -a "$bad" = 0 ]
else
  check "tshark and a capture are there to count the wire" false
fi

echo "=== the server"
check "nicsim_server exited by itself once QEMU had gone, status ${server_rc}" [ "$server_rc" = 0 ]
check "nicsim_server reported both ports" [ "$(grep -c '^=== port' "$out/server.log")" = 2 ]
check "the model's SFP+ module was read over I2C on both ports" \
  [ "$(grep -cE '^  SFP\+ cage: SFP\+ direct-attach passive copper cable; I2C: [0-9]+ START, [1-9][0-9]* bytes read' "$out/server.log")" = 2 ]
check "no protocol errors" [ -z "$(grep -E 'messages [0-9]+ \(errors [1-9]' "$out/server.log")" ]
# Strict mode ran throughout: every rule Linux's ixgbe breaks is one docs/82599-facts.md classifies (a deviation
# of that driver, with its evidence, or a register the model lacks); a new one fails here until classified.
classified="mmio.unknown-register mmio.access-during-reset init.fcrth-unset reserved.eimc-bit31"
unclassified=$(grep -E '^    [a-z0-9]+\.[a-z0-9-]+ +[0-9]+$' "$out/server.log" | awk '{ print $1 }' | sort -u |
  while read -r r; do case " $classified " in *" $r "*) ;; *) echo "$r" ;; esac; done | tr '\n' ' ')
check "strict mode: every diagnostic of Linux's ixgbe is a classified one (unclassified: ${unclassified:-none})" [ -z "$unclassified" ]

# --- Reported, not asserted: how far Linux's ixgbe got, and what it needed that the model lacks.
echo "=== ixgbe's probe and link (reported)"
grep -a -E '^@@(PROBE_|BOUND|NETDEV|INSMOD_FAILED|LINK_UP_CMD)' "$log" | sed 's/^@@/    /'
echo "    kernel messages:"
grep -a '^@@DMESG' "$log" | sed 's/^@@DMESG /      /' | head -40
sed -n '/^=== port0/,/^=== port1/p' "$out/server.log" | grep -E 'messages|server time|model diagnostics|mmio\.' | sed 's/^/    port0: /'
echo "    BAR0 registers the driver touched that the model lacks (port0), most accessed first:"
sed -n '/^=== port0/,/^=== port1/p' "$out/server.log" | grep -E '^  0x[0-9a-f]{5} ' |
  awk '{ n = 0; for (i = 1; i <= NF; i++) if ($i == "reads" || $i == "writes") n += $(i + 1); print n "\t" $0 }' |
  sort -rn | head -25 | cut -f2 | sed 's/^ */      /'
echo "    (all $(sed -n '/^=== port0/,/^=== port1/p' "$out/server.log" | grep -cE '^  0x[0-9a-f]{5} ') of them: $out/server.log)"

if [ "$failures" -ne 0 ]; then
  echo "qemu_vfio_user_test: FAIL ($failures checks failed; logs in $out)"
  exit 1
fi
echo "qemu_vfio_user_test: PASS (probe, SFP+ identification, 10 Gbit/s link on both ports, ping and UDP both ways, counts agree)"
