# SPDX-License-Identifier: Apache-2.0
"""The camera's own ONVIF motion events as a motion source (issue 14 item 1,
docs/design/motion.md "ONVIF motion events"), against the fake ONVIF device
(tests/onvif/fake_onvif.py, WS-Security), which the test drives over its
control endpoint:

- camera `ov` (motion_source = onvif): the recorder subscribes (PullPoint);
  motion the device reports (CellMotionDetector IsMotion, then MotionAlarm
  State) comes back from GET /api/v1/cameras/ov/motion as events starting
  and ending within 1 s of when the device said so, region the whole frame;
  our own detector does not run for it; the device grants 6 s subscriptions
  and they are renewed in time;
- camera `skew` (motion_source = both): the device's clock is a minute
  ahead: its events are placed at our receive time, still within 1 s; our
  detector runs for it too;
- the device is killed and started again on its port: the subscription is
  made again, motion is seen again, and the recording had no gap;
- camera `bad` (wrong password): one clear log line, retried (the device sees
  the attempts), no password in the log;
- a clean stop unsubscribes."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from harness import Camera, Nvr, _children, check, finish, free_port, iso, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "onvif", "fake_onvif.py")
PW = "onvif-s3cret"
base = None


class Fake:
    def __init__(self, port, log=None, extra=()):
        self.port, self.logfile, self.extra = port, log, list(extra)
        self.start()

    def start(self):
        args = [sys.executable, FAKE, "--profile", "axis", "--user", "admin", "--password", PW,
                "--port", str(self.port)] + self.extra
        if self.logfile:
            args += ["--log", self.logfile]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        _children.append(self.proc)
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "ready":
            raise SystemExit("fake ONVIF device did not start")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def control(self, path):
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.port, path), timeout=10) as r:
            return json.loads(r.read())

    def status(self):
        try:
            return self.control("/control/status")
        except (OSError, ValueError):
            return {}

    def motion(self, on, topic="cell"):
        return self.control("/control/motion?state=%s&topic=%s" % ("on" if on else "off", topic))

    def onvif(self, password=PW):
        return "http://admin:%s@127.0.0.1:%d/onvif/device_service" % (password, self.port)


def call(path, method, body):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=15) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def ts(s):
    return time.mktime(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone + float("0" + s[19:-1])


def events(cam, start, end):
    st, body = get("/api/v1/cameras/%s/motion?%s" % (cam, urllib.parse.urlencode({"start": iso(start),
                                                                                   "end": iso(end)})))
    return json.loads(body)["events"] if st == 200 else []


def motion_at(fake, cam, topic, hold=3.0):
    """Motion on for `hold` seconds; returns (on, off) on our clock and the event the API gives for it."""
    t_on = time.time()
    fake.motion(True, topic)
    time.sleep(hold)  # the length of the motion, not an assertion
    t_off = time.time()
    fake.motion(False, topic)
    found = []

    def done():
        # the camera's events are the whole frame (576 cells); with `both` the detector's are beside them
        found[:] = [e for e in events(cam, t_on - 30, time.time() + 5) if abs(ts(e["start"]) - t_on) <= 1.0
                    and ts(e["end"]) >= t_off - 1.0 and e["score"] == 576]
        return bool(found)
    wait_until(done, 20)
    return t_on, t_off, (found[0] if found else None)


def check_event(what, t_on, t_off, e):
    check(e is not None, "%s: an event for the motion at %s" % (what, iso(t_on)))
    if not e:
        return
    check(abs(ts(e["start"]) - t_on) <= 1.0, "%s: start %.2f s from the truth" % (what, ts(e["start"]) - t_on))
    check(abs(ts(e["end"]) - t_off) <= 1.0, "%s: end %.2f s from the truth" % (what, ts(e["end"]) - t_off))
    check(e["region"] == [0, 0, 1, 1] and e["score"] == 576, "%s: the whole frame: %s" % (what, e))


def main():
    global base
    cam = Camera("h264.mp4", mount="/cam", mounts=3).start()
    # grants 6 s subscriptions (the recorder asks for 60): they must be renewed in time
    good = Fake(free_port(), extra=["--max-termination", "6"])
    # a camera clock a minute ahead: its UtcTime is not used
    skew = Fake(free_port(), extra=["--clock-offset", "60"])
    bad_log = os.path.join(os.environ.get("TMPDIR", "/tmp"), "fake-onvif-bad-%d.log" % os.getpid())
    bad = Fake(free_port(), log=bad_log)
    nvr = Nvr("onvifmotion", [
        ("ov", {"url": cam.url(mount="/cam1"), "motion_source": "onvif", "onvif": good.onvif()}),
        ("bad", {"url": cam.url(mount="/cam2"), "motion_source": "onvif", "onvif": bad.onvif("wrong-pw")}),
        ("skew", {"url": cam.url(mount="/cam3"), "motion_source": "both", "onvif": skew.onvif()}),
    ]).start()
    base = nvr.base_url
    check(wait_until(lambda: nvr.db_rows("ov") and nvr.db_rows("bad"), 30), "both cameras record")
    check(wait_until(lambda: nvr.db_rows("skew"), 30), "skew records")
    check(wait_until(lambda: good.status().get("subscriptions", 0) >= 1, 30), "ov subscribes: %s" % good.status())
    check(wait_until(lambda: skew.status().get("subscriptions", 0) >= 1, 30), "skew subscribes")
    st, body = get("/api/v1/cameras")
    cams = {c["id"]: c for c in json.loads(body)["cameras"]} if st == 200 else {}
    check(cams.get("ov", {}).get("motion_source") == "onvif", "the API shows motion_source: %s" % cams.get("ov"))
    # the key over the API: a bad word is a 400 naming it; a good one is stored and shown
    st, doc = call("/api/v1/cameras", "POST", {"id": "api1", "url": cam.url(mount="/cam2"), "enabled": False,
                                                "motion_source": "psychic"})
    check(st == 400 and "motion_source" in doc.get("error", ""), "bad motion_source: %d %s" % (st, doc))
    st, doc = call("/api/v1/cameras", "POST", {"id": "api1", "url": cam.url(mount="/cam2"), "enabled": False,
                                                "motion_source": "both"})
    check(st == 201, "motion_source both over the API: %d %s" % (st, doc))
    st, body = get("/api/v1/cameras")
    cams = {c["id"]: c for c in json.loads(body)["cameras"]} if st == 200 else {}
    check(cams.get("api1", {}).get("motion_source") == "both", "stored: %s" % cams.get("api1"))
    req = urllib.request.Request(base + "/api/v1/cameras/api1", method="DELETE")
    with urllib.request.urlopen(req, timeout=30) as r:
        check(r.status in (200, 204), "api1 removed")
    t_begin = time.time()

    # motion the device reports, both topics
    check_event("CellMotionDetector", *motion_at(good, "ov", "cell"))
    check_event("MotionAlarm", *motion_at(good, "ov", "alarm"))
    check(good.status().get("pulls", 0) >= 2, "PullMessages long-polls: %s" % good.status())
    check_event("a camera clock 60 s ahead", *motion_at(skew, "skew", "cell"))
    check(good.status().get("renewed", 0) >= 1 and good.status().get("expired", 0) == 0
          and good.status().get("created") == 1,
          "6 s subscriptions renewed in time, never lost: %s" % good.status())

    # the device dies and comes back
    good.kill()
    time.sleep(3)  # down for a while: the subscriber's polls fail (not an assertion)
    good.start()
    check(wait_until(lambda: good.status().get("subscriptions", 0) >= 1, 60),
          "the subscription is made again after a restart: %s" % good.status())
    check_event("after the restart", *motion_at(good, "ov", "cell"))
    ev = events("ov", t_begin - 5, time.time() + 5)
    check(len(ev) == 3, "three events, one per motion: %s" % ev)

    # our own detector did not run for an onvif camera; the recording went on without a gap
    st, body = get("/api/v1/cameras/ov/recordings?" + urllib.parse.urlencode({"start": iso(t_begin - 5),
                                                                               "end": iso(time.time())}))
    runs = json.loads(body).get("runs", []) if st == 200 else []
    check(len(runs) == 1, "ov recorded without a gap while the device was down: %s" % runs)

    # wrong credentials: one clear line, retried with backoff
    def attempts():
        try:
            with open(bad_log) as f:
                return sum(1 for l in f if l.startswith("POST /onvif/device_service"))
        except OSError:
            return 0
    check(wait_until(lambda: attempts() >= 6, 40), "bad is retried: %d requests" % attempts())
    lines = [l for l in nvr.log_text().splitlines() if "camera=bad" in l and "onvif motion events" in l]
    check(len(lines) == 1 and "authentication failed" in lines[0] and "password" in lines[0],
          "one clear line for the wrong password: %s" % lines)
    check("wrong-pw" not in nvr.log_text() and PW not in nvr.log_text(), "no password in the log")
    check(events("bad", t_begin - 5, time.time() + 5) == [], "bad has no events")

    check(nvr.stop() == 0, "clean stop")
    check(good.status().get("unsubscribed", 0) >= 1 and good.status().get("subscriptions") == 0,
          "a stop unsubscribes: %s" % good.status())
    stopped = [l for l in open(nvr.log_path).read().splitlines() if "camera=ov recorder stopped" in l]
    check(stopped and "motion_keyframes=0 " in stopped[-1], "no detector for an onvif camera: %s" % stopped)
    both = [l for l in open(nvr.log_path).read().splitlines() if "camera=skew recorder stopped" in l]
    check(both and "motion_keyframes=0 " not in both[-1], "both: the detector ran too: %s" % both)
    good.kill()
    bad.kill()
    skew.kill()
    cam.stop()
    r = nvr.run_cli("check", "-c", nvr.config, "--storage")
    check(r.returncode == 0 and "storage: 0 problems" in r.stdout, "nvr check --storage: %s" % r.stdout[-300:])


main()
finish("test_onvif_motion")
