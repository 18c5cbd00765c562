#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`nvr console` (issue 17 item 4, docs/design/catalog.md "The console"):
a real PostgreSQL catalog, two recorders of sites north and south each
recording one test camera, and one console.  People sign in on the console
against nvr_users; the sites and cameras lists apply their grants; a
camera's playback, segments (Range), live view are proxied and streamed to
the recorder that owns it (south over HTTPS, its key pinned by tls_pin); a
reader that stalls on a 10 MB body costs the console no memory beyond its
ring; a site's holds and exports go through; a camera the person may not see
is 404; the proxy's bound answers 503; every proxied request is in the
console's access log; the console's break-glass admin (`nvr user add -c
CONSOLE.conf`) signs in, also with the catalog down; the catalog stopped for a minute stops neither recording nor, once it
is back, the console.  The console's routes x roles table is checked
against `nvr console --routes`.

Until the recorders mirror the catalog's tokens (design D3, the `mirror`
branch), the test stands in for the mirror: after each console sign-in it
writes the session's SHA-256 into each recorder's local tokens table for a
local account of the same name, which is what the mirror will do."""
import hashlib
import http.client
import json
import os
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from harness import NVR, TMP, Camera, Nvr, check, finish, free_port, iso, probe, probe_duration, wait_until
from pg_server import PgServer

PUBLISH = 2
PW = "district-pass-1"

# the console's routes and who may call them (checked against `nvr console --routes`)
ROUTES = {
    ("GET", "/api/v1/health"): "public",
    ("GET", "/api/v1/auth/methods"): "public",
    ("GET", "/api/v1/setup"): "public",
    ("POST", "/api/v1/session"): "public",
    ("GET", "/api/v1/session"): "public",
    ("DELETE", "/api/v1/session"): "user",
    ("GET", "/api/v1/users"): "admin",
    ("POST", "/api/v1/users"): "admin",
    ("PUT", "/api/v1/users/{}"): "admin",
    ("DELETE", "/api/v1/users/{}"): "admin",
    ("POST", "/api/v1/users/{}/tokens"): "admin",
    ("GET", "/api/v1/sites"): "user",
    ("GET", "/api/v1/cameras"): "user",
    ("GET", "/api/v1/cameras/{}/*"): "user",
    ("GET", "/api/v1/sites/{}/*"): "investigator",
    ("POST", "/api/v1/sites/{}/*"): "investigator",
    ("DELETE", "/api/v1/sites/{}/*"): "investigator",
    ("GET", "/*"): "public",
}


class Console:
    def __init__(self, pg, max_proxied, web_dir=None):
        self.dir = tempfile.mkdtemp(prefix="nvr-console-", dir=TMP)
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.config = os.path.join(self.dir, "console.conf")
        with open(self.config, "w") as f:
            f.write("[server]\nlisten = 127.0.0.1:%d\ndata_dir = %s/data\n%s[catalog]\nurl = %s\n"
                    "[console]\nmax_proxied = %d\n" % (self.port, self.dir, "web_dir = %s\n" % web_dir if web_dir else "",
                                                       pg.url(), max_proxied))
        self.log_path = os.path.join(self.dir, "console.log")
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([NVR, "console", "-c", self.config], stdout=self.log, stderr=self.log)
        ok = wait_until(lambda: self.status("GET", "/api/v1/health") == 200, 20)
        check(ok, "the console serves (%s)" % self.log_path)
        return self

    def stop(self):
        if self.proc:
            self.proc.terminate()
            rc = self.proc.wait(20)
            self.proc = None
            return rc

    def request(self, method, path, body=None, secret=None, csrf=None, headers=None):
        h = {"Host": "127.0.0.1:%d" % self.port}
        if body is not None:
            h["Content-Type"] = "application/json"
        if secret and csrf:
            h["Cookie"] = "nvr_session=" + secret
            h["X-CSRF-Token"] = csrf
            h["Origin"] = self.base
        elif secret:
            h["Authorization"] = "Bearer " + secret
        h.update(headers or {})
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

    def status(self, method, path, **kw):
        try:
            return self.request(method, path, **kw)[0]
        except OSError:
            return 0

    def json(self, method, path, **kw):
        st, _, data = self.request(method, path, **kw)
        return st, json.loads(data) if data else None

    def sign_in(self, name, password):
        st, h, data = self.request("POST", "/api/v1/session", body={"user": name, "password": password})
        if st != 200:
            return st, None, None
        cookie = h.get("set-cookie", "")
        secret = cookie.split("nvr_session=", 1)[1].split(";", 1)[0]
        return st, secret, json.loads(data)["csrf_token"]


def grant_on_recorder(nvr, name, secret):
    """Stands in for the mirror (D3): the recorder knows the console's token."""
    db = sqlite3.connect(os.path.join(nvr.data_dir, "index.db"), timeout=30)
    uid = db.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchone()[0]
    db.execute("INSERT INTO tokens(token_hash, user_id, label, created_us) VALUES (?, ?, 'console', ?)",
               (hashlib.sha256(secret.encode()).digest(), uid, int(time.time() * 1e6)))
    db.commit()
    db.close()


