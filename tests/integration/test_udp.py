"""A camera recorded over RTP/UDP (transport = udp, libavformat's RTSP client),
with B-frames (issue 12); the checks are compat.py's.  Over UDP a session's
first frame has no timestamp, so recording starts at the second keyframe."""
import time

from compat import record, verify
from harness import Camera, check, finish

with Camera("h264_bf.mp4") as c1, Camera("h264.mp4") as c2:
    nvr, t0 = record("udp", [("h264udp", c1), ("plainudp", c2)], transport="udp")
    t1 = time.time()
    check(nvr.stop() == 0, "nvr run did not exit 0")
    verify(nvr, [("h264udp", "h264_bf.mp4"), ("plainudp", "h264.mp4")], t0, t1, "udp")

finish("udp")
