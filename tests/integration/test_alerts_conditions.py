# SPDX-License-Identifier: Apache-2.0
"""The alert engine's other conditions and its flap suppression (issue 15),
against a webhook receiver on loopback that checks the HMAC:

- a camera that drops and comes back again and again (each outage about as
  long as the threshold) makes ONE incident: one "opened" and, once it has
  been stable for hold_down_seconds, one "resolved" that counts the flaps;
- a burst of failed sign-ins (signin_failures within the window) is an alert
  naming the account and the address;
- free space below [storage] min_free is an alert after storage_seconds;
- a TLS certificate that expires within cert_warn_days is an alert."""
import hashlib
import hmac
import json
import os
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import Camera, Nvr, check, finish, free_port, wait_until

SECRET = "conditions-secret"
calls = []


class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        calls.append((time.time(), json.loads(body), hmac.compare_digest(want, self.headers.get("X-NVR-Signature", ""))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *a):
        pass


hook_port = free_port()
srv = ThreadingHTTPServer(("127.0.0.1", hook_port), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()


def alerts_section(extra=""):
    return ("\n[alerts]\nwebhook_url = http://127.0.0.1:%d/hook\nwebhook_secret = %s\n%s\n"
            % (hook_port, SECRET, extra))


def of(kind, event, camera=None):
    return [c for c in calls if c[1]["kind"] == kind and c[1]["event"] == event
            and (camera is None or c[1]["camera"] == camera)]


def camera_status(nvr, cam_id):
    req = urllib.request.Request(nvr.base_url + "/api/v1/cameras/" + cam_id,
                                 headers={"Authorization": "Bearer " + nvr.token})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())["status"]
    except OSError:
        return None


# --- A: a flapping camera, failed sign-ins ---
cam = Camera("h264.mp4").start()
nvr = Nvr("alerts-cond", [("lobby", {"url": cam.url(), "segment_seconds": 2})])
with open(nvr.config, "a") as f:
    f.write(alerts_section("camera_offline_seconds = 4\nhold_down_seconds = 8\nsignin_failures = 3\n"
                           "signin_window_seconds = 60"))
nvr.start()
check(nvr.wait_segments("lobby", 1, 30), "recording")
check(wait_until(lambda: camera_status(nvr, "lobby") == "recording", 10), "the camera records")
drops = 0
for i in range(4):
    cam.stop()
    time.sleep(1.5)
    cam.start()
    drops += 1
    check(wait_until(lambda: camera_status(nvr, "lobby") == "recording", 20), "recording again after drop %d" % drops)
    time.sleep(1)
t_stable = time.time()
check(wait_until(lambda: of("camera_offline", "resolved", "lobby"), 40), "the flapping camera's incident resolves")
time.sleep(3)
opened, resolved = of("camera_offline", "opened", "lobby"), of("camera_offline", "resolved", "lobby")
print("flapping camera: %d drops -> %d opened, %d resolved; flaps counted %s; resolved %.1f s after it settled"
      % (drops, len(opened), len(resolved), [c[1]["flaps"] for c in resolved],
         (resolved[0][0] - t_stable) if resolved else -1))
check(len(opened) == 1 and len(resolved) == 1, "one incident for a flapping camera: %r"
      % [(c[1]["event"], c[1]["detail"]) for c in calls])
check(resolved and resolved[0][1]["flaps"] >= 1 and "flapped" in resolved[0][1]["detail"],
      "the recovery counts the flaps: %r" % (resolved[0][1] if resolved else None))

# three names (password spraying): the access log writes the first failure of each
# (name, address) at once and counts repeats of the same one per minute (core/log_limit.h)
for i in range(3):
    body = json.dumps({"user": "mallory%d" % i, "password": "wrong-%d" % i}).encode()
    req = urllib.request.Request(nvr.base_url + "/api/v1/session", data=body, method="POST",
                                 headers={"Content-Type": "application/json", "Origin": nvr.base_url})
    try:
        urllib.request.urlopen(req, timeout=10)
    except urllib.error.HTTPError as e:
        check(e.code == 401, "a wrong password answers 401 (%d)" % e.code)
check(wait_until(lambda: of("signin_failures", "opened"), 15), "failed sign-ins are an alert")
s = of("signin_failures", "opened")
if s:
    check("mallory" in s[0][1]["detail"] and "127.0.0.1" in s[0][1]["detail"], "names the account and the address: %r"
          % s[0][1]["detail"])
check(nvr.stop() == 0, "nvr stops")
cam.stop()

# --- B: free space below min_free; a TLS certificate about to expire (no camera) ---
nvr2 = Nvr("alerts-cond2", [], server_extra="tls_cert = %s\ntls_key = %s" % ("CERT", "KEY"),
           storage_extra="min_free = 99%")
cert, key = os.path.join(nvr2.dir, "cert.pem"), os.path.join(nvr2.dir, "key.pem")
r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1"], capture_output=True)
check(r.returncode == 0, "openssl makes a certificate: %s" % r.stderr[-300:])
with open(nvr2.config) as f:
    text = f.read().replace("CERT", cert).replace("KEY", key)
with open(nvr2.config, "w") as f:
    f.write(text + alerts_section("storage_seconds = 2"))
n_before = len(calls)
nvr2.start()
check(wait_until(lambda: of("storage_low", "opened"), 30), "free space below min_free is an alert")
check(wait_until(lambda: of("tls_cert", "opened"), 15), "a certificate expiring in 2 days is an alert")
t = of("tls_cert", "opened")
if t:
    check(t[0][1]["severity"] == "warning" and "expires in 1 day" in t[0][1]["title"], "the certificate alert: %r" % t[0][1])
sl = of("storage_low", "opened")
if sl:
    print("storage: %s" % sl[0][1]["detail"])
check(all(c[2] for c in calls), "every call verifies (HMAC)")
check(nvr2.stop() == 0, "nvr stops")
srv.shutdown()
finish("alerts_conditions")
