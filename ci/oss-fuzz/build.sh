#!/bin/bash -eu
# The OSS-Fuzz / ClusterFuzzLite build of every fuzz target in fuzz/BUILD, without Bazel (the engines'
# builder images have none). It uses only what the engine puts in the environment:
#   CC, CXX, CFLAGS, CXXFLAGS   compilers and flags (sanitizer, coverage instrumentation, -stdlib=...)
#   LIB_FUZZING_ENGINE          what a fuzzer links for its main() (libFuzzer: -fsanitize=fuzzer)
#   OUT                         where the fuzzers, seed corpora and dictionaries go
#   WORK                        scratch space for objects (a temporary directory if unset)
# and writes, for each target X_fuzz:
#   $OUT/X_fuzz                 the fuzzer
#   $OUT/X_fuzz_seed_corpus.zip fuzz/corpus/X/*, flat (the engine unpacks it as the starting corpus)
#   $OUT/X_fuzz.dict            fuzz/X.dict, when the target has one
#
# What to compile comes from ci/oss-fuzz/targets.txt, generated from the Bazel graph and kept current by
# //fuzz:oss_fuzz_manifest_test (see tools/bazel/oss_fuzz.bzl): each target's own source ("main"), the
# sources of every library it depends on ("lib"), their linkopts ("link") and external repositories
# ("external"). An exact list rather than a glob of driver/ and sim/: a glob would also pick up the VFIO
# and tool sources nothing here needs, and alternatives that must not be linked together (sim/pcap_tap.cc
# and sim/pcap_unavailable.cc define the same class). The library sources of all targets are compiled once
# into one static archive, libnicsim.a; each target links its own object against it, so it takes from the
# archive only what it references, as a Bazel link of the same libraries would.
#
# fuzz/replay_main.cc (the corpus replayer Bazel links outside --config=fuzz) is never compiled:
# $LIB_FUZZING_ENGINE provides main(). Warnings are not errors here (the engine's clang is newer than the
# project's); Bazel builds keep -Werror.
#
# Locally: ci/oss-fuzz/local.sh runs this script with the environment OSS-Fuzz sets for libFuzzer + ASan (or
# UBSan), then runs every fuzzer on its corpus.
set -euo pipefail

# The repository: next to this script when run from a checkout (.clusterfuzzlite/build.sh, local.sh), else
# the working directory (OSS-Fuzz copies build.sh to $SRC/build.sh and runs it from the project's WORKDIR).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -f "$here/../../fuzz/BUILD" ]; then
  root="$(cd "$here/../.." && pwd)"
elif [ -f "$PWD/fuzz/BUILD" ]; then
  root="$PWD"
elif [ -n "${SRC:-}" ] && [ -f "$SRC/nicsim/fuzz/BUILD" ]; then
  root="$SRC/nicsim"
else
  echo "build.sh: cannot find the nicsim checkout (no fuzz/BUILD next to $here, in $PWD or in \$SRC/nicsim)" >&2
  exit 1
fi

: "${CC:?build.sh: CC must be set (the engine sets it)}"
: "${CXX:?build.sh: CXX must be set (the engine sets it)}"
: "${OUT:?build.sh: OUT must be set (the engine sets it)}"
: "${LIB_FUZZING_ENGINE:?build.sh: LIB_FUZZING_ENGINE must be set (the engine sets it)}"
CFLAGS="${CFLAGS:-}"
CXXFLAGS="${CXXFLAGS:-}"
if [ -z "${WORK:-}" ]; then
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
fi
jobs="${NICSIM_BUILD_JOBS:-$(nproc 2>/dev/null || echo 1)}"
manifest="$root/ci/oss-fuzz/targets.txt"
obj="$WORK/nicsim-obj"
mkdir -p "$OUT" "$obj"
cd "$root"
started=$SECONDS

die() { echo "build.sh: $*" >&2; exit 1; }

# --- Read the manifest ------------------------------------------------------------------------------------
[ -f "$manifest" ] || die "$manifest is missing (ci/oss-fuzz/update_manifest.sh writes it)"
targets=()
libs=()
declare -A main_of=() links_of=() externals=()
while read -r target kind value; do
  case "$target" in "" | "#"*) continue ;; esac
  case "$kind" in
    main)
      [ -n "${main_of[$target]:-}" ] || targets+=("$target")
      main_of[$target]="${main_of[$target]:-} $value"
      ;;
    lib) libs+=("$value") ;;
    link) links_of[$target]="${links_of[$target]:-} $value" ;;
    external) externals[$value]=1 ;;
    unsupported) die "$target: the Bazel graph has something this build cannot reproduce: $value" ;;
    *) die "$manifest: unknown line: $target $kind $value" ;;
  esac
