#!/usr/bin/env bash
# //tests/qemu:qemu_igb_test, :qemu_e1000e_test and :qemu_ixgbe_test: our apps through real VFIO behind a
# virtual Intel IOMMU, in a TCG guest (ci/qemu), on QEMU's emulated 82576 (igb) or 82574 (e1000e) NICs, or
# (ixgbe) on two simulated 82599s served by tools/nicsim_server over vfio-user to QEMU 11, cabled to each
# other (their MACs set to the ones QEMU gives its NICs, so the guest's commands and these checks are the
# same). The first argument names the device. In the guest (guest_commands.sh): selftest on each port,
# then pktgen on port 0 sending COUNT frames while fwd on port 1 sends them back; igb and ixgbe also do it with
# `fwd --interrupts` (MSI-X). On the host: the guest's output, and the captures (QEMU filter-dump per port, or
# nicsim_server --pcap of the simulated cable) read with tshark: every frame pktgen sent is a well-formed
# Ethernet/IPv4/UDP frame as tools/packet_template.cc builds it, in sequence, and the frame counts on the wire
# agree with what pktgen sent, what fwd forwarded and the devices' own counters.
# Missing QEMU/guest pieces are a failure naming ci/qemu/setup.sh, never a skip.
# igb_ixgbe: port 0 an emulated igb, port 1 a simulated 82599, one link between them (the server's --wire
# netdev is the igb's network backend); both captures, QEMU's at the igb and the server's, are read.
#   args: igb|e1000e|ixgbe|igb_ixgbe selftest pktgen fwd nicsetup build_guest.sh run_vm.sh guest_commands.sh nicsim_server
set -uo pipefail

