#!/usr/bin/env bash
# A few seconds of soak with faults: every frame accounted for, the driver broke no datasheet rule.
set -euo pipefail
soak="$1"
"$soak" --help | grep -q -- "--seed" || { echo "FAIL: soak --help"; exit 1; }
for run in "1 timed" "2 timed" "1 functional" "3 functional"; do
  set -- $run
  out=$("$soak" --seconds 3 --seed "$1" --sim-model "$2" 2>&1) || { echo "$out"; echo "FAIL: soak $run exited non-zero"; exit 1; }
  echo "$out"
  grep -q "^0 lost unaccounted$" <<<"$out" || { echo "FAIL: $run"; exit 1; }
  grep -qE "^faults injected: [1-9]" <<<"$out" || { echo "FAIL: $run injected no faults"; exit 1; }
done
echo PASS
