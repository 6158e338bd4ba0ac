#!/usr/bin/env bash
# Installs everything relay needs to build, test and benchmark, from Debian 12 packages only.
# Idempotent: packages already present are skipped, so a second run takes a second.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  libboost1.81-dev libboost-url1.81-dev libssl-dev libnghttp2-dev nlohmann-json3-dev
  libspdlog-dev libfmt-dev libcli11-dev libyaml-cpp-dev libsqlite3-dev
  libhiredis-dev  # cluster: the RESP encoder/reader under the edge's Redis client
  libmimalloc-dev  # data path: the process allocator (cmake/dependencies.cmake)
  lld  # data path: links relay's code in the order cmake/relay.order gives (cmake/code_layout.cmake)
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev clang-tidy
  curl openssl python3 python3-pytest systemd procps
)
# Extras for the end-to-end browser tests and the benchmark; skipped with RELAY_DEPS=build.
if [[ "${RELAY_DEPS:-all}" != build ]]; then
  packages+=(wrk nginx-light chromium)
  # data path: callgrind, for bench/instructions.sh (CI's guard on instructions per request).
  packages+=(valgrind)
  # operations: acme. Debian's ACME test CA (pebble, pebble-challtestsrv) for
  # tests/e2e/test_edge_acme.py; the package has no maintainer scripts and starts no daemon.
  packages+=(pebble)
  # cluster: the Redis the cluster tests start on a free loopback port. The package's own
  # service (port 6379), which apt starts, is stopped and disabled below when this script
  # installed it: the tests never use it.
  packages+=(redis-server)
  # cluster: the load balancer in front of three edges in tests/e2e/test_cluster_haproxy.py
  # (TCP mode, started by the test on free loopback ports); its service is disabled like Redis's.
  packages+=(haproxy)
  # agents: one --edge name with two addresses (tests/e2e/test_agent_ha.py), from a hosts file
  # of the test's own through cwrap's nss_wrapper (LD_PRELOAD), not this machine's /etc/hosts.
  packages+=(libnss-wrapper)
  # Node.js may come from elsewhere than Debian (with npm bundled); Debian's npm package then
  # conflicts with it, so only ask apt for what is not on PATH already.
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# playwright-core for the inspector's browser test: a library only, it never downloads a browser
# (the test drives Debian's /usr/bin/chromium).
install_browser_test_deps() {
  [[ "${RELAY_DEPS:-all}" != build ]] || return 0
  local dir=tests/e2e/browser
  [[ -d "$dir/node_modules/playwright-core" ]] && return 0
  command -v npm >/dev/null || return 0
  echo "install-deps: npm ci in $dir" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --silent) ||
    echo "install-deps: npm ci failed; the inspector browser test will be skipped" >&2
}

# Tools the end-to-end tests run that Debian ships inside packages which would also install and
# start a daemon (prometheus brings promtool): the package is downloaded and only the tool is
# unpacked, into .cache/tools/bin (tests look there and on PATH).
install_tool_from_package() {
  local package=$1 tool=$2 dir=.cache/tools
  [[ "${RELAY_DEPS:-all}" != build ]] || return 0
  command -v "$tool" >/dev/null && return 0
  [[ -x "$dir/bin/$tool" ]] && return 0
  mkdir -p "$dir/bin" "$dir/deb"
  (cd "$dir/deb" && apt-get download -qq "$package" >/dev/null 2>&1) ||
    { [[ -n "${tools_updated:-}" ]] || { $sudo apt-get update -qq && tools_updated=1; } &&
      (cd "$dir/deb" && apt-get download -qq "$package" >/dev/null); } ||
    { echo "install-deps: cannot download $package; tests that need $tool will be skipped" >&2; return 0; }
  local deb
  deb=$(ls -t "$dir"/deb/"${package}"_*.deb | head -1)
  dpkg-deb --fsys-tarfile "$deb" | tar -xf - -O "./usr/bin/$tool" >"$dir/bin/$tool"
  chmod +x "$dir/bin/$tool"
  rm -f "$deb"
}

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi

if ((${#missing[@]} == 0)); then
  install_browser_test_deps
  install_tool_from_package prometheus promtool
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
tools_updated=1
for service in redis-server haproxy; do
  if [[ " ${missing[*]} " == *" $service "* ]] && command -v systemctl >/dev/null; then
    $sudo systemctl disable --now "$service.service" >/dev/null 2>&1 || true
  fi
done
install_browser_test_deps
install_tool_from_package prometheus promtool
