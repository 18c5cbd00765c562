# SPDX-License-Identifier: Apache-2.0
"""Footage of cameras with B-frames in a browser (issue 12): Debian's chromium
(playwright-core, tests/browser/bframes_test.mjs) on the live page of an H.264
B-frame camera and on the playback page of it (hls.js) and of an H.265
B-frame camera with open GOPs (the H.264 rendition).  This script records both
for ~16 s (4 s segments), then runs the Node driver; screenshots go to
NVR_ARTIFACTS."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, Nvr, check, failures, finish, http_up, iso, wait_until  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.environ["NVR_ARTIFACTS"]

with Camera("h264_bf.mp4") as cam, Camera("h265_bf.mp4") as hevc:
    nvr = Nvr("browserbf", [("porch", {"url": cam.url(), "segment_seconds": 4, "name": "Porch (B-frames)"}),
                            ("yard", {"url": hevc.url(), "segment_seconds": 4, "name": "Yard (H.265 B-frames)"})],
              server_extra="web_dir = %s" % web_dir)
    nvr.start()
    check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")
    check(nvr.wait_segments("porch", 4, 40) and nvr.wait_segments("yard", 4, 40), "the cameras did not record")
    rows = [r for r in nvr.db_rows("porch") if r["state"] == 0]
    seek = rows[1]["start_us"] / 1e6 + 1.5
    env = dict(os.environ, BASE_URL=nvr.base_url, CAMERA="porch", HEVC_CAMERA="yard", ARTIFACTS=art,
               ADMIN_USER="admin", ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD, SEEK=iso(seek))
    r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "bframes_test.mjs")], env=env, timeout=200)
    check(r.returncode == 0, "browser checks failed (bframes_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
    check(nvr.stop() == 0, "nvr did not exit cleanly")
    if failures:
        print(nvr.log_text()[-3000:])
finish("test_browser_bframes")
