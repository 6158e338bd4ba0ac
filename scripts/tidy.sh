#!/usr/bin/env bash
# clang-tidy over the sources under src/ with the checks in .clang-tidy; any finding fails.
# Uses the compile commands of a configured build ($RELAY_BUILD_DIR, default build/, as
# scripts/build.sh makes it).     scripts/tidy.sh [PATH-PREFIX]     e.g. scripts/tidy.sh src/net/
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${RELAY_BUILD_DIR:-build}"
[[ -f "$build_dir/compile_commands.json" ]] ||
  { echo "tidy: no $build_dir/compile_commands.json; run scripts/build.sh first" >&2; exit 2; }
command -v run-clang-tidy >/dev/null ||
  { echo "tidy: run-clang-tidy is missing (scripts/install-deps.sh installs clang-tidy)" >&2; exit 2; }
prefix="${1:-src/}"
# Only the sources whose tidy inputs changed since a clean run (scripts/tidy_cache.py).
mapfile -t pending < <(scripts/tidy_cache.py pending "$build_dir" "$prefix")
if ((${#pending[@]} == 0)); then
  echo "tidy: no findings (every source under $prefix unchanged since a clean run, .ci/tidy-clean)"
  exit 0
fi
echo "tidy: ${#pending[@]} source(s) changed since a clean run"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
run-clang-tidy -p "$build_dir" -j "$(nproc)" -quiet "${pending[@]/#/$(pwd)/}" >"$log" 2>&1 || status=$?
# Keep the findings; drop the per-file banners and the counts of suppressed system-header warnings.
sed 's/\x1b\[[0-9;]*m//g' "$log" |
  grep -v -E '^clang-tidy-[0-9]+ |^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter' || true
# Sources without a finding of their own are clean even when others are not: the next run
# tidies only what still has findings (or changed).
clean=()
for source in "${pending[@]}"; do
  grep -q "^$(pwd)/$source:" "$log" || clean+=("$source")
done
((${#clean[@]} == 0)) || scripts/tidy_cache.py record "$build_dir" "${clean[@]}"
if ((status != 0)); then
  echo "tidy: clang-tidy found the problems above (checks in .clang-tidy)" >&2
  exit 1
fi
echo "tidy: no findings"
