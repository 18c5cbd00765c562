# SPDX-License-Identifier: Apache-2.0
"""Recorded H.265 footage in a browser without HEVC: Debian's chromium
(playwright-core, tests/browser/hevc_test.mjs) on the playback page of an
H.265 camera, which must play through the server's H.264 rendition
(playback.mp4?codec=h264, web/ui/js/rendition_player.js).

This script records the H.265 test camera for ~16 s (4 s segments), then runs
the Node driver, which checks: the page asks for playback.mp4?codec=h264 and
never for the HLS playlist; the video decodes and its currentTime advances
while playing; the wall clock shown matches the seek target (the page's
t= near the end of the recording, then a seek back to its start with the date
and time inputs, which is outside what the player has buffered and so a new
request) within 2 s; screenshots go to NVR_ARTIFACTS."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, Nvr, check, failures, finish, http_up, iso, wait_until  # noqa: E402



web_dir = os.environ["NVR_WEB_DIR"]
art = os.environ["NVR_ARTIFACTS"]
check(os.path.exists(os.path.join(web_dir, "js", "rendition_player.js")), "the web UI is built in %s" % web_dir)

with Camera("h265_aac.mp4", no_audio=True) as hevc:
    nvr = Nvr("browserhevc", [("hall", {"url": hevc.url(), "segment_seconds": 4, "name": "Hall (H.265)"})],
              server_extra="web_dir = %s" % web_dir)
    nvr.start()
    check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")
    check(nvr.wait_segments("hall", 4, 40), "the H.265 camera did not record")
    rows = [r for r in nvr.db_rows("hall") if r["state"] == 0]
    first, last = rows[0]["start_us"] / 1e6, rows[-1]["end_us"] / 1e6
    env = dict(os.environ, BASE_URL=nvr.base_url, HEVC_CAMERA="hall", ARTIFACTS=art,
               ADMIN_USER="admin", ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD,
               SEEK1=iso(int(last) - 6), SEEK2=iso(int(first) + 2))
    r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "hevc_test.mjs")], env=env, timeout=200)
    check(r.returncode == 0, "browser checks failed (hevc_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
    check(nvr.stop() == 0, "nvr did not exit cleanly")
    if failures:
        print(nvr.log_text()[-3000:])
finish("test_browser_hevc")
