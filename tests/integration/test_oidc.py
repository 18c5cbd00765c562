# SPDX-License-Identifier: Apache-2.0
"""OpenID Connect sign-in (issue 17 item 3) against real providers on loopback.

1. oidc-provider (npm, pinned; oidc_server.mjs): the full authorization code flow with
   PKCE through HTTP -- Python follows the redirects and posts the provider's own login and
   consent forms -- signs in with the role and grants mapped from the `groups` claim; the
   state cannot be replayed; a group change is a role change at the next sign-in; a local
   account's name is never taken over; a user whose groups map to no role is refused;
   only paths of this server are gone back to (no open redirect); with the provider down
   the start says so (oidc_provider) and the local password sign-in still works.
2. A minting provider written here (Python, `cryptography`): discovery, JWKS and a token
   endpoint that checks the client's secret and the PKCE verifier, then answers with an
   ID token made as the test asks -- good (RS256 and ES256), tampered, wrong audience,
   wrong issuer, wrong nonce, expired, alg none, HS256 keyed with the public key, unknown
   key.  Real signatures: the server checks them with OpenSSL.  Also: failed callbacks go
   through the sign-in limiter (the 6th from one address is blocked, another address is
   not); the pending table keeps 1000 sign-ins (the oldest goes); client_secret_post and
   public_url; a discovery document naming another issuer is not believed.
"""
import base64
import hashlib
import hmac
import json
import os
import sqlite3
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
import requests.adapters
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from harness import NVR, Nvr, check, finish, free_port, http_up, wait_until
from oidc_provider import SECRET, NodeProvider, forms


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def provider_signin(nvr, user, ret="/playback.html"):
    """The browser's walk: nvr start -> provider login and consent -> nvr callback.
    Returns (session, callback URL, the callback's answer)."""
    s = requests.Session()
    r = s.get(nvr.base_url + "/api/v1/oidc/start", params={"return": ret}, allow_redirects=False, timeout=20)
    if not check(r.status_code == 302, "start answers 302: %d %s" % (r.status_code, r.text[:200])):
        return s, None, r
    sc = r.headers.get("Set-Cookie", "")
    check(sc.startswith("nvr_oidc=") and "HttpOnly" in sc and "SameSite=Lax" in sc
          and "Path=/api/v1/oidc/callback" in sc, "start gives the browser its key cookie: %s" % sc)
    url = r.headers["Location"]
    q = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    check(q.get("code_challenge_method") == ["S256"] and len(q.get("code_challenge", [""])[0]) == 43,
          "the authorization request carries a PKCE S256 challenge: %s" % url)
    check(len(q.get("state", [""])[0]) == 43 and len(q.get("nonce", [""])[0]) == 43,
          "and a 256-bit state and nonce")
    for _ in range(20):
        if url.startswith(nvr.base_url):
            break
        r = s.get(url, allow_redirects=False, timeout=20)
        if r.status_code in (302, 303):
            url = urllib.parse.urljoin(url, r.headers["Location"])
            continue
        fs = forms(r.text)
        if not check(r.status_code == 200 and fs, "the provider shows a form: %d %s" % (r.status_code, r.text[:300])):
            return s, None, r
        action, fields = fs[0]
        if "login" in fields:
            fields.update(login=user, password="any-password")
        r = s.post(urllib.parse.urljoin(url, action), data=fields, allow_redirects=False, timeout=20)
        check(r.status_code in (302, 303), "the provider takes the form: %d %s" % (r.status_code, r.text[:300]))
        url = urllib.parse.urljoin(url, r.headers.get("Location", ""))
    callback = url
    s.oidc_key = s.cookies.get("nvr_oidc")  # the browser key, for the replay below
    r = s.get(callback, allow_redirects=False, timeout=30)
    return s, callback, r


def session_user(s, nvr):
    r = s.get(nvr.base_url + "/api/v1/session", timeout=10)
    return r.json().get("user") if r.status_code == 200 else None


def users(nvr):
    r = requests.get(nvr.base_url + "/api/v1/users", headers={"Authorization": "Bearer " + nvr.token}, timeout=10)
    return {u["name"]: u for u in r.json()["users"]}


def access_rows(nvr, action):
    con = sqlite3.connect("file:%s?mode=ro" % nvr.path("index.db"), uri=True)
    try:
        return [r for r in con.execute("SELECT user, action, detail FROM access_log WHERE action = ?", (action,))]
    finally:
        con.close()


