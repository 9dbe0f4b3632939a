#!/usr/bin/env bash
# The OSS-Fuzz build, locally and without Docker: runs ci/oss-fuzz/build.sh with the environment OSS-Fuzz's
# builder sets for libFuzzer, then checks every fuzzer it produced the way the engine would use it:
#   1. replay: the fuzzer runs each file of its unpacked seed corpus ($OUT/X_fuzz_seed_corpus.zip), one by one;
#      every file must run, none may crash, leak or trip a sanitizer;
#   2. fuzz: a short libFuzzer run from that corpus, with $OUT/X_fuzz.dict when there is one (a malformed
#      dictionary fails here), into a scratch corpus;
#   3. runtime: the fuzzer needs no shared library beyond libc/libstdc++/libgcc/zlib (the engine's runner
#      image has little else).
# Prints one line per target and "OSS-FUZZ <target> PASS|FAIL", then a summary; exits non-zero on any FAIL.
#
#   ci/oss-fuzz/local.sh [seconds-of-fuzzing-per-target]     (default 10)
#   SANITIZER=undefined ci/oss-fuzz/local.sh                  (UBSan instead of ASan)
#   NICSIM_BUILD_JOBS=2 ci/oss-fuzz/local.sh                  (parallel compiles; default 1)
# Output: ci/out/oss-fuzz/<sanitizer>/{out,work,run}.
#
# Flags as OSS-Fuzz sets them (infra/base-images: base-clang's CFLAGS, base-builder's SANITIZER_FLAGS_* and
# COVERAGE_FLAGS for libFuzzer), with two differences forced by this machine:
#   * the compiler is Debian's clang-14 (OSS-Fuzz builds its own, newer clang);
#   * no -stdlib=libc++ in CXXFLAGS: Debian ships libc++'s headers in libc++-14-dev, which is not installed
#     here (only the libc++1-14 runtime is), so C++ builds against libstdc++. The real engine uses libc++.
# UBSan as OSS-Fuzz has it: every check in its default list fatal (-fno-sanitize-recover), plus
# unsigned-integer-overflow recoverable and silenced at run time (UBSAN_OPTIONS=silence_unsigned_overflow=1):
# unsigned wrap-around is defined behaviour, and OSS-Fuzz keeps the check only as extra coverage signal for
# the fuzzer (google/oss-fuzz#910, #3227). Projects that want it reported opt in; this one does not.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
seconds="${1:-10}"
sanitizer="${SANITIZER:-address}"

clang_bin="${CLANG_BIN:-clang-14}"
clangxx_bin="${CLANGXX_BIN:-clang++-14}"
command -v "$clangxx_bin" >/dev/null || { echo "local.sh: $clangxx_bin not found (apt: clang-14 libclang-rt-14-dev)"; exit 1; }

base_flags="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
ubsan_checks="array-bounds,bool,builtin,enum,float-divide-by-zero,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound,vptr"
case "$sanitizer" in
  address) sanitizer_flags="-fsanitize=address -fsanitize-address-use-after-scope" ;;
  undefined) sanitizer_flags="-fsanitize=$ubsan_checks,unsigned-integer-overflow -fno-sanitize-recover=$ubsan_checks" ;;
  *) echo "local.sh: SANITIZER=$sanitizer: only address and undefined are set up"; exit 1 ;;
esac
coverage_flags="-fsanitize=fuzzer-no-link"

scratch="$root/ci/out/oss-fuzz/$sanitizer"
rm -rf "$scratch"
mkdir -p "$scratch/out" "$scratch/work" "$scratch/run"

export CC="$clang_bin" CXX="$clangxx_bin"
export CFLAGS="$base_flags $sanitizer_flags $coverage_flags"
export CXXFLAGS="$CFLAGS"
export LIB_FUZZING_ENGINE="-fsanitize=fuzzer"
export OUT="$scratch/out" WORK="$scratch/work" SRC="$(dirname "$root")"
export FUZZING_ENGINE=libfuzzer SANITIZER="$sanitizer" ARCHITECTURE=x86_64 FUZZING_LANGUAGE=c++
export NICSIM_BUILD_JOBS="${NICSIM_BUILD_JOBS:-1}"
# At run time, as the engine's runner would: reports are fatal, with stacks.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:silence_unsigned_overflow=1:symbolize=1}"

echo "=== build.sh (SANITIZER=$sanitizer, CXX=$CXX, LIB_FUZZING_ENGINE=$LIB_FUZZING_ENGINE, OUT=$OUT)"
build_start=$SECONDS
if ! bash ci/oss-fuzz/build.sh >"$scratch/build.log" 2>&1; then
  tail -30 "$scratch/build.log"
  echo "OSS-FUZZ build FAIL (see $scratch/build.log)"
  exit 1
