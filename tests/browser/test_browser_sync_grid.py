# SPDX-License-Identifier: Apache-2.0
"""9 and 16 cameras in synchronised playback, in a real browser (Debian's
chromium driven by playwright-core: tests/browser/sync_grid_test.mjs): 16
cameras (one test camera serving 16 mounts, as test_browser_grid16.py)
record for a while, then playback.html opens 9 and then 16 of them at one
instant, playing; every tile must show its camera's picture and stay within
LIMIT_MS of the master's wall clock (docs/design/playback.md,
"Synchronisation")."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, Nvr, check, failures, finish, http_up, iso, wait_until  # noqa: E402

N = 16
LIMIT_MS = 500
web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "sync-grid")

with Camera("h264.mp4", mounts=N, no_audio=True) as cam:
    ids = ["cam%02d" % (i + 1) for i in range(N)]
    nvr = Nvr("browser-sync-grid", [(c, {"url": cam.url(mount="/cam%d" % (i + 1)), "segment_seconds": 4,
                                         "name": "Camera %d" % (i + 1)}) for i, c in enumerate(ids)],
              server_extra="web_dir = %s" % web_dir)
    nvr.start()
    check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")
    check(wait_until(lambda: all(nvr.wait_segments(c, 3, 0.1) for c in ids), 90), "the cameras did not record")
    # T: two seconds after the last camera's first footage; a phase plays ~15 s, the second
    # starts later: footage of every camera from T on
    first = max(min(r["start_us"] for r in nvr.db_rows(c)) for c in ids) / 1e6
    t = first + 2
    wait_until(lambda: time.time() > t + 14, 30)
    env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, ADMIN_USER="admin", ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD,
               TOKEN=nvr.token, CAMERAS=",".join(ids), T=iso(t), LIMIT_MS=str(LIMIT_MS))
    r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "sync_grid_test.mjs")], env=env, timeout=280)
    check(r.returncode == 0, "browser checks failed (sync_grid_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
    check(nvr.stop() == 0, "nvr did not exit cleanly")
    if failures:
        print(nvr.log_text()[-3000:])
finish("test_browser_sync_grid")
