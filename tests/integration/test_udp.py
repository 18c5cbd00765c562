# SPDX-License-Identifier: Apache-2.0
"""Cameras recorded over RTP/UDP (transport = udp, issue 12), with B-frames;
the checks are compat.py's.

1. The project's own reader (rtp_udp.c sockets, rtp_reorder.c, RTCP receiver
   reports to the camera's port): H.264 and H.265 with B-frames; the log
   must say reader=own transport=udp and give the client/server ports.
2. libavformat, the fallback (NVR_RTSP_READER=libav puts it in the reader's
   place): over UDP a session's first frame has no timestamp there, so
   recording starts at the second keyframe."""
import time

from compat import record, verify
from harness import Camera, check, finish

with Camera("h264_bf.mp4") as c1, Camera("h265_bf.mp4") as c2:
    nvr, t0 = record("udp", [("h264udp", c1), ("h265udp", c2)], transport="udp")
    t1 = time.time()
    check(nvr.stop() == 0, "nvr run did not exit 0")
    log = nvr.log_text()
    for cam in ("h264udp", "h265udp"):
        check("camera=%s ingest reader=own transport=udp" % cam in log, "%s: not the own reader over UDP" % cam)
        check("camera=%s connected transport=udp" % cam in log, "%s: no 'connected transport=udp'" % cam)
        check("camera=%s rtp over udp track=video client_port=" % cam in log, "%s: UDP ports not logged" % cam)
        check("camera=%s rtp packets lost" % cam not in log, "%s: packets lost on loopback" % cam)
    verify(nvr, [("h264udp", "h264_bf.mp4"), ("h265udp", "h265_bf.mp4")], t0, t1, "own, udp")

with Camera("h264_bf.mp4") as c1, Camera("h264.mp4") as c2:
    nvr, t0 = record("udp-libav", [("h264udp", c1), ("plainudp", c2)], transport="udp",
                     wrapper=["env", "NVR_RTSP_READER=libav"])
    t1 = time.time()
    check(nvr.stop() == 0, "nvr run did not exit 0")
    check("camera=h264udp ingest reader=libav transport=udp" in nvr.log_text(), "libavformat was not used")
    verify(nvr, [("h264udp", "h264_bf.mp4"), ("plainudp", "h264.mp4")], t0, t1, "udp")

finish("udp")
