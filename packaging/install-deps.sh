#!/usr/bin/env bash
# Installs every Debian package the NVR needs to build, run and test.
# Idempotent: when everything is already installed it only checks (no apt-get).
# Usage: packaging/install-deps.sh [--test]   (--test adds what the tests need)
set -euo pipefail

runtime_build=(
  build-essential cmake pkg-config
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
  libsqlite3-dev
  libmicrohttpd-dev
  libssl-dev
  libjansson-dev
  libsodium-dev
  libxml2-dev libcurl4-openssl-dev
  ieee-data
  nodejs npm    # the web UI's build: npm ci fetches hls.js (web/package-lock.json)
  libzip-dev
)
# the test camera (gst-rtsp-server), clip making (ffmpeg), checks (ffprobe, sqlite3, python3)
test_deps=(
  ffmpeg sqlite3 python3 procps valgrind
  faketime      # test_clock_step: steps the clock of the nvr process only (libfaketime)
  libgstrtspserver-1.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  chromium      # the browser tests (tests/browser, driven by playwright-core from npm)
  nftables      # test_contain: the containment rules load with nft -c -f (and in network namespaces)
)

# the benchmarks' other side and load (make bench: nginx to compare serving, wrk as clients)
bench_deps=(nginx-light wrk)

pkgs=("${runtime_build[@]}")
if [[ "${1:-}" == "--test" ]]; then
  pkgs+=("${test_deps[@]}")
fi
if [[ "${1:-}" == "--bench" ]]; then
  pkgs+=("${test_deps[@]}" "${bench_deps[@]}")
fi

missing=()
for p in "${pkgs[@]}"; do
  # a node that already brings npm (NodeSource's nodejs conflicts with Debian's npm) will do
  if [[ $p == nodejs || $p == npm ]] && command -v "${p/nodejs/node}" >/dev/null; then
    continue
  fi
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
echo "installing: ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
