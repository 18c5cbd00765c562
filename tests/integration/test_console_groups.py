#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`group:G` grants on the district console (issue 17, docs/design/catalog.md "People").

A real PostgreSQL catalog, two recorders (north: door in group entrances, lobby in none;
south: gate in group entrances, gym in none) publishing their cameras' groups
(nvr_cameras.group_name, catalog migration 4), and one console. A person made on the
console with only `group:entrances` (no local account anywhere) sees on the console exactly
north.door and south.gate (a group is district-wide), both sites, only those cameras' runs
in each site's coverage; a proxied playlist of a grouped camera is 200 and of another 404;
a district export of the two grouped cameras is made (each recorder makes its part with the
person's token: the recorder side honours the mirrored grant too) and one naming lobby is
403; straight on a recorder the person sees only the grouped camera. Then south's config
moves the group from gate to gym and gets SIGHUP: the console's answer follows (the seconds
are printed), gate is 404 through the console and gym 200."""
import json
import os
import signal
import time

from harness import Camera, check, finish, iso, wait_until
from pg_server import PgServer
from test_console import PW, Console, advertised, district_add, mirrored, rec_request, rec_sign_in

PUBLISH = 2


def cam_ids(con, secret):
    st, j = con.json("GET", "/api/v1/cameras", secret=secret)
    return sorted(c["id"] for c in j["cameras"]) if st == 200 else st


def site_names(con, secret):
    st, j = con.json("GET", "/api/v1/sites", secret=secret)
    return [s["name"] for s in j["sites"]] if st == 200 else st


def coverage_ids(con, secret, site, q):
    st, j = con.json("GET", "/api/v1/sites/%s/coverage?%s" % (site, q), secret=secret)
    return sorted(c["id"] for c in j["cameras"]) if st == 200 else st


def playlist(con, secret, full, t0, t1):
    return con.status("GET", "/api/v1/cameras/%s/playback.m3u8?start=%s&end=%s" % (full, iso(t0), iso(t1)),
                      secret=secret)


def wait_export(con, secret, xid, timeout):
    state = {}

    def done():
        st, j = con.json("GET", "/api/v1/exports/" + xid, secret=secret)
        state["j"] = j
        return st == 200 and j["status"] in ("done", "failed")
    wait_until(done, timeout, 0.5)
    return state.get("j")


def recorder_side(north, t0, t1):
    """gina straight on north (mirrored, no local account): only door."""
    check(wait_until(lambda: mirrored(north, "gina"), 15, 0.1), "gina is mirrored by north")
    cookie = rec_sign_in(north, "gina", PW)
    check(cookie is not None, "gina signs in on north with her district password")
    st, _, data = rec_request(north, "GET", "/api/v1/cameras", cookie=cookie)
    ids = sorted(c["id"] for c in json.loads(data)["cameras"]) if st == 200 else st
    check(ids == ["door"], "north's own list for gina (group:entrances mirrored as itself): %r" % ids)
    q = "?start=%s&end=%s" % (iso(t0), iso(t1))
    a = rec_request(north, "GET", "/api/v1/cameras/door/playback.m3u8" + q, cookie=cookie)[0]
    b = rec_request(north, "GET", "/api/v1/cameras/lobby/playback.m3u8" + q, cookie=cookie)[0]
    check(a == 200 and b in (403, 404), "on north gina plays door (%d), not lobby (%d)" % (a, b))


def exports(con, gina, t0, t1):
    body = {"cameras": ["north.door", "south.gate"], "start": iso(t0), "end": iso(t1), "reason": "groups"}
    st, h, data = con.request("POST", "/api/v1/exports", body=dict(body, cameras=["north.door", "north.lobby"]),
                              secret=gina)
    check(st == 403 and b"lobby" not in data, "a district export with north.lobby: 403 naming no camera (%d %r)"
          % (st, data))
    st, x = con.json("POST", "/api/v1/exports", body=body, secret=gina)
    check(st == 202, "a district export of north.door + south.gate is accepted (%d %r)" % (st, x))
    j = wait_export(con, gina, x["id"], 120)
    check(j and j["status"] == "done", "it is made by both recorders with gina's token: %r" % j)


def regroup(south, con, gina, t0, t1):
    """gate leaves the group, gym joins it, on south's config + SIGHUP."""
    with open(south.config) as f:
        text = f.read()
    text = text.replace("group = entrances\n", "").replace("[camera gym]\n", "[camera gym]\ngroup = entrances\n")
    with open(south.config, "w") as f:
        f.write(text)
    t = time.time()
    south.proc.send_signal(signal.SIGHUP)
    want = ["north.door", "south.gym"]
    ok = wait_until(lambda: cam_ids(con, gina) == want, 30, 0.1)
    took = time.time() - t
    print("the console follows south's group change %.2f s after SIGHUP (publish_seconds = %d)" % (took, PUBLISH))
    check(ok and took < 10, "after SIGHUP gina's list is %r within 10 s: %r (%.2f s)" % (want, cam_ids(con, gina), took))
    a, b = playlist(con, gina, "south.gym", t0, t1), playlist(con, gina, "south.gate", t0, t1)
    check(a == 200 and b == 404, "through the console gym now plays (%d), gate is 404 (%d)" % (a, b))


