# SPDX-License-Identifier: Apache-2.0
"""The playback page on a slow link in a real browser (Debian's chromium driven
by playwright-core: tests/browser/slow_link_test.mjs, 500 kbit/s and 400 ms
round trips): the built UI (versioned URLs cached as immutable, module
preloads, brotli/gzip copies: web/build_static.py) loads within 3 s, measured
side by side with the same UI served as plain copies of web/ui (before)."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import TMP, Camera, Nvr, check, failures, finish, http_up, wait_until  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "slow-link")
src_ui = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "web", "ui")

# "before": web/ui as it is, plus hls.js, nothing else
plain = tempfile.mkdtemp(prefix="web-plain-", dir=TMP)
shutil.rmtree(plain)
shutil.copytree(src_ui, plain)
os.makedirs(os.path.join(plain, "vendor"), exist_ok=True)
shutil.copy(os.path.join(web_dir, "vendor", "hls.mjs"), os.path.join(plain, "vendor", "hls.mjs"))
check(os.path.exists(os.path.join(web_dir, "build-id")), "the build made %s/build-id" % web_dir)

with Camera("h264.mp4") as cam:
    cams = [("door", {"url": cam.url(), "segment_seconds": 4, "name": "Front door"})]
    nvr = Nvr("browser-slow-link", cams, server_extra="web_dir = %s" % web_dir)
    old = Nvr("browser-slow-link-before", cams, server_extra="web_dir = %s" % plain)
    nvr.start()
    old.start()
    check(wait_until(lambda: http_up(nvr.base_url) and http_up(old.base_url), 10), "the servers did not come up")
    check(nvr.wait_segments("door", 1, 30) and old.wait_segments("door", 1, 30), "the camera did not record")
    env = dict(os.environ, BASE_URL=nvr.base_url, BEFORE_URL=old.base_url, ARTIFACTS=art, ADMIN_USER="admin",
               ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD)
    r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "slow_link_test.mjs")], env=env, timeout=250)
    check(r.returncode == 0, "browser checks failed (slow_link_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
    check(nvr.stop() == 0 and old.stop() == 0, "nvr did not exit cleanly")
    if failures:
        print(nvr.log_text()[-3000:])
finish("test_browser_slow_link")
