# SPDX-License-Identifier: Apache-2.0
"""One time format everywhere, and the phone layout, in a real browser
(tests/browser/timefmt_test.mjs, Debian's chromium driven by playwright-core;
issue 23 items 8 and 9).

Two runs of `nvr run` on one camera with a long name: the first with the
default ([ui] time_format unset: 12-hour), the second with
`[ui] time_format = 24h` added to the config file.  Each run the Node driver
checks the live clock, the playback clock, time field and timeline, and the
access log list; the first run also the header's per-browser override and
the phone layout (390x844: the header's menu, the playback controls at the
bottom without horizontal scrolling, the long name cut in the middle)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, Nvr, check, failures, finish, http_up, wait_until  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "timefmt")
LONG_NAME = "Main entrance door by the north parking lot"

with Camera("h264.mp4") as cam:
    nvr = Nvr("browser-timefmt", [("door", {"url": cam.url(), "segment_seconds": 4, "name": '"%s"' % LONG_NAME})],
              server_extra="web_dir = %s" % web_dir)
    for mode in ("12h", "24h"):
        if mode == "24h":
            with open(nvr.config, "a") as f:
                f.write("\n[ui]\ntime_format = 24h\n")
        nvr.start()
        check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up (%s)" % mode)
        check(nvr.wait_segments("door", 1, 30), "the camera did not record (%s)" % mode)
        env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, ADMIN_USER="admin",
                   ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD, MODE=mode, LONG_NAME=LONG_NAME)
        r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "timefmt_test.mjs")], env=env,
                           timeout=250)
        check(r.returncode == 0, "browser checks failed with %s (timefmt_test.mjs exit %d; screenshots in %s)"
              % (mode, r.returncode, art))
        check(nvr.stop() == 0, "nvr did not exit cleanly (%s)" % mode)
    if failures:
        print(nvr.log_text()[-3000:])
finish("test_browser_timefmt")
