# SPDX-License-Identifier: Apache-2.0
"""The server's clock steps forward an hour and back (an NTP correction),
for the nvr process only (libfaketime, its offset changed while it runs;
the monotonic clock is not faked).  Rule T6 (docs/design/time.md):

- each step is logged once (`clock step detected delta=...`), not every
  segment;
- after the step back, new footage carries the true time within a minute
  (here: the next keyframe), so a "last minute" playback finds it;
- the footage labelled an hour ahead is marked clock_suspect, in the index
  and in /api/v1/cameras/{id}/recordings;
- the index never overlaps (I1/T4)."""
import json
import os
import sqlite3
import time
import urllib.error
import urllib.request

from harness import TMP, Camera, Nvr, check, finish, iso, wait_until

LIBS = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1", "/usr/lib/faketime/libfaketimeMT.so.1"]
lib = next((p for p in LIBS if os.path.exists(p)), None)
if not lib:
    raise SystemExit("libfaketime is missing (apt-get install faketime; packaging/install-deps.sh --test)")

offset_file = os.path.join(TMP, "clock-step-%d.faketime" % os.getpid())


def set_offset(seconds):
    with open(offset_file + ".tmp", "w") as f:
        f.write("%+d\n" % seconds)
    os.replace(offset_file + ".tmp", offset_file)


def get(nvr, path):
    try:
        with urllib.request.urlopen(nvr.base_url + path, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def rows_with_flag(nvr):
    con = sqlite3.connect("file:%s?mode=ro" % nvr.path("index.db"), uri=True)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute("SELECT * FROM segments WHERE camera = 'cam' ORDER BY start_us")]
    except sqlite3.Error:
        return []
    finally:
        con.close()


set_offset(0)
# (in the sanitizer build ASan must come first among the preloads; libfaketime
# in front of it is harmless, so that check is turned off for this process)
asan = ":".join(x for x in (os.environ.get("ASAN_OPTIONS", ""), "verify_asan_link_order=0") if x)
wrapper = ["env", "ASAN_OPTIONS=" + asan, "LD_PRELOAD=" + lib, "FAKETIME_TIMESTAMP_FILE=" + offset_file, "FAKETIME_CACHE_DURATION=1",
           "FAKETIME_DONT_FAKE_MONOTONIC=1", "FAKETIME_DONT_RESET=1"]
with Camera("h264.mp4") as cam:
    nvr = Nvr("clock-step", [("cam", {"url": cam.url(), "segment_seconds": 2})], wrapper=wrapper)
    nvr.start()
    check(nvr.wait_segments("cam", 2, 30), "no recording before the step")

    # forward an hour
    set_offset(3600)
    t_fwd = time.time()
    ahead = wait_until(lambda: [r for r in nvr.db_rows("cam") if r["start_us"] / 1e6 > t_fwd + 3000], 30, step=0.1)
    if check(ahead, "the step forward was not followed"):
        print("forward 1 h: footage labelled with the new clock after %.2f s" % (time.time() - t_fwd))
    time.sleep(6)

    # and back (the correction)
    set_offset(0)
    t_back = time.time()
    def true_rows():
        return [r for r in nvr.db_rows("cam") if t_back - 2 <= r["start_us"] / 1e6 <= t_back + 120]
    first = wait_until(true_rows, 70, step=0.1)
    seen = time.time() - t_back
    if check(first, "70 s after the step back, no new footage carries the true time"):
        print("back 1 h: new footage at the true time %.2f s after the step (its start %.2f s after it)"
              % (seen, first[0]["start_us"] / 1e6 - t_back))
        check(seen <= 60, "new footage carries the true time only %.1f s after the step back" % seen)
    time.sleep(4)

    # a "last minute" playback finds it
    now = time.time()
    st, body = get(nvr, "/api/v1/cameras/cam/playback.m3u8?start=%s&end=%s" % (iso(now - 60), iso(now)))
    check(st == 200 and b"#EXTINF" in body, "last-minute playback answered %d: %r" % (st, body[:100]))
    # the footage labelled an hour ahead is marked, in the API too
    st, body = get(nvr, "/api/v1/cameras/cam/recordings?start=%s&end=%s" % (iso(t_fwd + 3000), iso(t_fwd + 3700)))
    doc = json.loads(body) if st == 200 else {}
    segs = doc.get("segments", [])
    check(segs and all(s.get("clock_suspect") is True for s in segs),
          "recordings an hour ahead: %d segments, clock_suspect %s" % (len(segs), [s.get("clock_suspect") for s in segs]))
    check(doc.get("runs") and all(r.get("clock_suspect") is True for r in doc["runs"]), "runs not marked clock_suspect")
    st, body = get(nvr, "/api/v1/cameras/cam/recordings?start=%s&end=%s" % (iso(t_back - 1), iso(time.time() + 1)))
    doc = json.loads(body) if st == 200 else {}
    check(doc.get("segments") and not any(s.get("clock_suspect") for s in doc["segments"]),
          "footage after the step back is marked clock_suspect")
    rc = nvr.stop()
    check(rc == 0, "nvr exited %r" % rc)

rows = rows_with_flag(nvr)
check("clock_suspect" in (rows[0] if rows else {}), "no clock_suspect column in the index")
for a, b in zip(rows, rows[1:]):
    check(b["start_us"] >= a["end_us"], "segments %d and %d overlap (%d < %d)" % (a["id"], b["id"], b["start_us"],
                                                                              a["end_us"]))
ahead_rows = [r for r in rows if r["start_us"] / 1e6 > t_fwd + 3000]
check(ahead_rows and all(r.get("clock_suspect") == 1 for r in ahead_rows), "the rows an hour ahead are not all clock_suspect")
check(all(r.get("clock_suspect") == 0 for r in rows if r["start_us"] / 1e6 < t_fwd + 3000),
      "rows at the true time are marked clock_suspect")
log = nvr.log_text()
steps = [l for l in log.splitlines() if "clock step detected" in l]
print("\n".join(steps))
check(len(steps) == 2, "%d 'clock step detected' lines, want 2 (one per step)" % len(steps))
check(log.count("clock re-anchored") <= 1, "clock re-anchored logged %d times" % log.count("clock re-anchored"))
os.unlink(offset_file)
finish("clock_step")
