# SPDX-License-Identifier: Apache-2.0
"""Storage faults against the real `nvr` binary (issue 20, rows 1-3):

A. a 100 % full file system at start-up (a small tmpfs filled to the last
   byte by another program, the ballast reserve.bin present): `nvr run`
   releases the ballast, keeps running and records within 10 s; the log
   says "disk full" in words.
B. one page of index.db (a users page, found with dbstat) overwritten with
   4 KiB of garbage: `nvr check --storage` reports the damage; `nvr run`
   sets the file aside (index.db.damaged-T, byte for byte, with its
   -wal/-shm, never deleted), records into a new index, logs an ERROR and
   health says "degraded" with the reason; `--rebuild-index` puts the old
   footage back and health is "ok" again.
C. index.db lost after ~20 s of recording: `nvr check --storage
   --rebuild-index` indexes every old segment again from the files (same
   bytes, fragments, frames, SHA-256, start), ffprobe decodes the HLS
   playlist over that range with no error and the right frame count, and
   `nvr check --storage` exits 0.
D. `--repair` with a file the index does not know: without `--apply` it
   only says what it would do (nothing moves); with `--apply` the file goes
   to data_dir/quarantine/ (same bytes), the exit status is non-zero, and
   nothing is deleted.

A needs root (it mounts a tmpfs), as test_retention's part C."""
import atexit
import glob
import hashlib
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request

from harness import Camera, Nvr, check, finish, wait_until


def request(nvr, path):
    try:
        with urllib.request.urlopen(nvr.base_url + path, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None
    except (urllib.error.URLError, ConnectionError, OSError):
        return 0, None


def iso(us):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(us / 1e6)) + ".%06dZ" % (us % 1000000)


def fs_avail(path):
    s = os.statvfs(path)
    return s.f_bavail * s.f_frsize


def fill(path):
    """Writes until the file system says no more (ENOSPC), like another program would."""
    with open(path, "ab", buffering=0) as f:
        for size in (1 << 20, 65536, 4096, 512, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass


def new_segments(nvr, camera, after_us):
    return [r for r in nvr.db_rows(camera) if r["state"] == 0 and r["start_us"] >= after_us]


def part_a(cam):
    size = 32 * 1024 * 1024
    nvr = Nvr("fullstart", [("a", {"url": cam.url(), "segment_seconds": 2})])
    os.makedirs(nvr.data_dir)
    mnt = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % size, "nvr-faults", nvr.data_dir],
                         capture_output=True, text=True)
    if mnt.returncode != 0:
        check(False, "A: cannot mount a tmpfs (the test needs root): %s" % mnt.stderr.strip())
        return
    atexit.register(lambda: subprocess.run(["umount", "-l", nvr.data_dir], capture_output=True))
    ballast = nvr.path("reserve.bin")
    nvr.start()
    check(nvr.wait_segments("a", 4, 40), "A: recording on the small file system")
    check(wait_until(lambda: os.path.exists(ballast), 10), "A: retention made the ballast reserve.bin")
    check(nvr.stop() == 0, "A: clean stop")
    # as after any clean stop: no -wal/-shm left (reading the index from here would leave
    # them, with the pages SQLite needs already allocated, and hide the fault)
    check(not os.path.exists(nvr.path("index.db-shm")), "A: no index.db-shm left after a clean stop")
    filler = nvr.path("filler.bin")
    fill(filler)
    check(fs_avail(nvr.data_dir) == 0 and os.path.exists(ballast), "A: file system 100 %% full (avail %d), ballast "
          "present" % fs_avail(nvr.data_dir))
    t0 = time.time()
    nvr.start()
    got = wait_until(lambda: new_segments(nvr, "a", int(t0 * 1e6)) or nvr.proc.poll() is not None, 10, 0.1)
    took = time.time() - t0
    check(nvr.proc.poll() is None, "A: nvr run still running on the full disk (exit %r): %s"
          % (nvr.proc.poll(), nvr.log_text()[-600:]))
    rec = new_segments(nvr, "a", int(t0 * 1e6))
    check(rec, "A: a new segment in the index within 10 s of starting on a full disk")
    print("A: start on a 100 %% full disk to first new segment in the index: %.2f s" % took)
    log = nvr.log_text()
    check("disk full" in log, "A: the log says disk full in words")
    check("released the reserve file" in log, "A: the log says the ballast was released")
    # retention then makes room from the oldest footage, the filler stays
    check(wait_until(lambda: len(new_segments(nvr, "a", int(t0 * 1e6))) >= 3, 20), "A: keeps recording")
    check(os.path.exists(filler), "A: the other program's file is untouched")
    check(nvr.stop() == 0, "A: clean stop after the full disk")
    r = nvr.run_cli("check", "-c", nvr.config, "--storage")
    check(r.returncode == 0, "A: nvr check --storage clean: %s%s" % (r.stdout, r.stderr))
    subprocess.run(["umount", nvr.data_dir], capture_output=True)


