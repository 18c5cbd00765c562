# SPDX-License-Identifier: Apache-2.0
"""A camera that ends its RTSP sessions every few seconds, as some cameras and
re-streamers do every few minutes (issue 12): the recorder reconnects at once
after a session that streamed, so each close costs a fraction of a second, not
a backoff.  Checks: the camera closed every session (reconnects), any gap between runs
is short (a reconnection that lands where the last session ended joins its run), coverage of the time nvr ran, 0 dropped frames, every file decoded with
0 errors."""
import re
import time

from harness import Camera, Nvr, check, check_segment_file, finish, parse_time

CLOSE_S = 6
RECORD_S = 27
MAX_GAP_S = 0.5

with Camera("h264_bf.mp4", extra=["--close-after", str(CLOSE_S)]) as cam:
    nvr = Nvr("session-close", [("door", {"url": cam.url(), "segment_seconds": 4, "transport": "tcp"})])
    nvr.start()
    t0 = time.time()
    time.sleep(RECORD_S)
    t1 = time.time()
    check(nvr.stop() == 0, "nvr run did not exit 0")

rows = nvr.db_rows("door")
for r in rows:
    check_segment_file(nvr, r)
doc = nvr.recordings("door")
runs = [(parse_time(r["start"]), parse_time(r["end"])) for r in doc["runs"]]
sessions = RECORD_S // CLOSE_S
gaps = [b[0] - a[1] for a, b in zip(runs, runs[1:])]
check(all(g <= MAX_GAP_S for g in gaps), "gaps between sessions: %s s (at most %.1f)" %
      (", ".join("%.2f" % g for g in gaps), MAX_GAP_S))
covered = sum(e - s for s, e in runs)
first = runs[0][0] if runs else t1
share = covered / (t1 - first) if t1 > first else 0
check(share >= 0.97, "covered %.2f s of %.2f s since the first frame (%.1f %%)" % (covered, t1 - first, share * 100))
log = nvr.log_text()
m = re.search(r"camera=door recorder stopped frames=(\d+) .* reconnects=(\d+) dropped=(\d+)", log)
check(m and m.group(3) == "0", "dropped frames: %s" % (m.group(0) if m else "no stop line"))
check(m and int(m.group(2)) >= sessions - 1, "%s reconnects for %d sessions" % (m.group(2) if m else "?", sessions))
print("session close every %d s: %d runs, gaps %s s, %.2f of %.2f s covered (%.2f %%), reconnects %s, dropped %s" %
      (CLOSE_S, len(runs), ", ".join("%.2f" % g for g in gaps), covered, t1 - first, share * 100,
       m.group(2) if m else "?", m.group(3) if m else "?"))
finish("session_close")
