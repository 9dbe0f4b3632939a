#!/usr/bin/env bash
# tools/nicsim_server as a user runs it, without a VM: --help, a clear error and exit status 1 for each kind of
# bad input (before anything is served), an address in use, SIGTERM, --max-seconds, --wire gen feeding
# every frame of its generator to the port (the model's counters account for each one), and bursts on SIGUSR1. The vfio-user side
# with real clients is //tests/qemu:qemu_vfio_user_test's.
set -uo pipefail
server="$1"
dir=$(mktemp -d /tmp/nicsim-srv.XXXXXX)  # short: sockaddr_un paths are at most 107 bytes
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$dir"' EXIT
failures=0
check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then echo "  [ ok ] $what"; else echo "  [FAIL] $what"; failures=$((failures + 1)); fi
}
# refuses ARGS... MESSAGE: exit status 1, MESSAGE in the output, and no socket left behind.
refuses() {
  local msg="${*: -1}" out rc
  out=$("$server" "${@:1:$#-1}" 2>&1); rc=$?
  [ "$rc" = 1 ] && grep -qF -- "$msg" <<<"$out" && [ -z "$(ls "$dir")" ] || { echo "    got status $rc: $out"; return 1; }
}

out=$("$server" --help 2>&1)
check "--help lists the options" sh -c "for o in --socket --ports --socket-dir --wire --pcap --mac-base --sfp --strict --gen-pps --max-seconds; do echo \"\$1\" | grep -q -- \"\$o\" || exit 1; done" _ "$out"
check "unknown --wire" refuses --ports 1 --socket-dir "$dir" --wire bogus "--wire: 'bogus' is not one of"
check "--wire pair with an odd number of ports" refuses --ports 3 --socket-dir "$dir" --wire pair "give an even number of ports"
check "--ports without --socket-dir" refuses --ports 2 "--ports N needs --socket-dir D"
check "a --socket-dir that does not exist" refuses --ports 1 --socket-dir "$dir/nope" "no such directory"
check "a socket in a directory that does not exist" refuses --socket "$dir/nope/x.sock" "its directory does not exist"
check "a bad --mac-base" refuses --ports 1 --socket-dir "$dir" --mac-base zz "--mac-base: 'zz' is not a MAC address"
check "--pcap with nothing to capture" refuses --ports 1 --socket-dir "$dir" --wire none --pcap "$dir/x.pcap" "--pcap captures the wires"
check "--gen-pps out of range" refuses --ports 1 --socket-dir "$dir" --gen-pps 0 "--gen-pps: 0 is out of range"
check "--gen-on sigusr1 without --gen-count" refuses --ports 1 --socket-dir "$dir" --wire gen --gen-on sigusr1 "give --gen-count N"
check "an unknown --gen-on" refuses --ports 1 --socket-dir "$dir" --wire gen --gen-on link "--gen-on: 'link' is not one of"
check "--gen-count without --wire gen" refuses --ports 1 --socket-dir "$dir" --wire sink --gen-count 5 "need --wire gen"
check "an unknown --sfp" refuses --ports 1 --socket-dir "$dir" --sfp qsfp "--sfp: 'qsfp' is not one of"

# An address in use, then SIGTERM: a clean stop with its report, the socket removed.
"$server" --socket "$dir/a.sock" --quiet >"$dir/a.log" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q 'listening on' "$dir/a.log" && break; sleep 0.1; done
out=$("$server" --socket "$dir/a.sock" 2>&1); rc=$?
check "a second server on the same socket: address in use (status $rc)" sh -c "[ $rc = 1 ] && echo \"\$1\" | grep -q 'address in use'" _ "$out"
kill -TERM "$pid"
wait "$pid"; rc=$?
check "SIGTERM: status $rc, stopped on the signal with a report, socket removed" \
  sh -c "[ $rc = 0 ] && grep -q 'stopping (signal)' '$dir/a.log' && grep -q '^=== port0' '$dir/a.log' && [ ! -e '$dir/a.sock' ]"
rm -f "$dir/a.log"

# --wire gen: every frame the generator offered reached the port; with no driver the link never came up,
# so the model counts each one as lost to a down link.
"$server" --ports 1 --socket-dir "$dir" --wire gen --gen-pps 1000 --max-seconds 2 --quiet >"$dir/g.log" 2>&1; rc=$?
line=$(grep -E '^  generator: ' "$dir/g.log")
offered=$(grep -oE '[0-9]+ frames offered' <<<"$line" | grep -oE '^[0-9]+')
down=$(grep -oE '[0-9]+ with the link down' <<<"$line" | grep -oE '^[0-9]+')
echo "    $line"
check "--max-seconds 2 stops the server (status $rc)" sh -c "[ $rc = 0 ] && grep -q 'stopping (--max-seconds 2 reached)' '$dir/g.log'"
check "--wire gen: frames offered (${offered:-?}) and every one accounted for by the model (${down:-?})" \
  sh -c "[ -n '$offered' ] && [ '$offered' -gt 0 ] && [ '$offered' = '$down' ]"

# --gen-on sigusr1: nothing until a signal, then --gen-count frames into every port per signal.
"$server" --ports 2 --socket-dir "$dir" --wire gen --gen-on sigusr1 --gen-count 40 --gen-pps 1000 --max-seconds 3 --quiet \
  >"$dir/b.log" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q 'listening on' "$dir/b.log" && break; sleep 0.1; done
sleep 0.5
kill -USR1 "$pid"
sleep 0.3
kill -USR1 "$pid"
wait "$pid"; rc=$?
offered=$(grep -oE '^  generator: [0-9]+ frames offered' "$dir/b.log" | grep -oE '[0-9]+' | tr '\n' ' ')
check "--gen-on sigusr1: two signals, two bursts of 40 into each port (offered: ${offered:-?}; status $rc)" \
  sh -c "[ $rc = 0 ] && [ '$offered' = '80 80 ' ] && [ \$(grep -c '^nicsim_server: generator burst' '$dir/b.log') = 2 ]"

[ "$failures" = 0 ] || { echo "nicsim_server_test: FAIL ($failures)"; exit 1; }
echo "nicsim_server_test: PASS"
