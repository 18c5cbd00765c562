"""Cameras with B-frames record completely (issue 12): an x264 stream with a
B-pyramid and closed GOPs, and an x265 stream with B-frames and open GOPs (CRA
keyframes with leading pictures), through the project's RTSP reader and, for
H.264, through libavformat (NVR_RTSP_READER=libav); the checks are compat.py's."""
import time

from compat import live_check, record, verify
from harness import Camera, check, finish

with Camera("h264_bf.mp4") as c1, Camera("h265_bf.mp4") as c2:
    nvr, t0 = record("bframes", [("h264bf", c1), ("h265bf", c2)])
    live_check(nvr, "h264bf")
    t1 = time.time()
    check(nvr.stop() == 0, "nvr run did not exit 0")
    verify(nvr, [("h264bf", "h264_bf.mp4"), ("h265bf", "h265_bf.mp4")], t0, t1, "own")

with Camera("h264_bf.mp4") as c1:
    nvr, t0 = record("bframes-libav", [("h264bf", c1)], wrapper=["env", "NVR_RTSP_READER=libav"])
    t1 = time.time()
    check(nvr.stop() == 0, "nvr run did not exit 0")
    verify(nvr, [("h264bf", "h264_bf.mp4")], t0, t1, "libav")

finish("bframes")
