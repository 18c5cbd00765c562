# SPDX-License-Identifier: Apache-2.0
"""RTSP over HTTP tunnelling (the Apple/QuickTime scheme, issue 12) through
the project's own RTSP reader: `transport = http` opens a GET (the server's
replies and the interleaved RTP come in its body) and a POST (our requests,
base64) tied by x-sessioncookie.  The test camera (gst-rtsp-server) answers
the tunnel on its RTSP port.  One camera over plain HTTP with Basic
authentication inside the tunnel (H.264 with B-frames), one over HTTPS
(an rtsps:// URL: the tunnel's two connections are TLS; H.265 with
B-frames).  The checks are compat.py's, plus the log's reader and transport."""
import os
import subprocess
import time

from compat import record, verify
from harness import TMP, Camera, check, finish


class AuthCamera(Camera):
    def url(self, user=None, password=None, mount=None):
        return super().url("admin", "tunnel-secret-1", mount)


class TlsCamera(Camera):
    def url(self, user=None, password=None, mount=None):
        return "rtsps" + super().url(user, password, mount)[len("rtsp"):]


d = os.path.join(TMP, "tunnel-certs-%d" % os.getpid())
os.makedirs(d, exist_ok=True)
pem = os.path.join(d, "cam.pem")  # certificate and key in one file
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", pem, "-out", pem + ".crt",
                "-days", "2", "-subj", "/CN=test-camera"], check=True, capture_output=True)
with open(pem, "a") as f:
    f.write(open(pem + ".crt").read())

with AuthCamera("h264_bf.mp4", user="admin", password="tunnel-secret-1") as c1, \
        TlsCamera("h265_bf.mp4", extra=["--tls-cert", pem]) as c2:
    nvr, t0 = record("http-tunnel", [("h264http", c1), ("h265https", c2)], transport="http")
    t1 = time.time()
    check(nvr.stop() == 0, "nvr run did not exit 0")
    log = nvr.log_text()
    for cam, kind in (("h264http", "http"), ("h265https", "https")):
        check("camera=%s ingest reader=own transport=%s" % (cam, kind) in log,
              "%s: not the own reader through an %s tunnel" % (cam, kind))
        check("camera=%s connected transport=%s" % (cam, kind) in log, "%s: no 'connected transport=%s'" % (cam, kind))
    check("tunnel-secret-1" not in log, "the password is in the log")
    verify(nvr, [("h264http", "h264_bf.mp4"), ("h265https", "h265_bf.mp4")], t0, t1, "own, http tunnel")

finish("http_tunnel")
