#!/usr/bin/env bash
# The benchmark programs run and print their tables (no timing is asserted here).
set -euo pipefail
out=$("$1" --packets 20000)
[ "$(grep -cE '^(1|8|32|64|256) ' <<<"$out")" -eq 5 ] || { echo "fwd_cost table: $out"; exit 1; }
"$1" --callgrind --packets 1000 | grep -q "forwarded" || { echo "fwd_cost --callgrind"; exit 1; }
"$2" --benchmark_filter='BM_(RxOnly|TxOnly)/32|BM_MempoolAllocFree/32' --benchmark_min_time=0.01 | grep -q BM_TxOnly/32
out=$("$3" --ms 2)
[ "$(grep -cE '^(functional|timed) ' <<<"$out")" -eq 6 ] || { echo "sim_throughput table: $out"; exit 1; }
"$3" --help | grep -q -- "--ms" || { echo "sim_throughput --help"; exit 1; }
echo "bench OK"
