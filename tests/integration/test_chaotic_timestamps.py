# SPDX-License-Identifier: Apache-2.0
"""A camera whose RTP timestamps are chaotic (issue 13): rtsp_manners.py's
ChaoticClock, in front of the test camera, gives every video frame its own
random jump of 15 to 600 s, forward or back.  Before the floor on segment
length (docs/design/time.md, T7) every jump ended the segment and the frames
up to the next keyframe were lost: one 1-frame segment (a file, fsyncs, an
index row) per keyframe, 30 a minute, about 2 % of the time covered.

Now, recording RECORD_S seconds with segment_seconds = SEG_S:
  - the camera is recorded on arrival time: one `chaotic timestamps` line in
    the log, `timestamps: "arrival"` and `stats.timestamp_jumps` in
    GET /api/v1/cameras, nvr_camera_timestamps_arrival 1 in /metrics;
  - segments per minute are bounded: at most 60 / SEG_S + 2 (the first
    segment may be cut short by the first jumps; one more for the last);
  - the recorded media covers at least 90 % of the time nvr ran;
  - every segment is accepted by ffprobe and decoded by ffmpeg without an
    error (check_segment_file: size, SHA-256, boxes against the index,
    duration), and its video decode times strictly increase."""
import json
import re
import subprocess
import time
import urllib.request

from harness import Camera, Nvr, check, check_segment_file, finish, http_up, wait_until
from rtsp_manners import ChaoticClock

RECORD_S = 45
SEG_S = 15


def camera_doc(nvr, cam):
    with urllib.request.urlopen(nvr.base_url + "/api/v1/cameras", timeout=10) as r:
        doc = json.load(r)
    return next((c for c in doc["cameras"] if c["id"] == cam), None)


def dts_increasing(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=dts",
                        "-of", "csv=p=0", path], capture_output=True, text=True)
    dts = [int(x) for x in r.stdout.split() if x.strip().lstrip("-").isdigit()]
    return r.returncode == 0 and len(dts) > 0 and all(b > a for a, b in zip(dts, dts[1:])), len(dts)


with Camera("h264.mp4", no_audio=True) as cam:
    proxy = ChaoticClock(cam.port)
    nvr = Nvr("chaotic", [("chaos", {"url": proxy.url(), "transport": "tcp", "segment_seconds": SEG_S})])
    nvr.start()
    t0 = time.time()
    check(wait_until(lambda: http_up(nvr.base_url), 20), "nvr did not answer")
    arrival = wait_until(lambda: (camera_doc(nvr, "chaos") or {}).get("timestamps") == "arrival", 20)
    check(arrival, "the API does not say the camera is timed by arrival")
    time.sleep(max(0, RECORD_S - (time.time() - t0)))
    doc = camera_doc(nvr, "chaos")
    with urllib.request.urlopen(nvr.base_url + "/metrics", timeout=10) as r:
        metrics = r.read().decode()
    t1 = time.time()
    check(nvr.stop() == 0, "nvr run did not exit 0")
    proxy.stop()

ran = t1 - t0
print("proxy: %s; camera: timestamps=%s stats=%s" % (proxy.stats, doc.get("timestamps"), doc.get("stats")))
check(proxy.stats["frames"] >= 25 * (RECORD_S - 5), "too few frames through the proxy: %s" % proxy.stats)
check(doc.get("timestamps") == "arrival", "timestamps %r, want arrival" % doc.get("timestamps"))
jumps = doc["stats"].get("timestamp_jumps", 0)
check(jumps >= 20 * (RECORD_S - 5), "timestamp_jumps %r" % jumps)
check('nvr_camera_timestamps_arrival{camera="chaos"} 1' in metrics, "metrics: timestamps_arrival not 1")
m = re.search(r'nvr_camera_timestamp_jumps_total\{camera="chaos"\} (\d+)', metrics)
check(m and int(m.group(1)) > 0, "metrics: no timestamp jumps counted")

log = nvr.log_text()
check(log.count("camera=chaos chaotic timestamps: recording on arrival time") == 1,
      "the chaotic-timestamps line is not in the log exactly once")
check(log.count("camera=chaos timestamp discontinuity") <= 3,
      "%d discontinuity lines (at most 3 before arrival time)" % log.count("camera=chaos timestamp discontinuity"))

rows = [r for r in nvr.db_rows("chaos") if r["state"] == 0]
per_minute = len(rows) * 60.0 / ran
media = sum(r["media_us"] for r in rows) / 1e6
frames = sum(r["frames"] for r in rows)
print("%d segments in %.1f s (%.1f a minute, %d index rows), %d frames, media %.2f s = %.1f %% of the time nvr ran" %
      (len(rows), ran, per_minute, len(nvr.db_rows("chaos")), frames, media, 100 * media / ran))
check(len(nvr.db_rows("chaos")) == len(rows), "a segment was left incomplete")
check(per_minute <= 60.0 / SEG_S + 2, "%.1f segments a minute (bound %.1f)" % (per_minute, 60.0 / SEG_S + 2))
check(media >= 0.9 * ran, "media %.2f s covers less than 90 %% of %.2f s" % (media, ran))
for i, r in enumerate(rows):
    check_segment_file(nvr, r)  # ffprobe and ffmpeg accept it, 0 decode errors, duration = index
    ok, n = dts_increasing(nvr.path(r["path"]))
    check(ok, "%s: video decode times do not strictly increase (%d packets)" % (r["path"], n))
    if i > 0:
        check(r["start_us"] >= rows[i - 1]["end_us"], "%s overlaps the segment before" % r["path"])

finish("chaotic_timestamps")
