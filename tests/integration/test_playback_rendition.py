# SPDX-License-Identifier: Apache-2.0
"""playback.mp4?codec=h264: recorded H.265 footage as an H.264 fragmented MP4
for browsers without HEVC (docs/design/playback.md).

A 1080p H.265 test camera is recorded for ~14 s (4 s segments, so a
rendition crosses segment files); then, with ffprobe/ffmpeg as the
independent client:
  - the rendition of [start, end) is H.264, at most 1280 wide by default (or
    the asked width), decodes without one error, is fragmented (a moof about
    every second), starts at the keyframe at or before start (X-Start-Time
    within one GOP before start) and lasts until end within a GOP;
  - the transcoder's speed (frames per second, from the server's log line)
    is faster than real time (25 fps), and is printed;
  - bad inputs answer 4xx JSON; a range with no footage 404;
  - two renditions held open by clients that do not read take both slots: a
    third request gets 503 with Retry-After, and once one client hangs up
    the slot is free again (the transcode stopped with the client);
  - a HEAD gets the headers and starts nothing;
  - stored H.264 (a second camera) is stream-copied at its own size, and
    transcoded when a smaller width is asked.
"""
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

from harness import (CLIPS, Camera, Nvr, check, finish, parse_time, probe, probe_duration, top_level_boxes,
                     wait_until)

HERE = os.path.dirname(os.path.abspath(__file__))
CLIP = "h265_1080.mp4"
GOP = 2.0  # the test clip's keyframe interval (make_clip.sh)


def make_clip():
    """The 1080p H.265 clip (made once per build tree, next to the others)."""
    path = os.path.join(CLIPS, CLIP)
    if not os.path.exists(path):
        tmp = path + ".tmp.mp4"
        subprocess.run([os.path.join(HERE, "..", "camera", "make_clip.sh"), tmp, "h265", "--size", "1920x1080",
                        "--seconds", "10", "--bitrate", "4000"], check=True)
        os.rename(tmp, path)


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % round((t % 1) * 1e6)


def url(nvr, cam, **q):
    return "%s/api/v1/cameras/%s/playback.mp4?%s" % (nvr.base_url, cam, urllib.parse.urlencode(q))


def get(u, method="GET"):
    """(status, headers, body)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(u, method=method), timeout=120) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class Holder:
    """A playback.mp4 request whose client reads the headers and then
    nothing (a tiny receive window): the rendition stays open."""

    def __init__(self, port, path):
        self.s = socket.socket()
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.s.settimeout(30)
        self.s.connect(("127.0.0.1", port))
        tok = os.environ.get("NVR_TEST_TOKEN")
        self.s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % (path, tok)).encode())
        self.head = b""
        while b"\r\n\r\n" not in self.head:
            d = self.s.recv(1)
            if not d:
                break
            self.head += d
        self.status = int(self.head.split()[1]) if self.head else 0

    def close(self):
        self.s.close()


def transcode_fps(log):
    """fps of the finished transcodes, from the server's log lines."""
    return [float(m.group(1)) for m in re.finditer(r"playback rendition done mode=transcode frames=\d+ "
                                                   r"seconds=[\d.]+ fps=(\d+)", log)]


