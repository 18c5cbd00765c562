# SPDX-License-Identifier: Apache-2.0
"""A camera that gives its parameter sets only in the SDP (sprop-parameter-sets,
sprop-vps/sps/pps), never in the stream (issue 12): H.264 and H.265 with
B-frames, through the project's RTSP reader; the checks are compat.py's."""
import time

from compat import record, verify
from harness import Camera, check, finish

with Camera("h264_bf.mp4", extra=["--sdp-params-only"]) as c1, \
        Camera("h265_bf.mp4", extra=["--sdp-params-only"]) as c2:
    nvr, t0 = record("sdp-params", [("h264sdp", c1), ("h265sdp", c2)])
    t1 = time.time()
    check(nvr.stop() == 0, "nvr run did not exit 0")
    verify(nvr, [("h264sdp", "h264_bf.mp4"), ("h265sdp", "h265_bf.mp4")], t0, t1, "own, SDP-only parameters")

finish("sdp_params")
