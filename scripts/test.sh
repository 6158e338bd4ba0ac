#!/usr/bin/env bash
# Builds relay (scripts/build.sh) and runs the whole test suite: unit tests, the layering check
# and the end-to-end tests with real processes on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${RELAY_BUILD_DIR:-build}"
scripts/build.sh "$@"
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" --timeout 600
