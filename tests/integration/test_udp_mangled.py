# SPDX-License-Identifier: Apache-2.0
"""RTP over UDP through a link that reorders or loses datagrams (issue 12),
with the project's own reader: udp_mangler.py relays the test camera's RTSP
and rewrites client_port so that the RTP comes through it.

1. Reordered (every 37th video packet sent after the next one): the reorder
   buffer puts them back, so compat.py's checks hold in full: coverage,
   0 dropped frames, 0 decode errors, the camera's frame order; the log
   says packets came out of order, and none was lost.
2. Lost (every 331st video packet dropped): the loss is counted and logged
   (`rtp packets lost track=video ... frames_dropped=N`), the recording goes
   on, and every recorded file still decodes without one error (the frames
   that depended on a lost packet are dropped, not recorded broken)."""
import re
import subprocess
import time

from compat import record, verify
from harness import Camera, check, finish
from udp_mangler import Mangler


class Proxied:
    def __init__(self, mangler):
        self.m = mangler

    def url(self):
        return self.m.url()


with Camera("h264_bf.mp4") as c1, Camera("h264.mp4") as c2:
    swap, drop = Mangler(c1.port, swap_every=37), Mangler(c2.port, drop_every=331)
    nvr, t0 = record("udp-mangled", [("reordered", Proxied(swap)), ("lossy", Proxied(drop))], transport="udp")
    t1 = time.time()
    check(nvr.stop() == 0, "nvr run did not exit 0")
    swap.stop()
    drop.stop()
    log = nvr.log_text()
    print("mangler: reordered camera %s, lossy camera %s" % (swap.stats, drop.stats))
    check(swap.stats["swapped"] > 30, "too few packets swapped: %s" % swap.stats)
    check(drop.stats["dropped"] >= 3, "too few packets dropped: %s" % drop.stats)
    for cam in ("reordered", "lossy"):
        check("camera=%s ingest reader=own transport=udp" % cam in log, "%s: not the own reader over UDP" % cam)
    check("camera=reordered rtp packets out of order track=video" in log, "reordering was not logged")
    check("camera=reordered rtp packets lost" not in log, "reordered packets were counted lost")
    lost = [int(x) for x in re.findall(r"camera=lossy rtp packets lost track=video lost=(\d+)", log)]
    # every loss is logged, the last ones when the session closes (a packet
    # dropped in the last moments before the TEARDOWN may go unseen)
    check(sum(lost) >= max(1, drop.stats["dropped"] - 2), "the lossy camera's loss was not all logged")
    print("lossy: %d packets lost logged (%d dropped by the link)" % (sum(lost), drop.stats["dropped"]))
    rows = nvr.db_rows("lossy")
    check(len(rows) >= 2, "lossy: %d segments" % len(rows))
    for r in rows:
        # (not check_segment_file: its duration check does not hold for a
        # file in which frames are missing; see the report of issue 12)
        d = subprocess.run(["ffmpeg", "-v", "error", "-i", nvr.path(r["path"]), "-f", "null", "-"],
                           capture_output=True, text=True)
        check(d.returncode == 0 and not d.stderr.strip(), "lossy: %s decode errors: %s" % (r["path"], d.stderr[:300]))
    verify(nvr, [("reordered", "h264_bf.mp4")], t0, t1, "own, udp reordered")

finish("udp_mangled")
