# SPDX-License-Identifier: Apache-2.0
"""Retention and evidence holds against a running `nvr run`:

A. retain_days: footage older than a camera's retain_days goes (rows and
   files) except what an evidence hold covers; releasing the hold lets it go;
   a deletion interrupted by a crash (a garbage row whose file still exists)
   is finished at start-up; the holds API refuses bad input with 4xx JSON.
B. max_bytes: three cameras recording into a 3 MB cap never exceed it, the
   oldest footage goes first, held footage stays.
C. min_free on a small file system (a tmpfs made by the test) that another
   process fills while recording: free space is restored to min_free, then
   with the disk filled to the brim recording goes on, held footage survives,
   the server reports "held_full" while only held footage is left, and every
   file left decodes and matches the index (`nvr check --storage`)."""
import atexit
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

from harness import Camera, Nvr, check, check_segment_file, finish, wait_until

DAY = 86400 * 1000000


def request(nvr, path, method="GET", body=None):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(nvr.base_url + path, method=method, data=data,
                                 headers={"Content-Type": "application/json"} if data is not None else {})
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, r.headers, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = raw
        return e.code, e.headers, doc
    except (urllib.error.URLError, ConnectionError):
        return 0, {}, None


def iso(us):
    t = us / 1e6
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % (us % 1000000)