make_clip()
with Camera(CLIP, no_audio=True) as cam, Camera("h264.mp4", no_audio=True) as cam264:
    nvr = Nvr("rendition", [("h", {"url": cam.url(), "segment_seconds": 4}),
                            ("c", {"url": cam264.url(), "segment_seconds": 4})])
    nvr.start()
    check(wait_until(lambda: len([r for r in nvr.db_rows("h") if r["state"] == 0]) >= 3, 40),
          "no 3 complete segments")
    rows = [r for r in nvr.db_rows("h") if r["state"] == 0]
    first, last = rows[0]["start_us"] / 1e6, rows[-1]["end_us"] / 1e6
    check(rows[0]["video_codec"] == "hevc", "the camera records %s" % rows[0]["video_codec"])
    start, end = first + 1.3, min(last - 0.2, first + 11.3)
    base = os.path.join(nvr.dir, "rendition")

    # ---- the rendition: H.264, decodes, fragmented, spans the range ----
    status, hdr, body = get(url(nvr, "h", start=iso(start), end=iso(end), codec="h264"))
    check(status == 200, "playback.mp4 status %d %r" % (status, body[:200]))
    check(hdr.get("Content-Type") == "video/mp4", "content type %s" % hdr.get("Content-Type"))
    check(hdr.get("X-Rendition") == "transcode", "X-Rendition %s" % hdr.get("X-Rendition"))
    xstart, xend = parse_time(hdr.get("X-Start-Time")), parse_time(hdr.get("X-End-Time"))
    check(start - GOP - 0.05 <= xstart <= start, "X-Start-Time %.3f is not the keyframe at or before %.3f"
          % (xstart, start))
    check(abs(xend - end) < 0.001, "X-End-Time %.3f != end %.3f" % (xend, end))
    path = base + ".mp4"
    with open(path, "wb") as f:
        f.write(body)
    info = probe(path)
    v = [s for s in info["streams"] if s["codec_type"] == "video"]
    check(len(v) == 1 and v[0]["codec_name"] == "h264", "streams %s" % [s["codec_name"] for s in info["streams"]])
    check(v and v[0]["width"] == 1280 and v[0]["height"] == 720, "size %sx%s" % (v[0]["width"], v[0]["height"]))
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"], capture_output=True, text=True)
    check(r.returncode == 0 and r.stderr.strip() == "", "ffmpeg decode errors: %s" % r.stderr[:500])
    dur = probe_duration(path)
    want = end - xstart
    print("rendition: %d bytes, %.2f s of media for %.2f s asked (from the keyframe %.2f s before start)"
          % (len(body), dur, end - start, start - xstart))
    check(abs(dur - want) <= GOP, "duration %.2f s, expected %.2f s within a GOP" % (dur, want))
    boxes = [b[1] for b in top_level_boxes(path)]
    check(boxes[:2] == ["ftyp", "moov"] and "mdat" in boxes, "boxes %s" % boxes[:6])
    check(boxes.count("moof") >= int(dur) - 1, "%d fragments for %.1f s" % (boxes.count("moof"), dur))
    check("mfra" not in boxes, "an mfra trailer")
    fps = wait_until(lambda: transcode_fps(nvr.log_text()), 10)
    frames = 25 * dur
    print("transcode speed 1080p H.265 -> 1280x720 H.264: %s fps (%.1fx real time)"
          % (fps, fps[0] / 25 if fps else 0))
    check(fps and fps[0] > 25, "the transcode is not faster than real time: %s fps for %.0f frames" % (fps, frames))

    # ---- a width, and the range's end inside footage ----
    status, hdr, body = get(url(nvr, "h", start=iso(start), end=iso(start + 3), codec="h264", width=320))
    check(status == 200, "width=320 status %d" % status)
    with open(base + "-320.mp4", "wb") as f:
        f.write(body)
    v = [s for s in probe(base + "-320.mp4")["streams"] if s["codec_type"] == "video"]
    check(v and v[0]["width"] == 320 and v[0]["height"] == 180, "width=320 gave %sx%s" %
          (v[0]["width"], v[0]["height"]) if v else "no video")

    # ---- stored H.264: stream copy at its own size, a transcode when smaller ----
    rows264 = [r for r in nvr.db_rows("c") if r["state"] == 0]
    check(len(rows264) >= 2, "the H.264 camera recorded %d segments" % len(rows264))
    if len(rows264) >= 2:
        s264 = rows264[0]["start_us"] / 1e6 + 1.0
        e264 = rows264[-1]["end_us"] / 1e6 - 0.5
        for q, mode, size in (({}, "copy", (640, 360)), ({"width": 320}, "transcode", (320, 180))):
            status, hdr, body = get(url(nvr, "c", start=iso(s264), end=iso(e264), codec="h264", **q))
            check(status == 200 and hdr.get("X-Rendition") == mode, "H.264 %s: status %d X-Rendition %s"
                  % (q, status, hdr.get("X-Rendition")))
            p264 = base + "-264-%s.mp4" % mode
            with open(p264, "wb") as f:
                f.write(body)
            v = [x for x in probe(p264)["streams"] if x["codec_type"] == "video"]
            check(v and v[0]["codec_name"] == "h264" and (v[0]["width"], v[0]["height"]) == size,
                  "H.264 %s: %s" % (mode, [(x["codec_name"], x["width"], x["height"]) for x in v]))
            r = subprocess.run(["ffmpeg", "-v", "error", "-i", p264, "-f", "null", "-"], capture_output=True,
                               text=True)
            check(r.returncode == 0 and r.stderr.strip() == "", "H.264 %s decode errors: %s" % (mode, r.stderr[:300]))
            d = probe_duration(p264)
            w = e264 - parse_time(hdr.get("X-Start-Time"))
            check(abs(d - w) <= GOP, "H.264 %s: duration %.2f s, expected %.2f s" % (mode, d, w))

    # ---- HEAD: the headers, nothing runs ----
    status, hdr, body = get(url(nvr, "h", start=iso(start), end=iso(end)), method="HEAD")
    check(status == 200 and hdr.get("X-Start-Time") and body == b"", "HEAD status %d" % status)

    # ---- bad inputs: 4xx JSON ----
    bad = [
        ({"end": iso(end)}, 400),
        ({"start": iso(start)}, 400),
        ({"start": "yesterday", "end": iso(end)}, 400),
        ({"start": iso(end), "end": iso(start)}, 400),
        ({"start": iso(start), "end": iso(start)}, 400),
        ({"start": iso(start), "end": iso(start + 26 * 3600)}, 400),
        ({"start": iso(start), "end": iso(end), "codec": "vp9"}, 400),
        ({"start": iso(start), "end": iso(end), "width": "abc"}, 400),
        ({"start": iso(start), "end": iso(end), "width": "8"}, 400),
        ({"start": iso(start), "end": iso(end), "width": "-640"}, 400),
        ({"start": "2001-01-01T00:00:00Z", "end": "2001-01-01T01:00:00Z"}, 404),
        ({"start": iso(last + 3600), "end": iso(last + 7200)}, 404),
    ]
    for q, code in bad:
        status, hdr, body = get(url(nvr, "h", **q))
        try:
            err = json.loads(body).get("error")
        except ValueError:
            err = None
        check(status == code and err, "%s: status %d body %r (want %d JSON)" % (q, status, body[:120], code))
    status, _h, body = get(url(nvr, "nosuch", start=iso(start), end=iso(end)))
    check(status == 404 and b"error" in body, "unknown camera: %d" % status)

    # ---- the cap: 2 running, a 3rd gets 503; a hang-up frees a slot ----
    long_path = "/api/v1/cameras/h/playback.mp4?" + urllib.parse.urlencode(
        {"start": iso(first), "end": iso(last), "codec": "h264"})
    holders = [Holder(nvr.port, long_path) for _ in range(2)]
    check([h.status for h in holders] == [200, 200], "holders' status %s" % [h.status for h in holders])
    time.sleep(1.5)  # both fill their buffers and wait for their clients
    _st, _h, metrics = get(nvr.base_url + "/metrics")
    check(b"\nnvr_playback_renditions 2\n" in metrics, "/metrics: %s" %
          [l for l in metrics.decode().splitlines() if "renditions" in l])
    status, hdr, body = get(url(nvr, "h", start=iso(start), end=iso(end)))
    check(status == 503 and hdr.get("Retry-After") and b"error" in body,
          "3rd concurrent: status %d Retry-After %s" % (status, hdr.get("Retry-After")))
    holders[0].close()

    def third():
        st, _h, b = get(url(nvr, "h", start=iso(start), end=iso(start + 2)))
        return st == 200 and len(b) > 1000
    check(wait_until(third, 10, 0.5), "the slot was not freed after a client hung up")
    holders[1].close()
    check(wait_until(lambda: "rendition stopped" in nvr.log_text(), 10), "no 'stopped' log line after hang-up")
    check(wait_until(lambda: b"\nnvr_playback_renditions 0\n" in get(nvr.base_url + "/metrics")[2], 10),
          "/metrics: renditions still running after every client left")
    # a rendition waiting for its client does not hold up shutdown
    h3 = Holder(nvr.port, long_path)
    check(h3.status == 200, "4th holder status %d" % h3.status)
    time.sleep(1)
    t0 = time.monotonic()
    check(nvr.stop() == 0, "nvr exit status")
    took = time.monotonic() - t0
    check(took < 10, "shutdown with a rendition running took %.1f s" % took)
    h3.close()
    log = nvr.log_text()
    check("ERROR" not in log and "sanitizer" not in log.lower(), "errors in the log: %s" %
          [l for l in log.splitlines() if "ERROR" in l or "anitizer" in l][:3])
finish("test_playback_rendition")
