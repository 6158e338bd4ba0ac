#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz/*_fuzz.cpp) with clang and runs each for N seconds
# (default 30) from its seed corpus. A crash fails the script and leaves the input in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
RELAY_DEPS=build scripts/install-deps.sh
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DRELAY_FUZZ=ON -DRELAY_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)"
shopt -s nullglob
failed=0
for bin in build-fuzz/tests/fuzz/*_fuzz; do
  name=$(basename "$bin")
  corpus="tests/fuzz/corpus/${name%_fuzz}"
  work="build-fuzz/corpus/${name%_fuzz}"
  mkdir -p "$work"
  seeds=()
  [[ -d "$corpus" ]] && seeds+=("$corpus")
  echo "fuzz: $name for ${seconds}s"
  if ! (cd build-fuzz && "../$bin" -max_total_time="$seconds" -print_final_stats=0 "../$work" "${seeds[@]/#/../}" \
        >"../$work.log" 2>&1); then
    echo "fuzz: $name FAILED; see $work.log"; tail -40 "$work.log"; failed=1
  fi
done
exit $failed