COUNT=4000  # < fwd's rx ring (guest_commands.sh)
IRQ_COUNT=2000  # igb: frames through `fwd --interrupts` (MSI-X via VFIO eventfds)
MAC1_IRQ=52:54:00:4e:49:11 MAC1_IRQ_FWD=52:55:00:4e:49:11  # that run's flow
MAC0=52:54:00:4e:49:00 MAC1=52:54:00:4e:49:01 MAC1_FWD=52:55:00:4e:49:01  # fwd increments dst MAC byte 1
cache="${NICSIM_QEMU_CACHE:-/var/cache/nicsim-qemu}"
[ $# -eq 9 ] || { echo "usage: qemu_nic_test.sh igb|e1000e|ixgbe|igb_ixgbe selftest pktgen fwd nicsetup build_guest.sh run_vm.sh guest_commands.sh nicsim_server"; exit 2; }
nic="$1"
shift
bins=("$1" "$2" "$3" "$4") build_guest="$5" run_vm="$6" commands="$7" server="$8"
name="qemu_${nic}_test"
# Where the ports sit in the guest, and which captures show each port's wire.
if [ "$nic" = ixgbe ]; then
  port0=0000:01:00.0 port1=0000:02:00.0 pcap0=wire.pcap pcap1=wire.pcap
  qemu="$cache/qemu11/qemu-system-x86_64" sim_ports=2
elif [ "$nic" = igb_ixgbe ]; then  # port 0 QEMU's igb, port 1 the simulated 82599, one link between them
  port0=0000:00:03.0 port1=0000:01:00.0 pcap0=port0.pcap pcap1=wire.pcap
  qemu="$cache/qemu11/qemu-system-x86_64" sim_ports=1
else
  port0=0000:00:03.0 port1=0000:00:06.0 pcap0=port0.pcap pcap1=port1.pcap
  qemu=qemu-system-x86_64
fi

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"  # check, fatal, await_server

# --- Preflight: fail loudly, naming the setup command.
if [ -n "${sim_ports:-}" ]; then
  [ -x "$qemu" ] && "$qemu" -device help 2>/dev/null | grep -q '"vfio-user-pci"' ||
    fatal "no QEMU 11 with vfio-user-pci in $cache/qemu11"
else
  command -v qemu-system-x86_64 >/dev/null || fatal "qemu-system-x86_64 is not installed"
  qemu-system-x86_64 -device help 2>/dev/null | grep "\"$nic\"" >/dev/null || fatal "this QEMU has no -device $nic (igb needs QEMU >= 8: bookworm-backports)"
fi
command -v tshark >/dev/null || fatal "tshark is not installed"
[ -f "$cache/linux/.complete" ] || fatal "no unpacked guest kernel in $cache/linux"
[ -x /bin/busybox ] && command -v cpio >/dev/null || fatal "busybox-static or cpio is missing"

out="${TEST_UNDECLARED_OUTPUTS_DIR:-$(mktemp -d)}"
echo "VM logs and captures: $out"
{ echo "COUNT=$COUNT IRQ_COUNT=$IRQ_COUNT NIC=$nic"; cat "$commands"; } >"$out/commands.sh"
"$build_guest" "$out/initramfs.cpio.gz" "$out/commands.sh" "${bins[@]}" || fatal "ci/qemu/build_guest.sh failed"
start=$SECONDS
if [ -n "${sim_ports:-}" ]; then
  # The simulated card: two ports cabled to each other (ixgbe), or one whose cable is QEMU's igb (igb_ixgbe:
  # nicsim_server --wire netdev); the cable captured. The ports get the MACs QEMU gives its emulated NICs
  # (run_vm.sh), so the guest's commands need no change.
  socks=$(mktemp -d /tmp/nicsim-nic.XXXXXX)  # short: sockaddr_un paths are at most 107 bytes
  if [ "$sim_ports" = 2 ]; then
    server_args=(--ports 2 --wire pair --mac-base "$MAC0")
    vm_args=(--vfio-user "$socks/port0.sock" --vfio-user "$socks/port1.sock")
  else
    server_args=(--ports 1 --wire netdev --mac-base "$MAC1")
    vm_args=(--vfio-user "$socks/port0.sock" --netdev-stream "$socks/port0.sock.net")
  fi
  "$server" "${server_args[@]}" --socket-dir "$socks" --pcap "$out/wire.pcap" --max-seconds 400 >"$out/server.log" 2>&1 &
  server_pid=$!
  trap 'kill $server_pid 2>/dev/null; rm -rf "$socks"' EXIT
  for _ in $(seq 100); do grep -q 'listening on' "$out/server.log" && break; sleep 0.1; done
  "$run_vm" --qemu "$qemu" "${vm_args[@]}" --append nicsim.vfio_10fb --timeout 170 "$out" "$out/initramfs.cpio.gz"
  guest_rc=$?
  for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -TERM "$server_pid" 2>/dev/null
  wait "$server_pid"
  server_rc=$?
else
  "$run_vm" --nic "$nic" --timeout 170 "$out" "$out/initramfs.cpio.gz"
  guest_rc=$?
fi
rm -f "$out/initramfs.cpio.gz"
echo "=== VM ($nic) ran for $((SECONDS - start)) s; guest exit status $guest_rc"
log="$out/serial.log"
[ -f "$log" ] || fatal "no serial log from the VM"

# --- The guest's own verdicts and counters.
echo "=== guest output"
check "selftest PASS on both ports" [ "$(grep -ac '^selftest: PASS' "$log")" = 2 ]
sent=$(grep -a '^sent [0-9]* packets' "$log" | grep -oE '[0-9]+' | head -1)
fwded=$(grep -a '^forwarded [0-9]* packets' "$log" | grep -oE '[0-9]+' | head -1)
pg_total=$(grep -a "^\[vfio:$port0\] total:" "$log" | tail -1)
fw_total=$(grep -a "^\[vfio:$port1\] total:" "$log" | tail -1)
field() { grep -oE "$1 [0-9]+" <<<"$2" | grep -oE '[0-9]+' | head -1; }
check "pktgen sent ${sent:-?} of $COUNT frames" [ "${sent:-x}" = "$COUNT" ]
check "port 0 device counter: tx $(field tx "$pg_total") packets" [ "$(field tx "$pg_total")" = "$COUNT" ]
check "fwd forwarded ${fwded:-?} of $COUNT frames" [ "${fwded:-x}" = "$COUNT" ]
check "port 1 device counters: rx $(field rx "$fw_total"), tx $(field tx "$fw_total") packets (fwd: ${fwded:-?})" \
  [ "$(field rx "$fw_total")/$(field tx "$fw_total")" = "${fwded:-x}/${fwded:-x}" ]
check "port 1 dropped nothing" [ "$(grep -oE '\([0-9]+ dropped' <<<"$fw_total" | grep -oE '[0-9]+')" = 0 ]
# fwd --interrupts (every family): MSI-X through VFIO, eventfds, behind the vIOMMU
irq_sent=$(grep -a '^irq: sent [0-9]* packets' "$log" | grep -oE '[0-9]+' | head -1)
irq_fwded=$(grep -a '^irq: forwarded [0-9]* packets' "$log" | grep -oE '[0-9]+' | head -1)
irq_taken=$(grep -a '^irq: interrupts: [0-9]* taken' "$log" | grep -oE '[0-9]+' | head -1)
grep -a '^irq: \[irq\]' "$log" | sed 's/^irq: /    /'
check "fwd --interrupts: pktgen sent ${irq_sent:-?}, fwd forwarded ${irq_fwded:-?} of $IRQ_COUNT frames" \
  [ "${irq_sent:-x}/${irq_fwded:-x}" = "$IRQ_COUNT/$IRQ_COUNT" ]
check "fwd --interrupts took ${irq_taken:-?} MSI-X interrupts (> 0)" [ "${irq_taken:-0}" -gt 0 ]

# --- The wire, as QEMU saw it. Every frame of a flow must be pktgen's template with sequence 0, 1, 2, ...
# FLOW: frames in PCAP from SRC to DST; prints the number of frames, then complains about any bad one.
flow_check() {
  local pcap="$1" src="$2" dst="$3"
  tshark -r "$pcap" -o ip.check_checksum:TRUE -d udp.port==5678,data -Y "eth.src==$src && eth.dst==$dst" -T fields \
    -e frame.len -e eth.type -e ip.version -e ip.hdr_len -e ip.len -e ip.ttl -e ip.proto -e ip.src -e ip.dst \
    -e ip.checksum.status -e udp.srcport -e udp.dstport -e udp.length -e udp.checksum -e data.data -e _ws.malformed 2>/dev/null |
    awk -F'\t' '
      function le32(n) { return sprintf("%02x%02x%02x%02x", n % 256, int(n / 256) % 256, int(n / 65536) % 256, int(n / 16777216) % 256) }
      { want = "60|0x0800|4|20|46|64|17|10.0.0.1|10.0.0.2|1|1234|5678|26|0x0000|" le32(NR - 1) "2e2f303132333435363738393a3b|"
        got = $1; for (i = 2; i <= 16; i++) got = got "|" $i
        if (got != want && bad++ < 3) print "    frame " NR ": got  " got "\n    " sprintf("%" length(NR) "s", "") "        want " want > "/dev/stderr" }
      END { print NR; if (bad) print "    " bad " malformed or out-of-sequence frames" > "/dev/stderr"; exit bad > 0 }'
}
# The --interrupts flow is read where it arrives at port 0, except on igb_ixgbe: there port 0 is QEMU's igb
# behind a stream netdev, and QEMU stops reading that socket while the igb cannot receive (pktgen never reads,
# so its rx ring is full after 511 frames); the rest waits in the socket when the VM powers off (the server
# reports none lost). Its frames are read where they leave port 1.
irq_pcap=$pcap0 irq_where="arriving at port 0"
[ "$nic" = igb_ixgbe ] && irq_pcap=$pcap1 irq_where="leaving port 1"
echo "=== captures (tshark)"
for spec in "$pcap0 $MAC0 $MAC1 ${sent:-x} pktgen's frames leaving port 0" \
            "$pcap1 $MAC0 $MAC1 ${sent:-x} pktgen's frames arriving at port 1" \
            "$pcap1 $MAC0 $MAC1_FWD ${fwded:-x} fwd's frames leaving port 1" \
            "$pcap0 $MAC0 $MAC1_FWD ${fwded:-x} fwd's frames arriving at port 0" \
            ${irq_fwded:+"$irq_pcap $MAC0 $MAC1_IRQ_FWD $irq_fwded fwd --interrupts' frames $irq_where"}; do
  read -r pcap src dst want what <<<"$spec"
  n=$(flow_check "$out/$pcap" "$src" "$dst") && ok=yes || ok=no
  check "$pcap: $n $what (want $want), all well-formed Ethernet/IPv4/UDP, in sequence" [ "$ok/$n" = "yes/$want" ]
done
check "guest commands exited with status $guest_rc" [ "$guest_rc" = 0 ]
if [ -n "${sim_ports:-}" ]; then  # the simulated card's side: the server, the model's counters and diagnostics
  echo "=== nicsim_server"
  grep -E '^(nicsim_server: stopping|=== port|  frames:|  netdev|  messages|  model diagnostics|    [a-z]+\.[a-z-]+ +[0-9]+$)' "$out/server.log" |
    sed 's/^/    /'
  check "nicsim_server exited by itself once QEMU had gone, status ${server_rc:-?}" [ "${server_rc:-x}" = 0 ]
  check "no vfio-user protocol errors" [ -z "$(grep -E 'messages [0-9]+ \(errors [1-9]' "$out/server.log")" ]
  if [ "$nic" = igb_ixgbe ]; then
    check "the netdev link to QEMU's igb: frames in = pktgen's, out = fwd's, none lost" \
      grep -qE "^  netdev .*: 1 peer\(s\), $((COUNT + IRQ_COUNT)) frames in, $((COUNT + IRQ_COUNT)) out, lost 0 with no peer, 0 to a backlog" "$out/server.log"
  fi
  check "the model reported no diagnostics for our driver" \
    [ "$(grep -cE '^  model diagnostics: 0$' "$out/server.log")" = "$sim_ports" ]
fi

if [ "$failures" -ne 0 ]; then
  echo "$name: FAIL ($failures checks failed; serial log and pcaps in $out)"
  exit 1
fi
echo "$name: PASS"
