#!/usr/bin/env bash
# //tests/qemu:qemu_dpdk_test: DPDK's ixgbe PMD on the simulated 82599. tools/nicsim_server serves two ports over
# vfio-user, each fed by the simulator's traffic generator (--wire gen, one burst of GEN_COUNT frames into
# every port per SIGUSR1) with its transmit into a captured sink; QEMU 11 boots the guest (ci/qemu) with both
# bound to vfio-pci behind the virtual Intel IOMMU; in the guest (dpdk_guest.sh) bookworm's dpdk-testpmd
# forwards between them in io mode, with the PMD's vector paths and then its scalar ones, and runs start, stop
# and port stop/reset/start once; then our fwd forwards the same way.
#
# Asserted, per testpmd session and direction (port A in, port B out): testpmd's forward RX-packets of A = the
# frames the model delivered to A's ring in that window (and, over the whole run, the model's lifetime GPRC of
# A = the sum of every session's and fwd's receive counts); every generated frame is received or counted as
# a drop by its cause (model: no descriptor, packet buffer full (MPC = testpmd's RX-missed), receive
# disabled, link down); testpmd's TX-packets of B + its TX-dropped = its RX-packets of A; the model's GPTC
# of B and the wire tap of B = the sum of testpmd's and fwd's TX-packets of B; the capture holds each frame
# once per pass: frames to A's MAC = generated into A + sent by B. The rx path testpmd reports ("Vector SSE"
# with the defaults, a scalar one with --force-max-simd-bitwidth=64); port reset works (ports start again and
# forward burst 2); every strict-mode diagnostic is one docs/82599-facts.md classifies for DPDK.
# Reported: frames per poll (about a wall second inside TCG) of testpmd and of fwd, drops by cause.
#
# Skips (exit 0, saying so) only when QEMU 11 or the unpacked DPDK is missing and ci/qemu/setup.sh could not
# install them; the other pieces missing is a failure naming ci/qemu/setup.sh.
#   args: nicsim_server build_guest.sh run_vm.sh dpdk_guest.sh fwd_static
set -uo pipefail

