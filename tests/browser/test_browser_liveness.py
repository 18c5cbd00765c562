# SPDX-License-Identifier: Apache-2.0
"""Honest liveness in a real browser (Debian's chromium driven by
playwright-core: tests/browser/liveness_test.mjs): the test camera is frozen
with SIGSTOP while the live grid watches it, and thawed.  This script starts
`nvr run` with one camera and hands the camera's PID to the driver."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, Nvr, check, failures, finish, http_up, wait_until  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "liveness")

with Camera("h264.mp4") as cam:
    nvr = Nvr("browser-liveness", [("door", {"url": cam.url(), "segment_seconds": 4, "name": "Front door"})],
              server_extra="web_dir = %s" % web_dir)
    nvr.start()
    check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")
    check(nvr.wait_segments("door", 1, 30), "the camera did not record")
    env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, ADMIN_USER="admin",
               ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD, CAMERA="door", CAMERA_PID=str(cam.proc.pid))
    r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "liveness_test.mjs")], env=env, timeout=250)
    check(r.returncode == 0, "browser checks failed (liveness_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
    check(nvr.stop() == 0, "nvr did not exit cleanly")
    if failures:
        print(nvr.log_text()[-3000:])
finish("test_browser_liveness")
