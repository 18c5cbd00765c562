# SPDX-License-Identifier: Apache-2.0
"""The district console in a real browser (Debian's chromium driven by
playwright-core: tests/browser/console_test.mjs): a PostgreSQL catalog,
recorders of sites north and south each recording the test camera and
advertising their address (`[catalog] advertise`), and `nvr console` serving
the built web UI.  A district admin made in the catalog (`nvr district user
add`) signs in on the console's login page, the status board shows both
sites, and the playback page of south.gym plays through the console: the
recorder accepts the console's session through its mirror of the catalog
(docs/design/catalog.md D3), with no local account of that name."""
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
    south = advertised("bcon-south", [("gym", {"url": cam.url(), "segment_seconds": 2, "name": "Gym"})], cat % "south")
    try:
        north.start()
        south.start()
        check(wait_until(lambda: len(pg.query("SELECT 1 FROM nvr_cameras WHERE status = 'recording'")) == 2, 60),
              "both sites publish their camera")
        check(wait_until(lambda: pg.query("SELECT url FROM nvr_sites ORDER BY name") == [[north.base_url], [south.base_url]],
                         20), "both sites publish their advertised url")
        district_add(north, "boss", "admin", PW)
        con = Console(pg, 16, web_dir).start()
        check(south.wait_segments("gym", 8, 60), "south recorded")
        seek = time.time() - 10
        env = dict(os.environ, BASE_URL=con.base, ARTIFACTS=art, CAMERA="south.gym", SEEK=iso(seek),
                   ADMIN_USER="boss", ADMIN_PASSWORD=PW)
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
