# SPDX-License-Identifier: Apache-2.0
"""snapshot.jpg against a running `nvr run` and the test camera: a valid
JPEG (decoded by ffprobe) of the newest keyframe at the camera's size or at
?width= (aspect kept), the cache (a second request for the same keyframe and
width is a hit), H.265 cameras, ?time= for recorded footage (including a
moment in a finished segment read through the index's fragment offsets),
and 4xx JSON for every bad input."""
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request

from harness import Camera, Nvr, check, finish, wait_until

base = None


def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=15) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def expect_error(path, status):
    st, h, body = get(path)
    check(st == status, "%s: status %d, want %d" % (path, st, status))
    try:
        doc = json.loads(body)
        check(isinstance(doc.get("error"), str) and doc["error"], "%s: error body %r" % (path, body[:100]))
    except ValueError:
        check(False, "%s: error body is not JSON: %r" % (path, body[:100]))


def jpeg_size(data, name):
    """(width, height) of a JPEG as ffprobe decodes it, or None."""
    path = os.path.join(nvr.dir, name)
    with open(path, "wb") as f:
        f.write(data)
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height",
                        "-of", "json", path], capture_output=True, text=True)
    check(r.returncode == 0 and r.stderr.strip() == "", "%s: ffprobe: %s" % (name, r.stderr[:200]))
    r2 = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"], capture_output=True, text=True)
    check(r2.returncode == 0 and r2.stderr.strip() == "", "%s: ffmpeg decode: %s" % (name, r2.stderr[:200]))
    try:
        s = json.loads(r.stdout)["streams"][0]
    except (ValueError, KeyError, IndexError):
        return None
    check(s["codec_name"] == "mjpeg", "%s: codec %s" % (name, s["codec_name"]))
    return s["width"], s["height"]


def metric(name, labels):
    st, h, body = get("/metrics")
    m = re.search(r"^%s\{%s\} (\S+)$" % (re.escape(name), re.escape(labels)), body.decode(), re.M)
    return float(m.group(1)) if m else None


def iso_us(us):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(us // 1000000)) + ".%06dZ" % (us % 1000000)


def height(w, src_w=640, src_h=360):
    """The height the NVR gives a width: aspect kept, rounded to an even number."""
    return max(2, (src_h * w + src_w) // (2 * src_w) * 2)


with Camera("h264.mp4") as cam, Camera("h265_aac.mp4") as cam265:
    nvr = Nvr("snapshot", [("lobby", {"url": cam.url(), "segment_seconds": 3}),
                           ("hevc", {"url": cam265.url(), "segment_seconds": 3}),
                           ("dead", {"url": "rtsp://127.0.0.1:9/none"})])
    base = nvr.base_url
    nvr.start()
    check(wait_until(lambda: nvr.wait_segments("lobby", 2, 1) and nvr.wait_segments("hevc", 1, 1), 40),
          "the cameras did not record")

    # --- the newest picture ---
    st, h, body = get("/api/v1/cameras/lobby/snapshot.jpg")
    check(st == 200 and h.get("Content-Type") == "image/jpeg", "snapshot: %d %s" % (st, h.get("Content-Type")))
    check(body[:2] == b"\xff\xd8" and body[-2:] == b"\xff\xd9", "not a JPEG: %r" % body[:4])
    check(jpeg_size(body, "full.jpg") == (640, 360), "full size snapshot is not 640x360")
    st, h, body = get("/api/v1/cameras/lobby/snapshot.jpg?width=320")
    check(st == 200 and jpeg_size(body, "w320.jpg") == (320, 180), "width=320 is not 320x180")
    st, h, body = get("/api/v1/cameras/lobby/snapshot.jpg?width=16")
    check(st == 200 and jpeg_size(body, "w16.jpg") == (16, height(16)), "width=16 is not 16x%d" % height(16))
    st, h, body = get("/api/v1/cameras/hevc/snapshot.jpg?width=200")
    check(st == 200 and jpeg_size(body, "hevc.jpg") == (200, height(200)), "hevc width=200 is not 200x%d" % height(200))

    # --- the cache: same keyframe and width -> no new decode ---
    hits0 = metric("nvr_snapshot_cache_hits_total", 'camera="lobby"')
    miss0 = metric("nvr_snapshot_cache_misses_total", 'camera="lobby"')
    t0 = time.monotonic()
    sizes = [len(get("/api/v1/cameras/lobby/snapshot.jpg?width=160")[2]) for _ in range(16)]
    took = time.monotonic() - t0
    hits1 = metric("nvr_snapshot_cache_hits_total", 'camera="lobby"')
    miss1 = metric("nvr_snapshot_cache_misses_total", 'camera="lobby"')
    # a keyframe every 2 s: at most 2 new keyframes while 16 requests run
    check(miss1 - miss0 <= 3 and hits1 - hits0 >= 13, "cache: %s hits, %s misses for 16 requests" %
          (hits1 - hits0, miss1 - miss0))
    check(all(s > 0 for s in sizes), "empty snapshot in the grid")
    print("16 thumbnails in %.3f s (%d cache misses)" % (took, miss1 - miss0))

    # --- ?time= in recorded footage ---
    rows = [r for r in nvr.db_rows("lobby") if r["state"] == 0]
    seg = rows[0]
    t = (seg["start_us"] + seg["end_us"]) // 2
    st, h, body = get("/api/v1/cameras/lobby/snapshot.jpg?time=%s&width=400" % iso_us(t))
    check(st == 200 and jpeg_size(body, "stored.jpg") == (400, height(400)), "time=T in a finished segment: %d" % st)
    check("max-age" in (h.get("Cache-Control") or ""), "stored snapshot not cacheable: %s" % h.get("Cache-Control"))
    st, h, body = get("/api/v1/cameras/lobby/snapshot.jpg?time=%s" % iso_us(seg["start_us"]))
    check(st == 200 and jpeg_size(body, "start.jpg") == (640, 360), "time = segment start: %d" % st)
    st, h, body = get("/api/v1/cameras/hevc/snapshot.jpg?time=%s" %
                      iso_us([r for r in nvr.db_rows("hevc") if r["state"] == 0][0]["start_us"] + 1500000))
    check(st == 200 and jpeg_size(body, "hevc_stored.jpg") == (640, 360), "hevc time=T: %d" % st)

    # --- nothing there / bad inputs ---
    expect_error("/api/v1/cameras/lobby/snapshot.jpg?time=2001-01-01T00:00:00Z", 404)
    expect_error("/api/v1/cameras/dead/snapshot.jpg", 404)
    expect_error("/api/v1/cameras/nope/snapshot.jpg", 404)
    for w in ("0", "15", "3841", "-5", "abc", "", "1e3", "99999999999", "320px"):
        expect_error("/api/v1/cameras/lobby/snapshot.jpg?width=" + w, 400)
    for t in ("yesterday", "2026-13-01T00:00:00Z", ""):
        expect_error("/api/v1/cameras/lobby/snapshot.jpg?time=" + t, 400)

    rc = nvr.stop()
    check(rc == 0, "nvr exit status %r" % rc)
    log = nvr.log_text()
    check("AddressSanitizer" not in log and "LeakSanitizer" not in log, "sanitizer report in the log")

finish("test_snapshot")
