# SPDX-License-Identifier: Apache-2.0
"""Live view across a codec parameter change (the camera switches resolution
on one connection): a viewer's live.mp4 body ends at the change (documented:
viewers reconnect rather than get a second init segment mid-body), what it
got before decodes cleanly at the old size, and a reconnecting viewer gets an
init segment with the new size."""
import os
import subprocess
import time

from harness import Camera, Nvr, check, clip, finish, wait_until
from livestream import LiveReader


def probe_size(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "frame=width,height",
                        "-of", "csv=p=0", path], capture_output=True, text=True)
    return set(x.rstrip(",") for x in r.stdout.split()), r.stderr.strip()


cam = Camera("h264_4s.mp4")
cam.args += ["--switch-clip", clip("h264_4s_320.mp4")]
with cam:
    nvr = Nvr("livecodec", [("c", {"url": cam.url(), "segment_seconds": 60})])
    nvr.start()
    check(wait_until(lambda: "recording" in nvr.log_text() or nvr.db_rows("c"), 20), "no recording")
    sizes = []
    for i in range(2):
        r = None
        for _ in range(50):  # 503 until the camera's (next) picture is there
            r = LiveReader(nvr.port, "/api/v1/cameras/c/live.mp4", timeout=20)
            if r.status == 200:
                break
            r.close()
            time.sleep(0.2)
        check(r.status == 200, "live.mp4 status %d" % r.status)
        path = os.path.join(nvr.dir, "live%d.mp4" % i)
        t0 = time.monotonic()
        with open(path, "wb") as f:
            for _t, kind, box in r.boxes(15):
                f.write(box)
        took = time.monotonic() - t0
        r.close()
        check(r.eof and took < 10, "viewer %d: the body did not end at the parameter change (%.1f s)" % (i, took))
        got, err = probe_size(path)
        check(len(got) == 1 and err == "", "viewer %d: sizes %s, errors %r" % (i, got, err[:200]))
        sizes.append(got)
    check(sizes[0] != sizes[1], "the reconnecting viewer got the same size %s" % sizes)
    check(nvr.stop() == 0, "nvr exit status")
finish("test_live_codec_change")