done <"$manifest"
[ ${#targets[@]} -gt 0 ] || die "$manifest names no fuzz targets"

# A cheap staleness check that needs no Bazel: the manifest's targets are exactly fuzz/BUILD's (the same
# discovery as ci/fuzz.sh). The full check, sources included, is //fuzz:oss_fuzz_manifest_test.
declared=$(sed -n 's/^ *name = "\(.*_fuzz\)",$/\1/p' fuzz/BUILD | sort)
listed=$(printf '%s\n' "${targets[@]}" | sort)
[ "$declared" = "$listed" ] ||
  die "ci/oss-fuzz/targets.txt lists [$(echo $listed)] but fuzz/BUILD declares [$(echo $declared)]: run ci/oss-fuzz/update_manifest.sh"

# External repositories come from the system here (the Dockerfiles install them), not from Bazel.
for ext in "${!externals[@]}"; do
  case "$ext" in
    nlohmann_json)  # header-only; Debian/Ubuntu nlohmann-json3-dev
      if ! err=$(echo '#include "nlohmann/json.hpp"' | $CXX $CXXFLAGS -std=c++20 -x c++ -fsyntax-only - 2>&1); then
        die "cannot compile against nlohmann/json.hpp (install nlohmann-json3-dev; the Dockerfiles do): $err"
      fi
      ;;
    *) die "external repository @$ext: this build does not know how to provide it (teach build.sh)" ;;
  esac
done

# --- Compile ---------------------------------------------------------------------------------------------
# One object per source, named after its path; C sources with $CC $CFLAGS, C++ with $CXX $CXXFLAGS.
compile_one() {
  local src="$1" o
  o="$obj/$(echo "${src%.*}" | tr / _).o"
  case "$src" in
    *.c) $CC $CFLAGS -I. -c "$src" -o "$o" ;;
    *) $CXX $CXXFLAGS -std=c++20 -I. -c "$src" -o "$o" ;;
  esac || { echo "build.sh: compiling $src failed" >&2; return 255; }  # 255 stops xargs at once
}
export -f compile_one
export CC CXX CFLAGS CXXFLAGS obj
objname() { echo "$obj/$(echo "${1%.*}" | tr / _).o"; }

mapfile -t unique_libs < <(printf '%s\n' "${libs[@]}" | sort -u)
mains=()
for t in "${targets[@]}"; do
  for m in ${main_of[$t]}; do mains+=("$m"); done
done
echo "build.sh: $CXX, ${#unique_libs[@]} library sources + ${#mains[@]} fuzz targets, $jobs at a time"
echo "build.sh: CXXFLAGS=$CXXFLAGS"
printf '%s\n' "${unique_libs[@]}" "${mains[@]}" | xargs -P "$jobs" -I{} bash -c 'compile_one "$1"' _ {}
compiled=$SECONDS

rm -f "$WORK/libnicsim.a"
lib_objs=()
for s in "${unique_libs[@]}"; do lib_objs+=("$(objname "$s")"); done
ar rcs "$WORK/libnicsim.a" "${lib_objs[@]}"

# --- Link, and put each fuzzer's corpus and dictionary next to it -----------------------------------------
zip_flat() {  # zip_flat out.zip files...: the files at the top level of the archive
  local zipfile="$1"
  shift
  rm -f "$zipfile"
  if command -v zip >/dev/null; then
    zip -qj "$zipfile" "$@"
  else
    python3 -c 'import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for f in sys.argv[2:]:
        z.write(f, os.path.basename(f))' "$zipfile" "$@"
  fi
}

for t in "${targets[@]}"; do
  main_objs=()
  for m in ${main_of[$t]}; do main_objs+=("$(objname "$m")"); done
  # shellcheck disable=SC2086  # LIB_FUZZING_ENGINE and the linkopts are lists of flags
  $CXX $CXXFLAGS "${main_objs[@]}" "$WORK/libnicsim.a" $LIB_FUZZING_ENGINE ${links_of[$t]:-} -o "$OUT/$t"

  base="${t%_fuzz}"
  shopt -s nullglob
  seeds=("fuzz/corpus/$base"/*)
  shopt -u nullglob
  if [ ${#seeds[@]} -gt 0 ]; then
    zip_flat "$OUT/${t}_seed_corpus.zip" "${seeds[@]}"
  else
    echo "build.sh: warning: $t has no seed corpus (fuzz/corpus/$base is empty)" >&2
  fi
  dict=""
  if [ -f "fuzz/$base.dict" ]; then
    cp "fuzz/$base.dict" "$OUT/$t.dict"
    dict=", $t.dict"
  fi
  echo "build.sh: $OUT/$t (${#seeds[@]} seeds$dict)"
done
echo "build.sh: ${#targets[@]} fuzz targets in $((SECONDS - started)) s (compiling $((compiled - started)) s)"
