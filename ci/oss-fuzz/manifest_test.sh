#!/usr/bin/env bash
# //fuzz:oss_fuzz_manifest_test: the checked-in source list of the OSS-Fuzz build (ci/oss-fuzz/targets.txt)
# must be what the Bazel graph says today (the generated manifest, $1). On a difference it prints the diff
# and the command that rewrites the list.
set -euo pipefail
generated="$1"
checked_in="$2"
if diff -u "$checked_in" "$generated"; then
  echo "ci/oss-fuzz/targets.txt matches the Bazel graph ($(grep -c ' main ' "$generated") fuzz targets)"
  exit 0
fi
echo
echo "ci/oss-fuzz/targets.txt is stale: the fuzz targets' dependencies changed (- checked in, + graph)."
echo "Run ci/oss-fuzz/update_manifest.sh and commit the result."
exit 1
