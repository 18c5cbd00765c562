# SPDX-License-Identifier: Apache-2.0
"""The front door (issue 13 row 9):

- the plain-HTTP guard resolves `listen`: a host name that starts with
  "127." but resolves elsewhere (here 0.0.0.0, through an /etc/hosts of a
  private mount namespace) is refused, as is a name with one loopback and
  one other address; `localhost` still runs (today: "127.evil.test" served
  plain HTTP on every interface);
- with `server_name` set, a Host that is not among the names (DNS
  rebinding) is answered 421 on sign-in, first setup and cookie sessions,
  while an IP-literal Host, a listed name and bearer tokens pass;
- control characters in a failed sign-in name are escaped before they reach
  the access log."""
import http.client
import json
import os
import re
import subprocess
import time

from harness import NVR, Nvr, check, finish, free_port


def in_hosts(hosts_text, config, wait):
    """Runs `nvr run -c config` with hosts_text as /etc/hosts (a private mount
    namespace); returns (exit status or None if still running after wait, stderr, proc)."""
    path = config + ".hosts"
    with open(path, "w") as f:
        f.write(hosts_text)
    unshare = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-rm"]
    p = subprocess.Popen(unshare + ["sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$1" run -c "$2"',
                                    path, NVR, config], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        p.wait(wait)
    except subprocess.TimeoutExpired:
        return None, "", p
    return p.returncode, p.stderr.read(), p


def plain_config(name, host):
    n = Nvr(name, [], admin=False)
    port = free_port()
    with open(n.config) as f:
        text = f.read().replace("127.0.0.1:%d" % n.port, "%s:%d" % (host, port))
    with open(n.config, "w") as f:
        f.write(text)
    return n, port


def get(port, path, headers=None, method="GET", body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        h = dict(headers or {})
        if body is not None:
            body = json.dumps(body)
            h["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        return r.status, r, r.read()
    except (OSError, http.client.HTTPException):
        return 0, None, b""
    finally:
        conn.close()


t0 = time.monotonic()
# --- listen is resolved, not read ---
probe = subprocess.run((["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-rm"]) + ["true"],
                       capture_output=True)
if probe.returncode != 0:
    check(False, "needs a private mount namespace (unshare -m): %s" % probe.stderr)
else:
    n, port = plain_config("listen-evil", "127.evil.test")
    rc, err, p = in_hosts("0.0.0.0 127.evil.test\n127.0.0.1 localhost\n::1 localhost\n", n.config, 8)
    served = False
    if rc is None:  # it runs: plain HTTP on every interface
        st, _, _ = get(port, "/api/v1/health")
        served = st == 200
        p.kill()
        p.wait()
    check(rc == 1 and "refusing to serve plain HTTP" in err,
          "a name starting with 127. that resolves to 0.0.0.0 is refused: rc=%s served=%s %s" % (rc, served, err[-200:]))
    print("listen = 127.evil.test (-> 0.0.0.0) without TLS: %s (before: served plain HTTP on every interface)"
          % ("refused" if rc == 1 else "served" if served else "rc=%s" % rc))

    n, port = plain_config("listen-mixed", "both.test")
    rc, err, p = in_hosts("127.0.0.1 both.test\n192.0.2.1 both.test\n127.0.0.1 localhost\n", n.config, 8)
    if rc is None:
        p.kill()
        p.wait()
    check(rc == 1 and "refusing to serve plain HTTP" in err, "a name with a loopback and another address is refused: %s"
          % rc)

    n, port = plain_config("listen-localhost", "localhost")
    rc, err, p = in_hosts("127.0.0.1 localhost\n", n.config, 3)
    ok = False
    if rc is None:
        for _ in range(50):
            if get(port, "/api/v1/health")[0] == 200:
                ok = True
                break
            time.sleep(0.2)
        p.terminate()
        p.wait(20)
    check(ok, "listen = localhost still runs plain HTTP: rc=%s %s" % (rc, err[-200:]))

# --- server_name: Host checked on sign-in, setup and cookie sessions ---
nvr = Nvr("host", [], server_extra="server_name = nvr.test, recorder.example.org")
nvr.start()
port = nvr.port
for _ in range(50):
    if get(port, "/api/v1/health")[0] == 200:
        break
    time.sleep(0.2)
own = "127.0.0.1:%d" % port
evil = "evil.example:%d" % port
cred = {"user": "admin", "password": Nvr.ADMIN_PASSWORD}

st, _, body = get(port, "/api/v1/session", {"Host": evil, "Origin": "http://" + evil}, "POST", cred)
check(st == 421 and json.loads(body or b"{}").get("error"), "sign-in through a rebinding Host: %d" % st)
print("sign-in with Host: evil.example (DNS rebinding): %d (before: 200)" % st)
st, _, _ = get(port, "/api/v1/setup", {"Host": evil, "Origin": "http://" + evil}, "POST",
               {"setup_token": "x", "name": "e", "password": "12345678"})
check(st == 421, "first setup through a rebinding Host: %d" % st)

st, r, body = get(port, "/api/v1/session", {"Host": own, "Origin": "http://" + own}, "POST", cred)
check(st == 200, "sign-in with an IP-literal Host: %d" % st)
m = re.search(r"nvr_session=([^;]*)", (r.getheader("Set-Cookie") or "") if r else "")
cookie = {"Cookie": "nvr_session=" + (m.group(1) if m else "")}
st, _, _ = get(port, "/api/v1/cameras", dict(cookie, Host=own))
check(st == 200, "a cookie session with an IP-literal Host: %d" % st)
st, _, _ = get(port, "/api/v1/cameras", dict(cookie, Host="NVR.test:%d" % port))
check(st == 200, "a cookie session with a listed name (any case): %d" % st)
st, _, _ = get(port, "/api/v1/cameras", dict(cookie, Host=evil))
check(st == 421, "a cookie session with a foreign Host: %d" % st)
st, _, _ = get(port, "/api/v1/cameras", {"Host": evil, "Authorization": "Bearer " + nvr.token})
check(st == 200, "a bearer token is not Host-checked: %d" % st)
st, _, _ = get(port, "/api/v1/health", {"Host": evil})
check(st == 200, "a public route without credentials is not Host-checked: %d" % st)

# --- control characters in a failed sign-in name ---
hostile = "ghost\n2026-01-01 admin login ok\x1b[2J\x07\u202e"
st, _, _ = get(port, "/api/v1/session", {"Host": own, "Origin": "http://" + own}, "POST",
               {"user": hostile, "password": "whatever-password"})
check(st == 401, "a hostile name is a failed sign-in: %d" % st)
st, _, body = get(port, "/api/v1/access-log?action=login_failed", {"Authorization": "Bearer " + nvr.token})
users = [e["user"] for e in json.loads(body or b"{}").get("entries", [])]
raw = [u for u in users if any(ord(c) < 0x20 or ord(c) == 0x7f or c == "\u202e" for c in u)]
ghost = [u for u in users if u.startswith("ghost")]
check(not raw, "no control characters stored in access-log names: %r" % raw)
check(ghost and "\\x0a" in ghost[0] and "\\x1b" in ghost[0] and "\\u202e" in ghost[0],
      "the name is stored escaped: %r" % ghost)
print("access-log names holding control characters: %d (before: 1); stored as %r" % (len(raw), ghost[:1]))
check(nvr.stop() == 0, "clean stop")
print("took %.1f s" % (time.monotonic() - t0))
finish("front_door")
