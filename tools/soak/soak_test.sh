#!/usr/bin/env bash
# Soak runs of 1.5 virtual s (the same on every machine) with overlapping faults, both models, 1, 2 and 4
# queues: every frame read back
# (none duplicated, reordered or damaged), every loss counted by cause and sent near a fault, a fault-free phase
# that loses nothing, a surprise removal handled, every buffer back, no datasheet rule broken.
set -euo pipefail
soak="$1"
"$soak" --help | grep -q -- "--seed" || { echo "FAIL: soak --help"; exit 1; }
for run in "1 timed 2" "2 timed 1" "1 functional 2" "3 functional 4"; do
  set -- $run
  out=$("$soak" --seconds 120 --virtual-ms 1500 --seed "$1" --sim-model "$2" --queues "$3" --quiet 2>&1) || { echo "$out"; echo "FAIL: soak $run exited non-zero"; exit 1; }
  echo "$out"
  grep -q "^0 problems$" <<<"$out" || { echo "FAIL: $run"; exit 1; }
  grep -qE "^faults injected: [1-9]" <<<"$out" || { echo "FAIL: $run injected no faults"; exit 1; }
  grep -qE "^faults that overlapped another: [1-9]" <<<"$out" || { echo "FAIL: $run: no faults overlapped"; exit 1; }
  [ "$(grep -cE '^fault-free phase .*: [1-9][0-9]* sent, 0 lost$' <<<"$out")" -eq 2 ] || { echo "FAIL: $run fault-free phase"; exit 1; }
  grep -q "reported dead by the first watchdog; rx/tx on it returned 0/0; .*: link down, 0 tx hangs, 0 recoveries since$" <<<"$out" ||
    { echo "FAIL: $run surprise removal"; exit 1; }
  [ "$(grep -c '  lost unaccounted: 0$' <<<"$out")" -eq 2 ] || { echo "FAIL: $run accounting"; exit 1; }
  [ "$(grep -c 'duplicates 0, reordered within a flow 0, damaged 0, never sent 0, lost with no fault near 0$' <<<"$out")" -eq 2 ] ||
    { echo "FAIL: $run read-back"; exit 1; }
  grep -q "interrupt-driven rx: [1-9][0-9]* phases, [1-9][0-9]* wake-ups by interrupt" <<<"$out" || { echo "FAIL: $run: no interrupt woke the receiver"; exit 1; }
done
# --stats-json: one object per wall second, then the totals, which agree with the text table.
json="${TEST_TMPDIR:-/tmp}/soak.json"
out=$("$soak" --seconds 2 --seed 4 --quiet --stats-json "$json" 2>&1) || { echo "$out"; echo "FAIL: soak --stats-json"; exit 1; }
[ "$(grep -c '^\[soak\] wall second [0-9]*, virtual ' <<<"$out")" -ge 1 ] || { echo "FAIL: no progress lines: $out"; exit 1; }
lines=$(wc -l <"$json")
[ "$lines" -ge 2 ] || { echo "FAIL: $lines JSON lines"; exit 1; }
[ "$(grep -c '"final":true' "$json")" -eq 1 ] && tail -1 "$json" | grep -q '"final":true' || { echo "FAIL: final object"; exit 1; }
grep -q '"drops":{[^}]*"driver_rx_discarded":' "$json" || { echo "FAIL: drops by cause"; exit 1; }
sum() { grep -oE "$1" | grep -oE '[0-9]+' | awk '{s += $1} END {print s + 0}'; }
text=$(sum ', delivered [0-9]+' <<<"$out")
final=$(tail -1 "$json" | sum '"delivered":[0-9]+')
[ "$text" -gt 0 ] && [ "$text" = "$final" ] || { echo "FAIL: JSON totals deliver $final, the table $text"; exit 1; }
per_second=$(head -n -1 "$json" | sum '"delivered":[0-9]+')
[ "$per_second" -le "$final" ] || { echo "FAIL: seconds add up to more than the total"; exit 1; }
echo PASS
