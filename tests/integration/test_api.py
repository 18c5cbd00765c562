# SPDX-License-Identifier: Apache-2.0
"""The HTTP API against a running `nvr run` and the test camera: every route,
every kind of bad input (a 4xx with a JSON error, never a crash), byte
ranges and caching of segment files, and an HLS playlist spanning two
segments and a gap that ffmpeg plays with the duration the index says."""
import json
import re
import subprocess
import time
import urllib.error
import urllib.request

from harness import Camera, Nvr, check, finish, parse_time, wait_until

SECRET = "api-s3cret"
base = None


def get(path, method="GET", headers=None):
    """(status, headers, body bytes) -- never raises on HTTP errors."""
    req = urllib.request.Request(base + path, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()
    except (urllib.error.URLError, ConnectionError):
        return 0, {}, b""


def get_json(path):
    st, h, body = get(path)
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    return st, h, doc


def expect_error(path, status, method="GET", what=""):
    st, h, body = get(path, method=method)
    ok = check(st == status, "%s %s: status %d, want %d" % (method, path, st, status))
    try:
        doc = json.loads(body)
        check(isinstance(doc, dict) and isinstance(doc.get("error"), str) and doc["error"],
              "%s %s: error body is not {\"error\": ...}: %r" % (method, path, body[:100]))
    except ValueError:
        check(False, "%s %s: error body is not JSON: %r" % (method, path, body[:100]))
    check(h.get("Content-Type", "").startswith("application/json"), "%s: content type %s" % (path, h.get("Content-Type")))
    return ok


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)


