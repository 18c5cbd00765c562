# SPDX-License-Identifier: Apache-2.0
"""The camera management page (cameras.html) in a real browser (Debian's
chromium driven by playwright-core: tests/browser/cameras_test.mjs), against
`nvr run` with one camera from the config file.

This script sets the scene: the config-file camera "lobby" on the test
camera, a second test camera with a password for the camera the browser
adds, an admin, and a stored audit observation saying lobby answered ONVIF
as HIKVISION (so the page shows a "covered" badge without probing anything).
Then the Node driver does every browser check; afterwards this script checks
on the server side what the UI did: the camera added through the page
recorded segments into the index, and the access log holds the additions,
test, change and removal."""
import json
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, Nvr, check, failures, finish, http_up, wait_until  # noqa: E402



# the fake ONVIF device of the audit tests, for "Fill in from the camera"
ONVIF_PW = "onvif-s3cret"
fake = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "..", "onvif", "fake_onvif.py"),
                         "--profile", "hikvision", "--auth", "wsse", "--user", "admin", "--password", ONVIF_PW],
                        stdout=subprocess.PIPE, text=True)
ready = fake.stdout.readline().split()
check(ready and ready[0] == "ready", "the fake ONVIF device did not start")
onvif_port = int(ready[1]) if ready and ready[0] == "ready" else 9

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "cameras")
check(os.path.exists(os.path.join(web_dir, "cameras.html")), "the cameras page is built in %s" % web_dir)

with Camera("h264.mp4") as cam, Camera("h264.mp4", no_audio=True, user="door", password="door-pass-1") as locked:
    nvr = Nvr("browser-cameras", [("lobby", {"url": cam.url(), "segment_seconds": 4, "name": "Main lobby"})],
              server_extra="web_dir = %s" % web_dir)
    nvr.add_user("admin", "admin", Nvr.ADMIN_PASSWORD)
    nvr.token = nvr.make_token("admin")
    os.makedirs(nvr.data_dir, exist_ok=True)
    with open(os.path.join(nvr.data_dir, "audit.json"), "w") as f:
        json.dump({"version": 1, "cameras": {"lobby": {
            "probed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "signals": [{"signal": "onvif_manufacturer", "value": "HIKVISION"},
                        {"signal": "onvif_model", "value": "DS-2CD2143G2-I"}]}}}, f)
    nvr.start()
    check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")
    check(nvr.wait_segments("lobby", 1, 30), "lobby did not record")
    env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, TOKEN=nvr.token, ADMIN_USER="admin",
               ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD, CAMERA_URL=locked.url("door", "door-pass-1"),
               ONVIF_ADDRESS="127.0.0.1:%d" % onvif_port, ONVIF_PASSWORD=ONVIF_PW)
    r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "cameras_test.mjs")], env=env, timeout=400)
    check(r.returncode == 0, "browser checks failed (cameras_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
    check(len([x for x in nvr.db_rows("gym") if x["state"] == 0]) >= 1,
          "the camera added in the browser wrote finished segments to the index")
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(nvr.data_dir, "index.db"), uri=True)
    actions = [a for (a,) in con.execute("SELECT action FROM access_log WHERE user = 'admin' ORDER BY id")]
    con.close()
    for a in ("camera_onvif_read", "camera_tested", "camera_added", "camera_changed", "camera_removed"):
        check(a in actions, "the access log has %s: %s" % (a, actions))
    check("door-pass-1" not in nvr.log_text(), "the camera's password never reaches the log")
    check(nvr.stop() == 0, "nvr did not exit cleanly")
    if failures:
        print(nvr.log_text()[-3000:])
fake.terminate()
fake.wait(5)
finish("test_browser_cameras")
