#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/thumbs.py - latency of the timeline's hover thumbnails (bench/README.md).

The playback timeline's tooltip asks GET /api/v1/cameras/{id}/snapshot.jpg?time=T&width=160
for the instant under the pointer, rounded so nearby positions share one URL (the answer is
`Cache-Control: private, max-age=86400`, so the browser keeps it).  This records SECONDS of a
1080p clip (testsrc2 + noise, 25 fps, 4 Mbit/s, a keyframe every 2 s; cached in
build/bench-clips) with `nvr run`, then times, one request at a time over a kept-alive
connection:

- cold: N distinct instants of the recorded footage (each a GOP read from the file, its
  keyframe decoded, scaled and encoded: what a first hover costs);
- again: the same N URLs (the server keeps no cache of stored pictures: the same work);
- newest: the newest picture without time= (the server's per-camera cache);
- baseline: `ffmpeg -ss T -i SEGMENT -frames:v 1 -vf scale=160:-2` on the same instants'
  segment files (a cold decode by a separate process, what a tool without the index pays).

It prints p50/p99/max in ms for each.  A browser repeats a hover from its own cache without
a request (not measured: no network at all).

  python3 bench/thumbs.py [--build build] [--seconds 40] [-n 200]
"""
import argparse
import http.client
import os
import random
import subprocess
import sys
import time
import urllib.parse

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
ap.add_argument("--seconds", type=int, default=40)
ap.add_argument("-n", type=int, default=200)
a = ap.parse_args()
build = os.path.abspath(a.build)
src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("NVR_BIN", os.path.join(build, "nvr"))
os.environ.setdefault("NVR_CAMERA_BIN", os.path.join(build, "tests", "camera", "nvr-test-camera"))
os.environ.setdefault("NVR_CLIPS", os.path.join(build, "bench-clips"))
os.environ.setdefault("NVR_TEST_TMP", os.path.join(build, "test-tmp"))
os.makedirs(os.environ["NVR_CLIPS"], exist_ok=True)
os.makedirs(os.environ["NVR_TEST_TMP"], exist_ok=True)
sys.path.insert(0, os.path.join(src, "tests", "integration"))
from harness import Camera, Nvr, wait_until  # noqa: E402

clip = os.path.join(os.environ["NVR_CLIPS"], "1080p_thumbs_%ds.mp4" % (a.seconds + 10))
if not os.path.exists(clip):
    subprocess.run([os.path.join(src, "tests", "camera", "make_clip.sh"), clip, "h264", "--size", "1920x1080",
                    "--seconds", str(a.seconds + 10), "--bitrate", "4000"], check=True)


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int(round((t % 1) * 1e6) % 1000000)


def stats(ms):
    ms = sorted(ms)
    return "p50 %7.1f  p99 %7.1f  max %7.1f  (n=%d)" % (ms[len(ms) // 2], ms[min(len(ms) - 1, int(len(ms) * 0.99))],
                                                         ms[-1], len(ms))


with Camera(os.path.basename(clip)) as cam:
    nvr = Nvr("bench-thumbs", [("cam", {"url": cam.url(), "segment_seconds": 10, "motion": "off"})])
    nvr.start()
    if not wait_until(lambda: nvr.db_rows("cam"), 30):
        raise SystemExit("nothing recorded")
    time.sleep(a.seconds)
    rows = [r for r in nvr.db_rows("cam") if r["state"] == 0]
    if not rows:
        raise SystemExit("no finished segment")
    lo, hi = rows[0]["start_us"] / 1e6 + 0.5, rows[-1]["end_us"] / 1e6 - 0.5
    rnd = random.Random(1)
    instants = [rnd.uniform(lo, hi) for _ in range(a.n)]
    conn = http.client.HTTPConnection("127.0.0.1", nvr.port, timeout=30)
    hdr = {"Authorization": "Bearer " + nvr.token}

    def get(path):
        t = time.perf_counter()
        conn.request("GET", path, headers=hdr)
        r = conn.getresponse()
        body = r.read()
        dt = (time.perf_counter() - t) * 1000
        if r.status != 200 or body[:2] != b"\xff\xd8":
            raise SystemExit("%s: %d %r" % (path, r.status, body[:100]))
        return dt

    urls = ["/api/v1/cameras/cam/snapshot.jpg?%s" % urllib.parse.urlencode({"time": iso(t), "width": 160})
            for t in instants]
    get(urls[0])  # the connection and the first open of the file
    cold = [get(u) for u in urls]
    again = [get(u) for u in urls]
    newest = [get("/api/v1/cameras/cam/snapshot.jpg?width=160") for _ in range(a.n)]
    conn.close()
    base = []
    for t in instants[:min(a.n, 50)]:
        seg = next(r for r in rows if r["start_us"] / 1e6 <= t < r["end_us"] / 1e6)
        off = t - seg["start_us"] / 1e6
        t0 = time.perf_counter()
        subprocess.run(["ffmpeg", "-v", "error", "-ss", "%.3f" % off, "-i", nvr.path(seg["path"]), "-frames:v", "1",
                        "-vf", "scale=160:-2", "-f", "image2", "-c:v", "mjpeg", "-y", "/dev/null"], check=True)
        base.append((time.perf_counter() - t0) * 1000)
    nvr.stop()
    print("1080p H.264 4 Mbit/s, keyframe every 2 s; %d instants over %.0f s of footage; width=160" % (a.n, hi - lo))
    print("cold (time=T, first ask)      ", stats(cold))
    print("again (time=T, same URLs)     ", stats(again))
    print("newest (server cache)         ", stats(newest))
    print("baseline: ffmpeg -ss, 1 frame ", stats(base))
