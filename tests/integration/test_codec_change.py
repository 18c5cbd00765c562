# SPDX-License-Identifier: Apache-2.0
"""A camera whose codec parameters change mid-stream (its resolution is
switched, on one connection): each change starts a new segment whose file
carries the new parameters, every file decodes cleanly, and the run stays
continuous (no gap: the change is not an outage)."""
import os
import subprocess
import time

from harness import CAMERA, Camera, Nvr, check, check_segment_file, clip, finish, probe

big, small = clip("h264_4s.mp4"), clip("h264_4s_320.mp4")
cam = Camera("h264_4s.mp4")
cam.args += ["--switch-clip", small]
with cam:
    nvr = Nvr("codec", [("c", {"url": cam.url(), "segment_seconds": 60})])
    nvr.start()
    time.sleep(15)
    rc = nvr.stop()
check(rc == 0, "nvr exited %r" % rc)

rows = nvr.db_rows("c")
sizes = [(r["width"], r["height"]) for r in rows]
print("segments: %s" % sizes)
# 15 s of 4 s alternating clips: at least 3 changes, each a new segment
check(len(rows) >= 4, "%d segments for >= 3 parameter changes" % len(rows))
for a, b in zip(sizes, sizes[1:]):
    check(a != b, "consecutive segments with the same size %s: a change was missed or invented" % (a,))
check(set(sizes) == {(640, 360), (320, 240)}, "sizes recorded: %s" % set(sizes))
for r in rows:
    check_segment_file(nvr, r)
    st = [s for s in probe(nvr.path(r["path"]))["streams"] if s["codec_type"] == "video"][0]
    check((st["width"], st["height"]) == (r["width"], r["height"]),
          "%s: file says %dx%d, index %dx%d" % (r["path"], st["width"], st["height"], r["width"], r["height"]))
    # every frame of the file decodes at that size
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "frame=width,height", "-of", "csv=p=0",
                          nvr.path(r["path"])], capture_output=True, text=True).stdout.split()
    check(out and all(x.rstrip(",") == "%d,%d" % (r["width"], r["height"]) for x in out),
          "%s: frames of another size inside" % r["path"])
for a, b in zip(rows, rows[1:]):
    check(b["start_us"] == a["end_us"], "a parameter change left a gap or overlap")
check(len(nvr.recordings("c")["runs"]) == 1, "the parameter changes split the run")
check(nvr.log_text().count("video codec=h264 width=320 height=240") >= 1, "the change was not logged")
finish("codec_change")
