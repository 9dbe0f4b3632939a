#!/usr/bin/env bash
# The apps as a user runs them, on simulated ports: help, bad input, and real traffic with totals that add up.
set -euo pipefail
fwd="$1"
pktgen="$2"
selftest="$3"
pcaptool="$4"
fail() { echo "FAIL: $*"; exit 1; }

"$fwd" --help | grep -q -- "--ports" || fail "fwd --help"
"$pktgen" --help | grep -q -- "--count" || fail "pktgen --help"
set +e
"$fwd" --no-such-flag 2>/dev/null; [ $? -eq 2 ] || fail "unknown flag must exit 2"
out=$("$fwd" --ports zz 2>&1); [ $? -eq 1 ] || fail "bad PCI address must exit 1"
grep -q "malformed PCI address" <<<"$out" || fail "bad PCI address message: $out"
out=$("$fwd" --rx-ring 100 2>&1); [ $? -eq 1 ] || fail "bad ring size must exit 1"
grep -q -- "--rx-ring 100: must be a power of two" <<<"$out" || fail "bad ring size message: $out"
out=$("$pktgen" --batch x 2>&1); [ $? -eq 1 ] || fail "non-numeric batch must exit 1"
# Strict numbers: decimal only, range-checked in their own width, no trailing garbage; stray words refused.
for bad in "--batch 010x" "--batch 0x10" "--batch +8" "--batch 513" "--batch 0" "--link-timeout 4294967297" \
           "--itr 4294967396" "--itr 1001" "--queues 17" "--rx-ring 18446744073709551616" "--seconds -1"; do
  out=$("$fwd" $bad 2>&1); [ $? -eq 1 ] || fail "fwd $bad must exit 1: $out"
  grep -qE "^error: --[a-z-]+: .*(not a decimal integer|out of range)" <<<"$out" || fail "fwd $bad message: $out"
done
out=$("$fwd" --batch 010 --count 1000 --sim-mode virtual --sim-model functional 2>&1) || fail "--batch 010: $out"
out=$("$fwd" 0000:03:00.0 2>&1); [ $? -eq 2 ] || fail "a positional PCI address must exit 2: $out"
grep -q "unexpected argument '0000:03:00.0'; did you mean --ports 0000:03:00.0?" <<<"$out" || fail "positional: $out"
out=$("$pktgen" --dst-mac 02:00:00:00:00 2>&1); [ $? -eq 1 ] || fail "bad --dst-mac must exit 1: $out"
grep -q "dst-mac\|MAC" <<<"$out" || fail "bad --dst-mac message: $out"
grep -q "sim:0" <<<"$out" && fail "bad --dst-mac must be reported before any port is opened: $out"
out=$("$selftest" --user 65534:0 2>&1); [ $? -eq 1 ] || fail "--user with group root must exit 1: $out"
grep -q "group 0 (root)" <<<"$out" || fail "--user 65534:0 message: $out"
grep -q "sim:0" <<<"$out" && fail "--user must be checked before any port is opened: $out"
out=$("$fwd" --sim-model cycle 2>&1); [ $? -eq 1 ] || fail "unknown --sim-model must exit 1"
grep -q "is not one of timed, functional" <<<"$out" || fail "--sim-model error: $out"
set -e

out=$("$pktgen" --count 50000 --sim-mode virtual 2>&1)
grep -q "^sent 50000 packets" <<<"$out" || fail "pktgen count: $out"
grep -q "50000 frames arrived at the sink" <<<"$out" || fail "pktgen sink: $out"
grep -q "tx 50000 packets" <<<"$out" || fail "pktgen device counter: $out"

out=$("$fwd" --count 100000 --sim-mode virtual 2>&1)
grep -qE "^forwarded 1000[0-9][0-9] packets" <<<"$out" || fail "fwd count: $out"
grep -q "(0 dropped by the device)" <<<"$out" || fail "fwd should not drop in virtual mode: $out"