fi
build_seconds=$((SECONDS - build_start))
grep '^build.sh:' "$scratch/build.log"
warnings=$(grep -c 'warning:' "$scratch/build.log")
echo "=== built in ${build_seconds} s (${warnings} compiler warnings, see $scratch/build.log)"

# Shared libraries any runner has: the C and C++ runtimes, and zlib (the simulator's -lz), which every Ubuntu
# image the runners use carries (zlib1g is Priority: required; dpkg depends on it). Anything else would be
# missing there (libpcap, for one: hence cli_fuzz's libpcap-free PcapWriter).
runtime_ok='^(linux-vdso|libc|libm|libdl|libpthread|librt|libstdc\+\+|libc\+\+|libc\+\+abi|libgcc_s|ld-linux-x86-64|libz)\.so'

targets=$(find "$OUT" -maxdepth 1 -type f -name '*_fuzz' -perm -u+x -printf '%f\n' | sort)
[ -n "$targets" ] || { echo "local.sh: build.sh produced no fuzzers in $OUT"; exit 1; }
status=0
pass=0
fail=0
total_seeds=0
for t in $targets; do
  dir="$scratch/run/$t"
  mkdir -p "$dir/seeds" "$dir/corpus"
  why=""

  # 1. Replay every seed, file by file, from the zip build.sh wrote.
  seeds=0
  replay_ms=0
  if [ -f "$OUT/${t}_seed_corpus.zip" ]; then
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
      "$OUT/${t}_seed_corpus.zip" "$dir/seeds"
    seeds=$(find "$dir/seeds" -type f | wc -l)
  fi
  if [ "$seeds" -eq 0 ]; then
    why="no seed corpus"
  else
    t0=$(date +%s%N)
    (cd "$dir" && find seeds -type f -print0 | sort -z | xargs -0 "$OUT/$t" -timeout=25 -rss_limit_mb=2560) \
      >"$dir/replay.log" 2>&1
    rc=$?
    replay_ms=$((($(date +%s%N) - t0) / 1000000))
    ran=$(grep -c '^Executed ' "$dir/replay.log")
    if [ $rc -ne 0 ]; then
      why="replay exited $rc: $(grep -m1 -E 'ERROR|SUMMARY|runtime error' "$dir/replay.log")"
    elif [ "$ran" -ne "$seeds" ]; then
      why="replay ran $ran of $seeds seeds"
    fi
  fi
  total_seeds=$((total_seeds + seeds))

  # 2. A short fuzzing run from the corpus, with the dictionary.
  execs="-"
  cov="-"
  if [ -z "$why" ]; then
    dict_flag=()
    [ -f "$OUT/$t.dict" ] && dict_flag=("-dict=$OUT/$t.dict")
    (cd "$dir" && "$OUT/$t" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 -print_final_stats=1 \
        "${dict_flag[@]}" corpus seeds) >"$dir/fuzz.log" 2>&1
    rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/fuzz.log" | grep -o '[0-9]*$')
    cov=$(grep -oE 'cov: [0-9]+' "$dir/fuzz.log" | tail -1 | grep -oE '[0-9]+')
    if [ -n "${dict_flag[*]}" ] && ! grep -q 'Dictionary: [1-9][0-9]* entries' "$dir/fuzz.log"; then
      why="dictionary not loaded: $(grep -m1 -i 'dict' "$dir/fuzz.log")"
    elif [ $rc -ne 0 ] || ls "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* >/dev/null 2>&1; then
      why="fuzzing exited $rc: $(grep -m1 -E 'ERROR|SUMMARY|runtime error' "$dir/fuzz.log")"
    fi
  fi

  # 3. Runtime dependencies.
  extra_libs=$(ldd "$OUT/$t" | awk '{print $1}' | sed 's|.*/||' | grep -vE "$runtime_ok" | tr '\n' ' ')
  [ -z "$why" ] && [ -n "$extra_libs" ] && why="needs shared libraries a runner may lack: $extra_libs"

  dict_note="no dict"
  [ -f "$OUT/$t.dict" ] && dict_note="dict $(grep -cvE '^[[:space:]]*(#|$)' "$OUT/$t.dict") tokens"
  printf '%-20s %4d seeds replayed in %6d ms   fuzz %ss: %9s execs, cov %5s   %s\n' \
    "$t" "$seeds" "$replay_ms" "$seconds" "${execs:-?}" "${cov:-?}" "$dict_note"
  if [ -z "$why" ]; then
    echo "OSS-FUZZ $t PASS"
    pass=$((pass + 1))
  else
    echo "OSS-FUZZ $t FAIL: $why (logs in $dir)"
    fail=$((fail + 1))
    status=1
  fi
done
echo "=== SUMMARY ($sanitizer): $pass PASS, $fail FAIL; build ${build_seconds} s; $total_seeds seed inputs replayed"
exit $status