with Camera("h264_aac.mp4", user="admin", password=SECRET) as cam:
    nvr = Nvr("api", [("lobby", {"url": cam.url("admin", SECRET), "segment_seconds": 3, "audio": "on", "name": "Main lobby"}),
                      ("gym", {"url": cam.url("admin", SECRET), "segment_seconds": 3})],
              )
    base = nvr.base_url
    nvr.start()
    check(wait_until(lambda: get("/api/v1/health")[0] == 200, 10), "the API did not come up")
    check(nvr.wait_segments("lobby", 2, 20), "lobby did not record")
    cam.stop()                      # a gap of a few seconds
    time.sleep(4)
    cam.start()
    check(wait_until(lambda: len([r for r in nvr.db_rows("lobby") if r["state"] == 0]) >= 4, 40),
          "lobby did not record after the gap")

    # --- health, cameras ---
    st, h, doc = get_json("/api/v1/health")
    check(st == 200 and doc.get("status") == "ok" and doc.get("version"), "health: %r" % doc)
    st, h, doc = get_json("/api/v1/cameras")
    check(st == 200 and [c["id"] for c in doc["cameras"]] == ["lobby", "gym"], "cameras: %r" % doc)
    lobby = doc["cameras"][0]
    check(lobby["status"] == "recording", "lobby status %s" % lobby["status"])
    check(lobby["name"] == "Main lobby", "name %r" % lobby["name"])
    check(lobby["video"]["codec"] == "h264" and lobby["video"]["width"] == 640 and lobby["video"]["height"] == 360,
          "video %r" % lobby["video"])
    check(abs(lobby["video"]["fps"] - 25) < 1, "fps %r" % lobby["video"]["fps"])
    check(SECRET not in json.dumps(doc) and "admin:***@" in lobby["url"], "password in the cameras answer")
    st, h, one = get_json("/api/v1/cameras/gym")
    check(st == 200 and one["id"] == "gym", "camera by id: %r" % one)

    # --- recordings ---
    rows = [r for r in nvr.db_rows("lobby") if r["state"] == 0]
    t0, t1 = rows[0]["start_us"] / 1e6, rows[-1]["end_us"] / 1e6
    st, h, rec = get_json("/api/v1/cameras/lobby/recordings?start=%s&end=%s" % (iso(t0 - 60), iso(t1)))
    check(st == 200 and len(rec["runs"]) == 2, "recordings: %d runs, want 2 (gap)" % len(rec.get("runs", [])))
    check(all(set(("start", "end", "bytes")) <= set(s) for s in rec["segments"]), "segment fields missing")
    check(len([s for s in rec["segments"] if s["state"] == "complete"]) == len(rows), "segments differ from the index")
    st, h, dflt = get_json("/api/v1/cameras/lobby/recordings")
    check(st == 200 and len(dflt["segments"]) >= len(rows), "recordings without a range (last 24 h)")

    # --- playback playlist over two segments and the gap ---
    gap_run_end = parse_time(rec["runs"][0]["end"])
    pl_start, pl_end = rows[0]["start_us"] / 1e6, rows[-1]["end_us"] / 1e6
    url = "/api/v1/cameras/lobby/playback.m3u8?start=%s&end=%s" % (iso(pl_start), iso(pl_end))
    st, h, body = get(url)
    text = body.decode()
    check(st == 200 and h.get("Content-Type") == "application/vnd.apple.mpegurl", "playlist: %d %s" % (st, h.get("Content-Type")))
    check(text.startswith("#EXTM3U") and text.rstrip().endswith("#EXT-X-ENDLIST"), "playlist shape")
    check(text.count("#EXT-X-DISCONTINUITY") == 1, "want exactly one discontinuity (the gap): %d" % text.count("#EXT-X-DISCONTINUITY"))
    check(text.count("#EXT-X-MAP") == len(rows), "one EXT-X-MAP per segment file")
    check("#EXT-X-PROGRAM-DATE-TIME:" in text, "no PROGRAM-DATE-TIME")
    listed = sum(float(x) for x in re.findall(r"#EXTINF:([0-9.]+),", text))
    media = sum(r["media_us"] for r in rows) / 1e6
    check(abs(listed - media) < 0.01, "playlist lists %.3f s, index has %.3f s" % (listed, media))
    # ffmpeg as the independent client: decodes every frame without an error
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
                        "stream=nb_read_frames", "-of", "csv=p=0"] + nvr.ffmpeg_auth() + [base + url], capture_output=True, text=True, timeout=120)
    nums = re.findall(r"\d+", r.stdout)
    frames = int(nums[0]) if nums else 0
    want = sum(x["frames"] for x in rows)
    check(r.returncode == 0 and frames == want, "ffprobe decoded %d frames, the index has %d (%s)" % (frames, want, r.stderr[:300]))
    check(abs(frames / 25.0 - media) < 0.1, "decoded duration %.2f s vs index %.2f s" % (frames / 25.0, media))
    r = subprocess.run(["ffmpeg", "-v", "error"] + nvr.ffmpeg_auth() + ["-i", base + url, "-f", "null", "-"], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "ffmpeg failed on the playlist: %s" % r.stderr[:300])
    print("playlist: %d segments, %.2f s listed, %d frames decoded" % (len(rows), listed, frames))
    # a range inside one run starts at the fragment holding its start
    mid = rows[0]["start_us"] / 1e6 + 2.5
    st, h, body = get("/api/v1/cameras/lobby/playback.m3u8?start=%s&end=%s" % (iso(mid), iso(mid + 1)))
    check(st == 200 and b"#EXT-X-DISCONTINUITY" not in body and body.count(b"#EXTINF") == 1,
          "a 1 s range inside a fragment lists that fragment only: %r" % body[:400])

    # --- segment bytes ---
    seg = rows[0]
    path = "/api/v1/cameras/lobby/segments/%d.mp4" % seg["id"]
    st, h, body = get(path)
    check(st == 200 and len(body) == seg["bytes"], "segment: %d, %d bytes" % (st, len(body)))
    check(body == open(nvr.path(seg["path"]), "rb").read(), "segment bytes differ from the file")
    check(h.get("Accept-Ranges") == "bytes" and h.get("Content-Type") == "video/mp4", "segment headers")
    etag = h.get("ETag")
    check(etag and "immutable" in h.get("Cache-Control", ""), "finished segment: ETag %r, Cache-Control %r" % (etag, h.get("Cache-Control")))
    st, h, body2 = get(path, headers={"Range": "bytes=100-199"})
    check(st == 206 and body2 == body[100:200] and h.get("Content-Range") == "bytes 100-199/%d" % len(body),
          "range: %d %r" % (st, h.get("Content-Range")))
    st, h, body2 = get(path, headers={"Range": "bytes=-50"})
    check(st == 206 and body2 == body[-50:], "suffix range: %d" % st)
    st, h, body2 = get(path, headers={"Range": "bytes=%d-" % (len(body) - 10)})
    check(st == 206 and body2 == body[-10:], "open range: %d" % st)
    st, h, _ = get(path, headers={"Range": "bytes=%d-" % (len(body) + 5)})
    check(st == 416 and h.get("Content-Range") == "bytes */%d" % len(body), "unsatisfiable range: %d %r" % (st, h.get("Content-Range")))
    st, h, body2 = get(path, method="HEAD")
    check(st == 200 and body2 == b"" and int(h.get("Content-Length", -1)) == len(body), "HEAD: %d %r" % (st, h.get("Content-Length")))
    st, h, _ = get(path, headers={"If-None-Match": etag})
    check(st == 304, "If-None-Match: %d" % st)
    # the fragment byte ranges of the playlist are real moof boxes
    m = re.search(r"#EXT-X-BYTERANGE:(\d+)@(\d+)\nsegments/%d.mp4" % seg["id"], text)
    if check(m, "no explicit byte range for the first segment"):
        length, off = int(m.group(1)), int(m.group(2))
        st, h, frag = get(path, headers={"Range": "bytes=%d-%d" % (off, off + length - 1)})
        check(st == 206 and frag[4:8] == b"moof" and len(frag) == length, "fragment range is not a moof")

    # --- bad input: 4xx with a JSON error, never a crash ---
    expect_error("/api/v1/cameras/nope", 404)
    expect_error("/api/v1/cameras/nope/recordings", 404)
    expect_error("/api/v1/cameras/lobby/playback.m3u8", 400)                                  # no range
    expect_error("/api/v1/cameras/lobby/playback.m3u8?start=yesterday&end=today", 400)
    expect_error("/api/v1/cameras/lobby/playback.m3u8?start=2026-11-22T04:00:00Z&end=2026-11-22T03:00:00Z", 400)
    expect_error("/api/v1/cameras/lobby/playback.m3u8?start=2026-11-22T04:00:00Z&end=2026-11-22T04:00:00Z", 400)
    expect_error("/api/v1/cameras/lobby/playback.m3u8?start=2020-01-01T00:00:00Z&end=2026-01-01T00:00:00Z", 400)  # absurd
    expect_error("/api/v1/cameras/lobby/playback.m3u8?start=2001-01-01T00:00:00Z&end=2001-01-01T01:00:00Z", 404)  # nothing
    expect_error("/api/v1/cameras/lobby/recordings?start=2026-13-01T00:00:00Z", 400)
    expect_error("/api/v1/cameras/lobby/recordings?start=2020-01-01T00:00:00Z&end=2026-01-01T00:00:00Z", 400)
    expect_error("/api/v1/cameras/gym/segments/%d.mp4" % seg["id"], 404)       # another camera's segment
    expect_error("/api/v1/cameras/lobby/segments/abc.mp4", 404)
    expect_error("/api/v1/cameras/lobby/segments/-1.mp4", 404)
    expect_error("/api/v1/cameras/lobby/segments/99999999999999999999.mp4", 404)
    expect_error("/api/v1/cameras/lobby/segments/..%2f..%2findex.db", 404)
    expect_error("/api/v1/cameras/..%2f..%2fetc/recordings", 404)
    expect_error("/api/v1/nothing-here", 404)
    expect_error("/api/v1/cameras/lobby/recordings", 405, method="POST")
    expect_error("/api/v1/health", 405, method="DELETE")
    expect_error("/api/v1/cameras/lobby/playback.m3u8?start=" + "9" * 3000 + "&end=x", 400)
    expect_error("/api/v1/" + "a" * 3000, 414)

    # --- metrics ---
    st, h, body = get("/metrics")
    m = body.decode()
    check(st == 200 and h.get("Content-Type", "").startswith("text/plain"), "metrics: %d" % st)
    for line in ('nvr_camera_status{camera="lobby",status="recording"} 1', "nvr_camera_frames_total{camera=\"lobby\"}",
                 "nvr_camera_reconnects_total{camera=\"lobby\"} 1", "nvr_fragment_write_seconds_sum{camera=\"gym\"}",
                 'nvr_http_requests_total{route="/api/v1/cameras/{}/segments/{}.mp4",code="206"}',
                 'nvr_http_requests_total{route="(none)",code="404"}'):
        check(line in m, "metrics lack %s" % line)

    st, _, _ = get("/api/v1/health")
    check(st == 200, "the server did not survive the bad requests")
    rc = nvr.stop()
check(rc == 0, "nvr exited %r" % rc)
check(SECRET not in nvr.log_text(), "password in the log")
finish("api")
