#!/usr/bin/env bash
# Builds relay (scripts/build.sh) and runs the whole test suite: unit tests, the layering check
# and the end-to-end tests with real processes on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${RELAY_BUILD_DIR:-build}"
scripts/build.sh "$@"
# Unit tests and the layering check keep a core busy each: one per core. The end-to-end tests
# mostly wait on real processes, sockets and timers (the whole suite keeps a quarter of one core
# busy), so three run per core. Both sets run; either failing fails the script.
status=0
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" --timeout 600 -E '^e2e\.' || status=1
ctest --test-dir "$build_dir" --output-on-failure -j"$((3 * $(nproc)))" --timeout 600 -R '^e2e\.' ||
  status=1
exit $status
