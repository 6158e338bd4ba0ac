#!/usr/bin/env bash
# relay benchmark: wrk against nginx directly and through relay edge+agent (TLS) on loopback.
# Usage: bench/run.sh            (BENCH_SECONDS=3 bench/run.sh for a quick run; see bench/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."

# wrk and nginx from Debian, like scripts/install-deps.sh.
missing=()
for p in wrk nginx-light curl openssl python3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "bench: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  echo "bench: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin"

# The binary: $RELAY_BIN, else build/relay (built here if missing, in Release).
if [[ -z "${RELAY_BIN:-}" ]]; then
  build_dir="${RELAY_BUILD_DIR:-build}"
  if [[ ! -x "$build_dir/relay" ]]; then
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$build_dir" --target relay -j"$(nproc)"
  fi
  RELAY_BIN="$(cd "$build_dir" && pwd)/relay"
fi
export RELAY_BIN
echo "bench: $RELAY_BIN ($("$RELAY_BIN" --version 2>/dev/null || echo '?')), ${BENCH_SECONDS:-10}s per run" >&2

# Bounded: 16 runs (4 scenarios x direct, relay and two baselines) of BENCH_SECONDS plus start-up; bench.py stops everything it started by PID.
exec timeout --signal=TERM --kill-after=30 "$(( ${BENCH_SECONDS:-10} * 16 + 240 ))" /usr/bin/python3 bench/bench.py
