# SPDX-License-Identifier: Apache-2.0
"""The live page of a new recorder with no cameras yet, in a real browser
(Debian's chromium driven by playwright-core: tests/browser/first_run_test.mjs):
the admin is offered "Add a camera", a viewer is told whom to ask.  This
script starts `nvr run` with no [camera] section and makes the two users
with the CLI."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Nvr, check, failures, finish, http_up, wait_until  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "first-run")
VIEWER_PASSWORD = "vic-pass-12345"

nvr = Nvr("browser-first-run", [], server_extra="web_dir = %s" % web_dir)
nvr.add_user("vic", "viewer", VIEWER_PASSWORD)
nvr.start()
check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")
env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, ADMIN_USER="admin", ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD,
           VIEWER_USER="vic", VIEWER_PASSWORD=VIEWER_PASSWORD)
r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "first_run_test.mjs")], env=env, timeout=200)
check(r.returncode == 0, "browser checks failed (first_run_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
check(nvr.stop() == 0, "nvr did not exit cleanly")
if failures:
    print(nvr.log_text()[-3000:])
finish("test_browser_first_run")