def main():
    pg = PgServer().start()
    cam = Camera("h264.mp4").start()
    cat = "[catalog]\nurl = %s\nsite = %%s\npublish_seconds = %d\n" % (pg.url(), PUBLISH)
    seg = {"url": cam.url(), "segment_seconds": 2}
    north = advertised("cg-north", [("door", dict(seg, group="entrances")), ("lobby", seg)], cat % "north")
    south = advertised("cg-south", [("gate", dict(seg, group="entrances")), ("gym", seg)], cat % "south")
    con = None
    try:
        north.start()
        south.start()
        rows = lambda: pg.query("SELECT site, id, COALESCE(group_name, '(none)'), status FROM nvr_cameras ORDER BY site, id")
        check(wait_until(lambda: [r[3] for r in rows()] == ["recording"] * 4, 60), "4 cameras recording: %r" % rows())
        check([r[:3] for r in rows()] == [["north", "door", "entrances"], ["north", "lobby", "(none)"],
                                         ["south", "gate", "entrances"], ["south", "gym", "(none)"]],
              "the catalog holds each camera's group: %r" % rows())
        check(pg.query("SELECT version FROM nvr_schema") == [["4"]], "the catalog's schema is version 4")
        district_add(north, "boss", "admin", PW)
        con = Console(pg, 8).start()
        st, boss, csrf = con.sign_in("boss", PW)
        check(st == 200, "boss signs in on the console")
        st, _ = con.json("POST", "/api/v1/users", secret=boss, csrf=csrf,
                         body={"name": "gina", "role": "investigator", "password": PW, "cameras": ["group:entrances"]})
        check(st == 201, "gina (group:entrances only) made on the console (%d)" % st)
        gina = con.sign_in("gina", PW)[1]
        check(cam_ids(con, gina) == ["north.door", "south.gate"], "gina's camera list: %r" % cam_ids(con, gina))
        check(cam_ids(con, boss) == ["north.door", "north.lobby", "south.gate", "south.gym"], "boss sees all four")
        st, j = con.json("GET", "/api/v1/cameras", secret=gina)
        check([c["group"] for c in j["cameras"]] == ["entrances"] * 2, "the list says each camera's group: %r" % j)
        check(site_names(con, gina) == ["north", "south"], "gina's site list: %r" % site_names(con, gina))

        check(north.wait_segments("door", 4, 60) and south.wait_segments("gate", 4, 60), "both recorded")
        t1 = time.time() - 3
        t0 = t1 - 4
        q = "start=%s&end=%s" % (iso(t0 - 60), iso(t1 + 60))
        for site, want in (("north", ["north.door"]), ("south", ["south.gate"])):
            check(wait_until(lambda: coverage_ids(con, gina, site, q) == want, 10, 0.2),
                  "%s's coverage for gina: only %r (%r)" % (site, want, coverage_ids(con, gina, site, q)))
        check(coverage_ids(con, boss, "north", q) == ["north.door", "north.lobby"], "boss: north's two cameras")
        for full, want in (("north.door", 200), ("south.gate", 200), ("north.lobby", 404), ("south.gym", 404)):
            st = playlist(con, gina, full, t0, t1)
            check(st == want, "gina's proxied playlist of %s: %d (want %d)" % (full, st, want))
        recorder_side(north, t0, t1)
        exports(con, gina, t0, t1)
        regroup(south, con, gina, t0, t1)
        # a site none of whose cameras is in the group disappears from the list
        with open(north.config) as f:
            text = f.read()
        with open(north.config, "w") as f:
            f.write(text.replace("group = entrances\n", ""))
        t = time.time()
        north.proc.send_signal(signal.SIGHUP)
        ok = wait_until(lambda: site_names(con, gina) == ["south"], 15, 0.1)
        print("north leaves gina's site list %.2f s after its SIGHUP" % (time.time() - t))
        check(ok, "north without a grouped camera leaves gina's site list: %r" % site_names(con, gina))
        check(con.status("GET", "/api/v1/sites/north/coverage?" + q, secret=gina) == 404,
              "and north's coverage is 404 for her")
    finally:
        if con:
            con.stop()
        north.stop()
        south.stop()
        cam.stop()
        pg.stop()
    finish("test_console_groups")


if __name__ == "__main__":
    main()
