# SPDX-License-Identifier: Apache-2.0
"""The district console's evidence page (district_exports.html) in a real browser (Debian's
chromium driven by playwright-core: tests/browser/console_evidence_test.mjs), set up as
test_browser_console.py: a PostgreSQL catalog, recorders of sites north (HTTP) and south
(HTTPS, its key pinned by the console) each recording the test camera, and `nvr console`
serving the built web UI; the people are made in the catalog (`nvr district user add`).

An investigator granted every camera makes a district export of north.lobby + south.gym on
the page, waits for its row to say done, and downloads it through the page's link
(playwright's download); `nvr verify` here passes on that file pinned to the console's key
(and fails on a copy with one byte changed). The page shows the server's 400 text for a range
over 7 days. A hold placed on the page at site north appears in the page's list, which is
north's forwarded `GET /api/v1/sites/north/holds`, and in north's own index; released on the
page it is inactive there. axe-core finds nothing serious or critical on the page. A viewer
sees no export or hold form and no Evidence link."""
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import NVR, Camera, check, finish, wait_until  # noqa: E402
from pg_server import PgServer  # noqa: E402
from test_console import PW, Console, advertised, district_add, mirrored  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "console_evidence")
os.makedirs(art, exist_ok=True)
check(os.path.exists(os.path.join(web_dir, "district_exports.html")), "the evidence page is built in %s" % web_dir)
ZIP = os.path.join(art, "district.zip")
HOLD_REASON = "held from the console page"


def verify(path, *args):
    r = subprocess.run([NVR, "verify", path] + list(args), capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


def holds(nvr, reason):
    """North's own holds (its index) with that reason: [(created_by, released_by)]."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(nvr.data_dir, "index.db"), uri=True, timeout=30)
    rows = db.execute("SELECT created_by, released_by FROM holds WHERE reason = ?", (reason,)).fetchall()
    db.close()
    return rows


pg = PgServer().start()
cat = "[catalog]\nurl = %s\nsite = %%s\npublish_seconds = 2\n" % pg.url()
con = None
with Camera("h264.mp4") as cam:
    north = advertised("bev-north", [("lobby", {"url": cam.url(), "segment_seconds": 2})], cat % "north")
    south = advertised("bev-south", [("gym", {"url": cam.url(), "segment_seconds": 2, "name": "Gym"})], cat % "south",
                       tls=True)
    try:
        north.start()
        south.start()
        check(wait_until(lambda: len(pg.query("SELECT 1 FROM nvr_cameras WHERE status = 'recording'")) == 2, 60),
              "both sites publish their camera")
        check(wait_until(lambda: len(pg.query("SELECT 1 FROM nvr_sites WHERE url IS NOT NULL")) == 2, 20),
              "both sites advertise their url")
        district_add(north, "ivan", "investigator", PW, grants="*")
        district_add(north, "vic", "viewer", PW, grants="*")
        for n, tls in ((north, False), (south, True)):
            check(wait_until(lambda: mirrored(n, "ivan", tls), 20, 0.2), "ivan is mirrored by each recorder")
        con = Console(pg, 16, web_dir).start()
        check(north.wait_segments("lobby", 8, 60) and south.wait_segments("gym", 8, 60), "both sites recorded")
        env = dict(os.environ, BASE_URL=con.base, ARTIFACTS=art, NORTH_CAMERA="north.lobby", SOUTH_CAMERA="south.gym",
                   INV_USER="ivan", INV_PASSWORD=PW, VIEWER_USER="vic", VIEWER_PASSWORD=PW, ZIP_PATH=ZIP,
                   HOLD_REASON=HOLD_REASON)
        r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "console_evidence_test.mjs")], env=env,
                           timeout=300)
        if not check(r.returncode == 0, "browser checks failed (console_evidence_test.mjs exit %d; screenshots in %s)"
                     % (r.returncode, art)):
            finish("test_browser_console_evidence")  # exits 1 (the servers stop below)
        fpr = subprocess.run([NVR, "version", "--key", "-c", con.config], capture_output=True, text=True, timeout=60)
        signer = [w for w in fpr.stdout.split() if w.startswith("sha256:")][0]
        rc, out = verify(ZIP, "--fingerprint", signer)
        check(rc == 0, "nvr verify passes on the zip downloaded through the page, signed by the console: %s" % out)
        with open(ZIP, "rb") as f:
            data = bytearray(f.read())
        data[len(data) // 2] ^= 1
        bad = os.path.join(art, "tampered.zip")
        with open(bad, "wb") as f:
            f.write(data)
        rc, out = verify(bad, "--fingerprint", signer)
        check(rc != 0, "and fails on a copy with one byte changed")
        h = holds(north, HOLD_REASON)
        check(h == [("ivan", "ivan")], "the hold placed on the page is north's own, made and released by ivan: %r" % h)
        check(con.stop() == 0, "the console stops cleanly")
        con = None
    finally:
        if con:
            con.stop()
        north.stop()
        south.stop()
        pg.stop()
finish("test_browser_console_evidence")
