#!/usr/bin/env bash
# Renders a benchmark table as an SVG: runs the bench program (-c opt) with --csv, then gnuplot (Debian's
# gnuplot-nox, installed here if missing) with tools/plot/<bench>.gp.
#   tools/plot/plot_bench.sh fwd_cost|mq_scaling|sim_throughput|all [OUT.svg]
# Default output: docs/bench_<bench>.svg. Wall-clock figures: the plot names the host it was measured on;
# RESULTS.md (tools/bench) gives the spread over runs and machines.
set -euo pipefail
cd "$(dirname "$0")/../.."
usage() { echo "usage: $0 fwd_cost|mq_scaling|sim_throughput|all [OUT.svg]"; }
[ $# -ge 1 ] || { usage >&2; exit 2; }
case "$1" in
  -h|--help) usage; exit 0 ;;
  all) for b in fwd_cost mq_scaling sim_throughput; do "$0" "$b"; done; exit 0 ;;
  fwd_cost|mq_scaling|sim_throughput) bench="$1" ;;
  *) echo "plot_bench: unknown bench '$1'" >&2; usage >&2; exit 2 ;;
esac
out="${2:-docs/bench_$bench.svg}"
if ! command -v gnuplot >/dev/null; then
  echo "plot_bench: installing gnuplot-nox" >&2
  apt-get install -y -qq --no-install-recommends gnuplot-nox >&2
fi
BAZELW_QUIET=1 ./bazelw build -c opt "//tools/bench:$bench" >&2
csv="$(mktemp --suffix=.csv)"
trap 'rm -f "$csv"' EXIT
args=()
[ "$bench" = sim_throughput ] && args=(--ms 300)  # the timed model's 64 B row alone takes ~4 wall s at 300 ms
"$(./bazelw info -c opt bazel-bin 2>/dev/null)/tools/bench/$bench" "${args[@]}" --csv "$csv"
host="$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(date -u +%Y-%m-%d)"
mkdir -p "$(dirname "$out")"
gnuplot -e "csv='$csv'; out='$out'; host='$host'" "tools/plot/$bench.gp"
echo "wrote $out"
