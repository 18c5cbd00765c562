#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Debian package from this checkout (`make deb`): copies the
# tracked and new (not ignored) files into OUT/src/nvr-VERSION, runs
# `dpkg-buildpackage -b -us -uc` there (debian/: debhelper, cmake, npm ci
# for the web UI), runs lintian on the result (errors fail the build), and
# leaves OUT/nvr_VERSION_ARCH.deb (and the -dbgsym package beside it).
# The build tree stays clean: dpkg-buildpackage writes only under OUT.
#
# Usage: packaging/build-deb.sh [--out DIR] [--no-lintian]
#   --out DIR      where the package goes (default build-deb)
#   --no-lintian   skip lintian
# Needs: packaging/install-deps.sh --deb (dpkg-dev, debhelper, lintian, fakeroot) and npm.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
out=build-deb
do_lintian=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --no-lintian) do_lintian=0; shift ;;
    *) echo "usage: packaging/build-deb.sh [--out DIR] [--no-lintian]" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

# the version: debian/changelog, which must match CMakeLists.txt's project(VERSION)
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
cmake_version=$(sed -n 's/^project(nvr VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
if [ "${version%%-*}" != "$cmake_version" ]; then
  echo "build-deb.sh: debian/changelog has $version, CMakeLists.txt $cmake_version: add a changelog entry (dch -v $cmake_version)" >&2
  exit 1
fi
arch=$(dpkg-architecture -q DEB_HOST_ARCH)

stage="$out/src/nvr-$version"
rm -rf "$out/src"
mkdir -p "$stage"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # what is in the checkout now, committed or not; never build trees or node_modules
  (cd "$src" && git ls-files -z --cached --others --exclude-standard |
     while IFS= read -r -d '' f; do if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi; done |
     tar --null -T - -cf -) | tar -C "$stage" -xf -
else
  tar -C "$src" --exclude='./build' --exclude='./build-*' --exclude='node_modules' -cf - . | tar -C "$stage" -xf -
fi

# npm's cache outside dh's temporary HOME, so a rebuild does not download hls.js again
export npm_config_cache=${npm_config_cache:-${HOME:-/root}/.npm}
echo "build-deb.sh: dpkg-buildpackage in $stage (log: $out/build.log)"
if ! (cd "$stage" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1; then
  tail -n 40 "$out/build.log" >&2
  echo "build-deb.sh: dpkg-buildpackage failed (full log: $out/build.log)" >&2
  exit 1
fi

deb="$out/nvr_${version}_${arch}.deb"
rm -f "$out"/nvr_*.deb "$out"/nvr-dbgsym_*.deb "$out"/nvr_*.changes "$out"/nvr_*.buildinfo
mv "$out/src/nvr_${version}_${arch}.deb" "$deb"
for f in "$out"/src/nvr-dbgsym_*.*deb "$out"/src/nvr_*.changes "$out"/src/nvr_*.buildinfo; do
  [ -e "$f" ] && mv "$f" "$out/"
done
rm -rf "$stage"
rmdir "$out/src" 2>/dev/null || true

if [ "$do_lintian" = 1 ]; then
  echo "build-deb.sh: lintian $deb"
  lintian --fail-on error --info --display-info "$deb" | tee "$out/lintian.log"
fi
echo "built $deb"
