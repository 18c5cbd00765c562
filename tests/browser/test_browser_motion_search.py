# SPDX-License-Identifier: Apache-2.0
"""Motion on the playback page, in a real browser (Debian's chromium driven
by playwright-core: tests/browser/motion_search_test.mjs): an area drawn on
the picture (also under the digital zoom), a search, a hit played from 3 s
before the event the API knows, motion density on the timeline, next and
previous motion event.

Footage: the clip of tests/integration/test_motion.py (a box crosses the
right half of a static noisy scene from 10 s to 18 s of every 30 s loop) on
two cameras, `hall` and `yard`; the driver starts once two crossings have
ended (the events are then closed and written)."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, Nvr, check, failures, finish, iso, wait_until  # noqa: E402
from test_motion import ENTER, LEAVE, LOOP, make_clip  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "motion-search")

make_clip()
cam = Camera("motion_box.mp4", mount="/cam", mounts=2).start()
nvr = Nvr("browser-motion", [("hall", {"url": cam.url(mount="/cam1"), "name": "Hall"}),
                             ("yard", {"url": cam.url(mount="/cam2"), "name": "Yard"})],
          server_extra="web_dir = %s" % web_dir).start()
check(wait_until(lambda: nvr.db_rows("hall") and nvr.db_rows("yard"), 30), "both cameras record")
t0 = min(r["start_us"] for r in nvr.db_rows("hall")) / 1e6
# two crossings closed (an event closes and is written ~4 s after the box left)
time.sleep(max(0.0, t0 + LOOP + LEAVE + 7 - time.time()))
env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, ADMIN_USER="admin", ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD,
           FIRST_CROSSING=iso(t0 + ENTER))
r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "motion_search_test.mjs")], env=env, timeout=200)
check(r.returncode == 0, "browser checks failed (motion_search_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
check(nvr.stop() == 0, "nvr did not exit cleanly")
if failures:
    print(nvr.log_text()[-3000:])
cam.stop()
finish("test_browser_motion_search")
