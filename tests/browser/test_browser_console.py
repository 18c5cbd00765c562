# SPDX-License-Identifier: Apache-2.0
"""The district console in a real browser (Debian's chromium driven by
playwright-core: tests/browser/console_test.mjs): a PostgreSQL catalog,
recorders of sites north (HTTP) and south (HTTPS with its self-signed
certificate, whose key the console pins) each recording the test camera and
advertising their address (`[catalog] advertise`), and `nvr console` serving
the built web UI.  A district admin made in the catalog (`nvr district user
add`) signs in on the console's login page, the status board shows both
sites, the playback pages of north.lobby and south.gym each play through the
console (the recorder accepts the console's session through its mirror of
the catalog, docs/design/catalog.md D3, with no local account of that name),
the cross-site picker (district_playback.html) plays north.lobby and
south.gym together on one clock through seek, pause and resume, from before
south's first footage south shows "no recording" and joins in step when its
footage starts (south starts recording some seconds after north), and the
live grid plays both.  A viewer granted only site north sees no south camera in
the picker, and south's playlist through the console is refused."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, check, finish, iso, wait_until  # noqa: E402
from pg_server import PgServer  # noqa: E402
from test_console import PW, Console, advertised, district_add  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "console")
check(os.path.exists(os.path.join(web_dir, "district.html")), "the status board is built in %s" % web_dir)


pg = PgServer().start()
cat = "[catalog]\nurl = %s\nsite = %%s\npublish_seconds = 2\n" % pg.url()
con = None
with Camera("h264.mp4") as cam:
    north = advertised("bcon-north", [("lobby", {"url": cam.url(), "segment_seconds": 2})], cat % "north")
    south = advertised("bcon-south", [("gym", {"url": cam.url(), "segment_seconds": 2, "name": "Gym"})], cat % "south",
                       tls=True)
    try:
        # south starts some seconds after north: from north's first footage to south's first,
        # south has a gap (no recording) for the synchronised playback to keep in step across
        north.start()
        check(north.wait_segments("lobby", 1, 60), "north records")
        north_first = min(r["start_us"] for r in north.db_rows("lobby")) / 1e6
        wait_until(lambda: time.time() > north_first + 8, 30)
        south.start()
        check(wait_until(lambda: len(pg.query("SELECT 1 FROM nvr_cameras WHERE status = 'recording'")) == 2, 60),
              "both sites publish their camera")
        want = [[north.base_url, "-"], ["https://127.0.0.1:%d" % south.port, "pinned"]]
        check(wait_until(lambda: pg.query("SELECT url, CASE WHEN tls_pin LIKE 'sha256//%' THEN 'pinned' ELSE '-' END "
                                          "FROM nvr_sites ORDER BY name") == want, 20),
              "both sites publish their advertised url, south (HTTPS) its key's pin")
        district_add(north, "boss", "admin", PW)
        district_add(north, "nora", "viewer", PW, grants="site:north")
        con = Console(pg, 16, web_dir).start()
        check(south.wait_segments("gym", 8, 60) and north.wait_segments("lobby", 8, 60), "both sites recorded")
        seek = time.time() - 10
        south_first = min(r["start_us"] for r in south.db_rows("gym")) / 1e6
        check(south_first > north_first + 6, "south's footage starts after north's (%.1f s)" % (south_first - north_first))
        env = dict(os.environ, BASE_URL=con.base, ARTIFACTS=art, CAMERA="south.gym", NORTH_CAMERA="north.lobby",
                   SEEK=iso(seek), GAP_T=iso(north_first + 1), SOUTH_FIRST=iso(south_first), ADMIN_USER="boss", ADMIN_PASSWORD=PW, VIEWER_USER="nora", VIEWER_PASSWORD=PW)
        r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "console_test.mjs")], env=env, timeout=300)
        check(r.returncode == 0, "browser checks failed (console_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
        check(con.stop() == 0, "the console stops cleanly")
        con = None
    finally:
        if con:
            con.stop()
        north.stop()
        south.stop()
        pg.stop()
finish("test_browser_console")
