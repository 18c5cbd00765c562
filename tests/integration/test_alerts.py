# SPDX-License-Identifier: Apache-2.0
"""Alerts that reach a person (issue 15), against real receivers on loopback:
an SMTP server process (aiosmtpd), an HTTP webhook receiver that checks the
HMAC, and a UDP syslog listener.

- A camera stopped for longer than camera_offline_seconds produces exactly one
  e-mail and one webhook call naming it, and its recovery one more of each;
  the latency from the camera stopping to the webhook call is measured
  (<= camera_offline_seconds + 5 s).
- A webhook receiver that is down for a minute (and an nvr restart meanwhile)
  still gets every alert afterwards, in order, each with a valid signature.
- The API lists the incidents with their state, an acknowledgement is recorded
  in the access log, the test alert reaches every channel, secrets are never
  shown back, and a crash of the recorder is an alert at the next start."""
import email
import glob
import hashlib
import hmac
import json
import os
import socket
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import TMP, Camera, Nvr, check, finish, free_port, wait_until

OFFLINE_S = 5
HOLD_DOWN_S = 3
SECRET = "hook-secret-0123456789"
SMTP_PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"


class Receiver:
    """The webhook receiver: records every POST, checks its signature."""

    def __init__(self, port):
        self.port = port
        self.calls = []  # (time, event doc, signature ok)
        self.server = None

    def start(self):
        rec = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(want, self.headers.get("X-NVR-Signature", ""))
                rec.calls.append((time.time(), json.loads(body), ok))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.server = None


class Syslog:
    def __init__(self, port):
        self.lines = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            data, _ = self.sock.recvfrom(65536)
            self.lines.append(data.decode("utf-8", "replace"))


def mails(d):
    out = []
    for p in sorted(glob.glob(os.path.join(d, "*.eml"))):
        with open(p, "rb") as f:
            out.append(email.message_from_bytes(f.read()))
    return out


def about(calls, camera, event):
    return [c for c in calls if c[1].get("camera") == camera and c[1].get("event") == event]


def mails_about(ms, camera, word):
    return [m for m in ms if ("(%s)" % camera) in m["Subject"] and word in m["Subject"]]


smtp_dir = os.path.join(TMP, "alerts-mail-%d" % os.getpid())
smtp_port, hook_port, syslog_port = free_port(), free_port(), free_port()
smtp = subprocess.Popen([SMTP_PY, os.path.join(os.path.dirname(os.path.abspath(__file__)), "smtp_sink.py"),
                         smtp_dir, str(smtp_port)], stdout=subprocess.PIPE, text=True)
check(smtp.stdout.readline().strip() == "ready", "the SMTP server starts")
hook = Receiver(hook_port)
hook.start()
syslog = Syslog(syslog_port)

cam = Camera("h264.mp4").start()
nvr = Nvr("alerts", [("lobby", {"url": cam.url(), "segment_seconds": 2, "name": "Lobby"})])
with open(nvr.config, "a") as f:
    f.write("\n[alerts]\nsmtp_url = smtp://127.0.0.1:%d\nemail_from = nvr@school.example\n"
            "email_to = it@district.example, security@school.example\n"
            "webhook_url = http://127.0.0.1:%d/hooks/nvr\nwebhook_secret = %s\nsyslog = udp://127.0.0.1:%d\n"
            "camera_offline_seconds = %d\nhold_down_seconds = %d\n"
            % (smtp_port, hook_port, SECRET, syslog_port, OFFLINE_S, HOLD_DOWN_S))
nvr.start()
check(nvr.wait_segments("lobby", 1, 30), "recording")
time.sleep(2)
check(not hook.calls and not mails(smtp_dir), "no alert while all is well: %r" % hook.calls)

# --- 1. the camera stops for longer than the threshold, then comes back ---
t_down = time.time()  # the condition starts as the camera is told to stop (stop() waits for it to exit)
cam.stop()
check(wait_until(lambda: about(hook.calls, "lobby", "opened"), OFFLINE_S + 20), "webhook: the camera is offline")
opened = about(hook.calls, "lobby", "opened")
latency = opened[0][0] - t_down if opened else float("inf")
print("latency from the camera stopping to the webhook call: %.2f s (camera_offline_seconds = %d)"
      % (latency, OFFLINE_S))
check(latency <= OFFLINE_S + 5, "latency %.2f s > camera_offline_seconds + 5" % latency)
check(wait_until(lambda: mails_about(mails(smtp_dir), "lobby", "OPEN"), 15), "e-mail: the camera is offline")
time.sleep(4)  # still offline: nothing more
cam.start()
t_up = time.time()
check(wait_until(lambda: about(hook.calls, "lobby", "resolved"), 60), "webhook: the camera recovered")
res = about(hook.calls, "lobby", "resolved")
if res:
    print("recovery notified %.2f s after the camera came back (hold_down_seconds = %d)" % (res[0][0] - t_up, HOLD_DOWN_S))