# 1514-byte frames: 0.81 Mpps fills 10 Gbit/s (1.6 M frames per virtual second keeps the test quick).
out=$("$fwd" --seconds 1 --sim-mode virtual --frame-size 1514 2>&1)
grep -qE "\[sim:0\] RX: 0.81 Mpps, 10000 Mbit/s, 0.00 Mpps dropped" <<<"$out" || fail "fwd per-second stats: $out"
grep -qE "\[sim:1\] TX: 0.81 Mpps, 10000 Mbit/s" <<<"$out" || fail "fwd per-second tx stats: $out"
# The main command's defaults (virtual time, functional model): line rate, no loss, the clock named.
out=$("$fwd" --seconds 1 2>&1)
grep -qE "^\[clock\] virtual second 1 \(as fast as the host runs\): simulated at [0-9.]+x real time" <<<"$out" || fail "fwd clock line: $out"
grep -qE "\[sim:1\] RX: 14.88 Mpps, 10000 Mbit/s, 0.00 Mpps dropped" <<<"$out" || fail "fwd default stats: $out"
grep -qE "^forwarded 2976[0-9]{4} packets" <<<"$out" || fail "fwd default count: $out"
# A paced mode splits the device's drops into the pace's and the driver's, per second and in the totals.
out=$("$fwd" --seconds 1 --sim-mode realtime 2>&1)
grep -qE "^\[clock\] virtual second 1 \(paced to the wall clock\)" <<<"$out" || fail "fwd realtime clock line: $out"
grep -qE "\[sim:0\] RX: [0-9.]+ Mpps, [0-9]+ Mbit/s, [0-9.]+ Mpps dropped \([0-9.]+ by the simulation's pace, [0-9.]+ by the driver: rx ring empty\)" <<<"$out" || fail "fwd realtime drop split: $out"
grep -qE "\[sim:1\] total: rx [0-9]+ packets \([0-9]+ dropped by the device: [0-9]+ by the simulation's pace, [0-9]+ by the driver\)" <<<"$out" || fail "fwd realtime totals split: $out"
# --stats-json -: the JSON lines go to stdout beside the text (their fields: tests/stats_json_test.cc).
out=$("$pktgen" --seconds 1 --stats-json - 2>&1)
[ "$(grep -c '^{"clock":"virtual",' <<<"$out")" -eq 2 ] || fail "pktgen --stats-json: one second and the totals: $out"
grep -q '"final":true' <<<"$out" || fail "pktgen --stats-json final object: $out"
set +e
out=$("$fwd" --seconds 1 --stats-json /nonexistent-dir/x.json 2>&1); [ $? -eq 1 ] || fail "unwritable --stats-json must exit 1"
set -e
grep -q -- "--stats-json /nonexistent-dir/x.json: No such file" <<<"$out" || fail "--stats-json error: $out"
# --pcap: every frame on the simulated wire, read back by tshark (installed by ci/qemu/setup.sh).
command -v tshark >/dev/null || fail "tshark missing: run ci/qemu/setup.sh (./bazelw runs it)"
{
  pcap="${TEST_TMPDIR:-/tmp}/pktgen.pcap"
  out=$("$pktgen" --count 1000 --pcap "$pcap" 2>&1) || fail "pktgen --pcap: $out"
  ts() { tshark -r "$pcap" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE "$@" 2>/dev/null; }
  [ "$(ts | wc -l)" -eq 1000 ] || fail "pcap holds $(ts | wc -l) frames, pktgen sent 1000"
  # Ethernet/IPv4/UDP, IP header checksum verified good (1); UDP checksum absent (3: 0 is legal in IPv4) or good.
  [ "$(ts -Y 'eth.type == 0x0800 && ip.checksum.status == 1 && udp && udp.checksum.status != 0' | wc -l)" -eq 1000 ] ||
    fail "not every frame dissects as Ethernet/IPv4/UDP with good checksums: $(ts | head -3)"
  [ "$(ts -Y 'frame.time_delta < 0' | wc -l)" -eq 0 ] || fail "pcap frames out of time order"
  capinfos "$pcap" 2>/dev/null | grep -q "nanosecond" || fail "pcap timestamps must be nanosecond"
  # tools/pcap: what a port receives, with its timestamps.
  pcap="${TEST_TMPDIR:-/tmp}/rx.pcap"
  out=$("$pcaptool" --out "$pcap" --count 1000 2>&1) || fail "pcap tool: $out"
  grep -q "^wrote 1000 frames" <<<"$out" || fail "pcap tool count: $out"
  [ "$(ts -Y 'eth.dst == 02:53:49:4d:00:00' | wc -l)" -eq 1000 ] || fail "pcap tool file: $(ts | head -3)"
  [ "$(ts -Y 'frame.time_delta < 0' | wc -l)" -eq 0 ] || fail "pcap tool frames out of time order"
  set +e
  out=$("$pcaptool" --count 10 2>&1); [ $? -eq 1 ] || fail "pcap without --out must exit 1"
  set -e
  grep -q -- "--out FILE is required" <<<"$out" || fail "pcap --out message: $out"
  # fwd: both directions of both wires; every frame a port received or sent is in the file once.
  pcap="${TEST_TMPDIR:-/tmp}/fwd.pcap"
  out=$("$fwd" --count 5000 --pcap "$pcap" --stats-json - 2>&1) || fail "fwd --pcap: $out"
  want=$(( $(grep '"final":true' <<<"$out" | grep -oE '"(rx|tx)_packets":[0-9]+' | grep -oE '[0-9]+' | paste -sd+) ))
  [ "$(ts | wc -l)" -eq "$want" ] || fail "fwd pcap holds $(ts | wc -l) frames, ports counted $want"
}
# The functional model: a full virtual second at line rate on both ports, every frame forwarded.
out=$("$fwd" --seconds 1 --sim-mode virtual --sim-model functional 2>&1)
grep -qE "\[sim:0\] RX: 14.88 Mpps, 10000 Mbit/s, 0.00 Mpps dropped" <<<"$out" || fail "fwd functional stats: $out"
grep -qE "^forwarded 2976[0-9]{4} packets" <<<"$out" || fail "fwd functional count: $out"
# selftest: loopback on two simulated ports; then again after dropping root (the process keeps working).
out=$("$selftest" --ports sim,sim --count 2000 2>&1) || fail "selftest: $out"
[ "$(grep -c '^sim:[0-9]: PASS$' <<<"$out")" -eq 2 ] || fail "selftest per-port PASS: $out"
# Any legal ring size passes on a healthy port: the self-test never overruns the rx ring.
for ring in 8 16; do
  for model in timed functional; do
    out=$("$selftest" --rx-ring $ring --sim-model $model --count 3000 2>&1) || fail "selftest --rx-ring $ring ($model): $out"
    grep -q "\[ ok \] 0 frames lost" <<<"$out" || fail "selftest loss line: $out"
  done
done
if [ "$(id -u)" -eq 0 ]; then
  out=$("$selftest" --count 500 --user 65534:65534 2>&1) || fail "selftest after privilege drop: $out"
  grep -q "dropped privileges to uid 65534 gid 65534" <<<"$out" || fail "no privilege drop: $out"
  grep -q "selftest: PASS" <<<"$out" || fail "selftest as nobody: $out"
else
  out=$("$selftest" --count 500 --user 65534:65534 2>&1) && fail "privilege drop without root must fail"
  grep -q "not running as root" <<<"$out" || fail "privilege drop error: $out"
fi
set +e
out=$("$selftest" --user no-such-user-here 2>&1); [ $? -eq 1 ] || fail "unknown user must exit 1"
set -e
grep -q "unknown user" <<<"$out" || fail "unknown user message: $out"
echo "apps OK"
