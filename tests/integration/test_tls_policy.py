# SPDX-License-Identifier: Apache-2.0
"""The TLS policy (issue 13 row 8): by default TLS 1.2 and 1.3 only, with
forward-secret AEAD suites only (RFC 8996, NIST SP 800-52r2), checked from
outside with `openssl s_client` (and sslscan when it is installed):
TLS 1.0 and 1.1 fail, CBC suites fail, TLS 1.2 AES-GCM / ChaCha20-Poly1305
and TLS 1.3 succeed.  `tls_priority` is the way to make an exception, and a
priority string GnuTLS refuses stops `nvr run` with a message."""
import os
import re
import shutil
import subprocess
import time

from harness import Nvr, check, finish, wait_until


def tls_nvr(name, extra=""):
    n = Nvr(name, [], admin=False, server_extra="tls_cert = /nonexistent-cert\ntls_key = /nonexistent-key\n" + extra)
    with open(n.config) as f:
        text = f.read()
    text = text.replace("/nonexistent-cert", os.path.join(n.dir, "cert.pem")).replace(
        "/nonexistent-key", os.path.join(n.dir, "key.pem"))
    with open(n.config, "w") as f:
        f.write(text)
    r = n.run_cli("cert", "-c", n.config, "--self-signed")
    if r.returncode != 0:
        raise SystemExit("nvr cert failed: %s" % r.stderr)
    return n


def s_client(port, *args):
    """(handshake succeeded, protocol, cipher) for one openssl s_client run."""
    r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "localhost"]
                       + list(args), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)
    out = r.stdout + r.stderr
    m = re.search(r"Cipher is (\S+)", out)
    proto = re.search(r"Protocol\s*:\s*(\S+)", out) or re.search(r"New, (TLSv[\d.]+)", out)
    ok = r.returncode == 0 and m is not None and m.group(1) != "(NONE)"
    return ok, proto.group(1) if proto else None, m.group(1) if m else None


def up(n):
    return wait_until(lambda: s_client(n.port, "-tls1_3")[0] or "listening" in n.log_text() and
                      s_client(n.port)[0], 15)


LOW = "@SECLEVEL=0"  # let this OpenSSL offer what the server must refuse
MUST_FAIL = [
    ("TLS 1.0", ["-tls1", "-cipher", "DEFAULT" + LOW]),
    ("TLS 1.1", ["-tls1_1", "-cipher", "DEFAULT" + LOW]),
    ("TLS 1.2 AES128-SHA (RSA, CBC-SHA1)", ["-tls1_2", "-cipher", "AES128-SHA" + LOW]),
    ("TLS 1.2 ECDHE-ECDSA-AES128-SHA (CBC-SHA1)", ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA" + LOW]),
    ("TLS 1.2 ECDHE-ECDSA-AES256-SHA384 (CBC)", ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384" + LOW]),
]
MUST_WORK = [
    ("TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256", ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"]),
    ("TLS 1.2 ECDHE-ECDSA-AES256-GCM-SHA384", ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"]),
    ("TLS 1.2 ECDHE-ECDSA-CHACHA20-POLY1305", ["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"]),
    ("TLS 1.3", ["-tls1_3"]),
]

t0 = time.monotonic()
n = tls_nvr("tls")
n.start()
check(up(n), "HTTPS answers")
accepted_weak = []
for what, args in MUST_FAIL:
    ok, proto, cipher = s_client(n.port, *args)
    check(not ok, "%s must be refused: got %s %s" % (what, proto, cipher))
    if ok:
        accepted_weak.append(what)
for what, args in MUST_WORK:
    ok, proto, cipher = s_client(n.port, *args)
    check(ok, "%s must work: %s %s" % (what, proto, cipher))
print("weak protocol/suite offers accepted: %d of %d (before: TLS 1.0, 1.1 and the CBC suites were)"
      % (len(accepted_weak), len(MUST_FAIL)))

if shutil.which("sslscan"):
    r = subprocess.run(["sslscan", "--no-colour", "--no-heartbleed", "127.0.0.1:%d" % n.port],
                       capture_output=True, text=True, timeout=120)
    out = r.stdout
    enabled = re.findall(r"^(SSLv\S+|TLSv\S+)\s+enabled", out, re.M)
    suites = re.findall(r"^(?:Preferred|Accepted)\s+(TLSv\S+)\s+\d+ bits\s+(\S+)", out, re.M)
    check(set(enabled) <= {"TLSv1.2", "TLSv1.3"} and enabled, "sslscan: enabled protocols %s" % enabled)
    weak = [s for s in suites if not re.search(r"GCM|CHACHA20|POLY1305", s[1])]
    check(suites and not weak, "sslscan: only AEAD suites accepted, not %s" % weak)
    print("sslscan: protocols %s, %d suites accepted, %d of them not AES-GCM/ChaCha20-Poly1305"
          % (enabled, len(suites), len(weak)))
else:
    print("sslscan not installed: openssl s_client only")
check(n.stop() == 0, "clean stop")

# the exception: tls_priority widens (or narrows) the policy
wide = tls_nvr("tls-wide", 'tls_priority = NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2')
wide.start()
check(up(wide), "HTTPS answers with tls_priority")
ok, proto, cipher = s_client(wide.port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA" + LOW)
check(ok, "tls_priority lets a CBC suite through: %s %s" % (proto, cipher))
ok, _, _ = s_client(wide.port, "-tls1_1", "-cipher", "DEFAULT" + LOW)
check(not ok, "and still not TLS 1.1")
check(wide.stop() == 0, "clean stop (tls_priority)")

bad = tls_nvr("tls-bad", "tls_priority = NOT-A-PRIORITY:+NOTHING")
r = bad.run_cli("run", "-c", bad.config)
check(r.returncode != 0 and "tls_priority" in r.stderr, "a bad tls_priority stops nvr run: %d %s"
      % (r.returncode, r.stderr[-300:]))
print("took %.1f s" % (time.monotonic() - t0))
finish("tls_policy")
