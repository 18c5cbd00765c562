#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/redact.py - render speed of `nvr redact` on 1080p footage (bench/README.md).

Makes a 1080p clip (testsrc2 + noise, 25 fps, 4 Mbit/s, H.264, AAC; cached in
build/bench-clips), serves it from the test camera, records it with `nvr run`
for SECONDS + 3 s, exports SECONDS with `nvr export`, then times `nvr redact`
with a tracked blur box, an all-but-one pixelate shape and a mute range, for
each x264 preset asked (--preset, repeatable; veryfast by default).  Prints
frames, seconds of video, render seconds, fps and the ratio to real time
(what the recorder's CPU must beat: > 1), and the file sizes.

  build/... python3 bench/redact.py [--build build] [--seconds 20] [--preset veryfast ...]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
ap.add_argument("--seconds", type=int, default=20)
ap.add_argument("--preset", action="append")
a = ap.parse_args()
build = os.path.abspath(a.build)
src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("NVR_BIN", os.path.join(build, "nvr"))
os.environ.setdefault("NVR_CAMERA_BIN", os.path.join(build, "tests", "camera", "nvr-test-camera"))
os.environ.setdefault("NVR_CLIPS", os.path.join(build, "bench-clips"))
os.environ.setdefault("NVR_TEST_TMP", os.path.join(build, "test-tmp"))
os.makedirs(os.environ["NVR_CLIPS"], exist_ok=True)
os.makedirs(os.environ["NVR_TEST_TMP"], exist_ok=True)
sys.path.insert(0, os.path.join(src, "tests", "integration"))
from harness import Camera, Nvr, NVR, wait_until  # noqa: E402

clip = os.path.join(os.environ["NVR_CLIPS"], "1080p_redact_%ds.mp4" % (a.seconds + 10))
if not os.path.exists(clip):
    subprocess.run([os.path.join(src, "tests", "camera", "make_clip.sh"), clip, "h264", "--audio", "--size",
                    "1920x1080", "--seconds", str(a.seconds + 10), "--bitrate", "4000"], check=True)


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int(round((t % 1) * 1e6) % 1000000)


with Camera(os.path.basename(clip)) as cam:
    nvr = Nvr("bench-redact", [("cam", {"url": cam.url(), "segment_seconds": 4, "audio": "on"})], admin=False)
    nvr.start()

    def enough():
        done = [r for r in nvr.db_rows("cam") if r["state"] == 0]
        return done and done[-1]["end_us"] / 1e6 - done[0]["start_us"] / 1e6 >= a.seconds + 2
    if not wait_until(enough, a.seconds + 60):
        sys.exit("not enough footage recorded")
    rows = [r for r in nvr.db_rows("cam") if r["state"] == 0]
    t0 = rows[0]["start_us"] / 1e6 + 0.5
    orig = os.path.join(nvr.dir, "original.zip")
    subprocess.run([NVR, "export", "-c", nvr.config, "--camera", "cam", "--from", iso(t0), "--to",
                    iso(t0 + a.seconds), "-o", orig], check=True, capture_output=True)
    nvr.stop()
    import zipfile
    with zipfile.ZipFile(orig) as z:
        man = json.loads(z.read("manifest.json"))
        f0 = man["cameras"][0]["files"][0]
        mp4_bytes = z.getinfo(f0["name"]).file_size
    first = time.mktime(time.strptime(f0["first_frame"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
    doc = {"shapes": [
        {"start": iso(first + 1), "end": iso(first + a.seconds - 1), "mode": "blur",
         "keyframes": [{"time": iso(first + 1), "box": [0.05, 0.1, 0.3, 0.45]},
                       {"time": iso(first + a.seconds - 1), "box": [0.6, 0.45, 0.9, 0.85]}]},
        {"start": iso(first + a.seconds / 2), "end": iso(first + a.seconds), "box": [0.4, 0.3, 0.65, 0.7],
         "mode": "pixelate", "invert": True}],
        "mute": [{"start": iso(first + 2), "end": iso(first + 6)}]}
    dpath = os.path.join(nvr.dir, "redactions.json")
    with open(dpath, "w") as f:
        json.dump(doc, f)
    print("1080p export: %s, %.2f s, MP4 %d bytes (%.1f Mbit/s), zip %d bytes; CPU: %s, %d cores" %
          (f0["name"], f0["duration"], mp4_bytes, mp4_bytes * 8 / f0["duration"] / 1e6, os.path.getsize(orig),
           re.sub(r"\s+", " ", [line for line in open("/proc/cpuinfo") if line.startswith("model name")][0]
                  .split(":", 1)[1].strip()), os.cpu_count()))
    for preset in a.preset or ["veryfast"]:
        out = os.path.join(nvr.dir, "redacted-%s.zip" % preset)
        t = time.time()
        r = subprocess.run([NVR, "redact", "-c", nvr.config, orig, dpath, out, "--preset", preset, "-q"],
                           capture_output=True, text=True)
        wall = time.time() - t
        if r.returncode != 0:
            sys.exit("nvr redact failed: %s" % r.stderr)
        with zipfile.ZipFile(out) as z:
            rm = json.loads(z.read("manifest.json"))
            rf = rm["cameras"][0]["files"][0]
            rbytes = z.getinfo(rf["name"]).file_size
        print("preset %-9s %s; whole command %.2f s; redacted MP4 %d bytes (%.1f Mbit/s), zip %d bytes" %
              (preset, r.stdout.strip().split(": ", 1)[1], wall, rbytes, rbytes * 8 / rf["duration"] / 1e6,
               os.path.getsize(out)))
