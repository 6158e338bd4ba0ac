#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz/*_fuzz.cpp) for N seconds (default 30) from its seed
# corpus. A crash fails the script and leaves the input and the log in <build>/corpus/.
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 10 verify_value_fuzz
# The targets come from $RELAY_FUZZ_BUILD_DIR when that is a clang build configured with
# -DRELAY_FUZZ=ON (CI's sanitized build is one, so CI compiles once); otherwise this script
# builds only the fuzz targets, with clang, in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz: SECONDS must be a number, got '$seconds'" >&2; exit 2; }
command -v clang++ >/dev/null || { echo "fuzz: clang++ is missing (scripts/install-deps.sh installs it)" >&2; exit 2; }

build="${RELAY_FUZZ_BUILD_DIR:-build-fuzz}"
if ! grep -qs '^RELAY_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  [[ -z "${RELAY_FUZZ_BUILD_DIR:-}" ]] ||
    { echo "fuzz: $build is not a build configured with -DRELAY_FUZZ=ON" >&2; exit 2; }
  # The libraries under test get coverage instrumentation and ASan + UBSan too: without the
  # coverage libFuzzer sees only the harness and never finds its way into the parsers. -O1 as
  # in libFuzzer's docs, and line tables only: a crash still reports file:line.
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DRELAY_FUZZ=ON -DRELAY_TESTS=OFF \
    -DRELAY_SANITIZE="address;undefined" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" >/dev/null
fi
mapfile -t all < <(cd tests/fuzz && ls -1 *_fuzz.cpp | sed 's/\.cpp$//')
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")
# Only the fuzz executables: not the relay binary, benchmarks or anything else in the tree.
# RELAY_FUZZ_BUILT=1: the caller has built them and may be running ninja in that directory.
[[ -n "${RELAY_FUZZ_BUILT:-}" ]] ||
  cmake --build "$build" -j"${RELAY_FUZZ_JOBS:-$(nproc)}" --target "${targets[@]}"

root=$(pwd)
build=$(cd "$build" && pwd)
# One target per core at a time: each is a single process, and CI's time is bounded.
jobs="${RELAY_FUZZ_JOBS:-$(nproc)}"
run_target() {
  local name=$1 bin="$build/tests/fuzz/$1" corpus="$root/tests/fuzz/corpus/${1%_fuzz}"
  local work="$build/corpus/${1%_fuzz}" seeds=()
  mkdir -p "$work"
  [[ -d "$corpus" ]] && seeds+=("$corpus")
  # -max_total_time bounds the run; timeout(1) is the backstop if a target hangs in one input.
  if ! (cd "$build" && timeout --kill-after=10 "$((seconds + 60))" "$bin" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
        "$work" "${seeds[@]}" >"$work.log" 2>&1); then
    echo "fuzz: $name FAILED; see $work.log"; tail -40 "$work.log"; return 1
  fi
  echo "fuzz: $name ran ${seconds}s clean"
}
failed=0
running=0
for name in "${targets[@]}"; do
  if ((running >= jobs)); then
    wait -n || failed=1
    running=$((running - 1))
  fi
  run_target "$name" &
  running=$((running + 1))
done
while ((running > 0)); do
  wait -n || failed=1
  running=$((running - 1))
done
exit $failed
