#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian package the NVR needs to build, run and test.
# Idempotent: when everything is already installed it only checks (no apt-get).
# Usage: packaging/install-deps.sh [--test] [--bench] [--deb] [--lint] [--detect]
#   --test   adds what the tests need (the package test too: --deb; the style test: --lint)
#   --detect adds OpenCV for `nvr redact --detect-faces` (optional: the build leaves the
#            detection assist out without it) and test_redact_detect's test picture
#   --bench  adds the benchmarks' tools (and --test's)
#   --deb    adds what `make deb` needs (dpkg-buildpackage, debhelper, lintian)
#   --lint   adds what `make lint` needs (clang-format; eslint comes from npm)
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
  nodejs npm    # the web UI's build (NVR_WEB): npm ci fetches hls.js (web/package-lock.json)
  brotli        # the web UI's build: .br copies of its files (web/build_static.py)
  libzip-dev
  libpq-dev     # the district catalog (PostgreSQL's client library: nvr/catalog)
  libldap-dev   # [ldap] directory sign-in (libldap; the runtime library comes with it)
  smartmontools # disk health of the storage dirs (smartctl --json; optional at run time)
)
# the test camera (gst-rtsp-server), clip making (ffmpeg), checks (ffprobe, sqlite3, python3)
test_deps=(
  ffmpeg sqlite3 python3 procps valgrind
  sslscan       # test_tls_policy: the TLS policy seen from outside (openssl s_client does the rest)
  faketime      # test_clock_step: steps the clock of the nvr process only (libfaketime)
  python3-aiosmtpd  # test_alerts: a real SMTP server on loopback (tests/integration/smtp_sink.py)
  python3-numpy     # test_redact: the pixels of redacted and original frames compared
  libgstrtspserver-1.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  chromium      # the browser tests (tests/browser, driven by playwright-core from npm)
  postgresql    # test_catalog: a real PostgreSQL server on loopback (the district catalog)
  nftables      # test_contain: the containment rules load with nft -c -f (and in network namespaces)
  slapd ldap-utils  # test_ldap: a real OpenLDAP directory on loopback (slapd, slapadd, ldapmodify)
)

# the benchmarks' other side and load (make bench: nginx to compare serving, wrk as clients)
bench_deps=(nginx-light wrk)
# make deb (debian/, packaging/build-deb.sh) and its test (tests/integration/test_deb.py)
deb_deps=(dpkg-dev debhelper lintian fakeroot adduser)
# make lint: the C style (.clang-format); eslint is a devDependency in web/package.json
lint_deps=(clang-format)
# the redaction detection assist (nvr/redact/redact_detect_cv.cpp): OpenCV's objdetect and its
# Haar face model; python3-skimage holds the public-domain portrait test_redact_detect pastes in
detect_deps=(g++ libopencv-objdetect-dev opencv-data python3-skimage)

pkgs=("${runtime_build[@]}")
for arg in "$@"; do
  case "$arg" in
    --test) pkgs+=("${test_deps[@]}" "${deb_deps[@]}" "${lint_deps[@]}") ;;
    --bench) pkgs+=("${test_deps[@]}" "${deb_deps[@]}" "${bench_deps[@]}") ;;
    --deb) pkgs+=("${deb_deps[@]}") ;;
    --lint) pkgs+=("${lint_deps[@]}") ;;
    --detect) pkgs+=("${detect_deps[@]}") ;;
    *) echo "usage: packaging/install-deps.sh [--test] [--bench] [--deb] [--lint] [--detect]" >&2; exit 2 ;;
  esac
done

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
