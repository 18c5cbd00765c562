# SPDX-License-Identifier: Apache-2.0
"""The district catalog (issue 17 item 1; docs/design/catalog.md): two
recorders of different sites publish into one real PostgreSQL server.

- both sites register; each camera appears with its state, and its coverage
  as runs that match the recorder's own (`nvr recordings`); a camera added
  over the API appears, removed it is marked removed; an alert incident, a
  hold and its release, the storage dir's health and the audit report are
  published too;
- the catalog stopped for 20 s: recording goes on (local segments keep
  coming, one log line, not one per retry), and when it is back the
  coverage catches up with no gap that the recorder does not have;
- retention is followed: the first run starts at the camera's oldest
  footage after old segments are deleted;
- each site says where the console reaches it ([catalog] advertise ->
  nvr_sites.url) and, over TLS, the pin of its certificate's public key
  (nvr_sites.tls_pin, as openssl computes curl's sha256// pin);
- the catalog's password is never in the log; a bad [catalog] line names
  its file and line."""
import json
import os
import subprocess
import time
import urllib.request

from harness import NVR, Camera, Nvr, check, finish, iso, wait_until
from pg_server import PgServer

PUBLISH = 2


def runs(pg, site, cam):
    return [(int(a), int(b)) for a, b in pg.query(
        "SELECT start_us, end_us FROM nvr_coverage WHERE site = '%s' AND camera = '%s' ORDER BY start_us"
        % (site, cam))]


def local_runs(nvr, cam):
    from harness import parse_time
    doc = nvr.recordings(cam)
    return [(parse_time(r["start"]), parse_time(r["end"])) for r in doc["runs"]]


def us(t):
    return int(round(t * 1e6))


