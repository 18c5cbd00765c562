# SPDX-License-Identifier: Apache-2.0
"""Cameras with B-frames record completely (issue 12): an x264 stream with a
B-pyramid and closed GOPs, and an x265 stream with B-frames and open GOPs (CRA
keyframes with leading pictures), through the project's RTSP reader and, for
H.264, through libavformat (NVR_RTSP_READER=libav); the checks are compat.py's."""
import os
import time

from compat import DEPTH, live_check, record, verify
from harness import Camera, check, finish

with Camera("h264_bf.mp4") as c1, Camera("h265_bf.mp4") as c2:
    nvr, t0 = record("bframes", [("h264bf", c1), ("h265bf", c2)])
    live_check(nvr, "h264bf")
    t1 = time.time()
    check(nvr.stop() == 0, "nvr run did not exit 0")
    verify(nvr, [("h264bf", "h264_bf.mp4"), ("h265bf", "h265_bf.mp4")], t0, t1, "own")
    # the index rebuilt from the files alone gives B-frame footage the same media times
    before = {(r["camera"], r["path"]): r for r in nvr.db_rows()}
    for f in os.listdir(nvr.data_dir):
        if f.startswith("index.db"):
            os.unlink(os.path.join(nvr.data_dir, f))
    r = nvr.run_cli("check", "-c", nvr.config, "--storage", "--rebuild-index")
    check(r.returncode == 0, "--rebuild-index: %d %s" % (r.returncode, r.stderr[-400:]))
    after = {(x["camera"], x["path"]): x for x in nvr.db_rows()}
    check(set(after) == set(before), "rebuilt %d of %d segments" % (len(after), len(before)))
    for k, b in before.items():
        a = after.get(k)
        if a:
            # (with open GOPs a file's last picture ends before the next keyframe: the
            # next GOP's leading pictures are in the next file, up to the reorder depth)
            check(abs(a["media_start_us"] - b["media_start_us"]) <= 1000 and a["frames"] == b["frames"] and
                  abs(a["media_us"] - b["media_us"]) <= 1000 + DEPTH * 40000,
                  "%s rebuilt: media start %d vs %d, media %d vs %d, frames %d vs %d" %
                  (k[1], a["media_start_us"], b["media_start_us"], a["media_us"], b["media_us"],
                   a["frames"], b["frames"]))

with Camera("h264_bf.mp4") as c1:
    nvr, t0 = record("bframes-libav", [("h264bf", c1)], wrapper=["env", "NVR_RTSP_READER=libav"])
    t1 = time.time()
    check(nvr.stop() == 0, "nvr run did not exit 0")
    verify(nvr, [("h264bf", "h264_bf.mp4")], t0, t1, "libav")

finish("bframes")
