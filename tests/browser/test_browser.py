# SPDX-License-Identifier: Apache-2.0
"""The web UI in a real browser: Debian's chromium, driven by playwright-core
(tests/browser/ui_test.mjs), against `nvr run` recording the test camera.

This script sets the scene with the integration harness: two cameras on the
H.264 test camera and one on an H.265 one, a few seconds of recording, the camera stopped for 7 s (the
gap the timeline must draw) and started again; then it runs the Node
driver, which does every browser check and saves screenshots under
NVR_ARTIFACTS (build/test-artifacts/browser)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, Nvr, check, failures, finish, http_up, iso, wait_until  # noqa: E402



web_dir = os.environ["NVR_WEB_DIR"]
art = os.environ["NVR_ARTIFACTS"]
check(os.path.exists(os.path.join(web_dir, "index.html")), "the web UI is built in %s" % web_dir)

with Camera("h264.mp4") as cam, Camera("h265_aac.mp4", no_audio=True) as hevc:
    nvr = Nvr("browser", [("lobby", {"url": cam.url(), "segment_seconds": 4, "name": "Main lobby"}),
                          ("gym", {"url": cam.url(), "segment_seconds": 4, "name": "Gym"}),
                          ("hall", {"url": hevc.url(), "segment_seconds": 4, "name": "Hall (H.265)"})],
              server_extra="web_dir = %s" % web_dir)
    nvr.add_user("admin", "admin", Nvr.ADMIN_PASSWORD)
    nvr.token = nvr.make_token("admin")
    nvr.add_user("viewer", "viewer", "viewer-password-1", ["lobby"])
    nvr.start()
    check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")
    check(nvr.wait_segments("lobby", 2, 30) and nvr.wait_segments("gym", 2, 30), "the cameras did not record")
    # both cameras back (each reconnects with its own backoff), then enough footage to play
    gap_start, gap_end = nvr.record_hole(cam, ["lobby", "gym"])
    env = dict(os.environ, BASE_URL=nvr.base_url, CAMERAS="lobby,gym", HEVC_CAMERA="hall", GAP_START=iso(gap_start),
               GAP_END=iso(gap_end), ARTIFACTS=art, TOKEN=nvr.token, ADMIN_USER="admin",
               ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD, VIEWER_USER="viewer", VIEWER_PASSWORD="viewer-password-1")
    r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "ui_test.mjs")], env=env, timeout=400)
    check(r.returncode == 0, "browser checks failed (ui_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
    check(nvr.stop() == 0, "nvr did not exit cleanly")
    if failures:
        print(nvr.log_text()[-3000:])
finish("test_browser")
