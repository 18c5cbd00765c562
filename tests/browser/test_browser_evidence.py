"""The evidence pages holds.html and exports.html in a real browser
(Debian's chromium driven by playwright-core: tests/browser/evidence_test.mjs),
against `nvr run` recording two cameras from the test camera.

This script sets the scene with the integration harness: cameras "lobby" and
"gym", an admin (its API token lets the driver check the server's side), an
investigator granted only lobby and a viewer.  The Node driver places and
releases a hold through the UI, requests an export of about 10 s through the
UI, follows it to "done" and downloads the zip with the page's link, and
checks that a viewer sees neither page.  Afterwards this script checks the
downloaded zip independently: `nvr verify` passes on it, its manifest names
the investigator, the UI's case and lobby only, and the fingerprint the page
showed is the one `nvr version --key` prints."""
import json
import os
import subprocess
import sys
import time
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import NVR, Camera, Nvr, check, failures, finish, wait_until  # noqa: E402

import urllib.request  # noqa: E402


def up(base):
    try:
        with urllib.request.urlopen(base + "/api/v1/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "evidence")
os.makedirs(art, exist_ok=True)
zip_path = os.path.join(art, "export.zip")
fig_path = os.path.join(art, "figures.json")
for p in (zip_path, fig_path):
    if os.path.exists(p):
        os.remove(p)
check(os.path.exists(os.path.join(web_dir, "holds.html")) and os.path.exists(os.path.join(web_dir, "exports.html")),
      "the evidence pages are built in %s" % web_dir)
INV, INV_PW = "ivy", "investigator-pass-1"
VIEWER, VIEWER_PW = "vic", "viewer-pass-1"
CASE = "<b>2026-17</b> & co"

with Camera("h264.mp4") as cam:
    nvr = Nvr("browser-evidence", [("lobby", {"url": cam.url(), "segment_seconds": 4, "name": "Main lobby"}),
                                   ("gym", {"url": cam.url(), "segment_seconds": 4, "name": "Gym"})],
              server_extra="web_dir = %s" % web_dir)
    nvr.add_user("admin", "admin", Nvr.ADMIN_PASSWORD)
    nvr.token = nvr.make_token("admin")
    nvr.add_user(INV, "investigator", INV_PW, ["lobby"])
    nvr.add_user(VIEWER, "viewer", VIEWER_PW, ["lobby"])
    nvr.start()
    check(wait_until(lambda: up(nvr.base_url), 10), "the server did not come up")
    # about 25 s of lobby: the export asks for 10 s of it, ending 5 s ago
    check(nvr.wait_segments("lobby", 5, 60), "lobby did not record 5 segments")
    env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, TOKEN=nvr.token, INV_USER=INV, INV_PASSWORD=INV_PW,
               VIEWER_USER=VIEWER, VIEWER_PASSWORD=VIEWER_PW, CASE=CASE, ZIP_PATH=zip_path)
    r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "evidence_test.mjs")], env=env, timeout=400)
    check(r.returncode == 0, "browser checks failed (evidence_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))

    # the downloaded zip, checked without the browser
    figures = json.load(open(fig_path)) if os.path.exists(fig_path) else {}
    if check(os.path.exists(zip_path), "the browser downloaded no zip to %s" % zip_path):
        t0 = time.monotonic()
        v = subprocess.run([NVR, "verify", zip_path], capture_output=True, text=True, timeout=120)
        print("nvr verify: exit %d in %.2f s, zip %d bytes" % (v.returncode, time.monotonic() - t0,
                                                               os.path.getsize(zip_path)))
        check(v.returncode == 0 and "verified" in v.stdout, "nvr verify on the UI's download: %s%s" % (v.stdout, v.stderr))
        with zipfile.ZipFile(zip_path) as z:
            man = json.loads(z.read("manifest.json"))
            names = z.namelist()
        print("zip entries: %s" % names)
        dump = json.dumps(man)
        check(INV in dump and "2026-17" in dump, "the manifest names the investigator and the case: %s" % dump[:600])
        cams = [c.get("id") for c in man.get("cameras", [])]
        check(cams == ["lobby"], "the export holds lobby only: %s" % cams)
        check(any(n.startswith("native/lobby/") for n in names),
              "the zip carries the original segment files asked for on the page: %s" % names)
        fpr = man.get("signing_key", {}).get("fingerprint")
        check(fpr and fpr == figures.get("fingerprint"),
              "the page showed the manifest's key fingerprint (%s vs %s)" % (figures.get("fingerprint"), fpr))
    k = nvr.run_cli("version", "--key", "-c", nvr.config)
    check(k.returncode == 0 and figures.get("fingerprint") and figures["fingerprint"] in k.stdout,
          "the page's fingerprint is the one `nvr version --key` prints: %s" % k.stdout[:200])
    check(nvr.stop() == 0, "nvr did not exit cleanly")
    if failures:
        print(nvr.log_text()[-3000:])
finish("test_browser_evidence")
