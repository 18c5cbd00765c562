# SPDX-License-Identifier: Apache-2.0
"""A 16-tile live grid in a real browser (Debian's chromium driven by
playwright-core: tests/browser/grid16_test.mjs): 16 cameras (one test camera
serving 16 mounts), every tile must play.  Each live.mp4 is an endless
HTTP/1.1 body and chromium allows six connections per host, so a grid with a
connection per tile played six tiles (issue 23 item 2); the grid's tiles now
share one connection (GET /api/v1/live/mux)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, Nvr, check, failures, finish, http_up, wait_until  # noqa: E402

N = 16
web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "grid16")

with Camera("h264.mp4", mounts=N, no_audio=True) as cam:
    ids = ["cam%02d" % (i + 1) for i in range(N)]
    nvr = Nvr("browser-grid16", [(c, {"url": cam.url(mount="/cam%d" % (i + 1)), "segment_seconds": 4,
                                      "name": "Camera %d" % (i + 1)}) for i, c in enumerate(ids)],
              server_extra="web_dir = %s" % web_dir)
    nvr.start()
    check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")
    check(wait_until(lambda: all(nvr.wait_segments(c, 1, 0.1) for c in ids), 60), "the cameras did not record")
    env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, ADMIN_USER="admin",
               ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD, CAMERAS=",".join(ids))
    r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "grid16_test.mjs")], env=env, timeout=250)
    check(r.returncode == 0, "browser checks failed (grid16_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
    check(nvr.stop() == 0, "nvr did not exit cleanly")
    if failures:
        print(nvr.log_text()[-3000:])
finish("test_browser_grid16")
