#!/usr/bin/env bash
# Instructions per request in the edge and in the agent (callgrind, webhook requests, 16
# connections; bench/profile.py does the run). Unlike req/s this number does not move with the
# machine or its load, so CI uses it as a guard: speed cannot regress silently.
#
#   bench/instructions.sh            print the counts and the committed baseline
#   bench/instructions.sh --check    also fail (exit 1) when either grows by more than 10%
#   bench/instructions.sh --update   write the counts to bench/instructions-baseline
#
# RELAY_BIN (default build/relay) is the binary measured; the baseline is for CI's build
# (RelWithDebInfo, GCC, Debian 12). Lowering it after a speed-up is part of the change.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-report}
baseline=bench/instructions-baseline
tolerance_pct=10
export RELAY_BIN=${RELAY_BIN:-$PWD/build/relay}
for tool in valgrind callgrind_control wrk nginx; do
  command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] ||
    { echo "instructions: '$tool' is missing; scripts/install-deps.sh installs it" >&2; exit 2; }
done

out=$(python3 bench/profile.py webhook 16 5)
echo "$out"
edge=$(sed -n 's/^  edge: .* \([0-9,]*\) Ir\/request.*/\1/p' <<<"$out" | tr -d ,)
agent=$(sed -n 's/^  agent: .* \([0-9,]*\) Ir\/request.*/\1/p' <<<"$out" | tr -d ,)
if [[ -z "$edge" || -z "$agent" || "$edge" == 0 || "$agent" == 0 ]]; then
  echo "instructions: the profile run measured no requests (see its output above)" >&2
  exit 2
fi

if [[ "$mode" == --update ]]; then
  printf 'edge %s\nagent %s\n' "$edge" "$agent" >"$baseline"
  echo "instructions: wrote $baseline (edge $edge, agent $agent Ir/request)"
  exit 0
fi

status=0
while read -r role committed; do
  [[ -n "$role" && "$role" != \#* ]] || continue
  now=${!role}
  limit=$((committed * (100 + tolerance_pct) / 100))
  verdict=ok
  if ((now > limit)); then
    verdict="REGRESSED: more than ${tolerance_pct}% over the baseline"
    [[ "$mode" == --check ]] && status=1
  fi
  printf 'instructions: %-5s %7d Ir/request, baseline %7d (limit %d): %s\n' \
    "$role" "$now" "$committed" "$limit" "$verdict"
done <"$baseline"
if ((status != 0)); then
  echo "instructions: find what grew with callgrind_annotate on the files above; if the growth" \
    "is intended, run bench/instructions.sh --update and commit $baseline with the reason" >&2
fi
exit $status
