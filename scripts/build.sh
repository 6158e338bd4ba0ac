#!/usr/bin/env bash
# Installs the dependencies (Debian packages) if missing, then configures and builds relay into
# ./build. Extra arguments go to CMake's configure step, e.g. -DRELAY_SANITIZE="address;undefined".
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${RELAY_BUILD_DIR:-build}"
scripts/install-deps.sh
cmake -S . -B "$build_dir" -G Ninja "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
