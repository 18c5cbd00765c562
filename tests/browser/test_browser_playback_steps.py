# SPDX-License-Identifier: Apache-2.0
"""Playback in few steps, in a real browser (Debian's chromium driven by
playwright-core: tests/browser/playback_steps_test.mjs): the visible camera
list, "↺ 5 min" on the live tiles, the notice when a time has no footage, the
calendar, the timeline's thin runs, future and tooltip, and mark in/out
feeding Hold… and Export….

The driver needs footage from three minutes ago AND one minute ago (the
page opens one minute back) on a recorder that has just started, so the
footage is made in two runs of `nvr run` on one data_dir: the first under
libfaketime with its clock OFFSET seconds behind (the test camera's RTCP
clock then disagrees by more than 10 s and is ignored, docs/design/time.md
T2), recording DURATION seconds from T0, the second on the true clock.  The
first run's footage is labelled [T0 - OFFSET, T0 - OFFSET + DURATION], the
second's from about T0 + DURATION + 3, and between them there is a hole. The four
actions (open one minute back, then -1 min twice) need the page's instant in
the second run and both jumps in the first: the driver waits for that window
(from ~63 s into the second run, ~21 s wide), doing its other checks first."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import TMP, Camera, Nvr, check, failures, finish, http_up, iso, wait_until  # noqa: E402

LIBS = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1", "/usr/lib/faketime/libfaketimeMT.so.1"]
lib = next((p for p in LIBS if os.path.exists(p)), None)
if not lib:
    raise SystemExit("libfaketime is missing (apt-get install faketime; packaging/install-deps.sh --test)")

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "playback-steps")
DURATION = 90
OFFSET = 30

offset_file = os.path.join(TMP, "playback-steps-%d.faketime" % os.getpid())
with open(offset_file, "w") as f:
    f.write("%+d\n" % -OFFSET)
asan = ":".join(x for x in (os.environ.get("ASAN_OPTIONS", ""), "verify_asan_link_order=0") if x)
faked = ["env", "ASAN_OPTIONS=" + asan, "LD_PRELOAD=" + lib, "FAKETIME_TIMESTAMP_FILE=" + offset_file,
         "FAKETIME_CACHE_DURATION=1", "FAKETIME_DONT_FAKE_MONOTONIC=1", "FAKETIME_DONT_RESET=1"]

with Camera("h264.mp4") as cam:
    cams = [("door", {"url": cam.url(), "segment_seconds": 4, "name": "Front door"}),
            ("yard", {"url": cam.url(), "segment_seconds": 4, "name": "Yard"}),
            ("gym", {"url": cam.url(), "segment_seconds": 4, "name": "Gym"})]
    nvr = Nvr("browser-steps", cams, server_extra="web_dir = %s" % web_dir, wrapper=faked)
    nvr.start()
    check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up (faked clock)")
    t0 = time.time()
    time.sleep(DURATION)
    check(nvr.stop() == 0, "the first run did not exit cleanly")
    past = {c: nvr.recordings(c) for c, _ in cams}
    runs = past["yard"].get("runs", [])
    check(runs, "the first run recorded yard: %s" % past["yard"])
    wstart, wend = (runs[0]["start"], runs[-1]["end"]) if runs else (iso(t0 - OFFSET), iso(t0 - OFFSET + DURATION))
    print("footage of the first run (clock %d s behind): %s .. %s" % (OFFSET, wstart, wend))

    nvr.wrapper = []
    nvr.start()
    check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")
    n0 = len(nvr.db_rows("yard"))
    check(wait_until(lambda: len(nvr.db_rows("yard")) > n0, 30), "the second run did not record")
    env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, ADMIN_USER="admin", ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD,
               PAST_START=wstart, PAST_END=wend, SECOND_START=iso(nvr.started_at))
    r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "playback_steps_test.mjs")], env=env, timeout=250)
    check(r.returncode == 0, "browser checks failed (playback_steps_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
    check(nvr.stop() == 0, "nvr did not exit cleanly")
    if failures:
        print(nvr.log_text()[-3000:])
os.remove(offset_file)
finish("test_browser_playback_steps")