def damage_page(db, table):
    """Overwrites one page of table with 4 KiB of garbage; returns (page number, garbage)."""
    r = subprocess.run(["sqlite3", db, "SELECT pageno FROM dbstat WHERE name = '%s' ORDER BY pageno;" % table],
                       capture_output=True, text=True, timeout=30)
    pages = [int(x) for x in r.stdout.split()]
    page_size = int(subprocess.run(["sqlite3", db, "PRAGMA page_size;"], capture_output=True, text=True).stdout)
    if not pages:  # no dbstat: a page in the middle
        pages = [os.path.getsize(db) // page_size // 2 + 1]
    pageno = pages[-1]
    garbage = bytes((i * 151 + 7) % 256 for i in range(page_size))
    with open(db, "r+b") as f:
        f.seek((pageno - 1) * page_size)
        f.write(garbage)
    return pageno, garbage


def part_b(cam):
    nvr = Nvr("damaged", [("a", {"url": cam.url(), "segment_seconds": 2})])
    nvr.start()
    check(nvr.wait_segments("a", 4, 40), "B: recording")
    check(nvr.stop() == 0, "B: clean stop")
    old = [r for r in nvr.db_rows("a") if r["state"] == 0]
    db = nvr.path("index.db")
    check(not os.path.exists(db + "-wal") or os.path.getsize(db + "-wal") == 0, "B: no WAL left after a clean stop")
    pageno, garbage = damage_page(db, "users")
    with open(db, "rb") as f:
        damaged_bytes = f.read()
    print("B: wrote 4 KiB of garbage over page %d (users) of index.db" % pageno)
    r = nvr.run_cli("check", "-c", nvr.config, "--storage")
    check(r.returncode != 0 and "damaged" in r.stdout, "B: nvr check --storage reports the damage: %d %s%s"
          % (r.returncode, r.stdout[-400:], r.stderr[-400:]))
    t0 = time.time()
    nvr.start()
    deg = wait_until(lambda: (request(nvr, "/api/v1/health")[1] or {}).get("status") == "degraded"
                     or nvr.proc.poll() is not None, 15, 0.1)
    took = time.time() - t0
    check(nvr.proc.poll() is None, "B: nvr run keeps running with a damaged index (exit %r): %s"
          % (nvr.proc.poll(), nvr.log_text()[-600:]))
    st, h = request(nvr, "/api/v1/health")
    check(st == 200 and h.get("status") == "degraded" and "damaged" in h.get("reason", ""),
          "B: health degraded with the reason: %r" % h)
    print("B: start with a damaged index to health \"degraded\": %.2f s" % took)
    check(wait_until(lambda: new_segments(nvr, "a", int(t0 * 1e6)), 15), "B: records into a new index")
    aside = [p for p in glob.glob(nvr.path("index.db.damaged-*")) if not p.endswith(("-wal", "-shm"))]
    check(len(aside) == 1, "B: the damaged index set aside: %r" % aside)
    if aside:
        with open(aside[0], "rb") as f:
            check(f.read() == damaged_bytes, "B: the set-aside file is the damaged one, byte for byte")
    check(os.path.exists(nvr.path("index.damaged")), "B: the damage marker is written")
    log = nvr.log_text()
    check(re.search(r"\berror\b.*index damaged", log) is not None, "B: an ERROR line in the log: %s" % log[-600:])
    check(nvr.stop() == 0, "B: clean stop")
    # a rebuild puts the old footage back into the new index
    r = nvr.run_cli("check", "-c", nvr.config, "--storage", "--rebuild-index")
    check(r.returncode == 0, "B: --rebuild-index: %d %s%s" % (r.returncode, r.stdout[-600:], r.stderr[-400:]))
    have = {x["path"]: x for x in nvr.db_rows("a")}
    check(all(o["path"] in have and have[o["path"]]["sha256"] == o["sha256"] for o in old),
          "B: every old segment back in the index with its SHA-256")
    check(not os.path.exists(nvr.path("index.damaged")) and aside and os.path.exists(aside[0]),
          "B: marker gone after the rebuild, the damaged file kept")
    nvr.start()
    check(wait_until(lambda: (request(nvr, "/api/v1/health")[1] or {}).get("status") == "ok", 15),
          "B: health ok after the rebuild")
    check(nvr.stop() == 0, "B: clean stop after the rebuild")


def part_c(cam):
    nvr = Nvr("rebuild", [("a", {"url": cam.url(), "segment_seconds": 2, "audio": "on"})])
    nvr.start()
    check(nvr.wait_segments("a", 10, 60), "C: 20 s recorded")
    check(nvr.stop() == 0, "C: clean stop")
    old = [r for r in nvr.db_rows("a") if r["state"] == 0]
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(nvr.path("index.db" + suffix)):
            os.unlink(nvr.path("index.db" + suffix))
    t0 = time.time()
    r = nvr.run_cli("check", "-c", nvr.config, "--storage", "--rebuild-index")
    took = time.time() - t0
    check(r.returncode == 0, "C: --rebuild-index exit 0: %s%s" % (r.stdout[-800:], r.stderr[-400:]))
    rows = {x["path"]: x for x in nvr.db_rows("a")}
    back = [o for o in old if o["path"] in rows]
    print("C: rebuild took %.2f s, %d of %d segments back in the index" % (took, len(back), len(old)))
    check(len(back) == len(old), "C: every old segment back in the index (%d of %d)" % (len(back), len(old)))
    for o in back:
        n = rows[o["path"]]
        for k in ("start_us", "bytes", "init_bytes", "frames", "sha256", "video_codec", "audio_codec", "width",
                  "height"):
            check(n[k] == o[k], "C: %s: %s %r, was %r" % (o["path"], k, n[k], o[k]))
        check(len(n["fragments"]) == len(o["fragments"]), "C: %s: fragment count" % o["path"])
        check(abs(n["media_us"] - o["media_us"]) <= 2000 and abs(n["media_start_us"] - o["media_start_us"]) <= 2000
              and abs(n["end_us"] - o["end_us"]) <= 100000,
              "C: %s: times media %d/%d start %d/%d end %d/%d" % (o["path"], n["media_us"], o["media_us"],
                                                                   n["media_start_us"], o["media_start_us"],
                                                                   n["end_us"], o["end_us"]))
    r = nvr.run_cli("check", "-c", nvr.config, "--storage")
    check(r.returncode == 0, "C: nvr check --storage clean after the rebuild: %s%s" % (r.stdout[-600:], r.stderr))
    # the users lived in the lost index: make the admin again, then play the old footage over HLS
    nvr.token = None
    nvr.start()
    check(wait_until(lambda: request(nvr, "/api/v1/health")[0] == 200, 15), "C: nvr run up")
    start, end = old[0]["start_us"], old[-1]["end_us"]
    url = "%s/api/v1/cameras/a/playback.m3u8?start=%s&end=%s" % (nvr.base_url, iso(start), iso(end))
    p = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
                        "stream=nb_read_frames", "-of", "csv=p=0"] + nvr.ffmpeg_auth() + [url],
                       capture_output=True, text=True, timeout=120)
    nums = re.findall(r"\d+", p.stdout)
    frames = int(nums[0]) if nums else 0
    want = sum(o["frames"] for o in old)
    check(p.returncode == 0 and p.stderr.strip() == "" and frames == want,
          "C: ffprobe decoded %d frames of the rebuilt range, the old index had %d (%s)" % (frames, want, p.stderr[:300]))
    print("C: HLS over the rebuilt range: %d frames decoded, %d expected" % (frames, want))
    check(nvr.stop() == 0, "C: clean stop")


