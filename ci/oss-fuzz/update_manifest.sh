#!/usr/bin/env bash
# Rewrites ci/oss-fuzz/targets.txt (the sources ci/oss-fuzz/build.sh compiles) from the Bazel graph of the
# fuzz targets in fuzz/BUILD. Run it after changing what a fuzz target depends on; //fuzz:oss_fuzz_manifest_test
# fails until the result is committed.
set -euo pipefail
cd "$(dirname "$0")/../.."
BAZELW_QUIET=1 ./bazelw build //fuzz:oss_fuzz_manifest 2>&1 | grep -vE '^(INFO|Loading|Analyzing|\[)' || true
bin=$(BAZELW_QUIET=1 ./bazelw info bazel-bin 2>/dev/null)
install -m 0644 "$bin/fuzz/oss_fuzz_manifest.txt" ci/oss-fuzz/targets.txt
echo "ci/oss-fuzz/targets.txt: $(grep -c ' main ' ci/oss-fuzz/targets.txt) targets, $(grep ' lib ' ci/oss-fuzz/targets.txt | cut -d' ' -f3 | sort -u | wc -l) library sources"
