# SPDX-License-Identifier: Apache-2.0
"""Directory sign-in in a real browser (Debian's chromium driven by
playwright-core: tests/browser/ldap_test.mjs) against `nvr run` with [ldap]
and a real OpenLDAP slapd on loopback (tests/integration/slapd.py).

The scene: alice in nvr-viewers (granted cam1), eve in nvr-admins; cameras
cam1 (group north), cam2 (group south), cam3, which need not record: the
live page lists the cameras a user may see whatever their state.  The Node
driver does the browser checks; afterwards this script checks on the server
side that the accounts were made by the directory (source ldap, no
password) and that the access log chain still verifies."""
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Nvr, check, failures, finish, http_up, wait_until  # noqa: E402
from slapd import Slapd, ldap_section  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "ldap")
USERS = {"alice": "alice-pass-1", "eve": "eve-pass-1"}

slapd = Slapd("browser").start()
slapd.load_school(USERS, {"nvr-viewers": ["alice"], "nvr-admins": ["eve"]})
nvr = Nvr("browser-ldap", [("cam1", {"url": "rtsp://127.0.0.1:9/a", "group": "north"}),
                           ("cam2", {"url": "rtsp://127.0.0.1:9/b", "group": "south"}),
                           ("cam3", {"url": "rtsp://127.0.0.1:9/c"})],
          server_extra="web_dir = %s" % web_dir)
with open(nvr.config, "a") as f:
    f.write(ldap_section(slapd))
nvr.start()
check(wait_until(lambda: http_up(nvr.base_url), 15), "the server did not come up")
env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, ALICE_PASSWORD=USERS["alice"],
           EVE_PASSWORD=USERS["eve"])
r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "ldap_test.mjs")], env=env, timeout=240)
check(r.returncode == 0, "browser checks failed (ldap_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
check(nvr.stop() == 0, "nvr did not exit cleanly")
db = sqlite3.connect(os.path.join(nvr.data_dir, "index.db"))
rows = dict((n, (role, pw, src)) for n, role, pw, src in db.execute("SELECT name, role, pwhash, source FROM users"))
db.close()
check(rows.get("alice") == ("viewer", "!", "ldap") and rows.get("eve") == ("admin", "!", "ldap"),
      "the directory made alice (viewer) and eve (admin), source ldap, no password: %r" % rows)
v = nvr.run_cli("verify", "-c", nvr.config, "--log")
check(v.returncode == 0, "nvr verify --log: %s%s" % (v.stdout, v.stderr))
slapd.stop()
if failures:
    print(nvr.log_text()[-3000:])
finish("test_browser_ldap")
