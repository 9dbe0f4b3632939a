#!/bin/bash -eu
# ClusterFuzzLite runs $SRC/build.sh from WORKDIR ($SRC/nicsim); the build itself is OSS-Fuzz's.
exec "$SRC/nicsim/ci/oss-fuzz/build.sh" "$@"
