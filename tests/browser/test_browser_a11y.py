# SPDX-License-Identifier: Apache-2.0
"""Accessibility in a real browser: axe-core's WCAG 2.1 A/AA rules on every page
(tests/browser/a11y_test.mjs, Debian's chromium driven by playwright-core) with
one recording camera, signed in as an admin; no serious or critical finding."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, Nvr, check, failures, finish, http_up, wait_until  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "a11y")

with Camera("h264.mp4") as cam:
    nvr = Nvr("browser-a11y", [("door", {"url": cam.url(), "segment_seconds": 4, "name": "Front door"})],
              server_extra="web_dir = %s" % web_dir)
    nvr.start()
    check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")
    check(nvr.wait_segments("door", 1, 30), "the camera did not record")
    env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, ADMIN_USER="admin", ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD)
    r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "a11y_test.mjs")], env=env, timeout=250)
    check(r.returncode == 0, "axe-core finds serious or critical problems (a11y_test.mjs exit %d)" % r.returncode)
    check(nvr.stop() == 0, "nvr did not exit cleanly")
    if failures:
        print(nvr.log_text()[-2000:])
finish("test_browser_a11y")
