#!/usr/bin/env bash
# Builds what users install: a Release build (no tests), stripped, as a Debian package
# (build-release/relay_<version>_amd64.deb). `sudo apt install ./build-release/relay_*.deb`.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${RELAY_PACKAGE_BUILD_DIR:-build-release}"
scripts/install-deps.sh
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRELAY_TESTS=OFF "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target relay
(cd "$build_dir" && cpack -G DEB >/dev/null)
deb=$(ls -t "$build_dir"/relay_*.deb | head -1)
binary_size=$(dpkg-deb --fsys-tarfile "$deb" | tar -tvf - ./usr/bin/relay | awk '{print $3}')
echo "package: $deb ($(du -h "$deb" | cut -f1)); /usr/bin/relay inside: $((binary_size / 1024 / 1024)) MiB"
