# SPDX-License-Identifier: Apache-2.0
"""Write faults and damaged files, measured from outside (issue 20, rows 6-7):

A. the camera's recording directory made unwritable for ~10 s (`chattr +i`:
   CI runs as root, which plain chmod does not stop; a read-only bind mount
   where chattr is not supported): recording stops, GET /api/v1/health says
   "degraded" with the camera and the errno in words ("permission denied",
   never "disk full") within a few seconds, /metrics has
   nvr_camera_write_ok 0 and nvr_storage_ok 0, the camera list shows
   write_ok false; when the directory is writable again everything is back
   to "ok" by itself and recording resumes.
B. the index's WAL made unwritable the same way: degraded with the reason,
   the log does not blame a full disk, and back to "ok" afterwards.
C. a finished segment file truncated on disk: GET of the segment answers
   the bytes the file has, without a stall (5 s timeout), and logs it.
D. a segment file deleted: playback.mp4 and playback.m3u8 over its range
   answer 410 with a JSON error (not 200 with an empty body); a playlist
   around it leaves it out.

Needs root (chattr, mount)."""
import atexit
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request

from harness import Camera, Nvr, check, finish, iso, wait_until


def request(nvr, path, timeout=10):
    """(status, body bytes, headers); status 0 on a timeout or a broken connection."""
    try:
        with urllib.request.urlopen(nvr.base_url + path, timeout=timeout) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)
    except (urllib.error.URLError, ConnectionError, OSError) as e:
        return 0, str(e).encode(), {}


def health(nvr):
    st, body, _ = request(nvr, "/api/v1/health", timeout=3)
    return json.loads(body) if st == 200 else {}


def metric(nvr, line_re):
    st, body, _ = request(nvr, "/metrics", timeout=3)
    m = re.search(line_re, body.decode()) if st == 200 else None
    return m.group(1) if m else None


class Unwritable:
    """Makes a directory or file unwritable even for root: chattr +i, or a
    read-only bind mount where the file system has no immutable flag."""

    def __init__(self, path):
        self.path = path
        self.how = None

    def __enter__(self):
        if subprocess.run(["chattr", "+i", self.path], capture_output=True).returncode == 0:
            self.how = "chattr"
            atexit.register(lambda: subprocess.run(["chattr", "-i", self.path], capture_output=True))
        elif (subprocess.run(["mount", "--bind", self.path, self.path], capture_output=True).returncode == 0 and
              subprocess.run(["mount", "-o", "remount,bind,ro", self.path, self.path],
                             capture_output=True).returncode == 0):
            self.how = "mount"
            atexit.register(lambda: subprocess.run(["umount", "-l", self.path], capture_output=True))
        else:
            raise SystemExit("cannot make %s unwritable (needs root and chattr or mount)" % self.path)
        return self

    def __exit__(self, *exc):
        if self.how == "chattr":
            subprocess.run(["chattr", "-i", self.path], check=True)
        else:
            subprocess.run(["umount", self.path], check=True)


def fault(nvr, path, name, expect_reason):
    """Makes path unwritable for ~10 s; checks health goes degraded and comes back."""
    log_before = len(nvr.log_text())
    with Unwritable(path):
        t0 = time.monotonic()
        h = wait_until(lambda: health(nvr).get("status") == "degraded" and health(nvr), 15, step=0.1)
        t_deg = time.monotonic() - t0
        if check(h, "%s: health still ok %.0f s after the fault" % (name, t_deg)):
            print("%s: degraded %.2f s after the fault: %s" % (name, t_deg, h.get("reason")))
            reason = h.get("reason", "")
            check(expect_reason in reason, "%s: reason %r does not say %r" % (name, reason, expect_reason))
            check("disk full" not in reason, "%s: reason blames a full disk: %r" % (name, reason))
            check(metric(nvr, r'nvr_camera_write_ok\{camera="cam"\} (\d)') == "0",
                  "%s: nvr_camera_write_ok is not 0" % name)
            check(metric(nvr, r"(?m)^nvr_storage_ok (\d)") == "0", "%s: nvr_storage_ok is not 0" % name)
            st, body, _ = request(nvr, "/api/v1/cameras")
            cams = json.loads(body)["cameras"] if st == 200 else []
            check(cams and cams[0].get("write_ok") is False and cams[0].get("write_error"),
                  "%s: the camera list does not show the write failure: %s" % (name, cams))
        time.sleep(max(0.0, 10 - (time.monotonic() - t0)))
    t1 = time.monotonic()
    ok = wait_until(lambda: health(nvr).get("status") == "ok", 20, step=0.1)
    t_ok = time.monotonic() - t1
    if check(ok, "%s: health not back to ok %.0f s after the fault went: %s" % (name, t_ok, health(nvr))):
        print("%s: ok again %.2f s after the fault went" % (name, t_ok))
    check(metric(nvr, r'nvr_camera_write_ok\{camera="cam"\} (\d)') == "1", "%s: nvr_camera_write_ok not back to 1" % name)
    check(metric(nvr, r"(?m)^nvr_storage_ok (\d)") == "1", "%s: nvr_storage_ok not back to 1" % name)
    # recording resumed: a segment that started after the fault went is finished
    t_back = time.time()
    check(wait_until(lambda: any(r["start_us"] / 1e6 > t_back and r["state"] == 0 for r in nvr.db_rows("cam")), 15),
          "%s: recording did not resume" % name)
    log = nvr.log_text()[log_before:]
    check("recording cannot write" in log, "%s: the write failure was not logged" % name)
    check("recording writes again" in log, "%s: the recovery was not logged" % name)
    check("disk full" not in log and "no space left" not in log,
          "%s: the log blames a full disk: %s" % (name, [l for l in log.splitlines() if "disk full" in l][:3]))
    check(log.count("recording cannot write") <= 2, "%s: the failure was logged %d times, not once"
          % (name, log.count("recording cannot write")))


