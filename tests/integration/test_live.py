# SPDX-License-Identifier: Apache-2.0
"""Live view (live.mp4) against a running `nvr run` and the test camera:
the body is an init segment then one-frame fragments starting at a keyframe,
ffprobe decodes it, viewers share the recorder's RTSP session (the camera's
connection count does not grow), the sub stream connects on demand and
disconnects when nobody watches, a paused viewer does not stop recording,
an H.265 camera's H.264 rendition is made once for all its viewers and
stopped when unwatched, viewers leaving free everything (/metrics and, in the
ASan build, a clean exit), bad inputs answer 4xx JSON, and a camera that goes away ends the body."""
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request

from harness import Camera, Nvr, camera_connections, check, finish, wait_until
from livestream import LiveReader, prft_time, trun_sample_count

base = None


def get(path, method="GET"):
    req = urllib.request.Request(base + path, method=method)
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
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


def metric(name, labels):
    st, h, body = get("/metrics")
    pat = re.compile(r"^%s\{%s\} (\S+)$" % (re.escape(name), re.escape(labels)), re.M)
    m = pat.search(body.decode())
    return float(m.group(1)) if m else None


def read_live(port, path, seconds, out):
    """Reads the live body for a while into file out (whole boxes only);
    returns (status, headers, [box types], [moof sample counts], [prft times])."""
    r = LiveReader(port, path)
    kinds, counts, prfts = [], [], []
    with open(out, "wb") as f:
        if r.status == 200:
            for _t, kind, box in r.boxes(seconds):
                kinds.append(kind)
                if kind == "moof":
                    counts.append(trun_sample_count(box))
                if kind == "prft":
                    prfts.append(prft_time(box))
                f.write(box)
    r.close()
    return r.status, r.headers, kinds, counts, prfts


