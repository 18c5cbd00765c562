#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the NVR on this Debian machine as a systemd service (`make install`):
#   - the Debian packages it needs (packaging/install-deps.sh);
#   - a release build (build-install/), installed with `cmake --install`:
#     PREFIX/bin/nvr, PREFIX/share/nvr/web (the browser UI),
#     PREFIX/share/nvr/ndaa-vendors.ini (the audit's vendor knowledge);
#   - /etc/nvr/nvr.conf from packaging/nvr.example.ini, only when there is none
#     (an existing configuration is never touched), mode 0640;
#   - /var/lib/nvr (data_dir of the example), mode 0750;
#   - /etc/systemd/system/nvr.service (packaging/nvr.service, for PREFIX);
#   - the system user nvr that the service runs as (adduser --system), owning
#     /var/lib/nvr, with /etc/nvr/nvr.conf readable by its group (not with --root).
# It neither starts the service nor makes web UI users: it prints those steps.
# Running it again upgrades the program and keeps the configuration and footage.
#
# Usage: packaging/install.sh [--prefix DIR] [--build-dir DIR] [--no-build] [--no-deps] [--root DIR]
#   --prefix DIR     where the program goes (default /usr/local)
#   --build-dir DIR  the CMake build tree to use (default build-install)
#   --no-build       install what --build-dir already holds (no configure, no build)
#   --no-deps        skip apt-get (packaging/install-deps.sh)
#   --root DIR       install into DIR instead of / (DIR/usr/local/bin/nvr, DIR/etc/nvr, ...),
#                    without systemctl: a staged install for packagers and tests
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
prefix=/usr/local
build=""
do_build=1
do_deps=1
root=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --no-deps) do_deps=0; shift ;;
    --root) root=$2; shift 2 ;;
    *) echo "usage: packaging/install.sh [--prefix DIR] [--build-dir DIR] [--no-build] [--no-deps] [--root DIR]" >&2
       exit 2 ;;
  esac
done
case "$prefix" in /*) ;; *) echo "install.sh: --prefix must be an absolute path" >&2; exit 2 ;; esac
[ -n "$build" ] || build="$src/build-install"
if [ -z "$root" ] && [ "$(id -u)" != 0 ]; then
  echo "install.sh: run it as root (sudo make install), or stage it with --root DIR" >&2
  exit 1
fi

if [ "$do_deps" = 1 ]; then
  "$src/packaging/install-deps.sh"
fi
if [ "$do_build" = 1 ]; then
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX="$prefix" -DNVR_WEB=ON
  cmake --build "$build" -j "$(nproc)" --target nvr web
fi
installed_prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
if [ "$installed_prefix" != "$prefix" ]; then
  echo "install.sh: $build was configured for prefix $installed_prefix, not $prefix" >&2
  exit 1
fi
DESTDIR="$root" cmake --install "$build"

etc="$root/etc/nvr"
install -d -m 755 "$etc"
if [ -e "$etc/nvr.conf" ]; then
  echo "kept the configuration $etc/nvr.conf"
else
  install -m 640 "$src/packaging/nvr.example.ini" "$etc/nvr.conf"
  echo "wrote the configuration $etc/nvr.conf (from packaging/nvr.example.ini: edit it)"
fi
install -d -m 750 "$root/var/lib/nvr"
install -d -m 755 "$root/etc/systemd/system"
sed "s|/usr/bin/nvr|$prefix/bin/nvr|g" "$src/packaging/nvr.service" > "$root/etc/systemd/system/nvr.service"
chmod 644 "$root/etc/systemd/system/nvr.service"
if [ -z "$root" ]; then
  # the unit's User=nvr (as the Debian package's postinst does); an install made
  # before the service ran as nvr has root's files in /var/lib/nvr: given to nvr once
  if ! getent passwd nvr >/dev/null; then
    adduser --system --group --quiet --home /var/lib/nvr --no-create-home --gecos "network video recorder" nvr
  fi
  if [ "$(stat -c %U /var/lib/nvr)" != nvr ]; then
    chown -R nvr:nvr /var/lib/nvr
  fi
  chown root:nvr "$etc" "$etc/nvr.conf"
  chmod 750 "$etc"
fi
if [ -z "$root" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
fi

cat <<MSG

Installed $prefix/bin/nvr (web UI and vendor file in $prefix/share/nvr).
Next (docs/guide/install.md):
  1. edit /etc/nvr/nvr.conf: listen address, data_dir (/var/lib/nvr), one [camera ID] per camera
  2. $prefix/bin/nvr check -c /etc/nvr/nvr.conf         (prints FILE:LINE for every mistake)
  3. $prefix/bin/nvr cert -c /etc/nvr/nvr.conf --self-signed   (or your own certificate),
     then chown nvr: on the key file (tls_key) so the service can read it
  4. sudo -u nvr $prefix/bin/nvr user add -c /etc/nvr/nvr.conf YOURNAME --role admin
     (asks for a password; run commands that write to data_dir as the user nvr)
  5. systemctl enable --now nvr; journalctl -u nvr; then open https://THIS-HOST:8080/
MSG