def main():
    pg = PgServer().start()
    cam = Camera("h264.mp4").start()
    cat = "[catalog]\nurl = %s\nsite = %%s\npublish_seconds = %d\n" % (pg.url(), PUBLISH)
    north = Nvr("cat-north", [("lobby", {"url": cam.url(), "segment_seconds": 2})],
                server_extra=cat % "north" + "[alerts]\ncamera_offline_seconds = 1\nhold_down_seconds = 0\n")
    south = Nvr("cat-south", [("gym", {"url": cam.url(), "segment_seconds": 2})],
                server_extra=cat % "south", storage_extra="max_bytes = 1500000\nmin_free = 0")
    # north is advertised over http, south over https with its own self-signed certificate
    with open(north.config) as f:
        text = f.read()
    with open(north.config, "w") as f:
        f.write(text.replace("[catalog]\n", "[catalog]\nadvertise = %s\n" % north.base_url, 1))
    cert, key = os.path.join(south.dir, "cert.pem"), os.path.join(south.dir, "key.pem")
    with open(south.config) as f:
        text = f.read()
    text = text.replace("[server]\n", "[server]\ntls_cert = %s\ntls_key = %s\n" % (cert, key), 1)
    text = text.replace("[catalog]\n", "[catalog]\nadvertise = https://127.0.0.1:%d/\n" % south.port, 1)
    with open(south.config, "w") as f:
        f.write(text)
    try:
        r = south.run_cli("cert", "-c", south.config, "--self-signed")
        check(r.returncode == 0, "nvr cert --self-signed for south: %r" % r.stderr)
        # a bad line names its file and line (and never echoes the URL's password)
        bad = os.path.join(north.dir, "bad.conf")
        with open(bad, "w") as f:
            f.write("[server]\ndata_dir = /tmp/x\n[catalog]\nurl = mysql://nvr:hunter2@db/nvr\nsite = a\n")
        r = subprocess.run([NVR, "check", "-c", bad], capture_output=True, text=True, timeout=60)
        check(r.returncode != 0 and "bad.conf:4: url must be a postgresql://" in r.stderr and "hunter2" not in r.stderr,
              "a bad catalog url is refused by file and line, unechoed: %r" % r.stderr)
        with open(bad, "w") as f:
            f.write("[server]\ndata_dir = /tmp/x\n[catalog]\nurl = %s\nsite = a\nadvertise = ftp://x/\n" % pg.url())
        r = subprocess.run([NVR, "check", "-c", bad], capture_output=True, text=True, timeout=60)
        check(r.returncode != 0 and "bad.conf:6: advertise must be http:// or https://" in r.stderr,
              "a bad advertise is refused by file and line: %r" % r.stderr)

        north.start()
        south.start()
        sites = lambda: sorted(r[0] for r in pg.query("SELECT name FROM nvr_sites"))
        check(wait_until(lambda: sites() == ["north", "south"], 30), "both sites registered: %r" % sites())
        cams = lambda: pg.query("SELECT site, id, status, codec FROM nvr_cameras ORDER BY site, id")
        check(wait_until(lambda: [c[2] for c in cams()] == ["recording", "recording"], 30),
              "each site's camera is published recording: %r" % cams())
        check([c[:2] for c in cams()] == [["north", "lobby"], ["south", "gym"]] and cams()[0][3] == "h264",
              "the cameras are named by site and id, with their codec: %r" % cams())
        # where the console reaches each site, and the pin of south's public key
        want_pin = subprocess.run(
            "openssl x509 -in %s -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary "
            "| base64" % cert, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
        urls = pg.query("SELECT name, url, coalesce(tls_pin, '-') FROM nvr_sites ORDER BY name")
        check(urls == [["north", north.base_url, "-"], ["south", "https://127.0.0.1:%d" % south.port,
                                                         "sha256//" + want_pin]] and len(want_pin) == 44,
              "nvr_sites.url is [catalog] advertise, tls_pin openssl's pin of south's key (%s): %r" % (want_pin, urls))
        health = lambda n: json.load(urllib.request.urlopen(n.base_url + "/api/v1/health", timeout=10))
        check(health(north)["catalog"] == "ok", "/api/v1/health says the catalog is ok: %r" % health(north))
        ver = pg.query("SELECT version FROM nvr_schema")
        check(ver == [["4"]], "the catalog's schema is version 4: %r" % ver)

        # a camera added over the API appears; removed, it is marked so (its coverage stays)
        def api(method, path, body=None):
            req = urllib.request.Request(north.base_url + path, method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": "Bearer " + north.token})
            return urllib.request.urlopen(req, timeout=10).status
        status_of = lambda cam_id: [c[2] for c in cams() if c[1] == cam_id]
        check(api("POST", "/api/v1/cameras", {"id": "hall", "url": "rtsp://127.0.0.1:9/x"}) == 201,
              "a camera added over the API")
        check(wait_until(lambda: status_of("hall") in (["connecting"], ["offline"]), 20),
              "it is published with its state: %r" % status_of("hall"))
        # its alert (offline for 1 s) is published; so are a hold, its release, the storage dirs
        alerts = lambda: pg.query("SELECT kind, camera, state FROM nvr_alerts WHERE site = 'north' ORDER BY id")
        check(wait_until(lambda: ["camera_offline", "hall", "open"] in alerts(), 30),
              "the site's alert incident is in the catalog: %r" % alerts())
        now = time.time()
        hold = {"cameras": ["lobby"], "start": iso(now - 30), "end": iso(now), "case": "2026-114",
                "reason": "catalog test"}
        check(api("POST", "/api/v1/holds", hold) == 201, "a hold made on north")
        holds = lambda: pg.query("SELECT cameras, case_id, released_by IS NOT NULL FROM nvr_holds WHERE site = 'north'")
        check(wait_until(lambda: holds() == [["{lobby}", "2026-114", "f"]], 20), "the hold is in the catalog: %r" % holds())
        hid = pg.query("SELECT id FROM nvr_holds WHERE site = 'north'")[0][0]
        check(api("DELETE", "/api/v1/holds/%s" % hid) == 200, "the hold released")
        check(wait_until(lambda: holds() == [["{lobby}", "2026-114", "t"]], 20),
              "its release is in the catalog: %r" % holds())
        audit = lambda: pg.query("SELECT name, audit ? 'cameras' FROM nvr_sites ORDER BY name")
        check(wait_until(lambda: audit() == [["north", "t"], ["south", "t"]], 20),
              "each site's audit report is in the catalog: %r" % audit())
        dirs = pg.query("SELECT dir_id, state, writable FROM nvr_storage WHERE site = 'north'")
        check(dirs == [["0", "ok", "t"]], "the storage dir's health is in the catalog: %r" % dirs)
        check(api("DELETE", "/api/v1/cameras/hall") == 200, "the camera removed over the API")
        check(wait_until(lambda: status_of("hall") == ["removed"], 20),
              "a camera no longer recorded here is marked removed: %r" % status_of("hall"))
        check(status_of("lobby") == ["recording"], "the others are not: %r" % cams())

        # coverage: the same runs as the recorder's own, ends within a publish
        check(north.wait_segments("lobby", 3, 30), "north recorded")
        time.sleep(PUBLISH * 2 + 1)
        # the catalog first: a publish landing between the two reads would otherwise put the
        # catalog a segment ahead of what was read from the recorder (the catalog is copied
        # from the recorder's index, so read in this order it is never ahead)
        theirs = runs(pg, "north", "lobby")
        mine = local_runs(north, "lobby")
        check(len(mine) >= 1 and len(theirs) == len(mine) and us(mine[0][0]) == theirs[0][0],
              "the catalog's runs start where the recorder's do: local %r, catalog %r" % (mine, theirs))
        lag = us(mine[-1][1]) - theirs[-1][1]
        print("coverage lag behind the recorder: %.1f s (publish every %d s)" % (lag / 1e6, PUBLISH))
        check(0 <= lag <= (PUBLISH + 3) * 1e6, "the catalog's coverage is at most a publish behind (%.1f s)" % (lag / 1e6))

        # the catalog stopped for 20 s: nothing is lost, and it catches up
        before_segs = len(north.db_rows("lobby"))
        pg.stop()
        down_at = time.time()
        time.sleep(20)
        after_segs = len(north.db_rows("lobby"))
        check(health(north)["catalog"] == "down" and health(north)["status"] == "ok",
              "/api/v1/health says the catalog is down, the recorder ok: %r" % health(north))
        check(after_segs >= before_segs + 5, "recording went on with the catalog down (%d -> %d segments)"
              % (before_segs, after_segs))
        warns = [l for l in north.log_text().splitlines() if "catalog:" in l and " warn " in l]
        mirror = [l for l in warns if "directory mirror" in l]
        warns = [l for l in warns if "directory mirror" not in l]
        check(1 <= len(warns) <= 2, "the outage is logged once, not once per retry: %r" % warns)
        check(len(mirror) == 1, "the people's mirror logs the outage once: %r" % mirror)
        pg.start(create_db=False)
        back_at = time.time()
        ok = wait_until(lambda: runs(pg, "north", "lobby") and runs(pg, "north", "lobby")[-1][1] >= us(back_at), 75)
        print("caught up %.1f s after the catalog came back (%d s down)" % (time.time() - back_at, back_at - down_at))
        caught = runs(pg, "north", "lobby")
        mine = local_runs(north, "lobby")
        check(ok, "the catalog caught up after it came back (%r)" % caught[-1:])
        check(len(caught) == len(mine), "no gap the recorder does not have: local runs %d, catalog runs %d"
              % (len(mine), len(caught)))
        covered = any(a <= us(down_at) and b >= us(back_at) for a, b in caught)
        check(covered, "the time the catalog was down is covered: %r" % caught)
        check(any("catalog: published" in l for l in north.log_text().splitlines()[-40:]),
              "the recorder says when it publishes again")

        # retention: south keeps ~1.5 MB, so its oldest footage moves and the catalog follows
        def follows():
            rows = south.db_rows("gym")
            cat_runs = runs(pg, "south", "gym")
            return rows and cat_runs and cat_runs[0][0] == rows[0]["start_us"] and rows[0]["start_us"] > south_first
        first_rows = south.db_rows("gym")
        south_first = first_rows[0]["start_us"] if first_rows else 0
        check(wait_until(lambda: south.db_rows("gym") and south.db_rows("gym")[0]["start_us"] > south_first, 90),
              "retention deleted south's oldest footage")
        check(wait_until(follows, 30), "the catalog's first run starts at the oldest footage left: %r vs %r"
              % (runs(pg, "south", "gym")[:1], south.db_rows("gym")[:1] and south.db_rows("gym")[0]["start_us"]))

        for n in (north, south):
            text = n.log_text()
            check(pg.password not in text, "the catalog's password is never logged (%s)" % n.dir)
    finally:
        north.stop()
        south.stop()
        cam.stop()
        pg.close()
    finish("test_catalog")


if __name__ == "__main__":
    main()
