# SPDX-License-Identifier: Apache-2.0
"""The second factor in a real browser (Debian's chromium driven by
playwright-core: tests/browser/totp_test.mjs) against `nvr run` with
totp_required = admin: enrolment on account.html, the login page's second
step with a code and with a recovery code, the admin's reset on users.html,
turning it off.  This script sets the scene (an admin "boss" and a viewer
"vera" made with the CLI, no camera) and afterwards checks on the server
side what the UI did: the access log holds the enrolments, the logins with
their method, the reset and the disable, and its chain verifies."""
import json
import os
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Nvr, check, failures, finish, http_up, wait_until  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "totp")
check(os.path.exists(os.path.join(web_dir, "account.html")), "account.html is built in %s" % web_dir)
BOSS_PW, VERA_PW = "boss-pass-1234", "vera-pass-1234"

nvr = Nvr("browser-totp", [], server_extra="web_dir = %s\ntotp_required = admin" % web_dir)
nvr.add_user("admin", "admin", Nvr.ADMIN_PASSWORD)
nvr.token = nvr.make_token("admin")  # a script's token: not asked for a second factor
nvr.add_user("boss", "admin", BOSS_PW)
nvr.add_user("vera", "viewer", VERA_PW)
nvr.start()
check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")
env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, BOSS_PASSWORD=BOSS_PW, VERA_PASSWORD=VERA_PW)
r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "totp_test.mjs")], env=env, timeout=400)
check(r.returncode == 0, "browser checks failed (totp_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))


def entries(action):
    with urllib.request.urlopen(nvr.base_url + "/api/v1/access-log?action=" + action) as resp:
        return json.load(resp)["entries"]


logins = [(e["user"], e["detail"]) for e in entries("login")]
check(("boss", "admin method=password+totp") in logins and ("boss", "admin method=recovery_code") in logins,
      "the access log says how boss signed in: %s" % logins)
check(sorted(e["user"] for e in entries("totp_enabled")) == ["boss", "vera"], "both enrolments logged")
check([(e["user"], e["detail"]) for e in entries("totp_reset")] == [("boss", "user=vera")], "the reset is logged")
check([e["user"] for e in entries("totp_disabled")] == ["boss"], "the disable is logged")
check(nvr.stop() == 0, "nvr did not exit cleanly")
v = nvr.run_cli("verify", "-c", nvr.config, "--log")
check(v.returncode == 0, "nvr verify --log after the UI's changes: %s%s" % (v.stdout, v.stderr))
if failures:
    print(nvr.log_text()[-3000:])
finish("test_browser_totp")
