#!/usr/bin/env bash
# Builds only the libFuzzer targets (tests/fuzz/*_fuzz.cpp, with the libraries they link) with
# clang in build-fuzz/, then runs each for N seconds (default 30) from its seed corpus.
# A crash fails the script and leaves the input and the log in build-fuzz/corpus/.
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 10 verify_value_fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz: SECONDS must be a number, got '$seconds'" >&2; exit 2; }
command -v clang++ >/dev/null || { echo "fuzz: clang++ is missing (scripts/install-deps.sh installs it)" >&2; exit 2; }

# The libraries under test get coverage instrumentation and ASan too (fuzzer-no-link): without it
# libFuzzer sees only the harness and never finds its way into the parsers. Not UBSan: clang 14
# cannot compile coroutines with -fsanitize=undefined ("Cannot represent a difference across
# sections"); the GCC ASan+UBSan build in .ci/run covers undefined behaviour in the libraries.
# -O1 as in libFuzzer's docs, and line tables only: a fifth less compile time than -O2 -g on
# these 2 cores, and a crash still reports file:line.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DRELAY_FUZZ=ON -DRELAY_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address -fno-omit-frame-pointer" >/dev/null
mapfile -t all < <(cd tests/fuzz && ls -1 *_fuzz.cpp | sed 's/\.cpp$//')
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")
# Only the fuzz executables: not the relay binary, benchmarks or anything else in the tree.
jobs="${RELAY_FUZZ_JOBS:-2}"
cmake --build build-fuzz -j"$jobs" --target "${targets[@]}"

failed=0
for name in "${targets[@]}"; do
  bin="build-fuzz/tests/fuzz/$name"
  corpus="tests/fuzz/corpus/${name%_fuzz}"
  work="build-fuzz/corpus/${name%_fuzz}"
  mkdir -p "$work"
  seeds=()
  [[ -d "$corpus" ]] && seeds+=("../$corpus")
  echo "fuzz: $name for ${seconds}s"
  # -max_total_time bounds the run; timeout(1) is the backstop if a target hangs in one input.
  if ! (cd build-fuzz && timeout --kill-after=10 "$((seconds + 60))" "../$bin" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
        "../$work" "${seeds[@]}" >"../$work.log" 2>&1); then
    echo "fuzz: $name FAILED; see $work.log"; tail -40 "$work.log"; failed=1
  fi
done
exit $failed
