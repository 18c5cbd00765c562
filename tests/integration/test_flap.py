# SPDX-License-Identifier: Apache-2.0
"""A camera that flaps: up 0.5-5 s, down 0.5-5 s, for about a minute, on the
same port.  Reconnection follows the camera (docs/design/ingest.md,
"Reconnection"): at least 80 % of the time the camera was up is recorded.
Then one 10 s outage while the backoff is at its worst: recording resumes
(a new segment is started) within 2 s of the camera being back."""
import random
import time

from harness import Camera, Nvr, check, finish, free_port, wait_until

FLAP_S = 60
rng = random.Random(20)
port = free_port()
cam = Camera("h264.mp4", port=port)
nvr = Nvr("flap", [("flap", {"url": cam.url(), "segment_seconds": 4})])
nvr.start()

up = []  # [(camera ready, camera stopped)] in wall time
t_end = time.monotonic() + FLAP_S
while time.monotonic() < t_end:
    cam.start()
    t0 = time.time()
    time.sleep(rng.uniform(0.5, 5))
    cam.stop()
    up.append((t0, time.time()))
    time.sleep(rng.uniform(0.5, 5))


def overlap(rows, a, b):
    total = 0.0
    for r in rows:
        s, e = r["start_us"] / 1e6, r["end_us"] / 1e6
        total += max(0.0, min(e, b) - max(s, a))
    return total


rows = nvr.db_rows("flap")
up_total = sum(b - a for a, b in up)
recorded = sum(overlap(rows, a, b) for a, b in up)
share = recorded / up_total if up_total else 0
print("flap: %d up periods, camera up %.1f s, recorded %.1f s (%.0f %%)" % (len(up), up_total, recorded, 100 * share))
check(share >= 0.80, "recorded %.0f %% of the camera's up-time, want >= 80 %%" % (100 * share))

# one outage after a short session (a backoff that a 30 s rule would not have reset)
cam.start()
check(wait_until(lambda: any(r["start_us"] / 1e6 > time.time() - 5 for r in nvr.db_rows("flap")), 10),
      "no recording after the flapping")
time.sleep(3)
cam.stop()
time.sleep(10)
cam.start()
t_up = time.time()
first = wait_until(lambda: [r for r in nvr.db_rows("flap") if r["start_us"] / 1e6 > t_up - 0.5], 40, step=0.05)
seen = time.time()
if check(first, "recording did not resume within 40 s of the camera coming back"):
    started = first[0]["start_us"] / 1e6
    print("outage of 10 s: first new segment starts %.2f s after the camera is back (seen after %.2f s)"
          % (started - t_up, seen - t_up))
    check(started - t_up <= 2.0, "recording resumed %.2f s after the camera came back, want <= 2 s"
          % (started - t_up))
time.sleep(1)
cam.stop()
rc = nvr.stop()
check(rc == 0, "nvr exited %r" % rc)
# the index never overlaps
rows = nvr.db_rows("flap")
for a, b in zip(rows, rows[1:]):
    check(b["start_us"] >= a["end_us"], "segments %d and %d overlap" % (a["id"], b["id"]))
log = nvr.log_text()
check("camera answers again" in log, "the probe's early reconnect was not logged")
finish("flap")