with Camera("h264.mp4") as cam:
    nvr = Nvr("health", [("cam", {"url": cam.url(), "segment_seconds": 2})])
    nvr.start()
    check(nvr.wait_segments("cam", 3, 30), "no recording")
    check(health(nvr).get("status") == "ok", "health not ok at the start: %s" % health(nvr))

    # A. the camera's recording directory (today's, where new segments go)
    rows = nvr.db_rows("cam")
    day_dir = os.path.dirname(nvr.path(rows[-1]["path"]))
    fault(nvr, day_dir, "A (directory)", "permission denied")

    # B. the index's write-ahead log
    fault(nvr, os.path.join(nvr.data_dir, "index.db-wal"), "B (index)", "permission denied")

    # C. a finished segment cut short on disk
    rows = [r for r in nvr.db_rows("cam") if r["state"] == 0]
    seg = rows[1]
    p = nvr.path(seg["path"])
    os.truncate(p, seg["bytes"] // 2)
    t0 = time.monotonic()
    st, body, hdr = request(nvr, "/api/v1/cameras/cam/segments/%d.mp4" % seg["id"], timeout=5)
    took = time.monotonic() - t0
    print("C: truncated segment: status %d, %d bytes in %.2f s (file %d, index %d)"
          % (st, len(body), took, seg["bytes"] // 2, seg["bytes"]))
    check(st == 200 and len(body) == seg["bytes"] // 2,
          "C: status %d, %d bytes for a file of %d: %r" % (st, len(body), seg["bytes"] // 2, body[:80]))
    check(took < 5, "C: the request took %.1f s" % took)
    check(int(hdr.get("Content-Length", "-1")) == seg["bytes"] // 2, "C: Content-Length %s" % hdr.get("Content-Length"))
    check("segment file shorter than the index" in nvr.log_text(), "C: the short file was not logged")

    # D. a segment file deleted: playback.mp4 over it
    seg = rows[2]
    os.unlink(nvr.path(seg["path"]))
    q = "start=%s&end=%s" % (iso(seg["start_us"] / 1e6 + 0.2), iso(seg["end_us"] / 1e6 - 0.2))
    st, body, hdr = request(nvr, "/api/v1/cameras/cam/playback.mp4?" + q, timeout=10)
    print("D: playback.mp4 over a deleted file: status %d, %d bytes" % (st, len(body)))
    check(st in (404, 410), "D: playback.mp4 over a deleted file answered %d (%d bytes)" % (st, len(body)))
    try:
        err = json.loads(body).get("error")
    except ValueError:
        err = None
    check(err, "D: no JSON error: %r" % body[:100])
    st, body, _ = request(nvr, "/api/v1/cameras/cam/segments/%d.mp4" % seg["id"], timeout=5)
    check(st == 404, "D: GET of the deleted segment answered %d" % st)
    # the HLS playlist: 410 over the deleted file alone; around it, the file is left out (a gap)
    st, body, _ = request(nvr, "/api/v1/cameras/cam/playback.m3u8?" + q, timeout=5)
    check(st == 410 and b'"error"' in body, "D: playback.m3u8 over a deleted file answered %d: %r" % (st, body[:80]))
    q = "start=%s&end=%s" % (iso(rows[0]["start_us"] / 1e6), iso(rows[4]["end_us"] / 1e6))
    st, body, _ = request(nvr, "/api/v1/cameras/cam/playback.m3u8?" + q, timeout=5)
    check(st == 200 and b"segments/%d.mp4" % seg["id"] not in body and b"segments/%d.mp4" % rows[3]["id"] in body,
          "D: playback.m3u8 around a deleted file: %d %r" % (st, body[:200]))
    rc = nvr.stop()
    check(rc == 0, "nvr exited %r" % rc)
finish("health_faults")
