#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make run`: starts the NVR with one simulated camera, so a newcomer sees it record.
# The camera is the test camera (gst-rtsp-server) serving a generated clip on loopback;
# footage goes to BUILD/demo/data.  Ctrl-C stops both.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
demo=$(cd "$root" && mkdir -p "$build/demo" && cd "$build/demo" && pwd)
nvr=$(cd "$root" && cd "$build" && pwd)/nvr
web=$(cd "$root" && cd "$build" && pwd)/www
camera=$(cd "$root" && cd "$build" && pwd)/tests/camera/nvr-test-camera
port=${NVR_DEMO_RTSP_PORT:-8554}

if [[ ! -s "$demo/clip.mp4" ]]; then
  echo "making a 1280x720 H.264 clip for the simulated camera..."
  "$root/tests/camera/make_clip.sh" "$demo/clip.mp4" h264 --size 1280x720 --bitrate 2000 --seconds 20
fi

cat > "$demo/nvr.conf" <<CONF
; made by tests/run-demo.sh
[server]
listen   = 127.0.0.1:8080
data_dir = $demo/data
web_dir  = $web

[camera demo]
name            = Simulated camera
url             = rtsp://demo:demo-password@127.0.0.1:$port/cam
segment_seconds = 60
CONF

# a demo admin with a random password (there is no default password)
if ! "$nvr" user list -c "$demo/nvr.conf" 2>/dev/null | grep -q '^admin '; then
  pw=$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | head -c 16)
  echo "$pw" | "$nvr" user add -c "$demo/nvr.conf" admin --role admin >/dev/null
  echo "$pw" > "$demo/admin-password"
  chmod 600 "$demo/admin-password"
fi
"$camera" --clip "$demo/clip.mp4" --port "$port" --user demo --password demo-password \
  --auth digest > "$demo/camera.out" 2>&1 &
cam_pid=$!
trap 'kill $cam_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q '^ready' "$demo/camera.out" 2>/dev/null && break; sleep 0.1; done

cat <<MSG

  The NVR is recording the simulated camera rtsp://demo:***@127.0.0.1:$port/cam
  into $demo/data
  config:      $demo/nvr.conf
  footage:     $nvr recordings -c $demo/nvr.conf demo
  web UI:      http://127.0.0.1:8080/   (live grid; Playback, Holds, Exports, Cameras, Audit, Users, Access log)
  sign in:     user admin, password in $demo/admin-password ($(cat "$demo/admin-password"))
  API:         http://127.0.0.1:8080/api/v1/cameras  (sign in: POST /api/v1/session, or
               a token: $nvr user token -c $demo/nvr.conf admin)
  playback:    http://127.0.0.1:8080/api/v1/cameras/demo/playback.m3u8?start=...&end=...
               (HLS; e.g. ffplay it)
  stop:        Ctrl-C

MSG
"$nvr" run -c "$demo/nvr.conf"