def write_oidc(nvr, issuer, extra=""):
    with open(nvr.config) as f:
        text = f.read().split("\n[oidc]")[0]
    text += ("\n[oidc]\nissuer = %s\nclient_id = nvr\nclient_secret_file = %s\nlabel = Sign in with District SSO\n"
             "admin_groups = nvr-admins\ninvestigator_groups = nvr-investigators, safety-team\n"
             "viewer_groups = staff-north, staff-south\ngrant.staff-north = group:north, lobby\n"
             "grant.staff-south = group:south\n%s" % (issuer, secret_file, extra))
    with open(nvr.config, "w") as f:
        f.write(text)


# ---------------------------------------------------------------- the NVR

nvr = Nvr("oidc", [])
secret_file = os.path.join(nvr.dir, "oidc-secret")
with open(secret_file, "w") as f:
    f.write(SECRET + "\n")
callback_uri = nvr.base_url + "/api/v1/oidc/callback"
prov = NodeProvider(nvr.dir, callback_uri)
prov.set_accounts({
    "alice": {"groups": ["nvr-admins"]},
    "bob": {"groups": ["staff-north", "unrelated"]},
    "carol": {"groups": ["students"]},
    "admin": {"groups": ["nvr-admins"]},          # same name as the local break-glass admin
})
prov.start()
write_oidc(nvr, prov.issuer)
r = nvr.run_cli("check", "-c", nvr.config)
check(r.returncode == 0, "the [oidc] config passes nvr check: %s" % r.stderr)
nvr.start()
check(wait_until(lambda: http_up(nvr.base_url), 15), "nvr up")
check(SECRET not in nvr.log_text(), "the client secret is never logged")

# --- the login page learns the method ---
m = requests.get(nvr.base_url + "/api/v1/auth/methods", timeout=10).json()
check(m.get("password") is True and m.get("oidc", {}).get("label") == "Sign in with District SSO",
      "auth/methods offers the OIDC button with its label: %r" % m)

# --- full flow: admin by group ---
s, cb, r = provider_signin(nvr, "alice")
check(r.status_code == 302 and r.headers.get("Location") == "/playback.html",
      "the callback sends alice back to the page she came from: %d %r" % (r.status_code, r.headers.get("Location")))
check("nvr_session=" in r.headers.get("Set-Cookie", "") and "HttpOnly" in r.headers.get("Set-Cookie", "")
      and "SameSite=Strict" in r.headers.get("Set-Cookie", ""), "with a session cookie as for a password sign-in")
u = session_user(s, nvr)
check(u and u["name"] == "alice" and u["role"] == "admin", "alice is signed in as admin: %r" % u)
check(s.get(nvr.base_url + "/api/v1/users", timeout=10).status_code == 200, "and may do admin things")
ul = users(nvr)
check(ul.get("alice", {}).get("source") == "oidc" and ul.get("admin", {}).get("source") == "local",
      "GET /api/v1/users shows each account's source: %r" % {k: v.get("source") for k, v in ul.items()})
csrf = s.get(nvr.base_url + "/api/v1/session", timeout=10).json()["csrf_token"]
r2 = s.post(nvr.base_url + "/api/v1/holds", json={}, timeout=10,
            headers={"X-CSRF-Token": csrf, "Origin": nvr.base_url})
check(r2.status_code == 400, "the OIDC session's CSRF token works like a password session's: %d" % r2.status_code)

# --- state replay (from the same browser: its key cookie sent again) ---
r = requests.get(cb, allow_redirects=False, timeout=20, headers={"Cookie": "nvr_oidc=%s" % s.oidc_key})
check(r.status_code == 302 and r.headers.get("Location", "").startswith("/login.html?error=oidc_state")
      and "nvr_session=" not in r.headers.get("Set-Cookie", ""), "the same callback again is refused (state used): %d %r" %
      (r.status_code, r.headers.get("Location")))

# --- a viewer with grants from groups; then a group change ---
s, cb, r = provider_signin(nvr, "bob", ret="/")
u = session_user(s, nvr)
check(u and u["role"] == "viewer" and sorted(u["cameras"]) == ["group:north", "lobby"],
      "bob (staff-north) is a viewer granted group:north and lobby: %r" % u)
