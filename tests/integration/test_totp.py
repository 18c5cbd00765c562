# SPDX-License-Identifier: Apache-2.0
"""The TOTP second factor of local accounts (issue 17 item 3) against a real
`nvr run`, with every code computed here (RFC 6238 with hmac/hashlib):

- enrolment by the user: begin gives a 20-byte base32 secret and its
  otpauth:// URI; a wrong first code enables nothing; the right one enables
  TOTP and shows 10 recovery codes once;
- sign-in: a correct password gives 202 with a ticket and no cookie; the
  ticket and a code give the session; the previous step (at enrolment) and
  the next step are accepted, a step already used or older is refused
  (replay), two steps ahead is refused; a ticket is single-use;
- wrong codes count in the sign-in rate limiter (429 after five, even with
  the right password) and are logged as login_failed;
- a recovery code signs in once, never twice;
- disable needs the password (a wrong one is refused);
- policy totp_required = admin: an admin without TOTP gets a session that
  reaches only the session and enrolment routes (403 JSON elsewhere) until
  enrolled; a viewer is not asked;
- an admin resets another user's TOTP over the API, and
  `nvr user totp-reset` does it on the command line;
- the access log records the method of each login and every change, and the
  secret never reaches the server log; a bad totp_required names file and line."""
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import struct
import subprocess
import time
import urllib.parse

from harness import NVR, Nvr, check, finish

PW = {"alice": "alice-pass-123", "boss": "boss-pass-1234", "carol": "carol-pass-123"}


def hotp(key, counter):
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


def step_now():
    return int(time.time()) // 30


def roomy_step(need=12):
    """The current step, once at least `need` seconds of it are left (no step
    boundary in the middle of a check)."""
    while 30 - time.time() % 30 < need:
        time.sleep(0.5)
    return step_now()


class Client:
    def __init__(self, port, src="127.0.0.1", token=None):
        self.port, self.src, self.token = port, src, token
        self.cookie = self.csrf = None

    def req(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60, source_address=(self.src, 0))
        h = {"Origin": "http://127.0.0.1:%d" % self.port}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if self.cookie:
            h["Cookie"] = "nvr_session=" + self.cookie
            if self.csrf:
                h["X-CSRF-Token"] = self.csrf
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            payload = r.read()
            try:
                doc = json.loads(payload)
            except ValueError:
                doc = None
            return r.status, r, doc
        finally:
            conn.close()

    def take_session(self, r, doc):
        m = re.search(r"nvr_session=([^;]*)", r.getheader("Set-Cookie") or "")
        self.cookie = m.group(1) if m else None
        self.csrf = doc.get("csrf_token") if doc else None

    def password(self, user):
        """POST /session: (status, doc); a 200 keeps the session."""
        st, r, doc = self.req("POST", "/api/v1/session", {"user": user, "password": PW[user]})
        if st == 200:
            self.take_session(r, doc)
        else:
            check(not r.getheader("Set-Cookie"), "%s: no cookie before the second factor" % user)
        return st, doc, r

    def second(self, ticket, code=None, recovery=None):
        body = {"ticket": ticket}
        if code is not None:
            body["code"] = code
        if recovery is not None:
            body["recovery_code"] = recovery
        st, r, doc = self.req("POST", "/api/v1/session/totp", body)
        if st == 200:
            self.take_session(r, doc)
        return st, doc, r


def enrol(c, user, step_offset=0):
    """Enrols c's user; returns (secret bytes, recovery codes, confirmed step)."""
    st, _, doc = c.req("POST", "/api/v1/account/totp")
    check(st == 200 and doc and len(doc.get("secret", "")) == 32, "%s begins enrolment: %d %s" % (user, st, doc))
    secret = doc["secret"]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    check(len(key) == 20, "the secret is 20 bytes")
    uri = urllib.parse.urlparse(doc["uri"])
    q = urllib.parse.parse_qs(uri.query)
    check(uri.scheme == "otpauth" and uri.netloc == "totp" and uri.path == "/NVR:" + user
          and q.get("secret") == [secret] and q.get("issuer") == ["NVR"] and q.get("digits") == ["6"]
          and q.get("period") == ["30"], "otpauth URI: %s" % doc["uri"])
    s = roomy_step() + step_offset
    st, _, doc = c.req("POST", "/api/v1/account/totp/confirm", {"code": hotp(key, s)})
    codes = doc.get("recovery_codes", []) if doc else []
    check(st == 200 and doc.get("enabled") is True, "%s confirms with a first code: %d %s" % (user, st, doc))
    check(len(codes) == 10 and len(set(codes)) == 10 and all(re.fullmatch(r"[a-z2-7]{5}-[a-z2-7]{5}", x)
                                                             for x in codes), "10 recovery codes: %s" % codes)
    return key, codes, s


def log_entries(admin, action, user=None):
    q = "action=" + action + ("&user=" + user if user else "")
    st, _, doc = admin.req("GET", "/api/v1/access-log?" + q)
    return doc["entries"] if st == 200 else []


