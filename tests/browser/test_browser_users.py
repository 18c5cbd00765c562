# SPDX-License-Identifier: Apache-2.0
"""The admin pages users.html and access.html in a real browser (Debian's
chromium driven by playwright-core: tests/browser/users_test.mjs), against
`nvr run` recording two cameras from the test camera.

This script sets the scene with the integration harness: cameras "lobby" and
"gym" (gym in group "south", with markup in its name that must show as text),
an admin made with the CLI; then it runs the Node driver, which does every
browser check (accounts, grants taking effect on the live page, API tokens,
the access log and its CSV, the plain-HTTP warning, a district catalog account
that cannot be edited here) and saves screenshots
under NVR_ARTIFACTS.  Afterwards it checks on the server side what the UI
did: the access log chain still verifies and holds the UI's changes."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, Nvr, check, failures, finish, http_up, wait_until  # noqa: E402



web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "users")
check(os.path.exists(os.path.join(web_dir, "users.html")) and os.path.exists(os.path.join(web_dir, "access.html")),
      "the admin pages are built in %s" % web_dir)
GYM_NAME = "Gym <b>south</b> & co"

with Camera("h264.mp4") as cam:
    nvr = Nvr("browser-users", [("lobby", {"url": cam.url(), "segment_seconds": 4, "name": "Main lobby"}),
                                ("gym", {"url": cam.url(), "segment_seconds": 4, "name": GYM_NAME,
                                         "group": "south"})],
              server_extra="web_dir = %s" % web_dir)
    nvr.add_user("admin", "admin", Nvr.ADMIN_PASSWORD)
    nvr.token = nvr.make_token("admin")
    # a person of the district's catalog as a recorder mirrors it (no [catalog] here: it stays)
    subprocess.run(["sqlite3", os.path.join(nvr.data_dir, "index.db"),
                    "INSERT INTO users(name, role, pwhash, pw_changed_us, created_us, source) "
                    "VALUES ('dora', 'viewer', '!', 0, 0, 'catalog')"], check=True, timeout=30)
    nvr.start()
    check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")
    check(nvr.wait_segments("lobby", 1, 30) and nvr.wait_segments("gym", 1, 30), "the cameras did not record")
    env = dict(os.environ, BASE_URL=nvr.base_url, PORT=str(nvr.port), ARTIFACTS=art, TOKEN=nvr.token,
               ADMIN_USER="admin", ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD, GYM_NAME=GYM_NAME)
    r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "users_test.mjs")], env=env, timeout=400)
    check(r.returncode == 0, "browser checks failed (users_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
    check(nvr.stop() == 0, "nvr did not exit cleanly")
    # what the UI did is in the access log, and the chain is intact
    v = nvr.run_cli("verify", "-c", nvr.config, "--log")
    check(v.returncode == 0, "nvr verify --log after the UI's changes: %s%s" % (v.stdout, v.stderr))
    if failures:
        print(nvr.log_text()[-3000:])
finish("test_browser_users")