def pwhash_of(nvr, name):
    db = sqlite3.connect(os.path.join(nvr.data_dir, "index.db"), timeout=30)
    h = db.execute("SELECT pwhash FROM users WHERE name = ?", (name,)).fetchone()[0]
    db.close()
    return h


def ffmpeg_copy(url, secret, out):
    r = subprocess.run(["ffmpeg", "-v", "error", "-y", "-headers", "Authorization: Bearer %s\r\n" % secret,
                        "-i", url, "-c", "copy", out], capture_output=True, text=True, timeout=120)
    return r.returncode, r.stderr


def read_stream(port, path, secret, seconds, out):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path, headers={"Authorization": "Bearer " + secret})
    r = c.getresponse()
    end = time.time() + seconds
    n = 0
    with open(out, "wb") as f:
        while time.time() < end:
            chunk = r.read1(65536)
            if not chunk:
                break
            f.write(chunk)
            n += len(chunk)
    c.close()
    return r.status, r.getheader("Content-Type"), n


def check_routes():
    r = subprocess.run([NVR, "console", "--routes"], capture_output=True, text=True, timeout=30)
    listed = {}
    for line in r.stdout.splitlines():
        m, p, a = line.split()
        listed[(m, p)] = a
    check(r.returncode == 0 and listed == ROUTES,
          "`nvr console --routes` is the route x role table of this test: extra %r, missing %r, differing %r" % (
              sorted(set(listed) - set(ROUTES)), sorted(set(ROUTES) - set(listed)),
              sorted(k for k in ROUTES if k in listed and listed[k] != ROUTES[k])))


def check_access(con, viewer, admin):
    """Every route answers its role: anonymous 401 off public routes, a viewer 403 off admin
    and investigator ones."""
    sample = {"{}": "north.lobby", "*": "recordings"}
    for (m, p), role in sorted(ROUTES.items()):
        path = p.replace("{}", sample["{}"]).replace("/*", "/" + sample["*"]) if p != "/*" else "/index.html"
        if p.startswith("/api/v1/sites/{}"):
            path = "/api/v1/sites/north/holds"
        if "/users/" in path:
            path = path.replace("north.lobby", "nobody")
        body = {} if m in ("POST", "PUT") else None
        anon = con.status(m, path, body=body)
        if (m, p) == ("GET", "/api/v1/session"):
            check(anon == 401, "GET /api/v1/session without a sign-in says so: 401 (%d)" % anon)
        elif role == "public":
            check(anon not in (401, 403), "%s %s is public (%d)" % (m, p, anon))
        else:
            check(anon == 401, "%s %s without a sign-in: 401 (%d)" % (m, p, anon))
        if role in ("admin", "investigator"):
            st = con.status(m, path, body=body, secret=viewer[0], csrf=viewer[1])
            check(st == 403, "%s %s as a viewer: 403 (%d)" % (m, p, st))
            st = con.status(m, path, body=body, secret=admin[0], csrf=admin[1])
            check(st not in (401, 403), "%s %s as an admin passes the guard (%d)" % (m, p, st))


