# SPDX-License-Identifier: Apache-2.0
"""Bookmarks on the playback page, in a real browser (Debian's chromium
driven by playwright-core: tests/browser/bookmarks_test.mjs): made with the
key B at the instant on screen, drawn on the timeline, listed and searched,
shared as a link that opens playback at that instant, deleted by their
author; a viewer sees others' bookmarks and deletes only their own."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, Nvr, check, failures, finish, http_up, iso, wait_until  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "bookmarks")

with Camera("h264.mp4", no_audio=True) as cam:
    nvr = Nvr("browser-bookmarks", [("door", {"url": cam.url(), "segment_seconds": 4, "name": "Front door"}),
                                    ("yard", {"url": cam.url(), "segment_seconds": 4, "name": "Yard"})],
              server_extra="web_dir = %s" % web_dir)
    nvr.add_user("viewer", "viewer", "viewer-pass-1", ["door"])
    nvr.start()
    check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")
    check(wait_until(lambda: all(nvr.wait_segments(c, 3, 0.1) for c in ("door", "yard")), 60), "the cameras did not record")
    first = max(min(r["start_us"] for r in nvr.db_rows(c)) for c in ("door", "yard")) / 1e6
    t = first + 3
    wait_until(lambda: time.time() > t + 8, 20)
    env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, ADMIN_USER="admin", ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD,
               VIEWER="viewer", VIEWER_PASSWORD="viewer-pass-1", T=iso(t))
    r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "bookmarks_test.mjs")], env=env, timeout=200)
    check(r.returncode == 0, "browser checks failed (bookmarks_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
    check(nvr.stop() == 0, "nvr did not exit cleanly")
    if failures:
        print(nvr.log_text()[-3000:])
finish("test_browser_bookmarks")
