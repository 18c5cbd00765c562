# SPDX-License-Identifier: Apache-2.0
"""Play pressed while the playback page's player is still loading, in a real
browser (Debian's chromium driven by playwright-core:
tests/browser/playback_midload_test.mjs), against `nvr run` with one camera.

Once seen in CI (test_browser, ui_test.mjs): "-1 min" then "Go", then Play
pressed as soon as the clock showed the new time, and the player stayed at
readyState 0 with nothing buffered and no error.  This script records the
test camera (4 s segments) with a 7 s hole in its footage, as test_browser.py
does, and runs the Node driver, which does, round after round, what a
person does: "-1 min" (before the footage: the player loads a new playlist, a
new hls.js on the same <video>) and "Go" back to an instant 4 s into the
footage after the hole, with Play pressed at once, 50 or 200 ms later,
between the two, after the new playlist is parsed, or the page already
playing; every round the video must play from that instant within 8 s."""
import os
import math
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, Nvr, check, failures, finish, http_up, iso, wait_until  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "playback-midload")

with Camera("h264.mp4") as cam:
    nvr = Nvr("browser-midload", [("door", {"url": cam.url(), "segment_seconds": 4, "name": "Front door"})],
              server_extra="web_dir = %s" % web_dir)
    nvr.start()
    check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")
    check(nvr.wait_segments("door", 2, 30), "door did not record")
    # a hole in the footage, as test_browser.py makes (the CI run that stalled played across one)
    gap_start, _ = nvr.record_hole(cam, ["door"], then=5)
    rows = [r for r in nvr.db_rows("door") if r["state"] == 0]
    after = [r for r in rows if r["start_us"] / 1e6 >= gap_start] or rows
    # the instant the rounds go back to: 4 s into the footage after the hole
    env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, ADMIN_USER="admin", ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD,
               CAMERA="door", TARGET=iso(math.ceil(after[0]["start_us"] / 1e6) + 4) if rows else "",
               FOOTAGE_END=iso(rows[-1]["end_us"] / 1e6) if rows else "")
    r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "playback_midload_test.mjs")], env=env, timeout=250)
    check(r.returncode == 0, "browser checks failed (playback_midload_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
    check(nvr.stop() == 0, "nvr did not exit cleanly")
    if failures:
        print(nvr.log_text()[-3000:])
finish("test_browser_playback_midload")