def part_d(cam):
    nvr = Nvr("quarantine", [("a", {"url": cam.url(), "segment_seconds": 2})])
    nvr.start()
    check(nvr.wait_segments("a", 2, 30), "D: recording")
    check(nvr.stop() == 0, "D: clean stop")
    seg = [r for r in nvr.db_rows("a") if r["state"] == 0][0]
    day_dir = os.path.dirname(seg["path"])
    stray_rel = os.path.join(day_dir, "stray.mp4")
    data = b"not a segment the index knows" * 100
    with open(nvr.path(stray_rel), "wb") as f:
        f.write(data)
    r = nvr.run_cli("check", "-c", nvr.config, "--storage", "--repair")
    check(r.returncode != 0 and "would move" in r.stdout and "dry run" in r.stdout,
          "D: the dry run says what it would do: %d %s" % (r.returncode, r.stdout[-400:]))
    check(os.path.exists(nvr.path(stray_rel)) and not os.path.exists(nvr.path("quarantine")),
          "D: the dry run changed nothing")
    r = nvr.run_cli("check", "-c", nvr.config, "--storage", "--repair", "--apply")
    q = nvr.path(os.path.join("quarantine", stray_rel))
    check(r.returncode != 0 and "quarantine" in r.stdout, "D: --apply reports the file and exits non-zero: %d %s"
          % (r.returncode, r.stdout[-400:]))
    check(not os.path.exists(nvr.path(stray_rel)) and os.path.exists(q), "D: the file moved to quarantine")
    if os.path.exists(q):
        with open(q, "rb") as f:
            check(hashlib.sha256(f.read()).digest() == hashlib.sha256(data).digest(), "D: same bytes in quarantine")
    r = nvr.run_cli("check", "-c", nvr.config, "--storage")
    check(r.returncode == 0, "D: clean after the quarantine: %s" % r.stdout[-400:])


with Camera("h264_aac.mp4") as cam:
    part_d(cam)
    part_c(cam)
    part_b(cam)
    part_a(cam)
finish("storage_faults")
