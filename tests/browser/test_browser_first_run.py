# SPDX-License-Identifier: Apache-2.0
"""The live page of a new recorder with no cameras yet, in a real browser
(Debian's chromium driven by playwright-core: tests/browser/first_run_test.mjs):
the admin is offered "Add a camera", a viewer is told whom to ask.  This
script starts `nvr run` with no [camera] section and makes the two users
with the CLI; and a second, fresh recorder with no account at all, whose
sign-in page must offer the setup form that takes the setup token from the
log and makes the first admin."""
import os
import re
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
fresh = Nvr("browser-first-run-setup", [], admin=False, server_extra="web_dir = %s" % web_dir)
fresh.start()
check(wait_until(lambda: http_up(fresh.base_url), 10), "the fresh server did not come up")
tok = wait_until(lambda: re.search(r"setup_token=(\S+)", fresh.log_text()), 10)
check(tok, "the fresh server logs its setup token")
env = dict(os.environ, BASE_URL=nvr.base_url, FRESH_URL=fresh.base_url, SETUP_TOKEN=tok.group(1) if tok else "", ARTIFACTS=art, ADMIN_USER="admin", ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD,
           VIEWER_USER="vic", VIEWER_PASSWORD=VIEWER_PASSWORD)
r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "first_run_test.mjs")], env=env, timeout=200)
check(r.returncode == 0, "browser checks failed (first_run_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
check(nvr.stop() == 0, "nvr did not exit cleanly")
check(fresh.stop() == 0, "the fresh nvr did not exit cleanly")
r = fresh.run_cli("user", "list", "-c", fresh.config)
check(r.returncode == 0 and "setup-admin" in r.stdout and "admin" in r.stdout,
      "the setup form made the first admin: %s %s" % (r.stdout, r.stderr))
if failures:
    print(nvr.log_text()[-3000:])
finish("test_browser_first_run")