def sql(nvr, statements):
    db = os.path.join(nvr.data_dir, "index.db")
    r = subprocess.run(["sqlite3", db], input=statements, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise SystemExit("sqlite3 failed: %s" % r.stderr)
    return r.stdout


def footage_bytes(nvr):
    return sum(r["bytes"] for r in nvr.db_rows())


def expect_4xx(nvr, path, status, method="GET", body=None):
    st, h, doc = request(nvr, path, method, body)
    check(st == status, "%s %s: status %d, want %d (%r)" % (method, path, st, status, doc))
    check(isinstance(doc, dict) and isinstance(doc.get("error"), str) and doc["error"],
          "%s %s: error body is not {\"error\": ...}: %r" % (method, path, doc))
    return h


def part_a(cam):
    nvr = Nvr("retain", [("a", {"url": cam.url(), "segment_seconds": 2, "retain_days": 1}),
                         ("b", {"url": cam.url(), "segment_seconds": 2})])
    nvr.start()
    check(nvr.wait_segments("a", 6, 60) and nvr.wait_segments("b", 3, 30), "A: cameras recorded segments")
    check(nvr.stop() == 0, "A: clean stop")
    a = [r for r in nvr.db_rows("a") if r["state"] == 0]
    b = [r for r in nvr.db_rows("b") if r["state"] == 0]
    # a's first four segments become three days old (moved to that day's directory, as the
    # recorder would have stored them)
    old = a[:4]
    stmts = []
    for r in old:
        day = time.strftime("%Y-%m-%d", time.gmtime((r["start_us"] - 3 * DAY) / 1e6))
        rel = "recordings/a/%s/%s" % (day, os.path.basename(r["path"]))
        os.makedirs(os.path.dirname(nvr.path(rel)), exist_ok=True)
        os.rename(nvr.path(r["path"]), nvr.path(rel))
        stmts.append("UPDATE segments SET start_us = start_us - %d, end_us = end_us - %d, path = '%s' WHERE id = %d;"
                     % (3 * DAY, 3 * DAY, rel, r["id"]))
        r["path"] = rel
    sql(nvr, "\n".join(stmts))
    held = old[0]
    r = nvr.run_cli("hold", "add", "-c", nvr.config, "--camera", "a", "--from", iso(held["start_us"] - 3 * DAY),
                    "--to", iso(held["start_us"] - 3 * DAY + 1000), "--reason", "incident in hall",
                    "--case", "2026-17", "--json")
    check(r.returncode == 0, "A: nvr hold add: %s" % r.stderr)
    hold = json.loads(r.stdout) if r.returncode == 0 else {"id": 0}
    check(hold.get("cameras") == ["a"] and hold.get("case") == "2026-17" and hold.get("active") is True,
          "A: hold as created: %r" % hold)
    # a deletion interrupted after its commit: b's first segment is garbage, its file still there
    sql(nvr, "INSERT INTO garbage(path) VALUES ('%s'); DELETE FROM segments WHERE id = %d;" % (b[0]["path"], b[0]["id"]))
    check(os.path.exists(nvr.path(b[0]["path"])), "A: interrupted deletion's file exists before restart")

    nvr.start()
    gone = lambda: not any(os.path.exists(nvr.path(r["path"])) for r in old[1:])
    check(wait_until(gone, 15), "A: segments older than retain_days deleted (files)")
    ids = {r["id"] for r in nvr.db_rows("a")}
    check(not any(r["id"] in ids for r in old[1:]), "A: ...and their rows")
    check(held["id"] in ids and os.path.exists(nvr.path(held["path"])), "A: the held old segment stays")
    check(all(r["id"] in ids for r in a[4:]), "A: recent segments of a stay")
    check(not os.path.exists(nvr.path(b[0]["path"])), "A: interrupted deletion finished at start-up")
    check(sql(nvr, "SELECT COUNT(*) FROM garbage;").strip() == "0", "A: garbage table empty")
    check("retention deleted reason=retain_days" in nvr.log_text(), "A: retention logged what it deleted")

    # sizing needs 10 s of footage measured
    wait_until(lambda: (request(nvr, "/api/v1/storage")[2] or {}).get("cameras", [{}])[0].get("bytes_per_day", 0) > 0, 20)
    st, _, doc = request(nvr, "/api/v1/storage")
    check(st == 200 and doc["state"] == "ok", "A: storage status ok: %r" % doc)
    cams = {c["id"]: c for c in doc.get("cameras", [])} if st == 200 else {}
    ca = cams.get("a", {})
    check(ca.get("retain_days") == 1 and ca.get("held_bytes") == held["bytes"],
          "A: storage report for a: %r (held %d)" % (ca, held["bytes"]))
    check(ca.get("bytes", 0) > 0 and ca.get("bytes_per_day", 0) > 0 and 0 < (ca.get("days_estimate") or 0) <= 1,
          "A: sizing for a: %r" % ca)
    check(cams.get("b", {}).get("retain_days") == 30, "A: b keeps the default 30 days")
    st, _, h = request(nvr, "/api/v1/health")
    check(st == 200 and h.get("storage") == "ok", "A: health reports storage ok: %r" % h)

    # the holds API
    st, _, doc = request(nvr, "/api/v1/holds")
    check(st == 200 and [x["id"] for x in doc["holds"]] == [hold["id"]], "A: GET holds lists the CLI hold: %r" % doc)
    st, _, doc = request(nvr, "/api/v1/holds", "POST",
                         {"cameras": ["a", "b"], "start": iso(a[-1]["start_us"]), "end": iso(a[-1]["end_us"]),
                          "reason": "parent complaint", "case": "C-9"})
    check(st == 201 and doc["cameras"] == ["a", "b"] and doc["created_by"] == "admin" and doc["active"],
          "A: POST hold: %d %r" % (st, doc))
    new_id = doc["id"] if st == 201 else 0
    st, _, doc = request(nvr, "/api/v1/holds/%d" % new_id)
    check(st == 200 and doc["reason"] == "parent complaint", "A: GET hold by id")
    for body, why in [(b"{", "not JSON"), ([], "not an object"), ({"cameras": ["a"], "start": iso(0), "end": iso(DAY)}, "no reason"),
                      ({"cameras": ["zzz"], "start": iso(0), "end": iso(DAY), "reason": "x"}, "unknown camera"),
                      ({"cameras": [], "start": iso(0), "end": iso(DAY), "reason": "x"}, "no cameras"),
                      ({"cameras": ["a"], "start": iso(DAY), "end": iso(0), "reason": "x"}, "end before start"),
                      ({"cameras": ["a"], "start": "yesterday", "end": iso(DAY), "reason": "x"}, "bad time"),
                      ({"cameras": ["a"], "start": iso(0), "end": iso(DAY), "reason": 5}, "reason not a string")]:
        expect_4xx(nvr, "/api/v1/holds", 400, "POST", body if isinstance(body, bytes) else json.dumps(body).encode())
    expect_4xx(nvr, "/api/v1/holds", 413, "POST", b"[" + b" " * 70000 + b"]")
    expect_4xx(nvr, "/api/v1/holds/abc", 400, "DELETE")
    expect_4xx(nvr, "/api/v1/holds/99999", 404, "DELETE")
    expect_4xx(nvr, "/api/v1/holds/99999", 404)
    h = expect_4xx(nvr, "/api/v1/holds", 405, "PUT", b"{}")
    check("POST" in h.get("Allow", "") and "GET" in h.get("Allow", ""), "A: 405 names the allowed methods: %r" % h.get("Allow"))
    expect_4xx(nvr, "/api/v1/holds?all=maybe", 400)

    # releasing the CLI hold lets retention take the old segment
    st, _, doc = request(nvr, "/api/v1/holds/%d" % hold["id"], "DELETE")
    check(st == 200 and doc["active"] is False and doc["released_by"] == "admin", "A: DELETE releases: %r" % doc)
    expect_4xx(nvr, "/api/v1/holds/%d" % hold["id"], 404, "DELETE")
    check(wait_until(lambda: not os.path.exists(nvr.path(held["path"])), 10), "A: released footage deleted")
    r = nvr.run_cli("hold", "list", "-c", nvr.config, "--all", "--json")
    listed = json.loads(r.stdout)["holds"] if r.returncode == 0 else []
    check([x["active"] for x in listed] == [False, True], "A: hold history kept: %r" % listed)
    r = nvr.run_cli("hold", "release", "-c", nvr.config, str(new_id))
    check(r.returncode == 0 and "released" in r.stdout, "A: nvr hold release: %s" % r.stderr)
    r = nvr.run_cli("hold", "add", "-c", nvr.config, "--camera", "nope", "--from", iso(0), "--to", iso(DAY), "--reason", "x")
    check(r.returncode != 0 and "nope" in r.stderr, "A: CLI refuses an unknown camera")
    check(nvr.stop() == 0, "A: clean stop at the end")
    r = nvr.run_cli("check", "-c", nvr.config, "--storage")
    check(r.returncode == 0, "A: nvr check --storage clean: %s%s" % (r.stdout, r.stderr))


def part_b(cam):
    cap = 3 * 1000 * 1000
    nvr = Nvr("maxbytes", [(c, {"url": cam.url(), "segment_seconds": 2}) for c in ("a", "b", "c")],
              storage_extra="max_bytes = %d\nmin_free = 0" % cap)
    nvr.start()
    check(nvr.wait_segments("c", 2, 30), "B: recording")
    first_c = [r for r in nvr.db_rows("c") if r["state"] == 0][:2]
    st, _, doc = request(nvr, "/api/v1/holds", "POST", {"cameras": ["c"], "start": iso(first_c[0]["start_us"]),
                                                        "end": iso(first_c[1]["end_us"]), "reason": "keep"})
    check(st == 201, "B: hold on c's first two segments")
    peak, t_end = 0, time.time() + 40
    while time.time() < t_end:
        peak = max(peak, footage_bytes(nvr))
        time.sleep(0.25)
    print("B: footage peak %d bytes under a cap of %d (sampled every 0.25 s for 40 s)" % (peak, cap))
    check(peak <= cap, "B: footage stayed under max_bytes: peak %d, cap %d" % (peak, cap))
    rows = nvr.db_rows()
    ids = {r["id"] for r in rows}
    check(all(r["id"] in ids for r in first_c), "B: held segments survived")
    starts = sorted(r["start_us"] for r in rows if r["id"] not in {x["id"] for x in first_c})
    newest = max(r["end_us"] for r in rows)
    check(starts and newest - starts[0] < 30 * 1000000, "B: the oldest footage went (oldest unheld %.1f s before newest)"
          % ((newest - starts[0]) / 1e6 if starts else -1))
    check(time.time() * 1e6 - newest < 6e6, "B: still recording")
    st, _, doc = request(nvr, "/api/v1/storage")
    check(st == 200 and doc["deleted_bytes"] > 0 and doc["max_bytes"] == cap, "B: storage report: %r" % doc)
    st, _, m = 0, None, None
    with urllib.request.urlopen(nvr.base_url + "/metrics", timeout=10) as resp:
        metrics = resp.read().decode()
    check("nvr_retention_deleted_bytes_total " in metrics and "nvr_storage_used_bytes " in metrics, "B: retention metrics")
    check(nvr.stop() == 0, "B: clean stop")
    r = nvr.run_cli("check", "-c", nvr.config, "--storage")
    check(r.returncode == 0, "B: nvr check --storage clean: %s%s" % (r.stdout, r.stderr))


def fs_avail(path):
    s = os.statvfs(path)
    return s.f_bavail * s.f_frsize


def part_c(cam):
    size = 32 * 1024 * 1024
    nvr = Nvr("minfree", [(c, {"url": cam.url(), "segment_seconds": 2}) for c in ("a", "b", "c")],
              storage_extra="min_free = 10%")
    os.makedirs(nvr.data_dir)
    mnt = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % size, "nvr-test", nvr.data_dir],
                         capture_output=True, text=True)
    if mnt.returncode != 0:
        check(False, "C: cannot mount a tmpfs (the test needs root): %s" % mnt.stderr.strip())
        return
    atexit.register(lambda: subprocess.run(["umount", "-l", nvr.data_dir], capture_output=True))
    min_free = size // 10
    filler = os.path.join(nvr.data_dir, "filler.bin")
    nvr.start()
    check(nvr.wait_segments("a", 3, 30), "C: recording on the small file system")
    held = [r for r in nvr.db_rows("a") if r["state"] == 0][:2]
    st, _, _ = request(nvr, "/api/v1/holds", "POST", {"cameras": ["a"], "start": iso(held[0]["start_us"]),
                                                     "end": iso(held[1]["end_us"]), "reason": "evidence"})
    check(st == 201, "C: hold on a's first two segments")
    check(nvr.wait_segments("a", 10, 40), "C: 20 s recorded")
    # another program takes all but 1 MB: below min_free (3.2 MB)
    with open(filler, "wb") as f:
        f.write(b"\0" * (fs_avail(nvr.data_dir) - 1024 * 1024))
    check(wait_until(lambda: fs_avail(nvr.data_dir) >= min_free, 8), "C: retention restored min_free after the filler "
          "(avail %d, min_free %d)" % (fs_avail(nvr.data_dir), min_free))
    low, t_end = fs_avail(nvr.data_dir), time.time() + 12
    while time.time() < t_end:
        low = min(low, fs_avail(nvr.data_dir))
        time.sleep(0.2)
    print("C: lowest free space %d bytes over 12 s of recording, min_free %d" % (low, min_free))
    check(low >= min_free, "C: free space held at min_free while recording (lowest %d, min_free %d)" % (low, min_free))

    # now to the brim: recording continues in the room retention makes, held footage stays
    with open(filler, "ab", buffering=0) as f:  # unbuffered: nothing left to flush at close
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    hf = wait_until(lambda: request(nvr, "/api/v1/health")[2] and request(nvr, "/api/v1/health")[2].get("storage") == "held_full", 15)
    check(hf, "C: health says held_full when only held footage is left")
    st, _, doc = request(nvr, "/api/v1/storage")
    check(st == 200 and doc["state"] == "held_full" and "held" in doc["message"], "C: storage report says why: %r" % doc)
    check("only held footage is left" in nvr.log_text(), "C: the log says so loudly")
    for r in held:
        check(os.path.exists(nvr.path(r["path"])), "C: held segment %s survived the full disk" % r["path"])
    # the other program goes away: recording resumes into the freed space
    os.unlink(filler)
    t0 = time.time() * 1e6
    check(wait_until(lambda: any(r["state"] == 0 and r["start_us"] > t0 for r in nvr.db_rows("b")), 20),
          "C: recording resumed after space came back")
    check(wait_until(lambda: request(nvr, "/api/v1/health")[2].get("storage") == "ok", 10), "C: storage back to ok")
    check(nvr.stop() == 0, "C: clean stop (no crash through the full disk)")
    r = nvr.run_cli("check", "-c", nvr.config, "--storage")
    check(r.returncode == 0, "C: nvr check --storage clean: %s%s" % (r.stdout, r.stderr))
    rows = [r for r in nvr.db_rows() if r["state"] == 0]
    for r in held + rows[-3:]:
        check_segment_file(nvr, r)
    subprocess.run(["umount", nvr.data_dir], capture_output=True)


with Camera("h264.mp4", no_audio=True) as cam:
    part_a(cam)
    part_b(cam)
    part_c(cam)
finish("retention")
