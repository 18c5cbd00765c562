# SPDX-License-Identifier: Apache-2.0
"""Bookmarks over the API (issue 14 item 5; docs/design/playback.md,
"Bookmarks"), against a running `nvr run` with two cameras:

- who: a viewer granted lobby makes, lists and deletes bookmarks of lobby;
  gym is hidden from them (404 in a listing, 400 "camera" in a body, gone
  from a listing of every camera); only the author or an admin deletes;
- bounds: every bad field is a 400 naming it (camera, time, note, start,
  end, q, limit, cameras), a note is at most 500 bytes of UTF-8, a time
  without footage is refused, a listing is limited and says truncated, and
  a user with 10000 bookmarks may make no more (409) until they delete one;
- search: q finds notes containing it, case folded;
- the access log has a row for each listing (per camera), creation and
  deletion;
- B1: deleting a segment row (what retention does) deletes the bookmarks of
  its time and keeps the others; `nvr check --storage` reports a bookmark
  without footage."""
import json
import os
import sqlite3
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

from harness import NVR, Camera, Nvr, check, finish, iso

PW = {"vlobby": "viewer-pass-1", "vall": "viewer-pass-2", "vfull": "viewer-pass-3"}


class User:
    """Requests as one user (a bearer token: no CSRF token needed)."""

    def __init__(self, base, token):
        self.base, self.token = base, token

    def req(self, method, path, body=None, raw=None, ctype="application/json"):
        data = json.dumps(body).encode() if body is not None else raw
        rq = urllib.request.Request(self.base + path, data=data, method=method)
        rq.add_header("Authorization", "Bearer " + self.token)
        if data is not None:
            rq.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(rq, timeout=20) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            payload = e.read()
            try:
                return e.code, json.loads(payload)
            except ValueError:
                return e.code, {"raw": payload.decode(errors="replace")}


def bad(user, method, path, body, status, field, raw=None):
    st, doc = user.req(method, path, body, raw=raw)
    msg = (doc or {}).get("error", "")
    check(st == status and field in msg, "%s %s %s: %d %r, want %d naming %r" % (method, path, str(body)[:80], st, msg,
                                                                                 status, field))


