# SPDX-License-Identifier: Apache-2.0
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
showed is the one `nvr version --key` prints.

The temporary hold of an export in progress: before the browser starts, an
`nvr export` on the command line is run in slices of a few milliseconds
(SIGCONT/SIGSTOP) until its hold is in the index, and left stopped there, so
the page shows a real export's hold for as long as the driver needs; then it
is let go and must finish and release its hold."""
import datetime
import json
import os
import signal
import subprocess
import sys
import time
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, NVR, Nvr, check, failures, finish, http_up, wait_until  # noqa: E402

import urllib.request  # noqa: E402


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
    check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")
    # about 25 s of lobby: the export asks for 10 s of it, ending 5 s ago
    check(nvr.wait_segments("lobby", 5, 60), "lobby did not record 5 segments")
    # an export frozen while it holds its footage
    def api(path):
        req = urllib.request.Request(nvr.base_url + path, headers={"Authorization": "Bearer " + nvr.token})
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())

    def iso(t):
        return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    recs = nvr.recordings("lobby")
    t_end = time.time() - 2
    cli_zip = os.path.join(nvr.dir, "cli-export.zip")
    ex = subprocess.Popen([NVR, "export", "-c", nvr.config, "--camera", "lobby", "--from", iso(t_end - 3600), "--to",
                           iso(t_end), "-o", cli_zip, "--reason", "frozen for the test", "--case", "cli-1", "--native", "-q"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ex.send_signal(signal.SIGSTOP)
    export_hold, slices = None, 0
    while export_hold is None and ex.poll() is None and slices < 5000:
        ex.send_signal(signal.SIGCONT)
        time.sleep(0.002)
        ex.send_signal(signal.SIGSTOP)
        slices += 1
        act = [h for h in api("/api/v1/holds")["holds"] if h["export"] and h["active"]]
        export_hold = act[0]["id"] if act else None
    print("the CLI export's hold %s after %d slices" % (export_hold, slices))
    check(export_hold is not None, "no export hold seen while the CLI export ran (it finished first?)")
    env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, TOKEN=nvr.token, INV_USER=INV, INV_PASSWORD=INV_PW,
               VIEWER_USER=VIEWER, VIEWER_PASSWORD=VIEWER_PW, CASE=CASE, ZIP_PATH=zip_path,
               EXPORT_HOLD=str(export_hold or 0))
    try:
        r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "evidence_test.mjs")], env=env, timeout=400)
    finally:
        ex.send_signal(signal.SIGCONT)
    check(r.returncode == 0, "browser checks failed (evidence_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
    out, err = ex.communicate(timeout=120)
    check(ex.returncode == 0, "the frozen CLI export did not finish once let go: %s %s" % (out[-300:], err[-300:]))
    if export_hold:
        h = api("/api/v1/holds/%d" % export_hold)
        check(not h["active"] and h["released_by"] == "export", "the export released its hold when done: %s" % h)

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
            readme = z.read("README.txt").decode("utf-8")
        check('1. Main lobby (camera id "lobby")' in readme and "2026-17" in readme and INV in readme and
              "Get-FileHash -Algorithm SHA256 main-lobby_lobby.mp4" in readme,
              "the README names the camera, case and operator: %s" % readme[:800])
        print("zip entries: %s" % names)
        dump = json.dumps(man)
        check(INV in dump and "2026-17" in dump, "the manifest names the investigator and the case: %s" % dump[:600])
        cams = [c.get("id") for c in man.get("cameras", [])]
        check(cams == ["lobby"], "the export holds lobby only: %s" % cams)
        check(any(n.startswith("native/main-lobby_lobby/") for n in names) and "main-lobby_lobby.mp4" in names,
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