# a bad policy value names the file and line
bad = Nvr("totp-bad", [], server_extra="totp_required = sometimes")
r = subprocess.run([NVR, "check", "-c", bad.config], capture_output=True, text=True)
check(r.returncode == 1 and re.search(re.escape(bad.config) + r":\d+: .*none, admin or all", r.stderr),
      "nvr check names a bad totp_required: %s" % r.stderr)

nvr = Nvr("totp", [], server_extra="totp_required = admin")
nvr.add_user("admin", "admin", Nvr.ADMIN_PASSWORD)
nvr.token = nvr.make_token("admin")
for name, role in (("alice", "viewer"), ("boss", "admin"), ("carol", "viewer")):
    nvr.add_user(name, role, PW[name])
nvr.start()
port = nvr.port
admin = Client(port, token=nvr.token)
for _ in range(100):
    try:
        if admin.req("GET", "/api/v1/health")[0] == 200:
            break
    except OSError:
        pass
    time.sleep(0.1)

# --- enrolment ---
alice = Client(port)
st, doc, _ = alice.password("alice")
check(st == 200 and doc["totp"] == {"enabled": False, "required": False}, "alice signs in with a password: %s" % doc)
st, _, doc = alice.req("GET", "/api/v1/cameras")
check(st == 200, "a viewer is not asked to enrol under totp_required = admin: %d" % st)
st, _, doc = alice.req("POST", "/api/v1/account/totp")
key0 = base64.b32decode(doc["secret"])
wrong_first = "%06d" % ((int(hotp(key0, step_now())) + 1) % 1000000)
st, _, doc = alice.req("POST", "/api/v1/account/totp/confirm", {"code": wrong_first})
check(st == 400 and "error" in doc, "a wrong first code enables nothing: %d %s" % (st, doc))
st, _, doc = alice.req("GET", "/api/v1/account/totp")
check(st == 200 and doc["enabled"] is False, "still not enabled: %s" % doc)
# the previous step is accepted (clock skew): enrol with it
key, codes, s = enrol(alice, "alice", step_offset=-1)
st, _, doc = alice.req("GET", "/api/v1/account/totp")
check(doc == {"enabled": True, "required": False, "recovery_codes_left": 10}, "enabled: %s" % doc)
st, _, doc = alice.req("POST", "/api/v1/account/totp")
check(st == 409, "begin again while enabled: %d" % st)

# --- sign-in: password, then ticket + code ---
c = Client(port)
st, doc, r = c.password("alice")
check(st == 202 and doc.get("second_factor") == "totp" and len(doc.get("ticket", "")) == 43
      and 0 < doc.get("expires_in", 0) <= 300, "a correct password asks for the second factor: %d %s" % (st, doc))
ticket = doc["ticket"]
st, doc, _ = c.second(ticket, code=hotp(key, s + 2))  # the next step of now (now = s + 1)
check(st == 200 and c.cookie and doc["totp"]["enabled"] is True, "the next step signs in: %d %s" % (st, doc))
st, _, _ = c.req("GET", "/api/v1/cameras")
check(st == 200, "the session works: %d" % st)
st, _, _ = c.second(ticket, code=hotp(key, s + 2))
check(st == 401, "a ticket is single-use: %d" % st)
st, doc, _ = Client(port).password("alice")
t2 = doc["ticket"]
d = Client(port)
st, doc, _ = d.second(t2, code=hotp(key, s + 2))
check(st == 401 and not d.cookie, "the same code again is refused (replay): %d %s" % (st, doc))
st, doc, _ = d.second(t2, code=hotp(key, s + 1))
check(st == 401, "an older step than the last used is refused: %d" % st)
st, doc, _ = d.second(t2, code=hotp(key, s + 3))
check(st == 401, "two steps ahead is refused: %d" % st)
check(d.second(t2, recovery="not-a-code")[0] == 401, "a malformed recovery code is refused")

# --- recovery codes: single use ---
st, doc, _ = Client(port).password("alice")
e = Client(port)
st, doc, _ = e.second(doc["ticket"], recovery=codes[0].upper())
check(st == 200 and e.cookie, "a recovery code signs in (case ignored): %d %s" % (st, doc))
st, doc, _ = Client(port).password("alice")
st, _, _ = Client(port).second(doc["ticket"], recovery=codes[0])
check(st == 401, "a recovery code works once: %d" % st)
st, _, doc = e.req("GET", "/api/v1/account/totp")
check(doc["recovery_codes_left"] == 9, "9 recovery codes left: %s" % doc)

# --- wrong codes are rate-limited (from an address of their own) ---
far = Client(port, "127.0.0.7")
st, doc, _ = far.password("alice")
t3 = doc["ticket"]
t4 = far.password("alice")[1]["ticket"]  # a second ticket, got before the failures
wrong = "%06d" % ((int(hotp(key, step_now())) + 500000) % 1000000)
codes_seen = [far.second(t3, code=wrong)[0] for _ in range(5)]
check(codes_seen == [401] * 5, "five wrong codes: %s" % codes_seen)
st, r, _ = far.req("POST", "/api/v1/session", {"user": "alice", "password": PW["alice"]})
check(st == 429 and int(r.getheader("Retry-After") or 0) > 0,
      "after five wrong codes the right password waits: %d" % st)
