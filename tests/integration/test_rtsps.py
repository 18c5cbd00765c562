# SPDX-License-Identifier: Apache-2.0
"""rtsps:// (RTSP over TLS, issue 12) through the project's own RTSP reader:
the test camera serves TLS with a self-signed certificate made here by
openssl, as cameras have them; H.264 and H.265 clips with B-frames, one with
Digest authentication inside TLS.  The checks are compat.py's (coverage,
nothing dropped, no decode error, the camera's frame order), plus: the log
says which reader and transport were used, and the SHA-256 fingerprint it
logs is the certificate's (docs/design/ingest.md, "rtsps://")."""
import os
import subprocess
import time

from compat import record, verify
from harness import TMP, Camera, check, finish


class TlsCamera(Camera):
    def url(self, user=None, password=None, mount=None):
        return "rtsps" + super().url(user, password, mount)[len("rtsp"):]


def make_cert(d):
    cert, key = os.path.join(d, "cam-cert.pem"), os.path.join(d, "cam-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=test-camera"], check=True, capture_output=True)
    fp = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", cert],
                        check=True, capture_output=True, text=True).stdout.strip().split("=", 1)[1]
    return cert, key, fp


d = os.path.join(TMP, "rtsps-certs-%d" % os.getpid())
os.makedirs(d, exist_ok=True)
cert, key, fp = make_cert(d)
tls = ["--tls-cert", cert, "--tls-key", key]


class DigestTlsCamera(TlsCamera):
    def url(self, user=None, password=None, mount=None):
        return super().url("admin", "tls-secret-1", mount)


with TlsCamera("h264_bf.mp4", extra=tls) as c1, \
        DigestTlsCamera("h265_bf.mp4", user="admin", password="tls-secret-1", auth="digest", extra=tls) as c2:
    nvr, t0 = record("rtsps", [("h264tls", c1), ("h265tls", c2)])
    t1 = time.time()
    check(nvr.stop() == 0, "nvr run did not exit 0")
    log = nvr.log_text()
    for cam in ("h264tls", "h265tls"):
        check("camera=%s ingest reader=own transport=tls" % cam in log, "%s: not the own reader over TLS" % cam)
        check("camera=%s connected transport=tls" % cam in log, "%s: no 'connected transport=tls'" % cam)
        check("camera=%s tls certificate accepted" % cam in log and "sha256=%s" % fp in log,
              "%s: the certificate's fingerprint %s was not logged" % (cam, fp))
    check("tls-secret-1" not in log, "the password is in the log")
    verify(nvr, [("h264tls", "h264_bf.mp4"), ("h265tls", "h265_bf.mp4")], t0, t1, "own, rtsps")

finish("rtsps")
