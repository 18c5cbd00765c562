# SPDX-License-Identifier: Apache-2.0
"""The archive tier (issue 16, item 3) against a real S3 implementation on
loopback (s3rver from web/'s npm lock), the real `nvr` binary and Debian's
chromium:

1. footage older than archive_after_days (here 0.0002 days, 17 s) is moved:
   its rows point at s3://bucket/prefix/..., the local files are gone, the
   objects are in the bucket with the segments' bytes;
2. an export of a range made before archiving and one made after are
   byte-identical MP4s; ffprobe decodes the HLS playlist of the archived
   range; the playback page plays it in chromium (archive_test.mjs);
3. the bucket goes down: recording goes on without a gap, /api/v1/storage
   says the archive is not ok and why; it comes back: archiving resumes;
4. nvr check --storage is clean with archived footage in the index.
Figures printed: the archive's upload rate (the server's own measure)."""
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, Nvr, check, failures, finish, free_port, http_up, iso, wait_until  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.environ["NVR_ARTIFACTS"]
s3rver = os.path.join(os.environ["NPM_DIR"], "node_modules", ".bin", "s3rver")
check(os.path.exists(s3rver), "s3rver is installed from web/'s npm lock: %s" % s3rver)
BUCKET = "nvr-archive"


def api(nvr, path, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(nvr.base_url + path, data=data, method=method,
                                 headers={"Authorization": "Bearer " + nvr.token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def start_s3(port, data):
    p = subprocess.Popen([s3rver, "-d", data, "-p", str(port), "-a", "127.0.0.1", "--configure-bucket", BUCKET,
                          "--silent"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import socket

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False
    check(wait_until(up, 20), "s3rver listens on %d" % port)
    return p


def export(nvr, cam, t0, t1):
    """An export over HTTP: {name: bytes} of its MP4 files."""
    st, body = api(nvr, "/api/v1/exports", "POST", {"cameras": [cam], "start": iso(t0), "end": iso(t1),
                                                    "reason": "archive test", "native": True})
    check(st == 202, "POST /exports: %s %s" % (st, body[:200]))
    eid = json.loads(body)["id"] if st == 202 else "x"

    def done():
        s, b = api(nvr, "/api/v1/exports/" + eid)
        d = json.loads(b) if s == 200 else None
        return d if d and d["status"] in ("done", "failed") else None
    d = wait_until(done, 90)
    check(d and d["status"] == "done", "export job: %s" % d)
    st, data = api(nvr, "/api/v1/exports/%s/download" % eid)
    if st != 200:
        return {}
    z = zipfile.ZipFile(io.BytesIO(data))
    return {n: z.read(n) for n in z.namelist() if n.endswith(".mp4")}


s3_port = free_port()
with Camera("h264_bf.mp4", no_audio=True) as cam:
    nvr = Nvr("archive", [("porch", {"url": cam.url(), "segment_seconds": 2, "name": "Porch"})],
              server_extra="web_dir = %s" % web_dir,
              storage_extra="archive_url = s3://%s/north-high\narchive_endpoint = http://127.0.0.1:%d\n"
                            "archive_access_key = S3RVER\narchive_secret_key = S3RVER\n"
                            "archive_after_days = 0.0002" % (BUCKET, s3_port))
    s3_data = os.path.join(nvr.dir, "s3")
    os.makedirs(s3_data)
    s3 = start_s3(s3_port, s3_data)
    nvr.start()
    check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")
    check(nvr.wait_segments("porch", 4, 40), "the camera did not record")
    rows = [r for r in nvr.db_rows("porch") if r["state"] == 0]
    t0, t1 = rows[0]["start_us"] / 1e6, rows[2]["end_us"] / 1e6
    before = export(nvr, "porch", t0, t1)
    check(before, "an export before archiving")
    first = rows[:3]

    # 1. moved
    def archived():
        now = {r["id"]: r for r in nvr.db_rows("porch")}
        return all(now.get(r["id"], {}).get("archive") for r in first) and now
    now = wait_until(archived, 60)
    check(now, "the first segments are archived within 60 s")
    for r in first:
        a = (now or {}).get(r["id"], {}).get("archive") or ""
        check(a == "s3://%s/north-high/%s" % (BUCKET, r["path"]), "%s -> %s" % (r["path"], a))
        check(not os.path.exists(nvr.path(r["path"])), "the local file of %s is gone" % r["path"])
        found = [os.path.join(d, f) for d, _, fs in os.walk(s3_data) for f in fs
                 if os.path.basename(r["path"]) in f and not f.endswith(".json")]
        check(found and any(os.path.getsize(p) == r["bytes"] for p in found),
              "the bucket holds %s with its %d bytes: %s" % (r["path"], r["bytes"], found))

    # 2. read back
    after = export(nvr, "porch", t0, t1)
    check(after and set(after) == set(before) and all(after[n] == before[n] for n in before),
          "the export after archiving is byte-identical (%s)" %
          {n: (hashlib.sha256(before[n]).hexdigest()[:12], hashlib.sha256(after.get(n, b"")).hexdigest()[:12])
           for n in before})
    cli_zip = os.path.join(nvr.dir, "cli-export.zip")
    r = nvr.run_cli("export", "-c", nvr.config, "--camera", "porch", "--from", iso(t0), "--to", iso(t1),
                    "-o", cli_zip, "--native")
    check(r.returncode == 0, "nvr export (offline) reads the archived footage: %s" % r.stderr[-500:])
    if r.returncode == 0:
        z = zipfile.ZipFile(cli_zip)
        cli = {n: z.read(n) for n in z.namelist() if n.endswith(".mp4")}
        check(cli and all(cli.get(n) == before[n] for n in before), "the offline export is byte-identical too")
    url = "%s/api/v1/cameras/porch/playback.m3u8?start=%s&end=%s" % (nvr.base_url, iso(t0), iso(t1))
    r = subprocess.run(["ffprobe", "-v", "error"] + nvr.ffmpeg_auth() +
                       ["-show_entries", "format=duration", "-of", "csv=p=0", url],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and float(r.stdout.strip() or 0) > 0.8 * (t1 - t0),
          "ffprobe decodes the archived range: %s %s" % (r.stdout.strip(), r.stderr[-300:]))
    env = dict(os.environ, BASE_URL=nvr.base_url, CAMERA="porch", ARTIFACTS=os.path.join(art, "archive"),
               ADMIN_USER="admin", ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD, SEEK=iso(first[1]["start_us"] / 1e6 + 0.5))
    b = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "archive_test.mjs")], env=env, timeout=200)
    check(b.returncode == 0, "chromium plays the archived footage (archive_test.mjs exit %d)" % b.returncode)
    st, body = api(nvr, "/api/v1/storage")
    a = json.loads(body).get("archive") if st == 200 else None
    check(a and a["ok"] and a["uploaded"] >= 3, "storage route: archive ok, %s" % a)
    if a:
        print("archive upload: %d segments, %d bytes, last upload %.1f MB/s (s3rver on loopback)" %
              (a["uploaded"], a["uploaded_bytes"], a["upload_bytes_per_second"] / 1e6))

    # 3. the bucket goes down
    s3.send_signal(signal.SIGTERM)
    s3.wait(10)
    t_down = time.time()
    check(wait_until(lambda: not json.loads(api(nvr, "/api/v1/storage")[1])["archive"]["ok"], 40),
          "the archive says it is not ok while the bucket is down")
    st, body = api(nvr, "/api/v1/storage")
    print("bucket down: %s" % json.loads(body)["archive"]["last_error"])
    time.sleep(6)
    recent = [x for x in nvr.db_rows("porch") if x["start_us"] / 1e6 > t_down - 2]
    spans = sorted((x["start_us"] / 1e6, x["end_us"] / 1e6) for x in recent)
    gaps = [b0 - a1 for (_, a1), (b0, _) in zip(spans, spans[1:])]
    check(len(spans) >= 3 and max(gaps or [0]) < 0.5, "recording goes on while the bucket is down: %d segments, "
          "gaps %s" % (len(spans), gaps))
    s3 = start_s3(s3_port, s3_data)
    check(wait_until(lambda: json.loads(api(nvr, "/api/v1/storage")[1])["archive"]["ok"] and
                     any(x["archive"] and x["start_us"] / 1e6 > t_down for x in nvr.db_rows("porch")), 60),
          "archiving resumes when the bucket is back")
    check(nvr.stop() == 0, "nvr did not exit cleanly")
    r = nvr.run_cli("check", "-c", nvr.config, "--storage")
    check(r.returncode == 0, "nvr check --storage is clean with archived footage: %s%s" % (r.stdout, r.stderr))
    s3.send_signal(signal.SIGTERM)
    s3.wait(10)
    if failures:
        print(nvr.log_text()[-3000:])
finish("test_browser_archive")
