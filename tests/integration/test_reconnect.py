# SPDX-License-Identifier: Apache-2.0
"""A camera that goes away and comes back: the outage is a visible gap in the
index (two runs), recording resumes by itself, and everything on both sides
of the gap is intact.  A second camera that never goes away keeps recording
through the outage without a gap."""
import time

from harness import Camera, Nvr, check, check_segment_file, finish, parse_time, wait_until

OUTAGE_S = 6

flaky = Camera("h264.mp4").start()
with Camera("h264.mp4") as steady:
    nvr = Nvr("reconnect", [
        ("flaky", {"url": flaky.url(), "segment_seconds": 3}),
        ("steady", {"url": steady.url(), "segment_seconds": 3}),
    ])
    nvr.start()
    check(nvr.wait_segments("flaky", 2, 20), "flaky camera did not record before the outage")
    flaky.stop()
    t_down = time.time()
    time.sleep(OUTAGE_S)
    flaky.start()
    t_up = time.time()
    # recording resumes: a segment that starts after the camera came back gets finished
    def resumed():
        return any(r["start_us"] / 1e6 > t_up - 0.5 and r["state"] == 0 for r in nvr.db_rows("flaky"))
    check(wait_until(resumed, 40), "recording did not resume after the camera came back")
    time.sleep(1)
    rc = nvr.stop()
    flaky.stop()
check(rc == 0, "nvr exited %r" % rc)

doc = nvr.recordings("flaky")
runs = doc["runs"]
check(len(runs) == 2, "flaky: %d runs, want 2 (before and after the outage)" % len(runs))
if len(runs) == 2:
    gap_start = parse_time(runs[0]["end"])
    gap_end = parse_time(runs[1]["start"])
    # the gap covers the outage: it begins within a frame of when the camera stopped
    # and ends after it came back
    check(abs(gap_start - t_down) < 1.0, "gap starts %.2f s from the camera stopping" % (gap_start - t_down))
    check(gap_end >= t_up - 0.5, "gap ends %.2f s before the camera came back" % (t_up - gap_end))
    check(gap_end - gap_start >= OUTAGE_S - 1, "gap of %.2f s for a %d s outage" % (gap_end - gap_start, OUTAGE_S))
    print("outage %.2f s, gap in the index %.2f s" % (t_up - t_down, gap_end - gap_start))
for r in nvr.db_rows("flaky") + nvr.db_rows("steady"):
    check_segment_file(nvr, r)
# the camera's media timeline never goes back: after the gap it continues, later by the gap
fl = nvr.db_rows("flaky")
for a, b in zip(fl, fl[1:]):
    jump = b["media_start_us"] - (a["media_start_us"] + a["media_us"])
    wall_gap = b["start_us"] - a["end_us"]
    check(abs(jump - wall_gap) <= 12, "media time jumps %d us where the wall gap is %d us" % (jump, wall_gap))  # 1 tick of 90 kHz
steady_runs = nvr.recordings("steady")["runs"]
check(len(steady_runs) == 1, "steady camera: %d runs, want 1 (no gap)" % len(steady_runs))
log = nvr.log_text()
check(log.count("camera=flaky connected") >= 2, "flaky: no reconnection logged")
check("camera=flaky stream lost" in log, "flaky: the loss was not logged")
check("camera=steady stream lost" not in log, "steady camera lost its stream")
finish("reconnect")
