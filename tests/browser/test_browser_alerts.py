# SPDX-License-Identifier: Apache-2.0
"""The status board (status.html) and the alerts page (alerts.html) in a real
browser (Debian's chromium driven by playwright-core: tests/browser/alerts_test.mjs),
against `nvr run` recording the test camera, with camera_offline_seconds = 3
and syslog to a UDP listener here.

Three phases, the camera stopped and restarted between them by this script:
all green; the camera down (red tiles, the alert open, acknowledged on the
page, a test alert); the camera back (green, the alert resolved).  Then the
server side of what the UI did: the acknowledgement is in the access log and
syslog got the alerts and the test."""
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, Nvr, check, failures, finish, free_port, http_up, wait_until  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "alerts")
check(os.path.exists(os.path.join(web_dir, "status.html")) and os.path.exists(os.path.join(web_dir, "alerts.html")),
      "the pages are built in %s" % web_dir)

syslog_port = free_port()
lines = []
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", syslog_port))


def listen():
    while True:
        data, _ = sock.recvfrom(65536)
        lines.append(data.decode("utf-8", "replace"))


threading.Thread(target=listen, daemon=True).start()


def api(path):
    req = urllib.request.Request(nvr.base_url + path, headers={"Authorization": "Bearer " + nvr.token})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def phase(name):
    env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, ADMIN_USER="admin", ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD,
               VIEWER_USER="vic", VIEWER_PASSWORD="viewer-pass-1", PHASE=name)
    r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "alerts_test.mjs")], env=env, timeout=200)
    check(r.returncode == 0, "browser checks failed in phase %s (exit %d; screenshots in %s)" % (name, r.returncode, art))


cam = Camera("h264.mp4").start()
# retain_days = 1: the days the test machine's disk would hold at this rate do not make the disk amber
# two storage dirs: data_dir and a second one, whose marker this script takes away
# during "down" (what an unmounted disk looks like) and puts back for "back"
nvr = Nvr("browser-alerts", [("lobby", {"url": cam.url(), "segment_seconds": 4, "name": "Main lobby", "retain_days": 1})],
          server_extra="web_dir = %s" % web_dir)
disk2 = os.path.join(nvr.dir, "disk2")
with open(nvr.config, "a") as f:
    f.write("\n[storage]\ndirs = %s, %s\n" % (nvr.data_dir, disk2))
with open(nvr.config, "a") as f:
    f.write("\n[alerts]\nsyslog = udp://127.0.0.1:%d\ncamera_offline_seconds = 3\nhold_down_seconds = 2\n" % syslog_port)
nvr.add_user("admin", "admin", Nvr.ADMIN_PASSWORD)
nvr.add_user("vic", "viewer", "viewer-pass-1", cameras=["lobby"])
nvr.token = nvr.make_token("admin")
nvr.start()
check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")
check(nvr.wait_segments("lobby", 1, 30), "the camera did not record")
phase("ok")
cam.stop()
check(wait_until(lambda: any(a["camera"] == "lobby" for a in api("/api/v1/alerts?state=open")["alerts"]), 20),
      "the camera's alert opened")
os.rename(os.path.join(disk2, ".nvr-dir"), os.path.join(nvr.dir, "marker"))
phase("down")
os.rename(os.path.join(nvr.dir, "marker"), os.path.join(disk2, ".nvr-dir"))
cam.start()
check(wait_until(lambda: any(a["camera"] == "lobby" for a in api("/api/v1/alerts?state=resolved")["alerts"]), 40),
      "the camera's alert resolved")
phase("back")
log = api("/api/v1/access-log?action=alert_ack")["entries"]
check(any(e["user"] == "admin" and e["camera"] == "lobby" for e in log), "the acknowledgement is in the access log: %r" % log)
check(any("TEST" in l for l in lines) and any("OPEN" in l and "lobby" in l for l in lines)
      and any("RESOLVED" in l and "lobby" in l for l in lines), "syslog got the alert, its recovery and the test: %r" % lines)
check(nvr.stop() == 0, "nvr did not exit cleanly")
cam.stop()
if failures:
    print(nvr.log_text()[-3000:])
finish("test_browser_alerts")