def main():
    pg = PgServer().start()
    cam = Camera("h264.mp4").start()
    cat = "[catalog]\nurl = %s\nsite = %%s\npublish_seconds = %d\n" % (pg.url(), PUBLISH)
    north = Nvr("con-north", [("lobby", {"url": cam.url(), "segment_seconds": 2})], server_extra=cat % "north")
    # south serves HTTPS with its own certificate: the console pins its key (tls_pin)
    south = Nvr("con-south", [("gym", {"url": cam.url(), "segment_seconds": 2})],
                server_extra="tls_cert = /nonexistent\ntls_key = /nonexistent\n" + cat % "south")
    with open(south.config) as f:
        text = f.read().replace("/nonexistent", os.path.join(south.dir, "cert.pem"), 1).replace(
            "/nonexistent", os.path.join(south.dir, "key.pem"), 1)
    with open(south.config, "w") as f:
        f.write(text)
    con = None
    try:
        check_routes()
        # the people's local stand-ins on the recorders (the mirror makes them, D3)
        north.add_user("boss", "admin", PW)
        north.add_user("nora", "viewer", PW, ["*"])
        south.add_user("boss", "admin", PW)
        south.add_user("sam", "viewer", PW, ["*"])
        r = south.run_cli("cert", "-c", south.config, "--self-signed")
        check(r.returncode == 0, "south's certificate: %s" % r.stderr)
        pin = "sha256//" + subprocess.run(
            "openssl x509 -in %s -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary "
            "| base64" % os.path.join(south.dir, "cert.pem"), shell=True, capture_output=True, text=True).stdout.strip()
        north.start()
        south.start()
        cams = lambda: pg.query("SELECT site, id, status FROM nvr_cameras ORDER BY site, id")
        check(wait_until(lambda: [c[2] for c in cams()] == ["recording", "recording"], 60),
              "both sites publish their camera recording: %r" % cams())
        pg.sql("UPDATE nvr_sites SET url = '%s' WHERE name = 'north'" % north.base_url)
        pg.sql("UPDATE nvr_sites SET url = 'https://127.0.0.1:%d', tls_pin = '%s' WHERE name = 'south'"
               % (south.port, pin))
        # the district's first admin, with a password hash made by `nvr user add`
        now = int(time.time() * 1e6)
        pg.sql("INSERT INTO nvr_users(name, role, pwhash, created_us, updated_us) VALUES ('boss', 'admin', '%s', %d, %d)"
               % (pwhash_of(north, "boss"), now, now))

        # a console with a bad line is refused by file and line
        bad = os.path.join(north.dir, "bad-console.conf")
        with open(bad, "w") as f:
            f.write("[server]\ndata_dir = /tmp/x\n[catalog]\nurl = %s\n[console]\nmax_proxied = 0\n" % pg.url())
        r = subprocess.run([NVR, "console", "-c", bad], capture_output=True, text=True, timeout=30)
        check(r.returncode != 0 and "bad-console.conf:6: max_proxied must be" in r.stderr,
              "a bad [console] line is named by file and line: %r" % r.stderr)

        con = Console(pg, 2)
        # the console's break-glass admin, in its own data_dir (D4)
        r = subprocess.run([NVR, "user", "add", "-c", con.config, "root", "--role", "admin"], input=PW + "\n",
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, "nvr user add -c CONSOLE.conf makes a break-glass account: %s" % r.stderr)
        con.start()
        st, root, root_csrf = con.sign_in("root", PW)
        check(st == 200 and con.json("GET", "/api/v1/session", secret=root)[1]["user"]["name"] == "root",
              "the break-glass admin signs in on the console (%d)" % st)
        check(pg.query("SELECT count(*) FROM nvr_tokens WHERE user_name = 'root'") == [["0"]],
              "its session is not a catalog row")
        # sign-in
        st, boss, boss_csrf = con.sign_in("boss", PW)
        check(st == 200 and boss and boss_csrf, "a catalog admin signs in on the console (%d)" % st)
        check(con.sign_in("boss", "wrong-password")[0] == 401, "a wrong password is 401")
        check(con.sign_in("nobody", PW)[0] == 401, "an unknown name is the same 401")
        tok = pg.query("SELECT user_name, kind, expires_us - created_us FROM nvr_tokens")
        check(tok == [["boss", "session", str(12 * 3600 * 1000000)]],
              "the session is an nvr_tokens row (its hash), 12 h: %r" % tok)
        st, s = con.json("GET", "/api/v1/session", secret=boss, csrf=boss_csrf)
        check(st == 200 and s["user"]["name"] == "boss" and s["user"]["role"] == "admin" and s["csrf_token"] == boss_csrf,
              "GET /api/v1/session gives the user and the same CSRF token: %r" % s)

        # users (admin): the recorder's JSON shapes, written to nvr_users/nvr_grants
        st, u = con.json("POST", "/api/v1/users", secret=boss, csrf=boss_csrf,
                         body={"name": "sam", "role": "viewer", "password": PW, "cameras": ["south.gym"]})
        check(st == 201 and u["cameras"] == ["south.gym"] and u["role"] == "viewer", "a user added: %d %r" % (st, u))
        st = con.status("POST", "/api/v1/users", secret=boss, csrf="wrong",
                        body={"name": "x1", "role": "viewer", "password": PW})
        check(st == 403, "a state change without the right CSRF token is 403 (%d)" % st)
        st, u = con.json("POST", "/api/v1/users", secret=boss, csrf=boss_csrf,
                         body={"name": "nora", "role": "viewer", "password": PW, "cameras": ["site:north"]})
        check(st == 201, "a second user added (%d)" % st)
        st, _ = con.json("POST", "/api/v1/users", secret=boss, csrf=boss_csrf,
                         body={"name": "nora", "role": "viewer", "password": PW})
        check(st == 409, "a taken name is 409 (%d)" % st)
        st, _ = con.json("POST", "/api/v1/users", secret=boss, csrf=boss_csrf,
                         body={"name": "bad", "role": "viewer", "password": PW, "cameras": ["north"]})
        check(st == 400, "a grant that is not *, site:S, S.ID or group:G is 400 (%d)" % st)
        check(pg.query("SELECT user_name, what FROM nvr_grants ORDER BY 1") == [["nora", "site:north"], ["sam", "south.gym"]],
              "the grants are in nvr_grants")
        st, lst = con.json("GET", "/api/v1/users", secret=boss, csrf=boss_csrf)
        check(st == 200 and [x["name"] for x in lst["users"]] == ["boss", "nora", "sam"], "the users listed: %r" % lst)
        st, u = con.json("PUT", "/api/v1/users/nora", secret=boss, csrf=boss_csrf, body={"disabled": True})
        check(st == 200 and u["disabled"] is True, "a user disabled: %r" % u)
        check(con.sign_in("nora", PW)[0] == 401, "a disabled user cannot sign in")
        con.json("PUT", "/api/v1/users/nora", secret=boss, csrf=boss_csrf, body={"disabled": False})
        st, u = con.json("PUT", "/api/v1/users/sam", secret=boss, csrf=boss_csrf, body={"cameras": ["south.gym", "site:x"]})
        st2, u2 = con.json("PUT", "/api/v1/users/sam", secret=boss, csrf=boss_csrf, body={"cameras": ["south.gym"]})
        check(st == 200 and u["cameras"] == ["site:x", "south.gym"] and u2["cameras"] == ["south.gym"],
              "a user's grants replaced, a kept one kept: %r %r" % (u, u2))
        check(con.status("PUT", "/api/v1/users/boss", secret=boss, csrf=boss_csrf, body={"role": "viewer"}) == 409
              and con.status("DELETE", "/api/v1/users/boss", secret=boss, csrf=boss_csrf) == 409,
              "the district's last admin keeps the role and cannot be deleted (409)")
        st, t = con.json("POST", "/api/v1/users/sam/tokens", secret=boss, csrf=boss_csrf, body={"label": "script"})
        check(st == 201 and t["token"], "an API token made (%d)" % st)
        check(con.status("GET", "/api/v1/cameras", secret=t["token"]) == 200, "the API token works as Bearer")
        kinds = pg.query("SELECT kind, label FROM nvr_tokens WHERE user_name = 'sam'")
        check(kinds == [["api", "script"]], "it is an nvr_tokens row of kind api: %r" % kinds)

        st, sam, sam_csrf = con.sign_in("sam", PW)
        st2, nora, nora_csrf = con.sign_in("nora", PW)
        check(st == 200 and st2 == 200, "the new users sign in")
        for name, secret, recs in (("boss", boss, (north, south)), ("sam", sam, (south,)), ("nora", nora, (north,))):
            for n in recs:
                grant_on_recorder(n, name, secret)

        check_access(con, (sam, sam_csrf), (boss, boss_csrf))

        # sites and cameras, with the grants applied
        st, s = con.json("GET", "/api/v1/sites", secret=boss)
        names = [x["name"] for x in s["sites"]]
        check(st == 200 and names == ["north", "south"] and all(x["status"] == "up" for x in s["sites"]),
              "the admin sees both sites up: %r" % s)
        n0 = s["sites"][0]
        check(n0["cameras"] == {"recording": 1} and n0["url"] == north.base_url and n0["storage"] == "ok"
              and n0["open_alerts"] == 0 and n0["version"], "a site's counts, url, storage: %r" % n0)
        st, s = con.json("GET", "/api/v1/sites", secret=sam)
        check([x["name"] for x in s["sites"]] == ["south"], "sam sees only south: %r" % s)
        st, c = con.json("GET", "/api/v1/cameras", secret=boss)
        check([x["id"] for x in c["cameras"]] == ["north.lobby", "south.gym"], "the admin sees every camera: %r" % c)
        c0 = c["cameras"][0]
        check(c0["site"] == "north" and c0["status"] == "recording" and c0["codec"] == "h264" and c0["width"] > 0,
              "a camera's fields: %r" % c0)
        st, c = con.json("GET", "/api/v1/cameras", secret=sam)
        check([x["id"] for x in c["cameras"]] == ["south.gym"], "sam sees south.gym only: %r" % c)
        st, c = con.json("GET", "/api/v1/cameras", secret=nora)
        check([x["id"] for x in c["cameras"]] == ["north.lobby"], "nora (site:north) sees north.lobby: %r" % c)

        # playback of a camera of each site through the console
        check(north.wait_segments("lobby", 5, 60) and south.wait_segments("gym", 5, 60), "both recorded")
        t1 = time.time() - 3
        t0 = t1 - 6
        for full, secret in (("north.lobby", boss), ("south.gym", sam)):
            out = os.path.join(con.dir, full + ".mp4")
            url = "%s/api/v1/cameras/%s/playback.m3u8?start=%s&end=%s" % (con.base, full, iso(t0), iso(t1))
            rc, err = ffmpeg_copy(url, secret, out)
            d = probe_duration(out) if rc == 0 else 0
            print("%s through the console: %.2f s decoded of 6 s asked" % (full, d))
            check(rc == 0 and 4.0 <= d <= 9.0, "%s plays through the console's playback.m3u8 (%.2f s) %s" % (full, d, err))

        # a Range request on a proxied segment: 206 and the recorder's own bytes
        seg = north.db_rows("lobby")[1]
        seg_id = seg["id"] if isinstance(seg, dict) else seg[0]
        path = "/api/v1/cameras/%s/segments/%s.mp4"
        st, h, mine = con.request("GET", path % ("north.lobby", seg_id), secret=boss, headers={"Range": "bytes=100-1099"})
        req = urllib.request.Request(north.base_url + path % ("lobby", seg_id), headers={"Range": "bytes=100-1099",
                                                                                  "Authorization": "Bearer " + north.token})
        theirs = urllib.request.urlopen(req, timeout=10)
        tb = theirs.read()
        check(st == 206 and mine == tb and len(mine) == 1000 and h.get("content-range") == theirs.headers["Content-Range"],
              "a Range request through the console is 206 with the recorder's bytes (%d, %r)" % (st, h.get("content-range")))
        check(h.get("content-length") == "1000", "with its Content-Length (%r)" % h.get("content-length"))

        # live.mp4 through the console: an fMP4 that ffprobe reads
        live = os.path.join(con.dir, "live.mp4")
        st, ctype, n = read_stream(con.port, "/api/v1/cameras/south.gym/live.mp4", sam, 4, live)
        p = probe(live) if n else {"streams": []}
        check(st == 200 and ctype == "video/mp4" and n > 10000 and p["streams"] and p["streams"][0]["codec_name"] == "h264",
              "live.mp4 streams through the console (%d, %r, %d bytes)" % (st, ctype, n))

        # a camera the person may not see is 404, as an unknown one
        a = con.request("GET", "/api/v1/cameras/south.gym/playback.m3u8?start=%s&end=%s" % (iso(t0), iso(t1)), secret=nora)
        b = con.request("GET", "/api/v1/cameras/north.nope/playback.m3u8?start=%s&end=%s" % (iso(t0), iso(t1)), secret=nora)
        check(a[0] == 404 and b[0] == 404 and a[2] == b[2], "not granted and unknown are the same 404: %r %r" % (a[2], b[2]))
        check(con.request("GET", "/api/v1/cameras/nosuchsite.x/snapshot.jpg", secret=boss)[0] == 404,
              "an unknown site is 404")

        # holds and exports of a site, through the console (investigator)
        hold = {"cameras": ["lobby"], "start": iso(t0), "end": iso(t1), "case": "2026-77", "reason": "console test"}
        st, hd = con.json("POST", "/api/v1/sites/north/holds", secret=boss, csrf=boss_csrf, body=hold)
        check(st == 201 and hd["cameras"] == ["lobby"], "a hold made on north through the console: %d %r" % (st, hd))
        st, lst = con.json("GET", "/api/v1/sites/north/holds", secret=boss)
        check(st == 200 and [x["id"] for x in lst["holds"]] == [hd["id"]], "listed through the console: %r" % lst)
        theirs = json.load(urllib.request.urlopen(urllib.request.Request(
            north.base_url + "/api/v1/holds", headers={"Authorization": "Bearer " + north.token}), timeout=10))
        check([x["id"] for x in theirs["holds"]] == [hd["id"]], "the hold is the recorder's own: %r" % theirs)
        st, rel = con.json("DELETE", "/api/v1/sites/north/holds/%s" % hd["id"], secret=boss, csrf=boss_csrf)
        check(st == 200 and rel.get("released"), "released through the console: %d %r" % (st, rel))
        exp = {"cameras": ["gym"], "start": iso(t0), "end": iso(t1), "reason": "console test", "case": "2026-78"}
        st, ex = con.json("POST", "/api/v1/sites/south/exports", secret=boss, csrf=boss_csrf, body=exp)
        check(st == 202 and ex["id"], "an export queued on south through the console: %d %r" % (st, ex))
        done = lambda: con.json("GET", "/api/v1/sites/south/exports/%s" % ex["id"], secret=boss)[1]["status"] == "done"
        check(wait_until(done, 90), "the export finishes")
        st, h, part = con.request("GET", "/api/v1/sites/south/exports/%s/download" % ex["id"], secret=boss,
                                  headers={"Range": "bytes=0-99"})
        check(st == 206 and part[:2] == b"PK" and len(part) == 100, "its zip downloads through the console with Range (%d)" % st)
        st, u = con.json("POST", "/api/v1/users", secret=boss, csrf=boss_csrf,
                         body={"name": "ivy", "role": "investigator", "password": PW, "cameras": ["site:north"]})
        st, ivy, _ = con.sign_in("ivy", PW)
        check(con.status("GET", "/api/v1/sites/south/holds", secret=ivy) == 404,
              "an investigator without a grant on south: its holds are 404")
        check(con.status("GET", "/api/v1/sites/south/holds", secret=sam) == 403, "a viewer: 403")
        check(con.status("GET", "/api/v1/sites/north/cameras", secret=boss) == 404, "only holds and exports are forwarded")

        # south's key is pinned: another pin is refused (502), the right one works again
        pg.sql("UPDATE nvr_sites SET tls_pin = 'sha256//%s' WHERE name = 'south'" % ("A" * 43 + "="))
        st, h, data = con.request("GET", "/api/v1/cameras/south.gym/snapshot.jpg", secret=boss)
        check(st == 502, "a recorder whose key is not the pinned one is not talked to (%d %r)" % (st, data))
        pg.sql("UPDATE nvr_sites SET tls_pin = '%s' WHERE name = 'south'" % pin)
        st, h, data = con.request("GET", "/api/v1/cameras/south.gym/snapshot.jpg", secret=boss)
        check(st == 200 and data[:2] == b"\xff\xd8", "with the right pin the snapshot comes through HTTPS (%d)" % st)

        # a recorder that does not know the person's token (not mirrored) is 502, never 401
        st, boss2, _ = con.sign_in("boss", PW)
        st, h, data = con.request("GET", "/api/v1/cameras/north.lobby/snapshot.jpg", secret=boss2)
        check(st == 502 and b"sign-in" in data, "a recorder's 401 is answered 502, not passed on (%d %r)" % (st, data))

        # the bound: two endless transfers at once (max_proxied = 2), the third is 503
        held = []
        for _ in range(2):
            c = http.client.HTTPConnection("127.0.0.1", con.port, timeout=10)
            c.request("GET", "/api/v1/cameras/north.lobby/live.mp4", headers={"Authorization": "Bearer " + boss})
            r = c.getresponse()
            r.read1(1000)
            held.append((c, r))
        st, h, data = con.request("GET", "/api/v1/cameras/north.lobby/snapshot.jpg", secret=boss)
        check(st == 503 and json.loads(data)["error"] and h.get("retry-after"), "past max_proxied: 503 JSON (%d %r)" % (st, data))
        for c, r in held:
            c.close()
        check(wait_until(lambda: con.status("GET", "/api/v1/cameras/north.lobby/snapshot.jpg", secret=boss) == 200, 20),
              "a browser that went away frees its transfer: the next one is served")

        # the console's access log names person, site and camera
        db = sqlite3.connect(os.path.join(con.dir, "data", "index.db"), timeout=30)
        rows = db.execute("SELECT DISTINCT user, camera FROM access_log WHERE action = 'proxy' ORDER BY 1, 2").fetchall()
        db.close()
        check(("boss", "north.lobby") in rows and ("sam", "south.gym") in rows,
              "every proxied request is in the console's access log: %r" % rows)

        # the catalog stopped for a minute: recording goes on; the console says so and comes back
        before = {n: len(n.db_rows(c)) for n, c in ((north, "lobby"), (south, "gym"))}
        pg.stop()
        down_at = time.time()
        time.sleep(5)
        st, h, data = con.request("GET", "/api/v1/cameras", secret=boss)
        check(st == 503 and b"catalog" in data, "with the catalog down the console answers 503 (%d %r)" % (st, data))
        check(con.sign_in("boss", PW)[0] == 503, "a catalog user cannot sign in while it is down: 503")
        st, root2, _ = con.sign_in("root", PW)
        check(st == 200 and con.status("GET", "/api/v1/session", secret=root2) == 200,
              "the break-glass admin signs in with the catalog down (%d)" % st)
        time.sleep(55)
        for n, c in ((north, "lobby"), (south, "gym")):
            after = len(n.db_rows(c))
            check(after >= before[n] + 20, "%s kept recording with the catalog down (%d -> %d segments)"
                  % (c, before[n], after))
            runs = n.recordings(c)["runs"]
            check(len(runs) == 1, "%s: no gap in its own index: %r" % (c, runs))
        pg.start(create_db=False)
        back_at = time.time()

        def current():
            st, c = con.json("GET", "/api/v1/cameras", secret=boss)
            if st != 200:
                return False
            from harness import parse_time
            return len(c["cameras"]) == 2 and all(parse_time(x["updated"]) >= back_at for x in c["cameras"])
        ok = wait_until(current, 60)
        print("the console's camera list current %.1f s after the catalog came back (%d s down)"
              % (time.time() - back_at, back_at - down_at))
        check(ok, "the console's camera list is back and current after PostgreSQL returns")

        # a browser that stops reading: the console holds at most its ring, the recorder waits
        def rss_kb():
            with open("/proc/%d/status" % con.proc.pid) as f:
                return int([l for l in f if l.startswith("VmRSS:")][0].split()[1])
        c = http.client.HTTPConnection("127.0.0.1", con.port, timeout=30)
        t_end = time.time() - 3
        span = "start=%s&end=%s" % (iso(t_end - 100), iso(t_end))
        c.request("GET", "/api/v1/cameras/north.lobby/playback.mp4?" + span, headers={"Authorization": "Bearer " + boss})
        r = c.getresponse()
        first = r.read1(1000)
        rss0 = rss_kb()
        time.sleep(6)
        rss1 = rss_kb()
        rest = r.read()
        c.close()
        slow = os.path.join(con.dir, "slow.mp4")
        with open(slow, "wb") as f:
            f.write(first + rest)
        print("slow reader: %d bytes in all, console RSS %d -> %d kB while it did not read" % (
            len(first) + len(rest), rss0, rss1))
        check(r.status == 200 and len(first) + len(rest) > 4000000 and rss1 - rss0 < 3000,
              "a reader that stalls costs the console at most its ring (%d bytes, RSS +%d kB)"
              % (len(first) + len(rest), rss1 - rss0))
        own = os.path.join(con.dir, "own.mp4")
        with open(own, "wb") as f:
            f.write(urllib.request.urlopen(urllib.request.Request(
                north.base_url + "/api/v1/cameras/lobby/playback.mp4?" + span,
                headers={"Authorization": "Bearer " + north.token}), timeout=60).read())
        ds, do = probe_duration(slow), probe_duration(own)
        check(ds > 60 and abs(ds - do) < 1.0, "and the body is whole when it reads again (%.1f s, the recorder's own %.1f s)"
              % (ds, do))

        # sign-in failures are rate-limited as on a recorder (a name from an address)
        codes = [con.sign_in("ghost", "wrong-password-%d" % i)[0] for i in range(7)]
        st, h, data = con.request("POST", "/api/v1/session", body={"user": "ghost", "password": "x" * 9})
        check(codes[:5] == [401] * 5 and st == 429 and int(h.get("retry-after", "0")) > 0,
              "after 5 failures the name waits from this address: %r then %d %r" % (codes, st, h.get("retry-after")))
        check(con.sign_in("boss", PW)[0] == 200, "another name from the same address still signs in")
        st, _, _ = con.request("DELETE", "/api/v1/session", secret=sam, csrf=sam_csrf)
        check(st == 200 and con.status("GET", "/api/v1/cameras", secret=sam) == 401, "signing out deletes the session")
        check(con.stop() == 0, "the console stops cleanly on SIGTERM")
        con = None
    finally:
        if con:
            con.stop()
        north.stop()
        south.stop()
        cam.stop()
        pg.stop()
    finish("test_console")


if __name__ == "__main__":
    main()