with Camera("h264.mp4", no_audio=True) as cam:
    nvr = Nvr("bookmarks", [("lobby", {"url": cam.url(), "segment_seconds": 4}),
                            ("gym", {"url": cam.url(), "segment_seconds": 4})])
    nvr.add_user("vlobby", "viewer", PW["vlobby"], ["lobby"])
    nvr.add_user("vall", "viewer", PW["vall"], ["*"])
    nvr.add_user("vfull", "viewer", PW["vfull"], ["lobby"])
    tokens = {n: nvr.make_token(n) for n in PW}
    nvr.start()
    admin = User(nvr.base_url, nvr.token)
    vlobby, vall, vfull = (User(nvr.base_url, tokens[n]) for n in ("vlobby", "vall", "vfull"))
    check(nvr.wait_segments("lobby", 3, 60) and nvr.wait_segments("gym", 2, 60), "recording")
    done = [r for r in nvr.db_rows("lobby") if r["state"] == 0]
    segs = sorted(done, key=lambda r: r["start_us"])[:2]
    gseg = [r for r in nvr.db_rows("gym") if r["state"] == 0][0]
    t1 = (segs[0]["start_us"] + segs[0]["end_us"]) // 2  # mid of the first lobby segment
    t2 = (segs[1]["start_us"] + segs[1]["end_us"]) // 2
    tg = (gseg["start_us"] + gseg["end_us"]) // 2

    def at(us):
        return iso(us / 1e6)

    # --- creation ---
    st, b1 = vlobby.req("POST", "/api/v1/bookmarks", {"camera": "lobby", "time": at(t1), "note": "Red Backpack left"})
    check(st == 201 and b1["camera"] == "lobby" and b1["author"] == "vlobby" and b1["note"] == "Red Backpack left",
          "a viewer bookmarks their camera: %d %s" % (st, b1))
    check(abs(b1.get("time") and (time.mktime(time.strptime(b1["time"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
                                  + float("0" + b1["time"][19:-1])) * 1e6 - t1) < 1000,
          "the bookmark is at the instant asked: %s vs %s" % (b1.get("time"), at(t1)))
    st, b2 = vlobby.req("POST", "/api/v1/bookmarks", {"camera": "lobby", "time": at(t2), "note": "é" * 250})
    check(st == 201, "a note of 500 bytes of UTF-8 is taken: %d %s" % (st, b2))
    st, bg = vall.req("POST", "/api/v1/bookmarks", {"camera": "gym", "time": at(tg), "note": "gym door"})
    check(st == 201, "vall bookmarks gym: %d %s" % (st, bg))
    st, bl = vall.req("POST", "/api/v1/bookmarks", {"camera": "lobby", "time": at(t2), "note": "second look"})
    check(st == 201, "vall bookmarks lobby: %d %s" % (st, bl))

    # --- bad fields: 400 naming them ---
    B = "/api/v1/bookmarks"
    bad(vlobby, "POST", B, {"time": at(t1), "note": "x"}, 400, "camera")
    bad(vlobby, "POST", B, {"camera": "gym", "time": at(tg), "note": "x"}, 400, "camera")  # hidden from vlobby
    bad(vlobby, "POST", B, {"camera": "nosuch", "time": at(t1), "note": "x"}, 400, "camera")
    bad(vlobby, "POST", B, {"camera": 7, "time": at(t1), "note": "x"}, 400, "camera")
    bad(vlobby, "POST", B, {"camera": "lobby", "time": "yesterday", "note": "x"}, 400, "time")
    bad(vlobby, "POST", B, {"camera": "lobby", "note": "x"}, 400, "time")
    bad(vlobby, "POST", B, {"camera": "lobby", "time": "2001-01-01T00:00:00Z", "note": "x"}, 400, "time")  # no footage
    bad(vlobby, "POST", B, {"camera": "lobby", "time": iso(time.time() + 60), "note": "x"}, 400, "time")  # future
    bad(vlobby, "POST", B, {"camera": "lobby", "time": "2100-01-01T00:00:00Z", "note": "x"}, 400, "time")
    bad(vlobby, "POST", B, {"camera": "lobby", "time": at(t1)}, 400, "note")
    bad(vlobby, "POST", B, {"camera": "lobby", "time": at(t1), "note": ""}, 400, "note")
    bad(vlobby, "POST", B, {"camera": "lobby", "time": at(t1), "note": ["x"]}, 400, "note")
    bad(vlobby, "POST", B, {"camera": "lobby", "time": at(t1), "note": "x" * 501}, 400, "note")
    bad(vlobby, "POST", B, {"camera": "lobby", "time": at(t1), "note": "é" * 251}, 400, "note")  # 502 bytes
    bad(vlobby, "POST", B, None, 400, "JSON", raw=b"{not json")
    bad(vlobby, "POST", B, None, 400, "JSON", raw=b'{"note":"\xff\xfe"}')  # not UTF-8
    st, _ = vlobby.req("POST", B, None, raw=b"camera=lobby", ctype="application/x-www-form-urlencoded")
    check(st == 415, "a form body is refused: %d" % st)

    # --- listing ---
    st, doc = vlobby.req("GET", B + "?cameras=lobby")
    ids = [b["id"] for b in doc.get("bookmarks", [])]
    check(st == 200 and ids == [b1["id"], b2["id"], bl["id"]] and doc["truncated"] is False,
          "vlobby lists lobby's bookmarks by time: %d %s" % (st, doc))
    st, doc = vlobby.req("GET", B)
    check(st == 200 and all(b["camera"] == "lobby" for b in doc["bookmarks"]) and len(doc["bookmarks"]) == 3,
          "without cameras=, only the cameras the user may see: %s" % doc)
    st, doc = vall.req("GET", B + "?cameras=gym,lobby")
    check(st == 200 and len(doc["bookmarks"]) == 4, "vall lists both cameras: %s" % doc)
    st, doc = vlobby.req("GET", B + "?cameras=lobby&q=BACKPACK")
    check(st == 200 and [b["id"] for b in doc["bookmarks"]] == [b1["id"]], "q finds a note, case folded: %s" % doc)
    st, doc = vlobby.req("GET", B + "?cameras=lobby&q=" + urllib.parse.quote("éé"))
    check(st == 200 and [b["id"] for b in doc["bookmarks"]] == [b2["id"]], "q finds UTF-8 text: %s" % doc)
    st, doc = vlobby.req("GET", B + "?cameras=lobby&q=nothing-like-this")
    check(st == 200 and doc["bookmarks"] == [], "q that matches nothing: %s" % doc)
    st, doc = vlobby.req("GET", B + "?cameras=lobby&limit=2")
    check(st == 200 and len(doc["bookmarks"]) == 2 and doc["truncated"] is True, "limit and truncated: %s" % doc)
    st, doc = vlobby.req("GET", B + "?cameras=lobby&start=%s&end=%s" % (at(t2 - 100000), at(t2 + 100000)))
    check(st == 200 and sorted(b["id"] for b in doc["bookmarks"]) == sorted([b2["id"], bl["id"]]),
          "start and end select by time: %s" % doc)
    st, _ = vlobby.req("GET", B + "?cameras=gym")
    check(st == 404, "a hidden camera in a listing is 404 like a missing one: %d" % st)
    bad(vlobby, "GET", B + "?cameras=lobby,lobby", None, 400, "cameras")
    bad(vlobby, "GET", B + "?cameras=lobby,", None, 400, "cameras")
    bad(vlobby, "GET", B + "?cameras=lobby&start=noon", None, 400, "start")
    bad(vlobby, "GET", B + "?cameras=lobby&end=noon", None, 400, "end")
    bad(vlobby, "GET", B + "?cameras=lobby&start=%s&end=%s" % (at(t2), at(t1)), None, 400, "end")
    bad(vlobby, "GET", B + "?cameras=lobby&q=" + "x" * 101, None, 400, "q")
    for lim in ("0", "1001", "x", "-1"):
        bad(vlobby, "GET", B + "?cameras=lobby&limit=" + lim, None, 400, "limit")
    bad(vlobby, "GET", B + "?cameras=" + ",".join("c%d" % i for i in range(257)), None, 400, "cameras")

    # --- deletion: the author or an admin ---
    st, _ = vall.req("DELETE", B + "/%d" % b1["id"])
    check(st == 403, "another user may not delete a bookmark: %d" % st)
    st, _ = vlobby.req("DELETE", B + "/%d" % bg["id"])
    check(st == 404, "a bookmark of a hidden camera does not exist for the user: %d" % st)
    bad(vlobby, "DELETE", B + "/abc", None, 400, "id")
    bad(vlobby, "DELETE", B + "/0", None, 400, "id")
    st, doc = vlobby.req("DELETE", B + "/%d" % b2["id"])
    check(st == 200 and doc["id"] == b2["id"], "the author deletes theirs: %d %s" % (st, doc))
    st, _ = vlobby.req("DELETE", B + "/%d" % b2["id"])
    check(st == 404, "deleted once: %d" % st)
    st, doc = admin.req("DELETE", B + "/%d" % bl["id"])
    check(st == 200, "an admin deletes anyone's: %d" % st)

    # --- the per-user bound (B3): 9999 rows written straight into the index, then two through the API ---
    db = os.path.join(nvr.data_dir, "index.db")
    con = sqlite3.connect(db, timeout=30)
    with con:
        con.executemany("INSERT INTO bookmarks (camera, time_us, note, author, created_us) VALUES (?, ?, ?, ?, ?)",
                        [("lobby", t1, "filler %d" % i, "vfull", t1) for i in range(9999)])
    con.close()
    st, last = vfull.req("POST", B, {"camera": "lobby", "time": at(t1), "note": "number 10000"})
    check(st == 201, "the 10000th bookmark is taken: %d %s" % (st, last))
    bad(vfull, "POST", B, {"camera": "lobby", "time": at(t1), "note": "one too many"}, 409, "10000")
    st, _ = vlobby.req("POST", B, {"camera": "lobby", "time": at(t1), "note": "others are not bound by it"})
    check(st == 201, "another user's bookmarks do not count: %d" % st)
    st, _ = vfull.req("DELETE", B + "/%d" % last["id"])
    st2, _ = vfull.req("POST", B, {"camera": "lobby", "time": at(t1), "note": "room again"})
    check(st == 200 and st2 == 201, "after deleting one there is room: %d %d" % (st, st2))
    st, doc = vfull.req("GET", B + "?cameras=lobby")
    check(st == 200 and len(doc["bookmarks"]) == 1000 and doc["truncated"] is True,
          "a listing is at most 1000 bookmarks: %d %s" % (st, len(doc.get("bookmarks", []))))

    # --- the access log ---
    st, doc = admin.req("GET", "/api/v1/access-log?limit=1000")
    rows = doc.get("entries", []) if st == 200 else []
    seen = {(e["user"], e["action"], e["camera"]) for e in rows}
    for want in [("vlobby", "bookmark_created", "lobby"), ("vlobby", "bookmark_list", "lobby"),
                 ("vlobby", "bookmark_deleted", "lobby"), ("admin", "bookmark_deleted", "lobby"),
                 ("vall", "bookmark_list", "gym"), ("vall", "bookmark_created", "gym")]:
        check(want in seen, "the access log has %s" % (want,))
    made = [e for e in rows if e["action"] == "bookmark_created" and e["user"] == "vlobby"]
    check(any("bookmark=%d" % b1["id"] in e.get("detail", "") for e in made), "the creation names the bookmark")
    check(not any(e["action"] == "bookmark_list" and e["user"] == "vlobby" and e["camera"] == "gym" for e in rows),
          "a refused listing of a hidden camera reads nothing (no list row for gym)")
    check(nvr.stop() == 0, "nvr stops cleanly")

    # --- B1: bookmarks go with the footage (the trigger retention's deletion fires) ---
    con = sqlite3.connect(db, timeout=30)
    with con:
        con.execute("DELETE FROM bookmarks WHERE author = 'vfull'")
        keep = con.execute("SELECT COUNT(*) FROM bookmarks WHERE camera = 'gym'").fetchone()[0]
        lobby_before = con.execute("SELECT COUNT(*) FROM bookmarks WHERE camera = 'lobby'").fetchone()[0]
        con.execute("DELETE FROM segments WHERE id = ?", (segs[0]["id"],))
        after = {r[0] for r in con.execute("SELECT id FROM bookmarks")}
    check(b1["id"] not in after, "deleting the segment deleted its bookmark")
    check(bg["id"] in after and keep == 1, "a bookmark of other footage stays")
    check(lobby_before >= 2, "(lobby had bookmarks: %d)" % lobby_before)
    with con:
        con.execute("INSERT INTO bookmarks (camera, time_us, note, author, created_us) "
                    "VALUES ('lobby', 978307200000000, 'no footage', 'x', 0)")
    con.close()
    r = subprocess.run([NVR, "check", "-c", nvr.config, "--storage"], capture_output=True, text=True, timeout=120)
    check("1 bookmarks without footage" in r.stdout + r.stderr,
          "nvr check --storage reports a bookmark without footage: %s" % (r.stdout + r.stderr)[-600:])
finish("test_bookmarks")
