#!/usr/bin/env bash
# A few seconds of soak with faults: every frame accounted for, the driver broke no datasheet rule.
set -euo pipefail
soak="$1"
"$soak" --help | grep -q -- "--seed" || { echo "FAIL: soak --help"; exit 1; }
for seed in 1 2; do
  out=$("$soak" --seconds 3 --seed "$seed" 2>&1) || { echo "$out"; echo "FAIL: soak seed $seed exited non-zero"; exit 1; }
  echo "$out"
  grep -q "^0 lost unaccounted$" <<<"$out" || { echo "FAIL: seed $seed"; exit 1; }
  grep -qE "^faults injected: [1-9]" <<<"$out" || { echo "FAIL: seed $seed injected no faults"; exit 1; }
done
echo PASS