check(s.get(nvr.base_url + "/api/v1/users", timeout=10).status_code == 403, "a viewer may not list users")
prov.set_accounts({"alice": {"groups": ["nvr-admins"]}, "bob": {"groups": ["safety-team", "staff-south"]},
                   "carol": {"groups": ["students"]}, "admin": {"groups": ["nvr-admins"]}})
s, cb, r = provider_signin(nvr, "bob", ret="/")
u = session_user(s, nvr)
check(u and u["role"] == "investigator" and u["cameras"] == ["group:south"],
      "after a group change bob is an investigator granted group:south at his next sign-in: %r" % u)

# --- no role ---
s, cb, r = provider_signin(nvr, "carol")
check(r.status_code == 302 and r.headers.get("Location", "").startswith("/login.html?error=oidc_no_role"),
      "carol, whose groups map to no role, is refused: %r" % r.headers.get("Location"))
check("carol" not in users(nvr), "and no account is made for her")

# --- the local admin is never taken over ---
s, cb, r = provider_signin(nvr, "admin")
check(r.status_code == 302 and r.headers.get("Location", "").startswith("/login.html?error=oidc_account")
      and "nvr_session=" not in r.headers.get("Set-Cookie", ""), "a directory sign-in as 'admin' (a local account) is refused: %r" %
      r.headers.get("Location"))
check(session_user(s, nvr) is None, "and gives no session")
check(users(nvr)["admin"]["source"] == "local", "the local admin stays local")
failed = [d for (u_, a, d) in access_rows(nvr, "login_failed") if u_ == "admin"]
check(any("not taken over" in d for d in failed), "the refusal is access-logged as login_failed: %r" % failed)
logins = [(u_, d) for (u_, a, d) in access_rows(nvr, "login")]
check(("alice", "admin source=oidc") in logins, "the OIDC sign-in is access-logged as login: %r" % logins)

# --- an admin cannot set a password on a directory account ---
r = requests.put(nvr.base_url + "/api/v1/users/alice", json={"password": "new-password-1"},
                 headers={"Authorization": "Bearer " + nvr.token}, timeout=10)
check(r.status_code == 400 and "error" in r.json(), "no password on an oidc account: %d %s" % (r.status_code, r.text))
r = subprocess.run([NVR, "user", "passwd", "-c", nvr.config, "alice"], input="new-password-1\n",
                   capture_output=True, text=True, timeout=60)
check(r.returncode == 1 and "through the directory (oidc)" in r.stderr, "nor with nvr user passwd: %d %s" % (r.returncode, r.stderr))
r = requests.post(nvr.base_url + "/api/v1/session", json={"user": "alice", "password": "any-password"}, timeout=30)
check(r.status_code == 401, "and no password signs a directory account in locally: %d" % r.status_code)

# --- no open redirect ---
for bad in ["https://evil.example/", "//evil.example/x", "/\\evil.example", "http:/x", "/a b"]:
    r = requests.get(nvr.base_url + "/api/v1/oidc/start", params={"return": bad}, allow_redirects=False, timeout=10)
    check(r.status_code == 400 and "error" in r.json(), "return=%r is refused: %d" % (bad, r.status_code))
r = requests.get(nvr.base_url + "/api/v1/oidc/callback", params={"state": "x" * 43, "code": "y"},
                 allow_redirects=False, timeout=10)
check(r.status_code == 302 and r.headers["Location"].startswith("/login.html?error=oidc_state&next=/"),
      "an unknown state goes to the login page, never elsewhere: %r" % r.headers.get("Location"))

# --- provider down: a clear error, local sign-in still works ---
prov.stop()
check(nvr.stop() == 0, "nvr exits cleanly (with the sanitizers: no leak)")
nvr.start()
check(wait_until(lambda: http_up(nvr.base_url), 15), "nvr up again without its provider")
t0 = time.time()
r = requests.get(nvr.base_url + "/api/v1/oidc/start", params={"return": "/status.html"}, allow_redirects=False,
                 timeout=30)
loc = r.headers.get("Location", "")
check(r.status_code == 302 and loc.startswith("/login.html?error=oidc_provider&next=/status.html"),
      "with the provider down the start says oidc_provider: %d %r" % (r.status_code, r.headers.get("Location")))
check(time.time() - t0 < 12, "within the timeouts: %.1f s" % (time.time() - t0))
r = requests.post(nvr.base_url + "/api/v1/session", json={"user": "admin", "password": Nvr.ADMIN_PASSWORD},
                  timeout=30)