st, doc, r = far.second(t4, code=hotp(key, step_now() + 1))
check(st == 429 and int(r.getheader("Retry-After") or 0) > 1,
      "a ticket from before waits too: %d Retry-After=%s" % (st, r.getheader("Retry-After")))
st, doc, _ = Client(port).password("alice")
check(st == 202, "another address is not slowed: %d" % st)
failed = [x for x in log_entries(admin, "login_failed", "alice") if "second factor" in x["detail"]]
check(len(failed) >= 1 and any(x["address"] == "127.0.0.7" for x in failed),
      "wrong codes are logged as login_failed: %s" % failed[:2])

# --- disable needs the password ---
st, _, doc = e.req("POST", "/api/v1/account/totp/disable", {"password": "wrong-password"})
check(st == 403 and "error" in doc, "a wrong password does not disable: %d" % st)
st, _, doc = e.req("POST", "/api/v1/account/totp/disable", {"password": PW["alice"]})
check(st == 200 and doc == {"enabled": False}, "the password disables: %d %s" % (st, doc))
st, doc, _ = Client(port).password("alice")
check(st == 200, "after disable the password alone signs in: %d" % st)

# --- policy: an admin must enrol first ---
boss = Client(port)
st, doc, _ = boss.password("boss")
check(st == 200 and doc["totp"] == {"enabled": False, "required": True}, "boss gets a session: %s" % doc)
for path in ("/api/v1/cameras", "/api/v1/users", "/api/v1/access-log"):
    st, _, doc = boss.req("GET", path)
    check(st == 403 and "second factor enrolment required" in (doc or {}).get("error", ""),
          "boss without TOTP: %s answers %d %s" % (path, st, doc))
st, _, doc = boss.req("GET", "/api/v1/session")
check(st == 200, "the session route stays open: %d" % st)
bkey, bcodes, bs = enrol(boss, "boss")
st, _, doc = boss.req("GET", "/api/v1/users")
check(st == 200, "enrolled, the same session reaches admin routes: %d" % st)
users = {u["name"]: u for u in doc["users"]}
check(users["boss"].get("totp") is True and users["alice"].get("totp") is False, "users list TOTP: %s" % users)

# --- admin reset, then the policy applies again ---
st, _, doc = admin.req("DELETE", "/api/v1/users/boss/totp")
check(st == 200 and doc == {"user": "boss", "totp": False}, "the admin resets boss: %d %s" % (st, doc))
st, _, doc = admin.req("DELETE", "/api/v1/users/boss/totp")
check(st == 404, "nothing left to reset: %d" % st)
boss2 = Client(port)
st, doc, _ = boss2.password("boss")
check(st == 200 and boss2.req("GET", "/api/v1/cameras")[0] == 403, "after the reset boss signs in and must enrol")

# --- nvr user totp-reset (break glass) ---
carol = Client(port)
carol.password("carol")
ckey, ccodes, cs = enrol(carol, "carol")
check(Client(port).password("carol")[0] == 202, "carol needs her code")
r = nvr.run_cli("user", "totp-reset", "-c", nvr.config, "carol")
check(r.returncode == 0, "nvr user totp-reset: %s %s" % (r.stdout, r.stderr))
check(Client(port).password("carol")[0] == 200, "after the CLI reset the password alone signs in")
r = nvr.run_cli("user", "totp-reset", "-c", nvr.config, "carol")
check(r.returncode == 1, "a second reset finds nothing: %d" % r.returncode)
r = nvr.run_cli("user", "totp-reset", "-c", nvr.config, "nobody-such")
check(r.returncode == 1 and "no such user" in r.stderr, "an unknown user: %s" % r.stderr)

# --- the access log ---
logins = [x["detail"] for x in log_entries(admin, "login", "alice")]
check(any("method=password+totp" in d for d in logins) and any("method=recovery_code" in d for d in logins),
      "logins say their method: %s" % logins)
check(len(log_entries(admin, "totp_enabled")) == 3, "three enrolments logged")
dis = log_entries(admin, "totp_disabled", "alice")
check(len(dis) == 1 and "method=password" in dis[0]["detail"], "disable logged: %s" % dis)
resets = log_entries(admin, "totp_reset")
check(any(x["user"] == "admin" and x["detail"] == "user=boss" for x in resets)
      and any(x["address"] == "cli" and x["detail"] == "user=carol" for x in resets), "resets logged: %s" % resets)
rc = nvr.stop()
check(rc == 0, "nvr exited %r" % rc)
log = nvr.log_text()
for k in (key, bkey, ckey):
    check(base64.b32encode(k).decode().rstrip("=") not in log, "a TOTP secret in the server log")
check(not any(x in log for x in codes + bcodes), "a recovery code in the server log")
r = nvr.run_cli("verify", "-c", nvr.config, "--log")
check(r.returncode == 0, "the access log's chain verifies: %s" % r.stdout[-300:])
print("enrolment, code sign-in with skew, replay refused, rate limit, recovery codes, policy, resets: checked")
finish("totp")
