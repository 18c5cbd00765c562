#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A district export (issue 17 item 4, docs/design/export.md "District exports"): one export
of cameras of two sites over one range, asked of the console (`POST /api/v1/exports`), made
by each site's recorder with the person's own token, and signed by the console.

A real PostgreSQL catalog, recorders north (HTTP) and south (HTTPS, key pinned) each
recording one test camera, one console with [console] max_exports = 1 (as test_console.py
sets them up). Checked: bad bodies are 400 JSON; a viewer is 403 by role; a person granted
only site north is 403 (naming no camera) for a request with south.gym, and 404 for an
unknown camera; the export of north.lobby + south.gym runs and a second one meanwhile is 503
(max_exports); it downloads (Range too); `nvr verify` passes pinned to the console's key;
each inner zip is the recorder's own signed export (signer = that recorder's key) and every
MP4 in it is one ffprobe accepts, covering the range; an inner zip tampered with, an inner
zip swapped for another recorder's genuine export (the outer manifest even re-signed with
the console's own key), and an edited outer manifest each FAIL; the console's access log
has the district export per camera and each recorder its own export_created for the person;
a console whose export_max_bytes is too small fails the job saying so, and that job is
listed 23 h later and gone 25 h later (export_keep_hours 24; the console on libfaketime's
clock, stepped); the routes and roles
are test_console.py's table (`nvr console --routes`)."""
import json
import os
import sqlite3
import subprocess
import tempfile
import time
import zipfile

from harness import NVR, Camera, check, finish, iso, probe_duration, wait_until
from pg_server import PgServer
from test_console import PW, Console, advertised, check_routes, district_add, mirrored

PUBLISH = 2
SPAN = 10.0


LIBS = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1", "/usr/lib/faketime/libfaketimeMT.so.1"]


def faketime(offset_file):
    """The wrapper that runs a process on a clock offset_file's seconds ahead
    (libfaketime, re-read every second: test_clock_step does the same)."""
    lib = next((p for p in LIBS if os.path.exists(p)), None)
    if not lib:
        raise SystemExit("libfaketime is missing (apt-get install faketime; packaging/install-deps.sh --test)")
    set_offset(offset_file, 0)
    asan = ":".join(x for x in (os.environ.get("ASAN_OPTIONS", ""), "verify_asan_link_order=0") if x)
    return ["env", "ASAN_OPTIONS=" + asan, "LD_PRELOAD=" + lib, "FAKETIME_TIMESTAMP_FILE=" + offset_file,
            "FAKETIME_CACHE_DURATION=1", "FAKETIME_DONT_FAKE_MONOTONIC=1", "FAKETIME_DONT_RESET=1"]


def set_offset(offset_file, seconds):
    with open(offset_file + ".tmp", "w") as f:
        f.write("%+d\n" % seconds)
    os.replace(offset_file + ".tmp", offset_file)


def console_with(pg, extra, wrapper=None):
    con = Console(pg, 8, wrapper=wrapper)
    with open(con.config, "a") as f:
        f.write(extra)
    return con