check(r.status_code == 200, "the local admin still signs in with a password: %d" % r.status_code)
check(nvr.stop() == 0, "nvr exits cleanly without its provider")

# ---------------------------------------------------------------- the minting provider

rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ec_key = ec.generate_private_key(ec.SECP256R1())
rsa_pub = rsa_key.public_key().public_numbers()
ec_pub = ec_key.public_key().public_numbers()
JWKS = {"keys": [
    {"kty": "RSA", "kid": "r1", "use": "sig", "alg": "RS256",
     "n": b64u(rsa_pub.n.to_bytes(256, "big")), "e": b64u(rsa_pub.e.to_bytes(3, "big"))},
    {"kty": "EC", "kid": "e1", "use": "sig", "crv": "P-256",
     "x": b64u(ec_pub.x.to_bytes(32, "big")), "y": b64u(ec_pub.y.to_bytes(32, "big"))},
]}
RSA_PEM = rsa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
mint_port = free_port()
MINT = "http://127.0.0.1:%d" % mint_port
codes = {}        # code -> (mode, nonce, challenge)
mint_opts = {}    # "post": expect client_secret_post; "issuer": what discovery names
token_calls = []  # what the token endpoint was sent
jwks_calls = []


def jws(header, claims, key="rsa"):
    h = b64u(json.dumps(header).encode())
    p = b64u(json.dumps(claims).encode())
    signing = ("%s.%s" % (h, p)).encode()
    if key == "rsa":
        sig = rsa_key.sign(signing, padding.PKCS1v15(), hashes.SHA256())
    elif key == "ec":
        r_, s_ = decode_dss_signature(ec_key.sign(signing, ec.ECDSA(hashes.SHA256())))
        sig = r_.to_bytes(32, "big") + s_.to_bytes(32, "big")
    elif key == "hs-pub":
        sig = hmac.new(RSA_PEM, signing, hashlib.sha256).digest()
    else:
        sig = b""
    return "%s.%s.%s" % (h, p, b64u(sig))


def mint(mode, nonce):
    now = int(time.time())
    c = {"iss": MINT, "aud": "nvr", "sub": "id-dave", "preferred_username": "dave", "groups": ["nvr-admins"],
         "iat": now, "exp": now + 300, "nonce": nonce}
    h = {"alg": "RS256", "kid": "r1", "typ": "JWT"}
    if mode == "wrong_aud":
        c["aud"] = "another-client"
    if mode == "aud_list_no_azp":
        c["aud"] = ["nvr", "another-client"]
    if mode == "wrong_iss":
        c["iss"] = "http://127.0.0.1:1"
    if mode == "wrong_nonce":
        c["nonce"] = b64u(os.urandom(32))
    if mode == "expired":
        c["iat"], c["exp"] = now - 900, now - 300
    if mode == "future":
        c["iat"] = now + 900
    if mode == "none":
        return jws({"alg": "none"}, c, key=None)
    if mode == "hs256":
        return jws({"alg": "HS256", "kid": "r1"}, c, key="hs-pub")
    if mode == "es256":
        return jws({"alg": "ES256", "kid": "e1"}, c, key="ec")
    if mode == "unknown_kid":
        h["kid"] = "r9"
    t = jws(h, c)
    if mode == "tampered":
        hh, pp, ss = t.split(".")
        c["groups"] = ["nvr-admins", "more"]
        t = "%s.%s.%s" % (hh, b64u(json.dumps(c).encode()), ss)
    if mode == "bad_sig":
        hh, pp, ss = t.split(".")
        raw = bytearray(base64.urlsafe_b64decode(ss + "=="))
        raw[10] ^= 1
        t = "%s.%s.%s" % (hh, pp, b64u(bytes(raw)))
    return t