cache="${NICSIM_QEMU_CACHE:-/var/cache/nicsim-qemu}"
qemu="$cache/qemu11/qemu-system-x86_64"
dpdk="$cache/dpdk"
[ $# -eq 5 ] || { echo "usage: qemu_dpdk_test.sh nicsim_server build_guest.sh run_vm.sh dpdk_guest.sh fwd_static"; exit 2; }
server="$1" build_guest="$2" run_vm="$3" commands="$4" fwd="$5"
GEN_COUNT=${GEN_COUNT:-50000}  # frames per burst into each port
GEN_PPS=${GEN_PPS:-200000}     # the generators' rate (virtual time: wall time in the server's real-time mode)
BURSTS=4                       # vector (2: before and after the port reset), scalar, fwd

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"  # check, fatal, await_server

# --- Preflight.
if ! [ -x "$qemu" ] || ! "$qemu" -device help 2>/dev/null | grep -q '"vfio-user-pci"'; then
  echo "SKIP: QEMU 11 with vfio-user-pci is not installed in $cache/qemu11 (ci/qemu/setup.sh). Nothing was tested."
  exit 0
fi
if ! [ -f "$dpdk/.complete" ]; then
  echo "SKIP: DPDK is not unpacked in $dpdk (ci/qemu/setup.sh downloads bookworm's dpdk-dev). Nothing was tested."
  exit 0
fi
[ -f "$cache/linux/.complete" ] || fatal "no unpacked guest kernel in $cache/linux"
[ -x /bin/busybox ] && command -v cpio >/dev/null || fatal "busybox-static or cpio is missing"

out="${TEST_UNDECLARED_OUTPUTS_DIR:-$(mktemp -d)}"
socks=$(mktemp -d /tmp/nicsim-dpdk.XXXXXX)
server_pid="" vm_pid=""
cleanup() {
  [ -z "$vm_pid" ] || kill "$vm_pid" 2>/dev/null
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null
  rm -rf "$socks"
}
trap cleanup EXIT
echo "VM logs, server log: $out ($("$qemu" --version | head -1); $(cat "$dpdk/.complete"))"

{ echo "GEN_COUNT=$GEN_COUNT"; cat "$commands"; } >"$out/commands.sh"
"$build_guest" -D "$dpdk" "$out/initramfs.cpio.gz" "$out/commands.sh" "$fwd" || fatal "ci/qemu/build_guest.sh failed"

pcap="$out/wire.pcap"
"$server" --ports 2 --socket-dir "$socks" --wire gen --gen-on sigusr1 --gen-count "$GEN_COUNT" --gen-pps "$GEN_PPS" \
  --pcap "$pcap" --strict --log-unknown --max-seconds 600 >"$out/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$out/server.log" && break; sleep 0.1; done
echo "=== server"
check "nicsim_server listens on both sockets" grep -q "listening on $socks/port0.sock $socks/port1.sock" "$out/server.log"

start=$SECONDS
"$run_vm" --qemu "$qemu" --vfio-user "$socks/port0.sock" --vfio-user "$socks/port1.sock" --timeout 420 \
  --append "nicsim.vfio_10fb" "$out" "$out/initramfs.cpio.gz" >/dev/null &
vm_pid=$!
# The guest's @@GEN_REQUEST K lines start the generators' burst K (one SIGUSR1 each).
sent=0
while kill -0 "$vm_pid" 2>/dev/null; do
  want=$(grep -ac '^@@GEN_REQUEST' "$out/serial.log" 2>/dev/null)
  while [ "${want:-0}" -gt "$sent" ]; do kill -USR1 "$server_pid"; sent=$((sent + 1)); done
  sleep 0.2
done
wait "$vm_pid"
guest_rc=$?
vm_pid=""
rm -f "$out/initramfs.cpio.gz"
echo "=== VM ran for $((SECONDS - start)) s; guest exit status $guest_rc; $sent burst(s) requested"
log="$out/serial.log"
[ -f "$log" ] || fatal "no serial log from the VM"

await_server "$server_pid"
server_pid=""

echo "=== the guest"
grep -a -E '^@@(BEGIN|END|TESTPMD_|QUIET|FORWARD_TIME|FWD_EXIT|GEN_REQUEST)' "$log" | sed 's/^@@/    /'
check "the guest booted and ran its commands (status $guest_rc)" [ "$guest_rc" = 0 ]
check "the guest asked for $BURSTS generator bursts and the server started them" \
  sh -c "[ $sent = $BURSTS ] && [ \$(grep -c '^nicsim_server: generator burst' '$out/server.log') = $BURSTS ]"
check "testpmd ran both sessions to the end (status 0 each)" \
  sh -c "grep -aq '^@@TESTPMD_EXIT vector 0' '$log' && grep -aq '^@@TESTPMD_EXIT scalar 0' '$log'"

tp() { grep -a "^@@TP $1 " "$log" | tr -d '\r' | cut -d' ' -f3-; }  # tp SESSION: testpmd's output
# testpmd's forward statistics at each stop: "PORT RX-packets RX-dropped TX-packets TX-dropped", in order.
fwd_stats() {
  tp "$1" | awk '/Forward statistics for port/ { p = $(NF - 1) } p != "" && /RX-packets:/ { rx = $2; rd = $4 }
    p != "" && /TX-packets:/ { print p, rx, rd, $2, $4; p = "" }'
}
# Per burst and port: "BURST PORT RX-packets RX-missed" (the HW counters once the burst was over).
quiet() { grep -a "^@@QUIET $1 " "$log" | tr -d '\r' | awk '{ print $4, 0, $8, $9; print $4, 1, $10, $11 }'; }
model() {  # model PORT KEY: from the server's report of PORT
  sed -n "/^=== port$1 /,/^=== /p" "$out/server.log" | awk -v k="$2" '
    /^  frames: / { for (i = 1; i <= NF; i++) { if ($i == "GPTC") v["gptc"] = $(i + 1) + 0; if ($i == "GPRC") v["gprc"] = $(i + 1) + 0
                                               if ($i == "wire") v["wire"] = $(i + 1) + 0 } }
    /^  generator: / { v["offered"] = $2; for (i = 1; i <= NF; i++) { if ($i == "(MPC);") v["mpc"] = $(i - 6)
                                               if ($i == "(QPRDC),") v["qprdc"] = $(i - 7) } }
    END { print v[k] + 0 }'
}
echo "=== forwarding (GEN_COUNT $GEN_COUNT frames per burst and port at $GEN_PPS frames/s)"
for s in vector scalar; do fwd_stats $s | sed "s/^/    $s stop: port /"; quiet $s | sed "s/^/    $s burst: /"; done
grep -a '^@@FWD \[.*total:' "$log" | tr -d '\r' | sed 's/^@@FWD /    fwd: /'

# 1. Each testpmd burst, each port: the frames offered went into the ring or were counted missed (packet buffer
#    full: MPC, testpmd's RX-missed), and testpmd read every one the ring took (forward RX-packets = HW RX-packets).
# 2. io forwarding: what port A received, port B sent or testpmd counted as a TX drop (its tx ring full).
bursts_ok=1 fwd_ok=1 n=0
for s in vector scalar; do
  quiet $s >"$out/quiet_$s.txt"
  fwd_stats $s >"$out/fwd_$s.txt"
  while read -r b p rx miss; do
    n=$((n + 1))
    [ $((rx + miss)) = "$GEN_COUNT" ] || { echo "    burst $b port $p: RX-packets $rx + RX-missed $miss != $GEN_COUNT"; bursts_ok=0; }
  done <"$out/quiet_$s.txt"
  # The k-th stop's pair of lines belongs to the k-th burst of the session.
  paste -d' ' <(awk '{ print $3 }' "$out/quiet_$s.txt") "$out/fwd_$s.txt" >"$out/pair_$s.txt"
  while read -r hw p rx rd tx td; do
    [ "$hw" = "$rx" ] || { echo "    $s port $p: forward RX-packets $rx != HW RX-packets $hw"; bursts_ok=0; }
  done <"$out/pair_$s.txt"
  awk '{ rx[NR] = $2; tx[NR] = $4 + $5 } END { for (i = 1; i <= NR; i += 2) if (rx[i] != tx[i + 1] || rx[i + 1] != tx[i]) exit 1 }' \
    "$out/fwd_$s.txt" || { echo "    $s: TX-packets + TX-dropped of one port != RX-packets of the other"; fwd_ok=0; }
done
check "every testpmd burst: each port's frames received or counted missed, every received one read ($n port-bursts)" \
  [ "$bursts_ok" = 1 -a "$n" = 6 ]
check "io forwarding: each port's TX-packets + TX-dropped = the other port's RX-packets, at every stop" [ "$fwd_ok" = 1 ]

# 3. The whole run from the model's side: every frame offered was taken (GPRC) or dropped by a counted cause,
#    every one taken went to testpmd or fwd, and what the model sent is what they transmitted.
sum_col() { awk -v p="$1" -v c="$2" '$1 == p { s += $c } END { print s + 0 }' "$out/fwd_vector.txt" "$out/fwd_scalar.txt"; }
fwd_total() {  # fwd_total PORT rx|tx
  grep -a '^@@FWD \[.*total:' "$log" | tr -d '\r' | sed -n "$(($1 + 1))p" | sed -E 's/.*rx ([0-9]+) packets.*tx ([0-9]+) packets.*/\1 \2/' |
    awk -v k="$2" '{ print k == "rx" ? $1 : $2 }'
}
for p in 0 1; do
  q=$((1 - p))
  offered=$(model $p offered) gprc=$(model $p gprc) mpc=$(model $p mpc) qprdc=$(model $p qprdc)
  gptc=$(model $q gptc) wire=$(model $q wire)
  tp_rx=$(sum_col $p 2) tp_tx=$(sum_col $q 4) f_rx=$(fwd_total $p rx) f_tx=$(fwd_total $q tx)
  echo "    port$p -> port$q: offered $offered = GPRC $gprc + MPC $mpc; testpmd rx $tp_rx + fwd rx ${f_rx:-?} (of which QPRDC $qprdc);" \
       "port$q GPTC $gptc = wire $wire, testpmd tx $tp_tx + fwd tx ${f_tx:-?}"
  check "port$p: every frame offered ($offered) taken by the model (GPRC $gprc) or dropped, packet buffer full (MPC $mpc)" \
    [ "$offered" = $((BURSTS * GEN_COUNT)) -a $((gprc + mpc)) = "$offered" ]
  check "port$p: every frame the model took went to testpmd or fwd ($tp_rx + ${f_rx:-?} = $gprc)" [ $((tp_rx + ${f_rx:-0})) = "$gprc" ]
  check "port$q: what the model sent (GPTC $gptc, onto the wire $wire) is what testpmd and fwd transmitted ($tp_tx + ${f_tx:-?})" \
    [ "$gptc" = "$wire" -a $((tp_tx + ${f_tx:-0})) = "$gptc" ]
  if command -v tshark >/dev/null && [ -s "$pcap" ]; then
    # Each frame to port p's MAC is captured once into port p and once more out of port q: unchanged by testpmd's
    # io mode, with byte 1 incremented by fwd (ixy-fwd's touch of every packet, tools/forward.h).
    cap=$(tshark -r "$pcap" -Y "eth.dst == 02:53:49:4d:00:0$p" 2>/dev/null | wc -l)
    touched=$(tshark -r "$pcap" -Y "eth.dst == 02:54:49:4d:00:0$p" 2>/dev/null | wc -l)
    check "the capture: frames to port$p's MAC = offered into it + sent out of port$q ($cap + $touched by fwd = $offered + $wire)" \
      [ $((cap + touched)) = $((offered + wire)) -a "$touched" = "${f_tx:-0}" ]
    # Byte for byte: the generator numbers its frames (sim/traffic.h: the sequence number after the Ethernet
    # header, a payload that depends on it), so every frame sent out of port q must be one that came into port p,
    # each at most once: every number is seen once (in) or twice (in and out), never more.
    seen=$(tshark -r "$pcap" -Y "eth.dst == 02:53:49:4d:00:0$p || eth.dst == 02:54:49:4d:00:0$p" -T fields -e data.data 2>/dev/null |
      awk '{ c[$1]++ } END { for (k in c) { n++; if (c[k] > 2) more++; if (c[k] == 2) two++ } print n + 0, two + 0, more + 0 }')
    set -- $seen
    check "the capture, byte for byte: $1 distinct frames into port$p ($offered offered), $2 of them sent on by port$q, none twice ($3)" \
      [ "$1" = "$offered" -a "$2" = "$wire" -a "$3" = 0 ]
  else
    check "tshark and a capture are there to count the wire" false
  fi
done

# 4. The receive and transmit paths the PMD chose, and the port reset.
check "vector session: the PMD's vector rx (SSE) and vector tx paths on both ports, before and after the reset" \
  sh -c "[ \$(grep -ac '^@@TP vector ixgbe_set_rx_function(): Vector rx enabled' '$log') = 4 ] && [ \$(grep -ac '^@@TP vector ixgbe_set_tx_function(): Vector tx enabled' '$log') = 4 ]"
check "scalar session (--force-max-simd-bitwidth=64): the bulk-alloc scalar rx path, no vector path" \
  sh -c "[ \$(grep -ac '^@@TP scalar ixgbe_set_rx_function(): Rx Burst Bulk Alloc .* will be used' '$log') = 2 ] && ! grep -aq '^@@TP scalar .*Vector [rt]x enabled' '$log'"
check "port stop / reset / start: both ports reset, started again and forwarded burst 2" \
  sh -c "grep -aq '^@@TP vector Resetting ports' '$log' && [ \$(grep -ac '^@@TP vector Configuring Port 0' '$log') = 2 ] && [ \$(awk 'NR == 3 { print \$2 }' '$out/fwd_vector.txt') -gt 0 ]"

echo "=== frames in the busiest poll (about 1 s of wall time inside TCG; both ports; bounded by a burst, 2 x $GEN_COUNT)"
for s in vector scalar fwd; do
  grep -a "^@@POLL $s " "$log" | tr -d '\r' | awk -v s="$s" -F'[|:]' '
    { n = split($NF, r, " "); t = 0; for (i = 1; i <= n; i++) t += r[i]; if (t > m) m = t }
    END { printf "    %-7s %d frames/s\n", s, m }'
done

echo "=== the server"
check "nicsim_server exited by itself once QEMU had gone, status ${server_rc}" [ "$server_rc" = 0 ]
check "no protocol errors" [ -z "$(grep -E 'messages [0-9]+ \(errors [1-9]' "$out/server.log")" ]
# Strict mode ran throughout: every rule DPDK's PMD (or our fwd) breaks is one docs/82599-facts.md classifies.
# init.write-before-reset-settled is the server's timing artefact, not a driver's (the table says why): some runs.
classified="mmio.unknown-register mmio.access-during-reset reserved.eimc-bit31 reserved.dca-rxctrl-bit12 reserved.rdrxctl
  txdctl.hthresh-zero fctrl.changed-while-rx-enabled init.write-before-reset-settled"
classified=$(echo $classified)
grep -E '^    [a-z0-9]+\.[a-z0-9-]+ +[0-9]+$|^    first ' "$out/server.log" | sed -n '1,40p' | sed 's/^/  /' | sort -u | head -20
unclassified=$(grep -E '^    [a-z0-9]+\.[a-z0-9-]+ +[0-9]+$' "$out/server.log" | awk '{ print $1 }' | sort -u |
  while read -r r; do case " $classified " in *" $r "*) ;; *) echo "$r" ;; esac; done | tr '\n' ' ')
check "strict mode: every diagnostic is a classified one (unclassified: ${unclassified:-none})" [ -z "$unclassified" ]

if [ "$failures" -ne 0 ]; then
  echo "qemu_dpdk_test: FAIL ($failures checks failed; logs in $out)"
  exit 1
fi
rm -f "$pcap"  # large; counted above
echo "qemu_dpdk_test: PASS (testpmd io forwarding on the vector and scalar paths, port reset, every frame accounted for)"