check(wait_until(lambda: mails_about(mails(smtp_dir), "lobby", "RESOLVED"), 15), "e-mail: the camera recovered")
time.sleep(4)
ms = mails(smtp_dir)
n_hook = len([c for c in hook.calls if c[1].get("camera") == "lobby"])
n_mail = len([m for m in ms if "(lobby)" in m["Subject"]])
print("phase 1: webhook calls %d, e-mails %d (want 2 and 2)" % (n_hook, n_mail))
check(n_hook == 2, "exactly two webhook calls for the outage: %r" % [c[1]["event"] for c in hook.calls])
check(n_mail == 2, "exactly two e-mails for the outage: %r" % [m["Subject"] for m in ms])
check(all(c[2] for c in hook.calls), "every webhook call carries a valid X-NVR-Signature")
if ms:
    m = ms[0]
    check("it@district.example" in m["X-Envelope-To"] and "security@school.example" in m["X-Envelope-To"],
          "both recipients: %s" % m["X-Envelope-To"])
    check(m["From"] == "nvr@school.example", "From: %s" % m["From"])
    body = m.get_payload(decode=True).decode()
    check("lobby" in body and "Lobby" in m["Subject"], "the e-mail names the camera")
if opened:
    doc = opened[0][1]
    check(doc["kind"] == "camera_offline" and doc["state"] == "open" and doc["severity"] == "critical",
          "webhook document: %r" % doc)
check(any("Lobby" in l and l.startswith("<") and " nvr " in l for l in syslog.lines),
      "syslog (RFC 5424) got the alert: %r" % syslog.lines[:2])

# --- 2. the receiver is down for a minute, with a restart of nvr meanwhile ---
hook.stop()
before = len(hook.calls)
cam.stop()
t_down2 = time.time()
check(wait_until(lambda: len(mails_about(mails(smtp_dir), "lobby", "OPEN")) >= 2, OFFLINE_S + 20),
      "second outage: e-mail sent while the webhook receiver is down")
cam.start()
check(wait_until(lambda: len(mails_about(mails(smtp_dir), "lobby", "RESOLVED")) >= 2, 60),
      "second recovery: e-mail sent while the webhook receiver is down")
rc = nvr.stop()
check(rc == 0, "nvr stops cleanly (%r)" % rc)
nvr.start()
time.sleep(max(0, 60 - (time.time() - t_down2)))
check(len(hook.calls) == before, "nothing reached a receiver that is down")
hook.start()
t_back = time.time()
check(wait_until(lambda: len(hook.calls) >= before + 2, 45), "the queued alerts arrive once the receiver is back")
late = [c for c in hook.calls[before:] if c[1].get("camera") == "lobby"]
print("receiver down %.0f s; %d queued alerts arrived %.1f s after it came back"
      % (t_back - t_down2, len(late), (late[-1][0] - t_back) if late else -1))
check([c[1]["event"] for c in late] == ["opened", "resolved"], "in order: %r" % [c[1]["event"] for c in late])
check(all(c[2] for c in late), "the queued alerts verify too")

# --- 3. the API: the list, an acknowledgement, the test alert, no secrets ---
def api(method, path, body=None):
    req = urllib.request.Request(nvr.base_url + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"} if body is not None else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()

st, body = api("GET", "/api/v1/alerts?state=resolved")
doc = json.loads(body)
lobby = [a for a in doc["alerts"] if a["camera"] == "lobby"]
check(st == 200 and len(lobby) == 2 and all(a["state"] == "resolved" for a in lobby), "GET /api/v1/alerts: %r" % doc)
check(SECRET.encode() not in body and b"hooks/nvr" not in body, "no secret shown back")
check(doc["channels"] == {"email": True, "email_to": "it@district.example, security@school.example",
                          "webhook": True, "syslog": True}, "channels: %r" % doc.get("channels"))
if lobby:
    st, body = api("POST", "/api/v1/alerts/%d/ack" % lobby[0]["id"], {})
    a = json.loads(body)
    check(st == 200 and a["acknowledged_by"] == "admin" and a["acknowledged"], "ack: %d %r" % (st, a))
st, _ = api("POST", "/api/v1/alerts/999999/ack", {})
check(st == 404, "ack of no such alert: %d" % st)
st, body = api("GET", "/api/v1/access-log?action=alert_ack")
check(st == 200 and b"alert_ack" in body and b"lobby" in body, "the acknowledgement is in the access log")
n_before = len(hook.calls)
st, body = api("POST", "/api/v1/alerts/test", {})
check(st == 200 and json.loads(body) == {"email": "sent", "webhook": "sent", "syslog": "sent"}, "test alert: %r" % body)
check(wait_until(lambda: any(c[1]["event"] == "test" for c in hook.calls[n_before:]), 5), "the test alert's webhook call")
check(wait_until(lambda: any("TEST" in m["Subject"] for m in mails(smtp_dir)), 5), "the test alert's e-mail")
check(SECRET not in nvr.log_text(), "the secret is never logged")

# --- 4. a crash of the recorder is an alert at the next start ---
nvr.kill9()
nvr.start()
check(wait_until(lambda: any(c[1]["kind"] == "recorder_crash" for c in hook.calls), 30), "webhook: restarted after a crash")
check(wait_until(lambda: any("crash" in m["Subject"] for m in mails(smtp_dir)), 15), "e-mail: restarted after a crash")
check(nvr.stop() == 0, "nvr stops")
cam.stop()
smtp.terminate()
smtp.wait()
finish("alerts")
