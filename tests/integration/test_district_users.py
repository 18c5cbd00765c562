# SPDX-License-Identifier: Apache-2.0
"""The district's people (issue 17 item 2; docs/design/catalog.md "People",
D1-D4): one real PostgreSQL catalog, one recorder of site north.

- `nvr district user add` makes a person who signs in on the recorder within
  a few seconds, and sees only the cameras the grants map to (north.lobby,
  group:sports, site:north; a grant of site south dropped);
- a console token (an nvr_tokens row made with psql) works as Bearer at once
  (D3), needs no CSRF token, and is access-logged under the person's name; an
  expired one is refused;
- a local account with the name of a district user is not taken over (logged
  once), and a mirrored user cannot be changed on the recorder (409);
- `nvr district user del`: the person's recorder session and console token
  are refused within 10 s (D1), and so is a disabled person's session;
- 200 requests with made-up bearer tokens cost the catalog a handful of
  reads (counted in /metrics), not 200;
- with the catalog stopped, a district user still signs in with the password
  (D2), a console token still works, and the local admin signs in (D4)."""
import hashlib
import http.client
import json
import re
import secrets
import subprocess
import threading
import time

from harness import NVR, Camera, Nvr, check, finish, http_up, wait_until
from pg_server import PgServer

PW = {"ann": "ann-password-1", "bob": "bob-password-1", "carol-local": "carol-local-pw",
      "carol-district": "carol-district-pw", "dave": "dave-password-1"}


