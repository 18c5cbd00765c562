# SPDX-License-Identifier: Apache-2.0
"""Accounts and access control against a running `nvr run` (issue 5):

- a table of every route x {nobody, viewer of lobby, viewer of the south
  group, investigator, admin}: each answer is what the table says, and the
  table is checked against `nvr routes` so no route is forgotten;
- sessions: sign in, cookie flags, CSRF token and Origin on state changes,
  sign out, sessions revoked by a password change, rate-limited sign-in;
- hostile input: credentials in the query, wrong content type, oversized
  body and headers, SQL metacharacters and path traversal in parameters;
- the access log records views and changes, `nvr verify --log` passes, and
  detects an edited and a deleted entry;
- first setup by the one-time token; TLS with `nvr cert --self-signed` and
  Secure cookies; plain HTTP refused on a non-loopback address."""
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import time
import urllib.parse

from harness import NVR, Camera, Nvr, check, finish, free_port, wait_until

PW = {"vlobby": "viewer-pass-1", "vsouth": "viewer-pass-2", "inv": "investigator-pass", "invlobby": "inv-lobby-pass"}


class Client:
    """A raw HTTP client (no global opener): explicit headers, cookies, TLS."""

    def __init__(self, port, tls=False):
        self.port, self.tls = port, tls
        self.cookie = None
        self.csrf = None
        self.headers = {}

    def req(self, method, path, body=None, headers=None, raw_body=None):
        if self.tls:
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=20,
                                               context=ssl._create_unverified_context())
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        h = dict(self.headers)
        if self.cookie:
            h["Cookie"] = "nvr_session=" + self.cookie
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if method not in ("GET", "HEAD") and self.cookie:
            h.setdefault("Origin", "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port))
            if self.csrf:
                h.setdefault("X-CSRF-Token", self.csrf)
        h.update(headers or {})
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            payload = r.read()
            return r.status, r, payload
        except (ConnectionError, http.client.HTTPException) as e:
            return 0, None, str(e).encode()
        finally:
            conn.close()

    def login(self, user, password):
        origin = "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)
        st, r, body = self.req("POST", "/api/v1/session", {"user": user, "password": password},
                               headers={"Origin": origin})
        if st == 200:
            m = re.search(r"nvr_session=([^;]*)", r.getheader("Set-Cookie") or "")
            self.cookie = m.group(1) if m else None
            self.csrf = json.loads(body)["csrf_token"]
        return st, r, body


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + "Z"


def jdoc(body):
    try:
        return json.loads(body)
    except ValueError:
        return None


with Camera("h264.mp4", no_audio=True) as cam:
    nvr = Nvr("access", [("lobby", {"url": cam.url(), "segment_seconds": 2, "group": "north"}),
                         ("gym", {"url": cam.url(), "segment_seconds": 2, "group": "south"})])
    # users made with the CLI before the server starts (the admin by the harness)
    nvr.add_user("admin", "admin", Nvr.ADMIN_PASSWORD)
    nvr.token = nvr.make_token("admin")
    nvr.add_user("vlobby", "viewer", PW["vlobby"], ["lobby"])
    nvr.add_user("vsouth", "viewer", PW["vsouth"], ["group:south"])
    nvr.add_user("inv", "investigator", PW["inv"], ["*"])
    nvr.add_user("invlobby", "investigator", PW["invlobby"], ["lobby"])
    r = subprocess.run([NVR, "user", "add", "-c", nvr.config, "shorty", "--role", "viewer"], input="short\n",
                       capture_output=True, text=True)
    check(r.returncode == 2 and "8 to 256" in r.stderr, "CLI refuses a short password: %s" % r.stderr)
    nvr.start()
    check(nvr.wait_segments("lobby", 2, 30), "recording")
    seg = [x for x in nvr.db_rows("lobby") if x["state"] == 0][0]
    now = time.time()
    rng = "start=%s&end=%s" % (iso(now - 120), iso(now + 60))

    clients = {"nobody": Client(nvr.port)}
    for name in ("vlobby", "vsouth", "inv", "invlobby"):
        c = Client(nvr.port)
        st, _, _ = c.login(name, PW[name])
        check(st == 200 and c.cookie and c.csrf, "%s signs in" % name)
        clients[name] = c
    admin = Client(nvr.port)
    admin.headers["Authorization"] = "Bearer " + nvr.token
    clients["admin"] = admin

    # --- the table: route -> (path to call, body, answer per principal) ---
    # 404 for a camera the user may not see is the same answer as for no such camera
    A = 401
    table = [
        ("GET", "/api/v1/health", "/api/v1/health", None, [200, 200, 200, 200, 200]),
        ("POST", "/api/v1/session", "/api/v1/session", {"user": "x", "password": "y"}, [401, 401, 401, 401, 401]),
        ("GET", "/api/v1/session", "/api/v1/session", None, [401, 200, 200, 200, 200]),
        ("POST", "/api/v1/setup", "/api/v1/setup", {"setup_token": "x", "name": "e", "password": "12345678"},
         [403, 403, 403, 403, 403]),
        ("GET", "/api/v1/setup", "/api/v1/setup", None, [200, 200, 200, 200, 200]),
        # the second factor: the sign-in's second step is public (an unknown ticket is 401 for all);
        # enrolment is the signed-in user's own, with a session (the admin here uses an API token: 403)
        ("POST", "/api/v1/session/totp", "/api/v1/session/totp", {"ticket": "x" * 43, "code": "123456"},
         [401, 401, 401, 401, 401]),
        ("GET", "/api/v1/account/totp", "/api/v1/account/totp", None, [A, 200, 200, 200, 200]),
        ("POST", "/api/v1/account/totp", "/api/v1/account/totp", None, [A, 200, 200, 200, 403]),
        ("POST", "/api/v1/account/totp/confirm", "/api/v1/account/totp/confirm", {"code": "x"},
         [A, 400, 400, 400, 403]),
        ("POST", "/api/v1/account/totp/disable", "/api/v1/account/totp/disable", {"code": "123456"},
         [A, 409, 409, 409, 403]),
        # OpenID Connect sign-in: public; without [oidc] here, 404 (test_oidc.py drives the flow)
        ("GET", "/api/v1/auth/methods", "/api/v1/auth/methods", None, [200, 200, 200, 200, 200]),
        ("GET", "/api/v1/oidc/start", "/api/v1/oidc/start", None, [404, 404, 404, 404, 404]),
        ("GET", "/api/v1/oidc/callback", "/api/v1/oidc/callback?state=x&code=y", None, [404, 404, 404, 404, 404]),
        ("GET", "/api/v1/cameras", "/api/v1/cameras", None, [A, 200, 200, 200, 200]),
        ("GET", "/api/v1/cameras/{}", "/api/v1/cameras/lobby", None, [A, 200, 404, 200, 200]),
        ("GET", "/api/v1/cameras/{}/recordings", "/api/v1/cameras/lobby/recordings?" + rng, None, [A, 200, 404, 200, 200]),
        ("GET", "/api/v1/cameras/{}/playback.m3u8", "/api/v1/cameras/lobby/playback.m3u8?" + rng, None,
         [A, 200, 404, 200, 200]),
        ("GET", "/api/v1/cameras/{}/playback.mp4", "/api/v1/cameras/lobby/playback.mp4?codec=h264&" + rng, None,
         [A, 200, 404, 200, 200]),
        # motion search: who may view the camera's footage (a search is logged like playback)
        ("GET", "/api/v1/cameras/{}/motion", "/api/v1/cameras/lobby/motion?" + rng, None, [A, 200, 404, 200, 200]),
        ("GET", "/api/v1/cameras/{}/motion/density", "/api/v1/cameras/lobby/motion/density?" + rng, None,
         [A, 200, 404, 200, 200]),
        # several cameras: each must be one the user may see, else 404 for the whole search
        ("GET", "/api/v1/motion", "/api/v1/motion?cameras=lobby&" + rng, None, [A, 200, 404, 200, 200]),
        ("GET", "/api/v1/cameras/{}/segments/{}.mp4", "/api/v1/cameras/lobby/segments/%d.mp4" % seg["id"], None,
         [A, 200, 404, 200, 200]),
        ("POST", "/api/v1/cameras", "/api/v1/cameras", {"id": "new%s", "url": "rtsp://127.0.0.1:9/x"},
         [A, 403, 403, 403, 201]),
        ("PUT", "/api/v1/cameras/{}", "/api/v1/cameras/new%s", {"name": "renamed"}, [A, 403, 403, 403, 200]),
        ("DELETE", "/api/v1/cameras/{}", "/api/v1/cameras/new%s", None, [A, 403, 403, 403, 200]),
        ("POST", "/api/v1/camera-test", "/api/v1/camera-test", {"url": "rtsp://127.0.0.1:9/x"}, [A, 403, 403, 403, 200]),
        ("POST", "/api/v1/discover", "/api/v1/discover", {"target": "127.0.0.1:9", "timeout": 0.2},
         [A, 403, 403, 403, 200]),
        ("POST", "/api/v1/onvif", "/api/v1/onvif", {"address": "127.0.0.1:9"}, [A, 403, 403, 403, 200]),
        ("GET", "/api/v1/cameras/{}/live.mp4", "/api/v1/cameras/lobby/live.mp4", None, [A, 200, 404, 200, 200]),
        # every camera of the list is checked: one the user may not see is 404 for the whole request
        ("GET", "/api/v1/live/mux", "/api/v1/live/mux?cameras=lobby", None, [A, 200, 404, 200, 200]),
        ("GET", "/api/v1/cameras/{}/snapshot.jpg", "/api/v1/cameras/lobby/snapshot.jpg?width=160", None,
         [A, 200, 404, 200, 200]),
        ("GET", "/*", "/index.html", None, [404, 404, 404, 404, 404]),  # no web_dir here: public either way
        # bookmarks: who may play back the camera (a hidden camera in the body is a bad field, 400);
        # each deletes the one they made (vsouth made none: 404)
        ("GET", "/api/v1/bookmarks", "/api/v1/bookmarks?cameras=lobby", None, [A, 200, 404, 200, 200]),
        ("POST", "/api/v1/bookmarks", "/api/v1/bookmarks",
         {"camera": "lobby", "time": iso(seg["start_us"] / 1e6 + 1), "note": "table %s"}, [A, 201, 400, 201, 201]),
        ("DELETE", "/api/v1/bookmarks/{}", "/api/v1/bookmarks/%d", None, [A, 200, 404, 200, 200]),
        ("GET", "/api/v1/holds", "/api/v1/holds", None, [A, 403, 403, 200, 200]),
        ("POST", "/api/v1/holds", "/api/v1/holds",
         {"cameras": ["lobby"], "start": iso(now - 60), "end": iso(now), "reason": "table"}, [A, 403, 403, 201, 201]),
        ("GET", "/api/v1/holds/{}", "/api/v1/holds/1", None, [A, 403, 403, 200, 200]),
        ("DELETE", "/api/v1/holds/{}", "/api/v1/holds/%d", None, [A, 403, 403, 200, 200]),
        ("POST", "/api/v1/exports", "/api/v1/exports",
         {"cameras": ["lobby"], "start": iso(now - 60), "end": iso(now), "reason": "table"}, [A, 403, 403, 202, 202]),
        ("GET", "/api/v1/exports", "/api/v1/exports", None, [A, 403, 403, 200, 200]),
        ("GET", "/api/v1/exports/{}", "/api/v1/exports/" + "0" * 32, None, [A, 403, 403, 404, 404]),
        ("GET", "/api/v1/exports/{}/download", "/api/v1/exports/%s/download" % ("0" * 32), None,
         [A, 403, 403, 404, 404]),
        ("GET", "/api/v1/exports/{}/videos", "/api/v1/exports/%s/videos" % ("0" * 32), None,
         [A, 403, 403, 404, 404]),
        ("GET", "/api/v1/exports/{}/video", "/api/v1/exports/%s/video?camera=lobby" % ("0" * 32), None,
         [A, 403, 403, 404, 404]),
        ("POST", "/api/v1/exports/{}/redact", "/api/v1/exports/%s/redact" % ("0" * 32),
         {"shapes": [{"start": iso(now - 60), "end": iso(now), "box": [0, 0, 1, 1], "mode": "fill"}]},
         [A, 403, 403, 404, 404]),
        ("GET", "/api/v1/signing-key", "/api/v1/signing-key", None, [A, 403, 403, 200, 200]),
        ("GET", "/api/v1/storage", "/api/v1/storage", None, [A, 403, 403, 403, 200]),
        ("GET", "/api/v1/audit", "/api/v1/audit", None, [A, 403, 403, 403, 200]),
        ("POST", "/api/v1/audit", "/api/v1/audit", {}, [A, 403, 403, 403, 202]),
        ("GET", "/api/v1/audit/containment", "/api/v1/audit/containment?format=table", None, [A, 403, 403, 403, 200]),
        ("GET", "/api/v1/users", "/api/v1/users", None, [A, 403, 403, 403, 200]),
        ("POST", "/api/v1/users", "/api/v1/users", {"name": "new%s", "role": "viewer", "password": "new-pass-123"},
         [A, 403, 403, 403, 201]),
        ("PUT", "/api/v1/users/{}", "/api/v1/users/new%s", {"role": "investigator"}, [A, 403, 403, 403, 200]),
        ("POST", "/api/v1/users/{}/tokens", "/api/v1/users/new%s/tokens", {"label": "t"}, [A, 403, 403, 403, 201]),
        ("DELETE", "/api/v1/tokens/{}", "/api/v1/tokens/%d", None, [A, 403, 403, 403, 200]),
        ("DELETE", "/api/v1/users/{}/totp", "/api/v1/users/new%s/totp", None, [A, 403, 403, 403, 404]),
        ("DELETE", "/api/v1/users/{}", "/api/v1/users/new%s", None, [A, 403, 403, 403, 200]),
        ("GET", "/api/v1/access-log", "/api/v1/access-log", None, [A, 403, 403, 403, 200]),
        ("GET", "/api/v1/alerts", "/api/v1/alerts", None, [A, 403, 403, 200, 200]),
        ("POST", "/api/v1/alerts/{}/ack", "/api/v1/alerts/999999/ack", None, [A, 403, 403, 404, 404]),
        ("POST", "/api/v1/alerts/test", "/api/v1/alerts/test", None, [A, 403, 403, 403, 200]),
        ("GET", "/metrics", "/metrics", None, [A, 403, 403, 403, 200]),
        ("DELETE", "/api/v1/session", "/api/v1/session", None, [A, 200, 200, 200, 200]),
    ]
    listed = subprocess.run([NVR, "routes"], capture_output=True, text=True).stdout.split("\n")
    routes = {tuple(l.split()[:2]) for l in listed if l.strip()}
    covered = {(m, p) for m, p, _, _, _ in table}
    check(routes == covered, "the table covers every route: missing %s, unknown %s"
          % (sorted(routes - covered), sorted(covered - routes)))
    who = ["nobody", "vlobby", "vsouth", "inv", "admin"]
    holds_made, tokens_made, bookmarks_made = [], [], {}
    for method, pattern, path, body, want in table:
        for i, name in enumerate(who):
            p = path
            if "%d" in p:
                if "holds" in p:  # the investigator releases the hold they made, the admin theirs
                    p = p % (holds_made[i - 3] if i >= 3 and len(holds_made) > i - 3 else 999999)
                elif "bookmarks" in p:
                    p = p % bookmarks_made.get(name, 999999)
                else:
                    p = p % (tokens_made[-1] if tokens_made else 999999)
            if "%s" in p:
                p = p % name
            b = json.loads(json.dumps(body).replace("%s", name)) if body else None
            if pattern == "/api/v1/session" and method == "DELETE":
                continue  # signs out: checked last, below
            # live.mp4 and the mux never end: ask for their headers only (HEAD passes the same guard)
            endless = p.endswith("live.mp4") or "/live/mux" in p
            print("REQ", method, p, name, flush=True)
            st, _, payload = clients[name].req("HEAD" if endless else method, p, b)
            if st >= 400 and not payload and method == "GET" and endless:
                payload = b'{"error":"(HEAD)"}'  # HEAD answers have no body
            check(st == want[i], "%s %s as %s: %d, want %d (%s)" % (method, p, name, st, want[i], payload[:120]))
            doc = jdoc(payload)
            if st >= 400:
                check(isinstance(doc, dict) and doc.get("error"), "%s %s as %s: JSON error body" % (method, p, name))
            if st == 201 and pattern == "/api/v1/bookmarks":
                bookmarks_made[name] = doc["id"]
            if st == 201 and pattern == "/api/v1/holds":
                holds_made.append(doc["id"])
            if st == 201 and pattern.endswith("/tokens"):
                tokens_made.append(doc["id"])
    # what each user sees in the lists
    st, _, body = clients["vlobby"].req("GET", "/api/v1/cameras")
    check([c["id"] for c in json.loads(body)["cameras"]] == ["lobby"], "vlobby sees only lobby")
    # every signed-in user reads the UI's settings with the session ([ui] time_format, default 12h)
    for name in ("vlobby", "inv", "admin"):
        st, _, body = clients[name].req("GET", "/api/v1/session")
        check(st == 200 and (jdoc(body) or {}).get("ui") == {"time_format": "12h"},
              "%s's session gives the UI's time format: %s" % (name, body[:200]))
    st, _, body = clients["vsouth"].req("GET", "/api/v1/cameras")
    check([c["id"] for c in json.loads(body)["cameras"]] == ["gym"], "vsouth sees only gym (group south)")
    st, _, body = clients["vsouth"].req("GET", "/api/v1/cameras/lobby")
    st2, _, body2 = clients["vsouth"].req("GET", "/api/v1/cameras/nosuch")
    check(st == st2 == 404 and body == body2, "a forbidden camera and a missing one answer alike")

    # --- holds across grants (issue 13 row 5): a hold on a granted and a hidden camera is neither
    # shown to nor releasable by an investigator granted only one of them ---
    il = clients["invlobby"]
    st, _, body = admin.req("POST", "/api/v1/holds", {"cameras": ["lobby", "gym"], "start": iso(now - 60),
                                                      "end": iso(now), "reason": "secret reason", "case": "C-SECRET"})
    cross = (jdoc(body) or {}).get("id", 0)
    st2, _, body2 = admin.req("POST", "/api/v1/holds", {"cameras": ["lobby"], "start": iso(now - 60),
                                                        "end": iso(now), "reason": "lobby only"})
    mine = (jdoc(body2) or {}).get("id", 0)
    check(st == 201 and st2 == 201, "admin holds lobby+gym and lobby: %d %d" % (st, st2))
    st, _, body = il.req("GET", "/api/v1/holds")
    ids = [h["id"] for h in (jdoc(body) or {}).get("holds", [])]
    check(st == 200 and mine in ids and cross not in ids and b"gym" not in body and b"C-SECRET" not in body,
          "invlobby lists the lobby hold, not the lobby+gym one: %s" % body[:300])
    st, _, body = il.req("GET", "/api/v1/holds/%d" % cross)
    st2, _, body2 = il.req("GET", "/api/v1/holds/99999999")
    check(st == st2 == 404 and body == body2, "the cross-grant hold answers like a missing one: %d %s" % (st, body[:200]))
    st, _, body = il.req("DELETE", "/api/v1/holds/%d" % cross)
    check(st == 404, "invlobby cannot release the lobby+gym hold: %d %s" % (st, body[:200]))
    st, _, body = admin.req("GET", "/api/v1/holds/%d" % cross)
    check(st == 200 and (jdoc(body) or {}).get("active") is True, "the lobby+gym hold is still active: %s" % body[:200])
    st, _, body = clients["inv"].req("GET", "/api/v1/holds/%d" % cross)
    check(st == 200, "an investigator granted * sees it: %d" % st)
    st, _, _ = il.req("DELETE", "/api/v1/holds/%d" % mine)
    check(st == 200, "invlobby releases the hold on lobby alone: %d" % st)
    admin.req("DELETE", "/api/v1/holds/%d" % cross)

    # --- an API token works until revoked, and not a moment after (even though checks are cached) ---
    st, _, body = clients["admin"].req("POST", "/api/v1/users/inv/tokens", {"label": "script"})
    tok = jdoc(body) or {}
    script = Client(nvr.port)
    script.headers["Authorization"] = "Bearer " + tok.get("token", "x")
    st1, _, _ = script.req("GET", "/api/v1/holds")
    st2, _, _ = script.req("GET", "/api/v1/holds")

    def listed_tokens(name):
        st, _, body = clients["admin"].req("GET", "/api/v1/users")
        us = [u for u in (jdoc(body) or {}).get("users", []) if u["name"] == name]
        return (us[0].get("tokens") if us else None), body

    # the users list names each user's live tokens (id, label, created), never a secret or hash
    listed, raw = listed_tokens("inv")
    mine = [t for t in listed or [] if t.get("id") == tok.get("id")]
    check(len(mine) == 1 and mine[0].get("label") == "script" and sorted(mine[0]) == ["created", "id", "label", "last_used"]
          and mine[0]["created"].endswith("Z"), "GET /api/v1/users lists the new token: %r" % (listed,))
    check(tok.get("token", "x") not in raw.decode(), "GET /api/v1/users never shows a token's secret")
    clients["admin"].req("DELETE", "/api/v1/tokens/%d" % tok.get("id", 0))
    st3, _, _ = script.req("GET", "/api/v1/holds")
    check((st1, st2, st3) == (200, 200, 401), "a token works twice, then is refused once revoked: %s" % ((st1, st2, st3),))
    listed, _ = listed_tokens("inv")
    check(listed is not None and all(t["id"] != tok.get("id") for t in listed),
          "a revoked token leaves the users list: %r" % (listed,))
    listed, _ = listed_tokens("vlobby")
    check(listed == [], "a user without tokens lists none: %r" % (listed,))

    # --- CSRF and Origin (cookie sessions) ---
    inv = clients["inv"]
    hold = {"cameras": ["lobby"], "start": iso(now - 60), "end": iso(now), "reason": "csrf"}
    origin = "http://127.0.0.1:%d" % nvr.port
    st, _, _ = inv.req("POST", "/api/v1/holds", hold, headers={"X-CSRF-Token": "wrong"})
    check(st == 403, "POST without the right CSRF token: %d" % st)
    st, _, _ = inv.req("POST", "/api/v1/holds", hold, headers={"Origin": "http://evil.example"})
    check(st == 403, "cross-origin POST: %d" % st)
    c2 = Client(nvr.port)
    c2.cookie, c2.csrf = inv.cookie, inv.csrf
    st, _, _ = c2.req("POST", "/api/v1/holds", hold, headers={"Origin": ""})
    check(st == 403, "POST without Origin: %d" % st)
    st, _, _ = inv.req("POST", "/api/v1/holds", hold)
    check(st == 201, "POST with CSRF token and Origin: %d" % st)
    st, _, _ = clients["nobody"].req("POST", "/api/v1/session", {"user": "inv", "password": PW["inv"]},
                                     headers={"Origin": "http://evil.example"})
    check(st == 403, "cross-site sign-in refused: %d" % st)

    # --- hostile input ---
    nb = clients["admin"]
    for q in ("password=x", "token=abc", "access_token=abc", "api_key=1"):
        st, _, _ = nb.req("GET", "/api/v1/cameras?" + q)
        check(st == 400, "credentials in the query (%s): %d" % (q, st))
    st, _, _ = Client(nvr.port).req("GET", "/api/v1/cameras?token=" + nvr.token)
    check(st == 400, "a token in the query never signs in: %d" % st)
    st, _, _ = nb.req("POST", "/api/v1/holds", raw_body=json.dumps(hold).encode(), headers={"Content-Type": "text/plain"})
    check(st == 415, "text/plain body: %d" % st)
    st, _, _ = nb.req("POST", "/api/v1/holds", raw_body=b"cameras=lobby", headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(st == 415, "form body: %d" % st)
    st, _, _ = nb.req("POST", "/api/v1/users", raw_body=b"{" + b" " * 70000 + b"}", headers={"Content-Type": "application/json"})
    check(st == 413, "oversized body: %d" % st)
    st, _, _ = nb.req("GET", "/api/v1/cameras", headers={"X-Big": "a" * 100000})
    check(400 <= st < 500 or st == 0, "oversized header refused: %d" % st)
    for bad in ["..%2F..%2Fetc%2Fpasswd", "%2e%2e", "..", "lobby'%20OR%20'1'='1", "lobby%00", "%2Fetc%2Fpasswd",
                "lobby;DROP%20TABLE%20segments"]:
        st, _, body = nb.req("GET", "/api/v1/cameras/%s/recordings?%s" % (bad, rng))
        check(st in (400, 404), "camera %r: %d" % (bad, st))
    for bad in ["1%20OR%201=1", "..%2F..%2Findex.db", "-1", "1e3", "%2e%2e"]:
        st, _, _ = nb.req("GET", "/api/v1/cameras/lobby/segments/%s.mp4" % bad)
        check(st in (400, 404), "segment %r: %d" % (bad, st))
    st, _, _ = nb.req("GET", "/api/v1/../../etc/passwd")
    check(st in (400, 404), "traversal in the path: %d" % st)
    st, _, _ = nb.req("POST", "/api/v1/users", {"name": "x' OR 1=1 --", "role": "viewer", "password": "long-enough-1"})
    check(st == 400, "user name with SQL metacharacters refused: %d" % st)
    check(len(nvr.db_rows()) > 0, "the index is intact")

    # --- sign-out, password change, rate limit ---
    v = clients["vlobby"]
    st, r, _ = v.req("DELETE", "/api/v1/session")
    check(st == 200 and "Max-Age=0" in (r.getheader("Set-Cookie") or ""), "sign out clears the cookie")
    st, _, _ = v.req("GET", "/api/v1/cameras")
    check(st == 401, "the old session is gone after sign-out: %d" % st)
    vs = clients["vsouth"]
    st, _, _ = nb.req("PUT", "/api/v1/users/vsouth", {"password": "changed-pass-9"})
    check(st == 200, "admin changes vsouth's password")
    st, _, _ = vs.req("GET", "/api/v1/cameras")
    check(st == 401, "a password change revokes the user's sessions: %d" % st)
    c = Client(nvr.port)
    st, r, _ = c.login("vlobby", PW["vlobby"])
    setc = r.getheader("Set-Cookie") or ""
    check(st == 200 and "HttpOnly" in setc and "SameSite=Strict" in setc and "Secure" not in setc,
          "cookie flags over plain HTTP on loopback: %s" % setc)
    codes = [Client(nvr.port).login("inv", "wrong-password")[0] for _ in range(5)]
    st, _, _ = Client(nvr.port).login("inv", PW["inv"])
    check(codes == [401] * 5 and st == 429, "five failures block the name: %s then %d" % (codes, st))
    st, _, _ = Client(nvr.port).login("nosuchuser", "whatever-pw")
    check(st in (401, 429), "unknown user answers like a wrong password: %d" % st)

    # --- the access log ---
    st, _, body = nb.req("GET", "/api/v1/access-log?limit=1000")
    entries = json.loads(body)["entries"] if st == 200 else []
    actions = {(e["user"], e["action"], e["camera"]) for e in entries}
    for want in [("vlobby", "login", ""), ("inv", "login_failed", ""), ("vlobby", "playback", "lobby"), ("vlobby", "motion", "lobby"),
                 ("inv", "hold_created", "lobby"), ("admin", "user_created", ""), ("vlobby", "logout", ""),
                 ("vlobby", "segment_download", "lobby"), ("inv", "login_blocked", ""),
                 ("vlobby", "bookmark_list", "lobby"), ("vlobby", "bookmark_created", "lobby"),
                 ("vlobby", "bookmark_deleted", "lobby")]:
        check(want in actions, "access log has %s" % (want,))
    st, r, body = nb.req("GET", "/api/v1/access-log?format=csv&action=login")
    lines = body.decode().strip().split("\r\n")
    check(st == 200 and lines[0].startswith("id,time,user") and all(",\"login\"," in l for l in lines[1:]) and len(lines) > 3,
          "CSV export filtered by action: %r" % lines[:3])
    check(nvr.stop() == 0, "clean stop")
    r = nvr.run_cli("verify", "-c", nvr.config, "--log")
    check(r.returncode == 0 and "intact" in r.stdout, "nvr verify --log passes: %s" % r.stdout[-200:])

    def tampered(sql_text, what):
        d = os.path.join(nvr.dir, "tamper-" + what)
        shutil.copytree(nvr.data_dir, d)
        conf = os.path.join(nvr.dir, "tamper-%s.conf" % what)
        with open(nvr.config) as f, open(conf, "w") as g:
            g.write(f.read().replace(nvr.data_dir, d))
        subprocess.run(["sqlite3", os.path.join(d, "index.db"), sql_text], check=True)
        r = subprocess.run([NVR, "verify", "-c", conf, "--log"], capture_output=True, text=True)
        return r

    r = tampered("UPDATE access_log SET user = 'nobody' WHERE id = 3;", "edit")
    check(r.returncode == 1 and "entry 3 was altered" in r.stdout, "an edited entry is detected: %s" % r.stdout)
    r = tampered("DELETE FROM access_log WHERE id = 4;", "delete")
    check(r.returncode == 1 and "4..4 are missing" in r.stdout, "a deleted entry is detected: %s" % r.stdout)
    r = tampered("DELETE FROM access_log WHERE id = (SELECT MAX(id) FROM access_log);", "tail")
    check(r.returncode == 1 and "newest entries" in r.stdout, "a removed newest entry is detected: %s" % r.stdout)

# --- first setup by the one-time token, TLS, and no plain HTTP on the network ---
tls_dir = None
fresh = Nvr("setup", [], admin=False, server_extra="tls_cert = %s\ntls_key = %s" % ("/nonexistent", "/nonexistent"))
tls_dir = fresh.dir
with open(fresh.config) as f:
    text = f.read().replace("/nonexistent", os.path.join(tls_dir, "cert.pem"), 1).replace(
        "/nonexistent", os.path.join(tls_dir, "key.pem"), 1)
with open(fresh.config, "w") as f:
    f.write(text)
r = fresh.run_cli("cert", "-c", fresh.config, "--self-signed")
check(r.returncode == 0 and oct(os.stat(os.path.join(tls_dir, "key.pem")).st_mode & 0o777) == "0o600",
      "nvr cert writes the pair, key 0600: %s" % r.stderr)
r = fresh.run_cli("cert", "-c", fresh.config, "--self-signed")
check(r.returncode == 1 and "--force" in r.stderr, "nvr cert does not overwrite without --force")
fresh.start()
tok = wait_until(lambda: re.search(r"setup_token=(\S+)", fresh.log_text()), 10)
check(tok, "a fresh install logs a one-time setup token")
c = Client(fresh.port, tls=True)
check(wait_until(lambda: c.req("GET", "/api/v1/health")[0] == 200, 10), "HTTPS answers")
st, _, body = c.req("GET", "/api/v1/setup")
check(st == 200 and json.loads(body) == {"open": True}, "a fresh install says setup is open: %d %r" % (st, body))
origin = {"Origin": "https://127.0.0.1:%d" % fresh.port}
st, _, _ = c.req("POST", "/api/v1/setup", {"setup_token": "wrong", "name": "boss", "password": "boss-pass-1"}, headers=origin)
check(st == 403, "setup with a wrong token: %d" % st)
st, r, body = c.req("POST", "/api/v1/setup", {"setup_token": tok.group(1) if tok else "", "name": "boss",
                                              "password": "boss-pass-1"}, headers=origin)
check(st == 201 and "Secure" in (r.getheader("Set-Cookie") or ""), "setup makes the first admin with a Secure cookie: %d" % st)
check(r is not None and "max-age" in (r.getheader("Strict-Transport-Security") or ""), "HSTS over TLS")
st, _, _ = c.req("POST", "/api/v1/setup", {"setup_token": tok.group(1) if tok else "", "name": "boss2",
                                           "password": "boss-pass-2"}, headers=origin)
check(st == 403, "the setup token works once: %d" % st)
st, _, body = c.req("GET", "/api/v1/setup")
check(st == 200 and json.loads(body) == {"open": False}, "then setup is closed: %d %r" % (st, body))
st, _, _ = Client(fresh.port, tls=True).login("boss", "boss-pass-1")
check(st == 200, "the first admin signs in over HTTPS")
plain = Client(fresh.port)
st, _, _ = plain.req("GET", "/api/v1/health")
check(st != 200, "plain HTTP is not served on the TLS port")
check(fresh.stop() == 0, "clean stop (TLS)")

port = free_port()
open_nvr = Nvr("plain", [], admin=False)
with open(open_nvr.config) as f:
    text = f.read().replace("127.0.0.1:%d" % open_nvr.port, "0.0.0.0:%d" % port)
with open(open_nvr.config, "w") as f:
    f.write(text)
r = open_nvr.run_cli("run", "-c", open_nvr.config)
check(r.returncode == 1 and "refusing to serve plain HTTP" in r.stderr, "plain HTTP on 0.0.0.0 refused: %s" % r.stderr)
finish("access")