with Camera("h264.mp4", mounts=2) as cam, Camera("h265_aac.mp4") as cam265:
    nvr = Nvr("live", [("lobby", {"url": cam.url(mount="/cam1"), "sub_url": cam.url(mount="/cam2"),
                                  "segment_seconds": 3}),
                       ("hevc", {"url": cam265.url(), "segment_seconds": 3})])
    base = nvr.base_url
    nvr.start()
    check(wait_until(lambda: nvr.wait_segments("lobby", 1, 1) and nvr.wait_segments("hevc", 1, 1), 30),
          "the cameras did not record")

    # --- the MSE type in the camera documents ---
    st, h, body = get("/api/v1/cameras/lobby")
    doc = json.loads(body)
    mime = (doc.get("video") or {}).get("mime") or ""
    check(re.fullmatch(r'video/mp4; codecs="avc1\.[0-9a-f]{6}"', mime), "lobby mime %r" % mime)
    st, h, body = get("/api/v1/cameras")
    cams = {c["id"]: c for c in json.loads(body)["cameras"]}
    check(cams["lobby"]["video"]["mime"] == mime, "list mime %r" % cams["lobby"]["video"])
    check(re.fullmatch(r'video/mp4; codecs="hvc1\.[0-9A-Za-z.]+"', cams["hevc"]["video"]["mime"] or ""),
          "hevc mime %r" % cams["hevc"]["video"])

    # --- one viewer: init segment, then one frame per fragment from a keyframe ---
    tmp = nvr.dir
    t0 = time.monotonic()
    st, hdr, kinds, counts, prfts = read_live(nvr.port, "/api/v1/cameras/lobby/live.mp4", 4,
                                              os.path.join(tmp, "live.mp4"))
    check(st == 200, "live.mp4 status %d" % st)
    check(hdr.get("Content-Type") == "video/mp4", "content type %s" % hdr.get("Content-Type"))
    check(hdr.get("Cache-Control") == "no-store", "cache control %s" % hdr.get("Cache-Control"))
    check(kinds[:2] == ["ftyp", "moov"], "live.mp4 starts with %s" % kinds[:4])
    check(kinds.count("moof") >= 75, "only %d fragments in 4 s" % kinds.count("moof"))
    check(counts and all(c == 1 for c in counts), "fragments are not one frame each: %s" % counts[:10])
    check(set(kinds[2:]) <= {"prft", "moof", "mdat"}, "unexpected boxes %s" % set(kinds[2:]))
    check(len(prfts) == kinds.count("moof"), "a prft per fragment: %d != %d" % (len(prfts), kinds.count("moof")))
    check(prfts and abs(prfts[-1] - time.time()) < 5, "prft time %r is not the camera's clock" % prfts[-1:])
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries",
                        "frame=key_frame,width,height", "-of", "csv=p=0", os.path.join(tmp, "live.mp4")],
                       capture_output=True, text=True)
    frames = [l for l in r.stdout.split() if l]
    check(r.returncode == 0 and r.stderr.strip() == "", "ffprobe errors: %s" % r.stderr[:300])
    check(len(frames) >= 75, "ffprobe decoded %d frames" % len(frames))
    check(frames and frames[0] == "1,640,360", "first frame is not a 640x360 keyframe: %s" % frames[:1])

    # --- ffmpeg reads the URL itself ---
    r = subprocess.run(["ffmpeg", "-v", "error", "-t", "2"] + nvr.ffmpeg_auth() + ["-i", base + "/api/v1/cameras/lobby/live.mp4",
                        "-f", "null", "-"], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "ffmpeg -i live.mp4 failed: %s" % r.stderr[:300])

    # --- viewers share the recorder's session ---
    check(camera_connections(cam.port) == 1, "camera has %d clients before viewers" % camera_connections(cam.port))
    a = LiveReader(nvr.port, "/api/v1/cameras/lobby/live.mp4")
    b = LiveReader(nvr.port, "/api/v1/cameras/lobby/live.mp4?stream=main")
    na = sum(1 for _ in a.boxes(1.5))
    nb = sum(1 for _ in b.boxes(1.5))
    check(na > 10 and nb > 10, "two viewers got %d and %d boxes" % (na, nb))
    check(metric("nvr_camera_live_viewers", 'camera="lobby",stream="main"') == 2, "metrics do not show 2 viewers")
    check(camera_connections(cam.port) == 1, "two viewers opened RTSP sessions: %d" % camera_connections(cam.port))
    a.close()
    b.close()
    check(wait_until(lambda: metric("nvr_camera_live_viewers", 'camera="lobby",stream="main"') == 0, 5),
          "viewers not freed after disconnecting")

    # --- the sub stream: one on-demand session for its viewers, closed when idle ---
    a = LiveReader(nvr.port, "/api/v1/cameras/lobby/live.mp4?stream=sub")
    b = LiveReader(nvr.port, "/api/v1/cameras/lobby/live.mp4?stream=sub")
    ka = [k for _t, k, _b in a.boxes(3)]
    kb = [k for _t, k, _b in b.boxes(1)]
    check(ka[:2] == ["ftyp", "moov"] and "moof" in ka, "sub viewer got %s" % ka[:5])
    check(kb[:2] == ["ftyp", "moov"] and "moof" in kb, "second sub viewer got %s" % kb[:5])
    check(camera_connections(cam.port) == 2, "sub viewers: camera has %d clients, want 2" % camera_connections(cam.port))
    a.close()
    b.close()
    check(wait_until(lambda: camera_connections(cam.port) == 1, 20), "the sub session stayed open without viewers")

    # --- a paused viewer does not stop recording, and skips ahead when it resumes ---
    p = LiveReader(nvr.port, "/api/v1/cameras/lobby/live.mp4", rcvbuf=16384)
    kinds = [k for _t, k, _b in p.boxes(0.5)]
    check(kinds[:2] == ["ftyp", "moov"], "paused viewer started with %s" % kinds[:3])
    done0 = len([r for r in nvr.db_rows("lobby") if r["state"] == 0])
    frames0 = json.loads(get("/api/v1/cameras/lobby")[2])["stats"]["frames"]
    time.sleep(16)  # > LIVE ring of 256 frames at 25 fps, beyond what the socket buffers hold
    frames1 = json.loads(get("/api/v1/cameras/lobby")[2])["stats"]["frames"]
    done1 = len([r for r in nvr.db_rows("lobby") if r["state"] == 0])
    check(frames1 - frames0 >= 350, "frames %d -> %d while a viewer was paused" % (frames0, frames1))
    check(done1 >= done0 + 4, "segments %d -> %d while a viewer was paused" % (done0, done1))
    after = [(k, b) for _t, k, b in p.boxes(4)]  # parses every box: a skip must not cut one
    check(len([k for k, _b in after if k == "moof"]) >= 75, "the paused viewer got %d fragments after resuming" %
          len([k for k, _b in after if k == "moof"]))
    check(set(k for k, _b in after) <= {"prft", "moof", "mdat"}, "boxes after a skip: %s" % set(k for k, _b in after))
    check("live viewer behind, skipping to the next keyframe" in nvr.log_text(), "the paused viewer was not skipped ahead")
    p.close()

    # --- HEAD and bad inputs ---
    st, h, body = get("/api/v1/cameras/lobby/live.mp4", method="HEAD")
    check(st == 200 and h.get("Content-Type") == "video/mp4" and body == b"", "HEAD live.mp4: %d %r" % (st, body[:20]))
    expect_error("/api/v1/cameras/nope/live.mp4", 404)
    expect_error("/api/v1/cameras/lobby/live.mp4?stream=third", 400)
    expect_error("/api/v1/cameras/lobby/live.mp4?codec=vp9", 400)
    st, h, body = get("/api/v1/cameras/lobby/live.mp4", method="POST")
    check(st == 405, "POST live.mp4: %d" % st)

    # --- H.265 camera as H.264: one shared on-demand rendition, stopped when unwatched ---
    st, hdr, kinds, counts, prfts = read_live(nvr.port, "/api/v1/cameras/hevc/live.mp4?codec=h264", 4,
                                              os.path.join(tmp, "h264.mp4"))
    check(st == 200 and kinds[:2] == ["ftyp", "moov"], "codec=h264: %d %s" % (st, kinds[:3]))
    check(counts and all(c == 1 for c in counts), "rendition fragments not one frame each")
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries",
                        "stream=codec_name,width,height:frame=key_frame", "-of", "json",
                        os.path.join(tmp, "h264.mp4")], capture_output=True, text=True)
    doc = json.loads(r.stdout or "{}")
    stream = (doc.get("streams") or [{}])[0]
    check(stream.get("codec_name") == "h264" and stream.get("width") == 640, "rendition stream %r" % stream)
    check(len(doc.get("frames", [])) >= 40, "rendition decoded %d frames in 4 s" % len(doc.get("frames", [])))
    check(doc.get("frames") and doc["frames"][0]["key_frame"] == 1, "rendition does not start at a keyframe")
    a = LiveReader(nvr.port, "/api/v1/cameras/hevc/live.mp4?codec=h264")
    b = LiveReader(nvr.port, "/api/v1/cameras/hevc/live.mp4?codec=h264")
    ka = [k for _t, k, _b in a.boxes(2)]
    kb = [k for _t, k, _b in b.boxes(1)]
    check("moof" in ka and "moof" in kb, "two rendition viewers: %s / %s" % (ka[:3], kb[:3]))
    check(metric("nvr_camera_live_viewers", 'camera="hevc",stream="h264"') == 2, "metrics: not 2 h264 viewers")
    check(nvr.log_text().count("live h264 rendition started") == 1, "the rendition was started more than once")
    check(camera_connections(cam265.port) == 1, "the rendition opened an RTSP session")
    a.close()
    b.close()
    check(wait_until(lambda: "live h264 rendition stopped" in nvr.log_text(), 20), "the rendition kept running")
    st, hdr, kinds, counts, prfts = read_live(nvr.port, "/api/v1/cameras/lobby/live.mp4?codec=h264", 1,
                                              os.path.join(tmp, "lobby264.mp4"))
    check(st == 200 and kinds[:2] == ["ftyp", "moov"], "codec=h264 of an H.264 camera: %d" % st)

    # --- the camera goes away: the body ends ---
    r = LiveReader(nvr.port, "/api/v1/cameras/hevc/live.mp4", timeout=20)
    check(r.status == 200, "hevc live.mp4 status %d" % r.status)
    kinds = [k for _t, k, _b in r.boxes(1)]
    check(kinds[:2] == ["ftyp", "moov"], "hevc live starts with %s" % kinds[:3])
    cam265.stop()
    t = time.monotonic()
    for _ in r.boxes(20):
        pass
    check(r.eof and time.monotonic() - t < 15, "the body did not end after the camera went away")
    r.close()
    check(wait_until(lambda: metric("nvr_camera_live_viewers", 'camera="hevc",stream="main"') == 0, 5),
          "hevc viewer not freed")
    expect_error("/api/v1/cameras/hevc/live.mp4", 503)

    rc = nvr.stop()
    check(rc == 0, "nvr exit status %r" % rc)
    log = nvr.log_text()
    check("AddressSanitizer" not in log and "LeakSanitizer" not in log, "sanitizer report in the log")
    check("streams still open" not in log, "streams left open at shutdown")

finish("test_live")