def verify(path, *args):
    r = subprocess.run([NVR, "verify", path] + list(args), capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


def rewrite(src, dst, replace):
    """A copy of zip src with the entries of replace (name -> bytes) swapped in, stored."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info.filename)))


def sha256(data):
    import hashlib
    return hashlib.sha256(data).hexdigest()


def fingerprint(config):
    r = subprocess.run([NVR, "version", "--key", "-c", config], capture_output=True, text=True, timeout=60)
    return [w for w in r.stdout.split() if w.startswith("sha256:")][0]


def access_rows(db_path, action):
    db = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=30)
    rows = db.execute("SELECT user, camera, detail FROM access_log WHERE action = ?", (action,)).fetchall()
    db.close()
    return rows


def bad_bodies(con, ivan, t0, t1):
    good = {"cameras": ["north.lobby"], "start": iso(t0), "end": iso(t1), "reason": "r"}
    cases = [
        ("not JSON", "{nope"),
        ("no cameras", dict(good, cameras=None)),
        ("an empty camera list", dict(good, cameras=[])),
        ("a camera without its site", dict(good, cameras=["lobby"])),
        ("a camera twice", dict(good, cameras=["north.lobby", "north.lobby"])),
        ("a start that is no time", dict(good, start="yesterday")),
        ("end before start", dict(good, start=iso(t1), end=iso(t0))),
        ("a range over 7 days", dict(good, start=iso(t1 - 8 * 86400))),
        ("a reason that is no string", dict(good, reason=7)),
    ]
    for what, body in cases:
        if isinstance(body, dict):
            body = dict((k, v) for k, v in body.items() if v is not None)
            st, h, data = con.request("POST", "/api/v1/exports", body=body, secret=ivan)
        else:
            st, h, data = raw_post(con, body, ivan)
        err = json.loads(data).get("error") if data.startswith(b"{") else None
        check(st == 400 and err, "%s is 400 with a JSON error (%d %r)" % (what, st, data[:200]))


def raw_post(con, text, secret):
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", con.port, timeout=30)
    c.request("POST", "/api/v1/exports", body=text, headers={"Content-Type": "application/json",
                                                             "Authorization": "Bearer " + secret})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, {}, data


def wait_done(con, secret, xid, timeout):
    state = {}

    def done():
        st, j = con.json("GET", "/api/v1/exports/" + xid, secret=secret)
        state["j"] = j
        return st == 200 and j["status"] in ("done", "failed")
    wait_until(done, timeout, 0.5)
    return state.get("j")


def check_inner(work, zpath, site, cams, signer):
    """The site's zip is its recorder's signed export: it verifies pinned to that recorder's
    key; every MP4 in it is one ffprobe accepts and covers the range."""
    rc, out = verify(zpath, "--fingerprint", signer)
    check(rc == 0, "%s's inner export verifies on its own, pinned to %s's key: %s" % (site, site, out[-300:]))
    with zipfile.ZipFile(zpath) as z:
        names = [n for n in z.namelist() if n.endswith(".mp4")]
        z.extractall(os.path.join(work, site))
    check(len(names) == len(cams), "%s: one MP4 per camera: %r" % (site, names))
    for n in names:
        p = os.path.join(work, site, n)
        r = subprocess.run(["ffprobe", "-v", "error", "-show_format", p], capture_output=True, text=True)
        d = probe_duration(p)
        print("%s: %s %.2f s for a %.0f s range" % (site, n, d, SPAN))
        check(r.returncode == 0 and not r.stderr.strip(), "ffprobe accepts %s/%s: %s" % (site, n, r.stderr[:300]))
        check(SPAN - 1.0 <= d <= SPAN + 4.0, "%s/%s covers the range (%.2f s of %.0f s)" % (site, n, d, SPAN))


def tamper_cases(con, work, out, console_fpr):
    with zipfile.ZipFile(out) as z:
        manifest = json.loads(z.read("manifest.json"))
        north_zip = z.read("sites/north/export.zip")
        south_zip = z.read("sites/south/export.zip")
        raw_manifest = z.read("manifest.json")
    # 1. an inner zip changed (one byte in the middle of north's export)
    b = bytearray(north_zip)
    b[len(b) // 2] ^= 0xFF
    t1 = os.path.join(work, "tampered-inner.zip")
    rewrite(out, t1, {"sites/north/export.zip": bytes(b)})
    rc, text = verify(t1, "--fingerprint", console_fpr)
    print("tampered inner zip:\n" + "\n".join(l for l in text.splitlines() if "FAILED" in l))
    check(rc == 1 and "FAILED: sites/north/export.zip (site north): SHA-256" in text,
          "an inner zip changed fails, naming it: %s" % text[-600:])
    # 2. north's export swapped for another genuine export signed by another key (south's),
    #    its hash put in the manifest and the manifest re-signed with the console's own key
    #    (the strongest forger: it has the console's key, not north's)
    m2 = json.loads(raw_manifest)
    for s in m2["sites"]:
        if s["site"] == "north":
            s["sha256"], s["bytes"] = sha256(south_zip), len(south_zip)
    for f in m2["files"]:
        if f["name"] == "sites/north/export.zip":
            f["sha256"], f["bytes"] = sha256(south_zip), len(south_zip)
    m2_bytes = json.dumps(m2, indent=2).encode()
    mpath, spath = os.path.join(work, "m2.json"), os.path.join(work, "m2.sig")
    with open(mpath, "wb") as f:
        f.write(m2_bytes)
    r = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", os.path.join(con.dir, "data", "signing-key.pem"),
                        "-rawin", "-in", mpath, "-out", spath], capture_output=True, text=True)
    check(r.returncode == 0, "the forged manifest is signed with the console's key: %s" % r.stderr)
    with open(spath, "rb") as f:
        sig = f.read()
    t2 = os.path.join(work, "swapped-inner.zip")
    rewrite(out, t2, {"sites/north/export.zip": south_zip, "manifest.json": m2_bytes, "manifest.json.sig": sig})
    rc, text = verify(t2, "--fingerprint", console_fpr)
    print("swapped inner zip:\n" + "\n".join(l for l in text.splitlines() if "FAILED" in l))
    check("ok: manifest.json signature" in text, "(the forged outer manifest's signature itself is valid)")
    check(rc == 1 and "[north] FAILED: signer: signed by" in text and
          "FAILED: sites/north/export.zip (site north): the site's export does not verify" in text,
          "an inner zip swapped for one signed by another key fails on its signer: %s" % text[-800:])
    # 3. the outer manifest edited (the reason), its signature kept
    m3 = raw_manifest.replace(json.dumps(manifest["reason"]).encode(), b'"nothing to see"')
    check(m3 != raw_manifest, "the reason is in the manifest")
    t3 = os.path.join(work, "edited-manifest.zip")
    rewrite(out, t3, {"manifest.json": m3})
    rc, text = verify(t3, "--fingerprint", console_fpr)
    print("edited outer manifest:\n" + "\n".join(l for l in text.splitlines() if "FAILED" in l))
    check(rc == 1 and "FAILED: manifest.json: the console's signature does not match" in text,
          "an edited outer manifest fails on the console's signature: %s" % text[-600:])
    # and a genuine one pinned to another key (north's) fails on the signer
    rc, text = verify(out, "--fingerprint", manifest["sites"][0]["signer"])
    check(rc == 1 and "FAILED: signer: signed by %s, not by the pinned console key" % console_fpr in text,
          "pinned to another key than the console's, it fails: %s" % text[-400:])


def main():
    pg = PgServer().start()
    cam = Camera("h264.mp4").start()
    cat = "[catalog]\nurl = %s\nsite = %%s\npublish_seconds = %d\n" % (pg.url(), PUBLISH)
    north = advertised("cx-north", [("lobby", {"url": cam.url(), "segment_seconds": 2})], cat % "north")
    south = advertised("cx-south", [("gym", {"url": cam.url(), "segment_seconds": 2})], cat % "south", tls=True)
    con = con2 = None
    work = tempfile.mkdtemp(prefix="nvr-cx-", dir=os.environ.get("NVR_TEST_TMP"))
    try:
        check_routes()
        north.start()
        south.start()
        cams = lambda: pg.query("SELECT site, id, status FROM nvr_cameras ORDER BY site, id")
        check(wait_until(lambda: [c[2] for c in cams()] == ["recording", "recording"], 60),
              "both sites publish their camera recording: %r" % cams())
        check(wait_until(lambda: len(pg.query("SELECT 1 FROM nvr_sites WHERE url IS NOT NULL")) == 2, 20),
              "both sites advertise their url")
        district_add(north, "boss", "admin", PW)
        con = console_with(pg, "max_exports = 1\n").start()
        st, boss, boss_csrf = con.sign_in("boss", PW)
        check(st == 200, "boss signs in on the console")
        for name, role, grants in (("ivan", "investigator", ["*"]), ("nina", "investigator", ["site:north"]),
                                   ("vic", "viewer", ["*"])):
            st, _ = con.json("POST", "/api/v1/users", secret=boss, csrf=boss_csrf,
                             body={"name": name, "role": role, "password": PW, "cameras": grants})
            check(st == 201, "%s added (%d)" % (name, st))
        ivan, nina, vic = [con.sign_in(n, PW)[1] for n in ("ivan", "nina", "vic")]
        for n, tls in ((north, False), (south, True)):
            check(wait_until(lambda: mirrored(n, "ivan", tls), 15, 0.1), "ivan is mirrored by each recorder")
        check(north.wait_segments("lobby", 9, 60) and south.wait_segments("gym", 9, 60), "both recorded")
        t1 = time.time() - 4
        t0 = t1 - SPAN
        body = {"cameras": ["north.lobby", "south.gym"], "start": iso(t0), "end": iso(t1),
                "reason": "fight between the lobby and the gym", "case": "2026-417"}

        bad_bodies(con, ivan, t0, t1)
        st = con.status("POST", "/api/v1/exports", body=body, secret=vic)
        check(st == 403, "a viewer may not make a district export: 403 (%d)" % st)
        st, h, data = con.request("POST", "/api/v1/exports", body=body, secret=nina)
        check(st == 403 and json.loads(data)["error"] and b"gym" not in data and b"south" not in data,
              "nina (site:north only) asking for south.gym too: 403 naming no camera (%d %r)" % (st, data))
        st, h, data = con.request("POST", "/api/v1/exports", body=dict(body, cameras=["north.nope"]), secret=nina)
        check(st == 404 and json.loads(data)["error"], "an unknown camera: 404 JSON (%d %r)" % (st, data))

        st, x = con.json("POST", "/api/v1/exports", body=body, secret=ivan)
        check(st == 202 and x["id"] and x["status"] == "running" and
              [s["site"] for s in x["sites"]] == ["north", "south"] and x["cameras"] == body["cameras"],
              "the district export is accepted: 202 %r" % x)
        st, h, data = con.request("POST", "/api/v1/exports", body=body, secret=ivan)
        check(st == 503 and json.loads(data)["error"] and h.get("retry-after"),
              "a second one while it runs is past max_exports = 1: 503 JSON (%d %r)" % (st, data))
        started = time.time()
        j = wait_done(con, ivan, x["id"], 180)
        print("district export of 2 sites, %.0f s of footage: done in %.1f s" % (SPAN, time.time() - started))
        check(j and j["status"] == "done" and j["size"] > 0 and
              [s["status"] for s in j["sites"]] == ["done", "done"] and all(s["export_id"] for s in j["sites"]),
              "it finishes: %r" % j)
        st, lst = con.json("GET", "/api/v1/exports", secret=ivan)
        check(st == 200 and [e["id"] for e in lst["exports"]] == [x["id"]], "ivan's list has it: %r" % lst)
        check(con.json("GET", "/api/v1/exports", secret=nina)[1]["exports"] == [],
              "nina's list does not (only the requester and admins see it)")
        check(con.status("GET", "/api/v1/exports/%s" % x["id"], secret=nina) == 404, "nina: 404 for it")
        check(con.status("GET", "/api/v1/exports/%s" % x["id"], secret=boss) == 200, "an admin sees it")

        st, h, data = con.request("GET", j["download"], secret=ivan)
        out = os.path.join(work, "district.zip")
        with open(out, "wb") as f:
            f.write(data)
        check(st == 200 and len(data) == j["size"] and h.get("content-type") == "application/zip" and
              "district-export_" in h.get("content-disposition", ""), "the zip downloads (%d, %d bytes)" % (st, len(data)))
        st, h, part = con.request("GET", j["download"], secret=ivan, headers={"Range": "bytes=100-199"})
        check(st == 206 and part == data[100:200], "with Range: 206 and those bytes (%d)" % st)

        # the outer zip, and verify pinned to the console's key
        console_fpr = fingerprint(con.config)
        north_fpr, south_fpr = fingerprint(north.config), fingerprint(south.config)
        with zipfile.ZipFile(out) as z:
            names = sorted(z.namelist())
            manifest = json.loads(z.read("manifest.json"))
            for s in ("north", "south"):
                with open(os.path.join(work, s + ".zip"), "wb") as f:
                    f.write(z.read("sites/%s/export.zip" % s))
        check(names == ["README.txt", "manifest.json", "manifest.json.sig", "public-key.pem",
                        "sites/north/export.zip", "sites/south/export.zip"], "the zip's entries: %r" % names)
        sites = dict((s["site"], s) for s in manifest["sites"])
        check(manifest["kind"] == "district_export" and manifest["id"] == x["id"] and manifest["requester"] == "ivan"
              and manifest["reason"] == body["reason"] and manifest["case"] == body["case"]
              and manifest["signing_key"]["fingerprint"] == console_fpr,
              "the manifest names the export, requester, reason, case and the console's key: %r" %
              dict((k, v) for k, v in manifest.items() if k not in ("sites", "files")))
        check(sites["north"]["signer"] == north_fpr and sites["south"]["signer"] == south_fpr
              and sites["north"]["cameras"] == ["north.lobby"] and sites["south"]["cameras"] == ["south.gym"]
              and sites["north"]["url"] == north.base_url and sites["south"]["url"].startswith("https://"),
              "per site: its recorder's key, cameras and url: %r" % manifest["sites"])
        rc, text = verify(out, "-c", con.config)
        print(text)
        check(rc == 0 and "verified" in text and text.count("ok: site ") == 2,
              "nvr verify passes pinned to the console's key (-c CONSOLE.conf)")
        rc, text = verify(out, "--pin", console_fpr)
        check(rc == 0, "and with --pin (%s)" % text[-200:])
        for s, fpr, c in (("north", north_fpr, ["lobby"]), ("south", south_fpr, ["gym"])):
            check_inner(work, os.path.join(work, s + ".zip"), s, c, fpr)

        tamper_cases(con, work, out, console_fpr)

        # access logs: the console's (per camera), each recorder's own for the person
        rows = access_rows(os.path.join(con.dir, "data", "index.db"), "district_export")
        check(sorted((u, c) for u, c, _ in rows) == [("ivan", "north.lobby"), ("ivan", "south.gym")] and
              all(("district_export=%s" % x["id"]) in d and "sites=north,south" in d for _, _, d in rows),
              "the console's access log has the district export per camera: %r" % rows)
        check(access_rows(os.path.join(con.dir, "data", "index.db"), "district_export_downloaded"),
              "and its download")
        for n, c in ((north, "lobby"), (south, "gym")):
            rows = access_rows(os.path.join(n.data_dir, "index.db"), "export_created")
            check([(u, cc) for u, cc, _ in rows] == [("ivan", c)], "the recorder logs ivan's export of %s: %r" % (c, rows))

        # the slot is free again; a console whose size cap is too small fails the job saying so
        st, y = con.json("POST", "/api/v1/exports", body=dict(body, cameras=["south.gym"]), secret=ivan)
        check(st == 202, "with the first done, another one is accepted (%d)" % st)
        offset_file = os.path.join(work, "console2.faketime")
        con2 = console_with(pg, "export_max_bytes = 10K\n", faketime(offset_file)).start()
        st, x2 = con2.json("POST", "/api/v1/exports", body=body, secret=con2.sign_in("ivan", PW)[1])
        j2 = wait_done(con2, con2.sign_in("ivan", PW)[1], x2["id"], 120) if st == 202 else None
        check(j2 and j2["status"] == "failed" and "export_max_bytes" in j2["error"],
              "a console with export_max_bytes = 10K fails the job saying why: %r" % j2)
        check(os.listdir(os.path.join(con2.dir, "data", "district-exports")) == [],
              "and leaves nothing in its folder")
        # export_keep_hours (24 by default) after it finished, the job is deleted: not before
        set_offset(offset_file, 23 * 3600)
        time.sleep(2.5)  # libfaketime reads the file again every second
        st, lst = con2.json("GET", "/api/v1/exports", secret=con2.sign_in("ivan", PW)[1])
        check(st == 200 and [e["id"] for e in lst["exports"]] == [x2["id"]],
              "23 h after it failed the job is still listed: %d %r" % (st, lst))
        set_offset(offset_file, 25 * 3600)
        time.sleep(2.5)
        secret = con2.sign_in("ivan", PW)[1]
        st, lst = con2.json("GET", "/api/v1/exports", secret=secret)
        check(st == 200 and lst["exports"] == [], "25 h after, it is gone from the list: %d %r" % (st, lst))
        check(con2.status("GET", "/api/v1/exports/%s" % x2["id"], secret=secret) == 404, "and 404 by its id")
        deleted = open(con2.log_path).read().count("console: district export deleted id=%s (kept 24 h)" % x2["id"])
        check(deleted == 1, "the console logs the deletion once: %d" % deleted)
        check(con2.stop() == 0, "that console stops cleanly")
        con2 = None
        check(con.stop() == 0, "the console stops cleanly, a district export maybe running")
        con = None
    finally:
        for c in (con, con2):
            if c:
                c.stop()
        north.stop()
        south.stop()
        cam.stop()
        pg.stop()
    finish("test_console_export")


if __name__ == "__main__":
    main()
