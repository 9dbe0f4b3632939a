#!/usr/bin/env bash
# The benchmark programs run and print their tables (no timing is asserted here).
set -euo pipefail
out=$("$1" --packets 20000 --runs 2)
[ "$(grep -cE '^(1|8|32|64|256) ' <<<"$out")" -eq 5 ] || { echo "fwd_cost table: $out"; exit 1; }
out=$("$1" --callgrind --packets 1000 --batch 1,32)
[ "$(grep -cE '^batch (1|32): forwarded [0-9]+ packets' <<<"$out")" -eq 2 ] || { echo "fwd_cost --callgrind: $out"; exit 1; }
"$1" --batch 0 2>/dev/null && { echo "fwd_cost: --batch 0 must fail"; exit 1; }
"$1" --help | grep -q -- "--runs" || { echo "fwd_cost --help"; exit 1; }
"$2" --benchmark_filter='BM_(RxOnly|TxOnly)/32|BM_MempoolAllocFree/32' --benchmark_min_time=0.01 | grep -q BM_TxOnly/32
out=$("$3" --ms 2)
[ "$(grep -cE '^(functional|timed) ' <<<"$out")" -eq 6 ] || { echo "sim_throughput table: $out"; exit 1; }
"$3" --help | grep -q -- "--ms" || { echo "sim_throughput --help"; exit 1; }
# --csv and the plots: each bench's CSV renders with its gnuplot script (tools/plot/plot_bench.sh's steps).
tmp="${TEST_TMPDIR:-/tmp}"
render() {  # bench-name gp-script csv
  gnuplot -e "csv='$3'; out='$tmp/$1.svg'; host='test'" "$2" || { echo "gnuplot $2 failed"; exit 1; }
  grep -q "<svg" "$tmp/$1.svg" && [ "$(grep -c "<path" "$tmp/$1.svg")" -gt 10 ] || { echo "$1.svg: no plot"; exit 1; }
}
"$1" --packets 20000 --runs 1 --csv "$tmp/fc.csv" >/dev/null
[ "$(head -1 "$tmp/fc.csv")" = "batch,cycles_per_packet,ns_per_packet,mpps,min,max,trimmed_mean,sum" ] && [ "$(wc -l <"$tmp/fc.csv")" -eq 6 ] ||
  { echo "fwd_cost --csv: $(cat "$tmp/fc.csv")"; exit 1; }
render fwd_cost "$5" "$tmp/fc.csv"
"$3" --ms 2 --csv "$tmp/st.csv" >/dev/null
[ "$(grep -cE '^(functional|timed),(64|512|1518),' "$tmp/st.csv")" -eq 6 ] || { echo "sim_throughput --csv: $(cat "$tmp/st.csv")"; exit 1; }
render sim_throughput "$6" "$tmp/st.csv"
"$4" --seconds 0.05 --csv "$tmp/mq.csv" >/dev/null
grep -qE '^1,[0-9.]+,[0-9.]+$' "$tmp/mq.csv" || { echo "mq_scaling --csv: $(cat "$tmp/mq.csv")"; exit 1; }
render mq_scaling "$7" "$tmp/mq.csv"
out=$("$1" --csv /nonexistent-dir/x.csv 2>&1) && { echo "fwd_cost: unwritable --csv must fail"; exit 1; }
grep -q "No such file" <<<"$out" || { echo "fwd_cost: unwritable --csv: $out"; exit 1; }
# Instructions per packet under callgrind: one row per batch size, a count in each. Valgrind cannot run a
# binary built with AddressSanitizer (the asan suite): there the default suite's run is the check.
if grep -q __asan_init "$1"; then
  echo "fwd_instructions.sh: skipped (AddressSanitizer build; valgrind cannot run it)"
else
  out=$("$8" "$1" 2000 1,32)
  [ "$(grep -cE '^(1|32) +[0-9]+ +[0-9]+ +[0-9.]+$' <<<"$out")" -eq 2 ] || { echo "fwd_instructions.sh: $out"; exit 1; }
fi
echo "bench OK"