class Mint(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send_json(self, code, doc):
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/.well-known/openid-configuration":
            self.send_json(200, {"issuer": mint_opts.get("issuer", MINT), "authorization_endpoint": MINT + "/authorize",
                                 "token_endpoint": MINT + "/token", "jwks_uri": MINT + "/jwks"})
        elif self.path == "/jwks":
            jwks_calls.append(time.time())
            self.send_json(200, JWKS)
        else:
            self.send_json(404, {"error": "not_found"})

    def do_POST(self):
        body = urllib.parse.parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
        auth = self.headers.get("Authorization", "")
        token_calls.append((auth, body))
        good_auth = auth == "Basic " + base64.b64encode(("nvr:" + SECRET).encode()).decode()
        if mint_opts.get("post"):  # client_secret_post: the secret in the body, no Authorization
            good_auth = not auth and body.get("client_id") == ["nvr"] and body.get("client_secret") == [SECRET]
        code = body.get("code", [""])[0]
        if not good_auth or code not in codes:
            return self.send_json(401, {"error": "invalid_client"})
        mode, nonce, challenge = codes.pop(code)
        verifier = body.get("code_verifier", [""])[0]
        if b64u(hashlib.sha256(verifier.encode()).digest()) != challenge:
            return self.send_json(400, {"error": "invalid_grant", "error_description": "PKCE"})
        self.send_json(200, {"access_token": "at", "token_type": "Bearer", "id_token": mint(mode, nonce)})


srv = ThreadingHTTPServer(("127.0.0.1", mint_port), Mint)
threading.Thread(target=srv.serve_forever, daemon=True).start()
write_oidc(nvr, MINT)
nvr.start()
check(wait_until(lambda: http_up(nvr.base_url), 15), "nvr up with the minting provider")


class FromAddress(requests.adapters.HTTPAdapter):
    """Requests from another loopback address: each case has its own sign-in counters."""

    def __init__(self, src):
        self.src = src
        super().__init__()

    def init_poolmanager(self, *a, **kw):
        kw["source_address"] = (self.src, 0)
        return super().init_poolmanager(*a, **kw)


def session_from(src):
    s = requests.Session()
    s.mount("http://", FromAddress(src))
    return s


addresses = ("127.0.0.%d" % i for i in range(10, 200))


def mint_signin(mode):
    s = session_from(next(addresses))
    r = s.get(nvr.base_url + "/api/v1/oidc/start", params={"return": "/"}, allow_redirects=False, timeout=20)
    if not check(r.status_code == 302, "start (%s): %d %s" % (mode, r.status_code, r.text[:200])):
        return s, r
    q = urllib.parse.parse_qs(urllib.parse.urlparse(r.headers["Location"]).query)
    check(q["redirect_uri"] == [callback_uri] and q["client_id"] == ["nvr"] and q["response_type"] == ["code"],
          "the authorization request names this server's callback: %r" % q)
    code = b64u(os.urandom(16))
    codes[code] = (mode, q["nonce"][0], q["code_challenge"][0])
    r = s.get(nvr.base_url + "/api/v1/oidc/callback", params={"state": q["state"][0], "code": code},
              allow_redirects=False, timeout=30)
    return s, r


for mode in ["good", "es256"]:
    s, r = mint_signin(mode)
    u = session_user(s, nvr)
    check(r.status_code == 302 and r.headers.get("Location") == "/" and u and u["name"] == "dave"
          and u["role"] == "admin", "a good %s ID token signs dave in: %r %r" % (mode, r.headers.get("Location"), u))
check(token_calls and "code_verifier" in token_calls[-1][1] and "client_secret" not in token_calls[-1][1],
      "the code was exchanged with the PKCE verifier and client_secret_basic")

n_jwks = len(jwks_calls)
for mode in ["tampered", "bad_sig", "wrong_aud", "aud_list_no_azp", "wrong_iss", "wrong_nonce", "expired", "future",
             "none", "hs256", "unknown_kid"]:
    s, r = mint_signin(mode)
    loc = r.headers.get("Location", "")
    check(r.status_code == 302 and loc.startswith("/login.html?error=oidc_token") and "nvr_session=" not in r.headers.get("Set-Cookie", "")
          and session_user(s, nvr) is None, "a %s ID token is refused: %d %r" % (mode, r.status_code, loc))
check(len(jwks_calls) == n_jwks + 1, "an unknown kid fetched the JWKS again once: %d -> %d" %
      (n_jwks, len(jwks_calls)))
s, r = mint_signin("unknown_kid")
check(len(jwks_calls) == n_jwks + 1, "and not again within the refresh interval: %d" % len(jwks_calls))
# login CSRF: a callback with a good state and code, in a browser that did not start it
a = session_from(next(addresses))
r = a.get(nvr.base_url + "/api/v1/oidc/start", params={"return": "/"}, allow_redirects=False, timeout=20)
q = urllib.parse.parse_qs(urllib.parse.urlparse(r.headers["Location"]).query)
codes["csrf"] = ("good", q["nonce"][0], q["code_challenge"][0])
n_tokens = len(token_calls)
victim = session_from(next(addresses))
r = victim.get(nvr.base_url + "/api/v1/oidc/callback", params={"state": q["state"][0], "code": "csrf"},
               allow_redirects=False, timeout=20)
check(r.headers.get("Location", "").startswith("/login.html?error=oidc_state") and session_user(victim, nvr) is None
      and len(token_calls) == n_tokens, "another browser's state and code are refused, the code not even "
      "exchanged (login CSRF): %r" % r.headers.get("Location"))
check("state not started in this browser" in nvr.log_text(), "the log says why")
r = a.get(nvr.base_url + "/api/v1/oidc/callback", params={"state": q["state"][0], "code": "csrf"},
          allow_redirects=False, timeout=20)
check(r.headers.get("Location", "").startswith("/login.html?error=oidc_state"),
      "and that state is used up: %r" % r.headers.get("Location"))

# failures go through the sign-in limiter: 5 from one address, then it waits
s = session_from("127.0.0.250")
for i in range(6):
    r = s.get(nvr.base_url + "/api/v1/oidc/callback", params={"state": b64u(os.urandom(32)), "code": "c"},
              allow_redirects=False, timeout=10)
check(r.headers.get("Location", "").startswith("/login.html?error=oidc_blocked"),
      "the 6th failed callback from one address is blocked: %r" % r.headers.get("Location"))
s, r = mint_signin("good")
check(session_user(s, nvr) is not None, "while another address still signs in")
log = nvr.log_text()
check("oidc sign-in failed code=oidc_token" in log and "wrong audience" in log and "bad signature" in log,
      "each refusal is logged with its reason")
check(SECRET not in log, "never with the secret")

# the pending table is bounded: 1000 sign-ins in progress, a new one replaces the oldest
s = session_from(next(addresses))
r = s.get(nvr.base_url + "/api/v1/oidc/start", allow_redirects=False, timeout=10)
first = urllib.parse.parse_qs(urllib.parse.urlparse(r.headers["Location"]).query)
first_key = s.cookies.get("nvr_oidc")
for i in range(1000):
    s.get(nvr.base_url + "/api/v1/oidc/start", allow_redirects=False, timeout=10)
codes["evicted"] = ("good", first["nonce"][0], first["code_challenge"][0])
r = session_from(next(addresses)).get(nvr.base_url + "/api/v1/oidc/callback", allow_redirects=False, timeout=10,
                                      params={"state": first["state"][0], "code": "evicted"},
                                      headers={"Cookie": "nvr_oidc=" + first_key})
check(r.headers.get("Location", "").startswith("/login.html?error=oidc_state"),
      "after 1000 newer starts the oldest pending sign-in is gone: %r" % r.headers.get("Location"))
s, r = mint_signin("good")
check(session_user(s, nvr) is not None, "and a new one still works")
check(nvr.stop() == 0, "nvr exits cleanly after the bad tokens")

# client_secret_post, and the redirect URI from public_url
mint_opts["post"] = True
write_oidc(nvr, MINT, "token_auth = client_secret_post\npublic_url = %s/\n" % nvr.base_url)
nvr.start()
check(wait_until(lambda: http_up(nvr.base_url), 15), "nvr up with client_secret_post")
s, r = mint_signin("good")
check(session_user(s, nvr) is not None and not token_calls[-1][0]
      and token_calls[-1][1].get("client_secret") == [SECRET],
      "client_secret_post sends the secret in the body: %r" % (token_calls[-1][0],))
check(nvr.stop() == 0, "nvr exits cleanly")

# a discovery document that names another issuer is not believed
mint_opts["issuer"] = "https://elsewhere.example"
nvr.start()
check(wait_until(lambda: http_up(nvr.base_url), 15), "nvr up again")
r = requests.get(nvr.base_url + "/api/v1/oidc/start", allow_redirects=False, timeout=20)
check(r.headers.get("Location", "").startswith("/login.html?error=oidc_provider"),
      "discovery naming another issuer: oidc_provider: %r" % r.headers.get("Location"))
check("names another issuer" in nvr.log_text(), "and the log says why")
check(nvr.stop() == 0, "nvr exits cleanly")
srv.shutdown()
finish("test_oidc")
