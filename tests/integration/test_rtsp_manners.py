# SPDX-License-Identifier: Apache-2.0
"""Cameras with odd RTSP manners (issue 12), through rtsp_manners.py in front of
the test camera, each with compat.py's checks (coverage, 0 dropped frames,
0 decode errors, frame order against the clip):
  - a redirect (302 with Location) at DESCRIBE: followed, and recorded;
  - a server that ignores TEARDOWN: recorded, and nvr still stops at once
    (it waits at most 0.5 s for the answer)."""
import time

from compat import record, verify
from harness import Camera, check, finish
from rtsp_manners import NoTeardown, Redirector

with Camera("h264_bf.mp4") as c1, Camera("h265_bf.mp4") as c2:
    red = Redirector(c1.url())
    quiet = NoTeardown(c2.port)

    class Via:
        def __init__(self, u):
            self._u = u

        def url(self):
            return self._u

    nvr, t0 = record("manners", [("redirected", Via(red.url("/somewhere"))), ("noteardown", Via(quiet.url()))])
    t1 = time.time()
    s0 = time.monotonic()
    check(nvr.stop() == 0, "nvr run did not exit 0")
    stop_s = time.monotonic() - s0
    check(red.stats["redirects"] >= 1, "the redirector was asked (%r)" % red.stats)
    check(quiet.stats["teardowns_swallowed"] >= 1, "a TEARDOWN was sent and swallowed (%r)" % quiet.stats)
    check(stop_s < 5, "nvr stopped in %.2f s with a camera that ignores TEARDOWN" % stop_s)
    print("redirects %d, teardowns swallowed %d, stop took %.2f s" %
          (red.stats["redirects"], quiet.stats["teardowns_swallowed"], stop_s))
    verify(nvr, [("redirected", "h264_bf.mp4"), ("noteardown", "h265_bf.mp4")], t0, t1, "own")
    red.stop()
    quiet.stop()

finish("rtsp_manners")
