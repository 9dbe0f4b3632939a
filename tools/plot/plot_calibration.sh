#!/usr/bin/env bash
# Renders the calibration plot: runs the calibration (virtual time: the same figures on every host) with
# --csv, then gnuplot (Debian's gnuplot-nox, installed here if missing) writes docs/calibration.svg.
#   tools/plot/plot_calibration.sh [OUT.svg]
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-docs/calibration.svg}"
if ! command -v gnuplot >/dev/null; then
  echo "plot_calibration: installing gnuplot-nox" >&2
  apt-get install -y -qq --no-install-recommends gnuplot-nox >&2
fi
BAZELW_QUIET=1 ./bazelw build -c opt //tools/calibrate:calibrate >&2
csv="$(mktemp --suffix=.csv)"
trap 'rm -f "$csv"' EXIT
"$(./bazelw info -c opt bazel-bin 2>/dev/null)/tools/calibrate/calibrate" --csv "$csv" >/dev/null
mkdir -p "$(dirname "$out")"
gnuplot -e "csv='$csv'; out='$out'" tools/plot/calibration.gp
echo "wrote $out"