class Client:
    def __init__(self, nvr):
        self.port = nvr.port
        self.cookie = None
        self.csrf = None
        self.bearer = None

    def req(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        h = {}
        if self.cookie:
            h["Cookie"] = "nvr_session=" + self.cookie
        if self.bearer:
            h["Authorization"] = "Bearer " + self.bearer
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if method not in ("GET", "HEAD"):
            h["Origin"] = "http://127.0.0.1:%d" % self.port
            if self.csrf and self.cookie:
                h["X-CSRF-Token"] = self.csrf
        h.update(headers or {})
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            return r.status, r, r.read()
        except (ConnectionError, http.client.HTTPException) as e:
            return 0, None, str(e).encode()
        finally:
            conn.close()

    def login(self, user, password):
        st, r, body = self.req("POST", "/api/v1/session", {"user": user, "password": password})
        if st == 200:
            m = re.search(r"nvr_session=([^;]*)", r.getheader("Set-Cookie") or "")
            self.cookie = m.group(1) if m else None
            self.csrf = json.loads(body)["csrf_token"]
        return st

    def cameras(self):
        st, _, body = self.req("GET", "/api/v1/cameras")
        if st != 200:
            return st
        doc = json.loads(body)
        items = doc["cameras"] if isinstance(doc, dict) else doc
        return sorted(c["id"] for c in items)


def district(nvr, *args, password=None):
    return subprocess.run([NVR, "district", "user"] + list(args) + ["-c", nvr.config], input=password or "",
                          capture_output=True, text=True, timeout=60)


def add_token(pg, user, expires_in_s):
    """A console token row for user: the secret (the row keeps only its SHA-256)."""
    secret = secrets.token_urlsafe(32)
    now = int(time.time() * 1e6)
    pg.sql("INSERT INTO nvr_tokens(hash, user_name, kind, label, created_us, expires_us) "
           "VALUES (decode('%s', 'hex'), '%s', 'session', 'test', %d, %d)"
           % (hashlib.sha256(secret.encode()).hexdigest(), user, now, now + int(expires_in_s * 1e6)))
    return secret


def metric(admin, name):
    st, _, body = admin.req("GET", "/metrics")
    if st != 200:
        return None
    m = re.search(r"^%s (\d+)$" % re.escape(name), body.decode(), re.M)
    return int(m.group(1)) if m else None


def main():
    pg = PgServer().start()
    cam = Camera("h264.mp4").start()
    cat = "[catalog]\nurl = %s\nsite = north\npublish_seconds = 2\n" % pg.url()
    north = Nvr("district-north", [("lobby", {"url": cam.url(), "segment_seconds": 2}),
                                   ("gym", {"url": cam.url(), "segment_seconds": 2, "group": "sports"}),
                                   ("hall", {"url": cam.url(), "segment_seconds": 2})],
                server_extra=cat)
    try:
        north.add_user("carol", "viewer", PW["carol-local"], ["hall"])
        north.start()
        admin = Client(north)
        admin.bearer = north.token
        check(wait_until(lambda: http_up(north.base_url), 30), "the recorder is up")
        check(wait_until(lambda: metric(admin, "nvr_catalog_directory_up") == 1, 30),
              "the recorder mirrors the catalog's people (nvr_catalog_directory_up 1)")

        # a person added centrally signs in on the recorder within a few seconds
        r = district(north, "add", "ann", "--role", "viewer", "--grant", "north.lobby,group:sports,south.hall",
                     password=PW["ann"] + "\n")
        check(r.returncode == 0, "nvr district user add ann: %r" % (r.stdout + r.stderr))
        added = time.time()
        ann = Client(north)
        check(wait_until(lambda: ann.login("ann", PW["ann"]) == 200, 10),
              "ann signs in on the recorder %.1f s after nvr district user add" % (time.time() - added))
        print("ann signed in %.2f s after nvr district user add" % (time.time() - added))
        check(ann.cameras() == ["gym", "lobby"],
              "ann sees north.lobby and group:sports, not south.hall's nor hall: %r" % ann.cameras())
        check(Client(north).login("ann", "wrong-password") == 401, "a wrong password is refused")
        r = district(north, "add", "bob", "--role", "viewer", "--grant", "site:north", password=PW["bob"] + "\n")
        check(r.returncode == 0, "nvr district user add bob: %r" % r.stderr)
        bob = Client(north)
        check(wait_until(lambda: bob.login("bob", PW["bob"]) == 200, 10), "bob signs in")
        check(bob.cameras() == ["gym", "hall", "lobby"], "site:north is every camera of north: %r" % bob.cameras())
        r = district(north, "grant", "bob", "nope")
        check(r.returncode == 2 and "is not" in r.stderr, "a malformed grant is refused: %r" % r.stderr)
        r = district(north, "revoke", "bob", "site:north")
        check(r.returncode == 0, "nvr district user revoke: %r" % r.stderr)
        check(wait_until(lambda: bob.cameras() == [], 10), "a revoked grant is gone: %r" % bob.cameras())
        r = district(north, "list")
        check(r.returncode == 0 and re.search(r"^ann\tviewer\tgroup:sports,north.lobby,south.hall$", r.stdout, re.M),
              "nvr district user list: %r" % r.stdout)
        check("pg-secret-9" not in r.stdout + r.stderr, "the catalog's password is never printed")

        # the users list says where ann lives; the recorder will not edit her
        st, _, body = admin.req("GET", "/api/v1/users")
        users = {u["name"]: u for u in json.loads(body)["users"]} if st == 200 else {}
        check(users.get("ann", {}).get("source") == "catalog", "ann's source is catalog: %r" % users.get("ann"))
        for method, payload in (("PUT", {"role": "admin"}), ("DELETE", None)):
            st, _, body = admin.req(method, "/api/v1/users/ann", payload)
            check(st == 409 and b"managed by the district catalog" in body,
                  "%s of a catalog user answers 409: %d %r" % (method, st, body))

        r = north.run_cli("user", "del", "-c", north.config, "bob")
        check(r.returncode == 1 and "managed by the district catalog" in r.stderr,
              "nvr user del refuses a catalog user: %r" % r.stderr)
        r = north.run_cli("user", "passwd", "-c", north.config, "bob")
        check(r.returncode == 1 and "(catalog)" in r.stderr, "nvr user passwd refuses a catalog user: %r" % r.stderr)

        # a local account of the same name is never taken over
        r = district(north, "add", "carol", "--role", "admin", "--grant", "*", password=PW["carol-district"] + "\n")
        check(r.returncode == 0, "nvr district user add carol: %r" % r.stderr)
        time.sleep(3)
        check(Client(north).login("carol", PW["carol-district"]) == 401,
              "the district's carol does not sign in over the local carol")
        carol = Client(north)
        check(carol.login("carol", PW["carol-local"]) == 200 and carol.cameras() == ["hall"],
              "the local carol keeps her password and grants")
        district(north, "grant", "carol", "site:north")  # another version: logged still once
        time.sleep(3)
        n = north.log_text().count("user=carol of the district is a local account")
        check(n == 1, "the name clash is logged once: %d" % n)

        # D3: a console token works at once, with no CSRF token; an expired one does not
        t0 = time.time()
        token = add_token(pg, "ann", 3600)
        ann_t = Client(north)
        ann_t.bearer = token
        cams = ann_t.cameras()
        print("a console token worked %.3f s after its row was inserted" % (time.time() - t0))
        check(cams == ["gym", "lobby"], "a console token works as Bearer at once, with ann's grants: %r" % cams)
        mark = {"camera": "lobby", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5)),
                "note": "by token"}
        st, _, body = ann_t.req("POST", "/api/v1/bookmarks", mark)
        check(st == 201, "a Bearer console token needs no CSRF token (a bookmark is made): %d %r" % (st, body))
        cookie_t = Client(north)
        cookie_t.cookie = token
        check(cookie_t.cameras() == ["gym", "lobby"], "the console token works as the session cookie too")
        st, _, body = cookie_t.req("POST", "/api/v1/bookmarks", mark)
        check(st == 403 and b"CSRF" in body, "as a cookie it cannot change anything (no CSRF token is known): %d"
              % st)
        expired = Client(north)
        expired.bearer = add_token(pg, "ann", -60)
        check(expired.cameras() == 401, "an expired console token is refused")
        st, _, body = admin.req("GET", "/api/v1/access-log?user=ann&limit=50")
        actions = [e["action"] for e in json.loads(body)["entries"]] if st == 200 else []
        check("login" in actions and len(actions) >= 2, "the access log records ann by name: %r" % actions)

        # the made-up-token flood costs the catalog a handful of reads
        v0 = metric(admin, 'nvr_catalog_directory_reads_total{kind="version"}')
        tr0 = metric(admin, 'nvr_catalog_directory_reads_total{kind="tables"}')
        rq0 = metric(admin, "nvr_catalog_directory_refresh_requests_total")
        codes, times = set(), []

        def flooder():
            flood = Client(north)
            for _ in range(20):
                flood.bearer = secrets.token_urlsafe(32)
                a = time.time()
                st, _, _ = flood.req("GET", "/api/v1/cameras")
                times.append(time.time() - a)
                codes.add(st)
                time.sleep(0.05)

        t0 = time.time()
        workers = [threading.Thread(target=flooder) for _ in range(10)]
        for w in workers:
            w.start()
        time.sleep(1)
        a = time.time()
        served = admin.req("GET", "/api/v1/health")[0]
        health_s = time.time() - a
        for w in workers:
            w.join()
        took = time.time() - t0
        slowest = max(times)
        v1 = metric(admin, 'nvr_catalog_directory_reads_total{kind="version"}')
        tr1 = metric(admin, 'nvr_catalog_directory_reads_total{kind="tables"}')
        rq1 = metric(admin, "nvr_catalog_directory_refresh_requests_total")
        print("200 made-up tokens in %.1f s (slowest %.2f s): version reads +%d, table reads +%d, refreshes +%d"
              % (took, slowest, v1 - v0, tr1 - tr0, rq1 - rq0))
        check(codes == {401}, "made-up tokens are refused: %r" % codes)
        check(1 <= rq1 - rq0 <= took + 1 and v1 - v0 <= took + took / 5 + 3 and tr1 - tr0 <= 1,
              "at most one refresh a second: +%d version reads, +%d table reads in %.1f s"
              % (v1 - v0, tr1 - tr0, took))
        # the server waits at most 2 s for a refresh; the bound here is for the
        # whole request on a loaded 2-core machine (3.02 s seen with two builds
        # and a second suite running beside it).  What it catches is a wait
        # behind queued refreshes: 200 tokens at one refresh a second is 10 s
        # and more for the last ones.
        check(slowest < 5 and len(times) == 200, "no request waited more than 2 s (+ machine load): %.2f" % slowest)
        check(served == 200 and health_s < 2.5, "the recorder answers others during the flood (%.2f s)" % health_s)

        # D3 right after a miss (the second's refresh already spent): a new console token works
        Client(north).req("GET", "/api/v1/cameras", headers={"Authorization": "Bearer " + secrets.token_urlsafe(32)})
        fresh = Client(north)
        fresh.bearer = add_token(pg, "ann", 3600)
        check(fresh.cameras() == ["gym", "lobby"], "a console token made just after a miss works at once")

        # D1: disabled centrally, bob's session stops working within 10 s
        check(bob.cameras() == [], "bob is signed in (with no grant left)")
        pg.sql("UPDATE nvr_users SET disabled = true WHERE name = 'bob'")
        t0 = time.time()
        check(wait_until(lambda: bob.cameras() == 401, 10, step=0.05) and Client(north).login("bob", PW["bob"]) == 401,
              "a disabled user's session and password are refused within 10 s (%.2f s)" % (time.time() - t0))

        # D1: removed centrally, ann's session and token stop working within 10 s
        check(ann.cameras() == ["gym", "lobby"] and ann_t.cameras() == ["gym", "lobby"], "ann is signed in")
        r = district(north, "del", "ann")
        check(r.returncode == 0, "nvr district user del ann: %r" % r.stderr)
        t0 = time.time()
        ok = wait_until(lambda: ann.cameras() == 401 and ann_t.cameras() == 401, 10, step=0.05)
        print("ann's session and console token refused %.2f s after nvr district user del" % (time.time() - t0))
        check(ok, "ann's recorder session and console token are refused within 10 s (%.2f s)" % (time.time() - t0))

        # D2 / D4: the catalog down
        r = district(north, "add", "dave", "--role", "viewer", "--grant", "*", password=PW["dave"] + "\n")
        check(r.returncode == 0, "nvr district user add dave: %r" % r.stderr)
        check(wait_until(lambda: Client(north).login("dave", PW["dave"]) == 200, 10), "dave signs in")
        dave_t = Client(north)
        dave_t.bearer = add_token(pg, "dave", 3600)
        check(dave_t.cameras() == ["gym", "hall", "lobby"], "dave's console token works")
        pg.stop()
        check(wait_until(lambda: metric(admin, "nvr_catalog_directory_up") == 0, 15), "the mirror sees the catalog down")
        dave = Client(north)
        check(dave.login("dave", PW["dave"]) == 200 and dave.cameras() == ["gym", "hall", "lobby"],
              "D2: with the catalog down dave signs in with his password")
        check(dave_t.cameras() == ["gym", "hall", "lobby"], "D2: dave's console token keeps working")
        t0 = time.time()
        check(Client(north).req("GET", "/api/v1/cameras", headers={"Authorization": "Bearer x" * 1})[0] == 401 and
              time.time() - t0 < 1, "with the catalog down an unknown token is refused without waiting")
        check(Client(north).login("admin", Nvr.ADMIN_PASSWORD) == 200, "D4: the local admin signs in")
        check("pg-secret-9" not in north.log_text(), "the catalog's password is never in the log")
        check(north.stop() == 0, "the recorder stops cleanly")
    finally:
        if north.proc:
            north.stop()
        cam.stop()
        pg.close()
    finish("test_district_users")


if __name__ == "__main__":
    main()
