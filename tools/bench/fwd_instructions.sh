#!/usr/bin/env bash
# Instructions per forwarded packet at every batch size: callgrind counts the instructions executed inside
# app::forward (tools/forward.h; the device's work runs outside it) while fwd_cost --callgrind forwards a fixed
# number of packets. Exact and repeatable: independent of the machine's load.
#   tools/bench/fwd_instructions.sh [FWD_COST_BINARY] [PACKETS] [BATCHES]
# Defaults: the -c opt build's fwd_cost, 1000000 packets, 1,8,32,64,256.
set -euo pipefail
usage() { echo "usage: $0 [FWD_COST_BINARY] [PACKETS] [BATCHES]   (defaults: the -c opt build, 1000000, 1,8,32,64,256)"; }
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
bin="${1:-}"
if [ -z "$bin" ]; then
  cd "$(dirname "$0")/../.."
  ./bazelw build -c opt //tools/bench:fwd_cost >&2
  bin="$(./bazelw info -c opt bazel-bin 2>/dev/null)/tools/bench/fwd_cost"
fi
packets="${2:-1000000}"
batches="${3:-1,8,32,64,256}"
command -v valgrind >/dev/null || { echo "$0: valgrind not found (apt install valgrind)" >&2; exit 1; }
[ -x "$bin" ] || { echo "$0: $bin: no such program" >&2; usage >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "instructions inside app::forward per forwarded packet (callgrind; $packets packets per batch size)"
printf "%-6s %14s %12s %10s\n" batch instructions packets "instr/packet"
for b in ${batches//,/ }; do
  out=$(valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$b" --toggle-collect='*forward*' \
    "$bin" --callgrind --batch "$b" --packets "$packets" 2>/dev/null)
  fwd=$(sed -n 's/^batch [0-9]*: forwarded \([0-9]*\) packets.*/\1/p' <<<"$out")
  ir=$(sed -n 's/^totals: \([0-9]*\).*/\1/p' "$tmp/cg.$b")
  [ -n "$fwd" ] && [ -n "$ir" ] && [ "$fwd" -gt 0 ] || { echo "$0: batch $b: no count ($out)" >&2; exit 1; }
  awk -v b="$b" -v ir="$ir" -v n="$fwd" 'BEGIN { printf "%-6s %14d %12d %10.1f\n", b, ir, n, ir / n }'
done
