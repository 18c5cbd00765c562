# SPDX-License-Identifier: Apache-2.0
"""The district console in a real browser (Debian's chromium driven by
playwright-core: tests/browser/console_test.mjs): a PostgreSQL catalog,
recorders of sites north and south each recording the test camera, and
`nvr console` serving the built web UI.  A district admin (a row of
nvr_users) signs in on the console's login page, the status board shows both
sites, and the playback page of south.gym plays through the console.

Until the recorders mirror the catalog's tokens (design D3, the `mirror`
branch) a thread of this script stands in for the mirror: it copies each new
nvr_tokens hash into the recorders' local tokens table for the local account
of the same name."""
import os
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, Nvr, check, failures, finish, iso, wait_until  # noqa: E402
from pg_server import PgServer  # noqa: E402
from test_console import PW, Console, pwhash_of  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "console")
check(os.path.exists(os.path.join(web_dir, "district.html")), "the status board is built in %s" % web_dir)


def mirror(pg, recorders, stop):
    """The stand-in for the recorders' mirror of nvr_tokens (D3)."""
    seen = set()
    while not stop.is_set():
        for h, name in pg.query("SELECT encode(hash, 'hex'), user_name FROM nvr_tokens"):
            if h in seen:
                continue
            seen.add(h)
            for n in recorders:
                db = sqlite3.connect(os.path.join(n.data_dir, "index.db"), timeout=30)
                row = db.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchone()
                if row:
                    db.execute("INSERT INTO tokens(token_hash, user_id, label, created_us) VALUES (?, ?, 'console', ?)",
                               (bytes.fromhex(h), row[0], int(time.time() * 1e6)))
                    db.commit()
                db.close()
        stop.wait(0.3)


pg = PgServer().start()
cat = "[catalog]\nurl = %s\nsite = %%s\npublish_seconds = 2\n" % pg.url()
stop = threading.Event()
con = None
with Camera("h264.mp4") as cam:
    north = Nvr("bcon-north", [("lobby", {"url": cam.url(), "segment_seconds": 2})], server_extra=cat % "north")
    south = Nvr("bcon-south", [("gym", {"url": cam.url(), "segment_seconds": 2, "name": "Gym"})],
                server_extra=cat % "south")
    t = None
    try:
        for n in (north, south):
            n.add_user("boss", "admin", PW)
        north.start()
        south.start()
        check(wait_until(lambda: len(pg.query("SELECT 1 FROM nvr_cameras WHERE status = 'recording'")) == 2, 60),
              "both sites publish their camera")
        pg.sql("UPDATE nvr_sites SET url = '%s' WHERE name = 'north'" % north.base_url)
        pg.sql("UPDATE nvr_sites SET url = '%s' WHERE name = 'south'" % south.base_url)
        now = int(time.time() * 1e6)
        pg.sql("INSERT INTO nvr_users(name, role, pwhash, created_us, updated_us) VALUES ('boss', 'admin', '%s', %d, %d)"
               % (pwhash_of(north, "boss"), now, now))
        t = threading.Thread(target=mirror, args=(pg, (north, south), stop), daemon=True)
        t.start()
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
        stop.set()
        if t:
            t.join(5)
        if con:
            con.stop()
        north.stop()
        south.stop()
        pg.stop()
finish("test_browser_console")
