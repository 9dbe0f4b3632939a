#!/usr/bin/env bash
# Bounded fuzzing of every libFuzzer target (clang-14, ASan + UBSan, --config=fuzz), as CI can afford it.
#   ci/fuzz.sh [seconds-per-target]    (default 30)
# Each target starts from its checked-in corpus (fuzz/corpus/<target>) and writes what it finds to a
# scratch corpus, so the checked-in one changes only when a person copies inputs in. Prints one line per
# target (executions, executions/s, coverage, new inputs) and "FUZZ <target> PASS|FAIL"; a crash leaves its
# input in ci/out/fuzz/<target>/ and fails the run. Add such inputs to fuzz/corpus/<target>/ once fixed:
# they are then replayed by every `bazel test //...`.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds="${1:-30}"
out=ci/out/fuzz
mkdir -p "$out"

targets=$(sed -n 's/^ *name = "\(.*_fuzz\)",$/\1/p' fuzz/BUILD)
[ -n "$targets" ] || { echo "ci/fuzz.sh: no fuzz targets found in fuzz/BUILD"; exit 1; }
bins=$(for t in $targets; do printf '//fuzz:%s_fuzzer ' "$t"; done)
echo "=== building fuzzers: $bins"
./bazelw build --config=fuzz $bins 2>&1 | grep -vE '^(INFO|Loading|Analyzing|\[)' || true
bin_dir=$(./bazelw info --config=fuzz bazel-bin 2>/dev/null)

status=0
for t in $targets; do
  scratch="$out/$t"
  rm -rf "$scratch"; mkdir -p "$scratch/corpus"
  dict=""
  [ -f "fuzz/${t%_fuzz}.dict" ] && dict="-dict=$root/fuzz/${t%_fuzz}.dict"
  log="$scratch/log.txt"
  (cd "$scratch" && "$bin_dir/fuzz/${t}_fuzzer" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
      $dict corpus "$root/fuzz/corpus/${t%_fuzz}") > "$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  new=$(grep -o 'stat::new_units_added: *[0-9]*' "$log" | grep -o '[0-9]*$')
  printf '%-20s %10s execs %8s execs/s  coverage %5s edges  %5s new inputs\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${new:-?}"
  if [ $rc -ne 0 ] || ls "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* >/dev/null 2>&1; then
    echo "FUZZ $t FAIL (see $log)"; grep -m3 -E 'ERROR|SUMMARY' "$log"
    status=1
  else
    echo "FUZZ $t PASS"
  fi
done
exit $status
