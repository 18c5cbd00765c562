# SPDX-License-Identifier: Apache-2.0
"""H.265 cameras that send decoding order numbers (RFC 7798 4.4: DONL fields,
sprop-max-don-diff > 0 in the SDP).  nvr's own reader takes the DONL out of
single-unit packets and first fragments, and puts the NAL units of a frame
back in decoding order when the camera sends them out of it.

nvr-replay-camera serves a clip of four slices a picture (h265_slices.mp4)
with DONL fields, once in decoding order and once with every frame's units
last first (--donl in-order|reversed); compat.verify checks both recordings
as the other camera kinds are: one run, no gap, nothing dropped, every frame
identical to the clip's and in its order through the playlist and an export.
Read without the DONL taken out, or with the slices left as sent, the frames
differ from the clip's.

No independent receiver of DONL runs here (ffmpeg 5.1 takes a DONL out of
every fragment and out of no single unit; GStreamer 1.22 assumes none), so
the sender's packets are held to RFC 7798's figures by unit_rtp_depack."""
import os
import time

from compat import record, verify
from harness import Camera, check, finish

REPLAY = os.environ["NVR_REPLAY_CAMERA_BIN"]


class Replay(Camera):
    """The replay camera, started and stopped as the test camera is."""

    def __init__(self, clip_name, **kw):
        super().__init__(clip_name, **kw)
        self.args[0] = REPLAY


with Replay("h265_slices.mp4", extra=["--donl", "in-order"]) as c1, \
        Replay("h265_slices.mp4", extra=["--donl", "reversed"]) as c2:
    nvr, t0 = record("donl", [("inorder", c1), ("reversed", c2)])
    t1 = time.time()
    check(nvr.stop() == 0, "nvr run did not exit 0")
    log = nvr.log_text()
    check("malformed" not in log, "a malformed-packet line was logged")
    verify(nvr, [("inorder", "h265_slices.mp4"), ("reversed", "h265_slices.mp4")], t0, t1, "own")

finish("donl")
