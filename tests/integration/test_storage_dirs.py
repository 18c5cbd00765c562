# SPDX-License-Identifier: Apache-2.0
"""Several segment directories and a disk that fails (issue 16, items 1-2),
against the real `nvr` binary, three cameras of three kinds (H.264, an
H.264 with B-frames, H.265 with AAC), `[storage] dirs` on two small tmpfs
mounts:

1. new segments go to both disks (placement by free space and load), the
   index says which; the camera pinned with storage_dir stays on its disk;
2. disk 1 turns read-only mid-recording (what a kernel's errors=remount-ro
   leaves: the same disk, mounted read-only; simulated by swapping its bind
   mount for a read-only one, since a mount with files open for writing
   cannot be remounted read-only from outside the kernel): every
   camera's gap is <= 10 s, its segments go to disk 2, health is
   "degraded" naming disk 1, /api/v1/storage says read_only, /metrics says
   nvr_storage_dir_ok 0, and disk 1's footage still plays (read-only);
3. disk 1 works again (remount rw): state ok within seconds, health ok,
   its unfinished segment is settled (no row left `writing` but the open
   ones);
4. disk 1 is unmounted (umount -l; its files kept under another mount): it is offline
   ("not mounted? ... .nvr-dir is missing"), nothing is written into the
   bare mount point, its footage is a gap in playback, the cameras keep
   recording on disk 2 (gap <= 10 s);
5. it is mounted again: its footage plays again (ffprobe decodes the HLS
   playlist over a range recorded on it), and after a clean stop
   `nvr check --storage` is clean.

Needs root (it mounts tmpfs), like test_storage_faults part A."""
import atexit
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

from harness import Camera, Nvr, check, finish, iso, wait_until

SEG = 2          # segment_seconds
MAX_GAP = 10.0   # the bound on a camera's gap when a disk fails


def get(nvr, path):
    try:
        with urllib.request.urlopen(nvr.base_url + path, timeout=10) as r:
            body = r.read()
            return r.status, body
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def get_json(nvr, path):
    st, body = get(nvr, path)
    try:
        return st, json.loads(body or b"null")
    except ValueError:
        return st, None


def sh(*args):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("%s failed: %s" % (" ".join(args), r.stderr.strip()))


def dir_state(nvr, path):
    st, s = get_json(nvr, "/api/v1/storage")
    if st != 200:
        return None
    for d in s["dirs"]:
        if d["path"] == path:
            return d
    return None


def dir_ids(nvr):
    con_rows = {}
    import sqlite3
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(nvr.data_dir, "index.db"), uri=True)
    try:
        for i, p in con.execute("SELECT id, path FROM dirs"):
            con_rows[p] = i
    finally:
        con.close()
    return con_rows


def max_gap(rows, after_s, before_s):
    """The longest stretch without footage of one camera between after_s and
    before_s (seconds), from its segment rows (complete or writing)."""
    spans = sorted((r["start_us"] / 1e6, r["end_us"] / 1e6) for r in rows if r["frames"] > 0 or r["state"] == 0)
    t, worst = after_s, 0.0
    for s, e in spans:
        if e <= t:
            continue
        if s > before_s:
            break
        worst = max(worst, s - t)
        t = max(t, e)
    return max(worst, before_s - t)


def plays(nvr, cam, start_s, end_s):
    """ffprobe reads the playlist of that range: its decoded duration (0 if none)."""
    url = "%s/api/v1/cameras/%s/playback.m3u8?start=%s&end=%s" % (nvr.base_url, cam, iso(start_s), iso(end_s))
    r = subprocess.run(["ffprobe", "-v", "error"] + nvr.ffmpeg_auth() +
                       ["-show_entries", "format=duration", "-of", "csv=p=0", url],
                       capture_output=True, text=True, timeout=60)
    try:
        return float(r.stdout.strip()) if r.returncode == 0 else 0.0
    except ValueError:
        return 0.0


CAMS = ["a", "b", "c"]

with Camera("h264.mp4", no_audio=True) as cam_a, Camera("h264_bf.mp4", no_audio=True) as cam_b, \
        Camera("h265_aac.mp4") as cam_c:
    base = os.path.realpath(os.environ.get("TMPDIR", "/tmp"))
    root = subprocess.run(["mktemp", "-d", os.path.join(base, "nvr-dirs-XXXXXX")], capture_output=True,
                          text=True).stdout.strip()
    real1, disk1, disk2 = (os.path.join(root, n) for n in ("real1", "disk1", "disk2"))
    for d in (real1, disk1, disk2):
        os.makedirs(d)
    mounted = []

    def cleanup():
        for m in reversed(mounted):
            subprocess.run(["umount", "-l", m], capture_output=True)
    atexit.register(cleanup)
    mnt = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96m", "nvr-disk1", real1], capture_output=True, text=True)
    if mnt.returncode != 0:
        check(False, "cannot mount a tmpfs (the test needs root): %s" % mnt.stderr.strip())
        finish("test_storage_dirs")
    mounted.append(real1)
    sh("mount", "--bind", real1, disk1)
    mounted.append(disk1)
    sh("mount", "-t", "tmpfs", "-o", "size=96m", "nvr-disk2", disk2)
    mounted.append(disk2)

    nvr = Nvr("dirs", [("a", {"url": cam_a.url(), "segment_seconds": SEG}),
                       ("b", {"url": cam_b.url(), "segment_seconds": SEG}),
                       ("c", {"url": cam_c.url(), "segment_seconds": SEG, "audio": "on",
                              "storage_dir": disk2})],
              storage_extra="dirs = %s, %s" % (disk1, disk2))
    nvr.start()
    check(wait_until(lambda: all(len([r for r in nvr.db_rows(c) if r["state"] == 0]) >= 4 for c in CAMS), 60),
          "every camera records")

    # 1. placement
    ids = dir_ids(nvr)
    check(set(ids) == {disk1, disk2}, "the index knows both dirs: %s" % ids)
    for d in (disk1, disk2):
        with open(os.path.join(d, ".nvr-dir")) as f:
            check(f.read().startswith("nvr-dir "), "%s carries its marker" % d)
    used = {r["dir"] for c in ("a", "b") for r in nvr.db_rows(c)}
    check(used == {ids[disk1], ids[disk2]}, "unpinned cameras' segments are on both disks: %s" % used)
    check({r["dir"] for r in nvr.db_rows("c")} == {ids[disk2]}, "camera c stays on the disk it is pinned to")
    for c in CAMS:
        for r in nvr.db_rows(c):
            if r["state"] == 0:
                root_dir = disk1 if r["dir"] == ids[disk1] else disk2
                check(os.path.getsize(os.path.join(root_dir, r["path"])) == r["bytes"],
                      "%s: %s is on its disk with the indexed size" % (c, r["path"]))
                break
    st, s = get_json(nvr, "/api/v1/storage")
    check(st == 200 and [d["state"] for d in s["dirs"] if d["path"] in (disk1, disk2)] == ["ok", "ok"],
          "storage route lists both dirs ok: %s" % (s and s.get("dirs")))
    # SMART: a tmpfs has no disk, and the reading says so rather than guessing one
    sm = wait_until(lambda: [d["smart"] for d in get_json(nvr, "/api/v1/storage")[1]["dirs"]
                             if d["path"] == disk1 and d["smart"]["checked"]], 15)
    check(sm and sm[0]["available"] is False and sm[0]["passed"] is None and
          "not on a block device" in sm[0]["message"], "disk 1's SMART says it has no disk: %s" % sm)
    d1 = [r for c in ("a", "b") for r in nvr.db_rows(c) if r["dir"] == ids[disk1] and r["state"] == 0]
    check(d1, "some complete footage on disk 1")
    d1_cam, d1_start, d1_end = d1[0]["camera"], d1[0]["start_us"] / 1e6, d1[0]["end_us"] / 1e6

    # 2. read-only
    t_fail = time.time()
    sh("umount", "-l", disk1)
    sh("mount", "--bind", real1, disk1)
    sh("mount", "-o", "remount,ro,bind", disk1)
    check(wait_until(lambda: (dir_state(nvr, disk1) or {}).get("state") == "read_only", 10),
          "disk 1 is read_only in /api/v1/storage")
    st, h = get_json(nvr, "/api/v1/health")
    check(h and h["status"] == "degraded" and disk1 in h.get("reason", "") and "read_only" in h.get("reason", ""),
          "health names the read-only disk: %s" % h)
    st, body = get(nvr, "/metrics")
    check(('nvr_storage_dir_ok{dir="%s"} 0' % disk1) in body.decode(), "metrics: disk 1 not ok")
    time.sleep(14)
    for c in CAMS:
        gap = max_gap(nvr.db_rows(c), t_fail - 1, time.time() - 3)
        print("read-only: camera %s gap %.2f s" % (c, gap))
        check(gap <= MAX_GAP, "%s: gap %.1f s after disk 1 turned read-only (<= %.0f)" % (c, gap, MAX_GAP))
        late = [r for r in nvr.db_rows(c) if r["start_us"] / 1e6 > t_fail + 3]
        check(late and all(r["dir"] == ids[disk2] for r in late), "%s: new segments go to disk 2" % c)
    dur = plays(nvr, d1_cam, d1_start, d1_end)
    check(dur > 0.5 * (d1_end - d1_start), "disk 1's footage still plays while read-only (%.1f s)" % dur)

    # 3. back
    sh("mount", "-o", "remount,rw,bind", disk1)
    check(wait_until(lambda: (dir_state(nvr, disk1) or {}).get("state") == "ok", 10), "disk 1 ok again")
    check(wait_until(lambda: get_json(nvr, "/api/v1/health")[1]["status"] == "ok", 10), "health ok again")
    stale = lambda: [r for c in CAMS for r in nvr.db_rows(c) if r["state"] != 0 and r["dir"] == ids[disk1]
                     and r["start_us"] / 1e6 < t_fail]
    check(wait_until(lambda: not stale(), 10), "disk 1's unfinished segment is settled: %s" %
          [r["path"] for r in stale()])

    # 4. unmounted
    time.sleep(4)  # some footage on disk 1 again
    d1b = [r for c in ("a", "b") for r in nvr.db_rows(c) if r["dir"] == ids[disk1] and r["state"] == 0]
    t_unmount = time.time()
    sh("umount", "-l", disk1)
    mounted.remove(disk1)
    check(wait_until(lambda: (dir_state(nvr, disk1) or {}).get("state") == "offline", 10), "disk 1 offline")
    reason = (dir_state(nvr, disk1) or {}).get("reason", "")
    check(".nvr-dir is missing" in reason, "the reason says the disk is not mounted: %s" % reason)
    time.sleep(14)
    check(os.listdir(disk1) == [], "nothing written into the bare mount point: %s" % os.listdir(disk1))
    for c in CAMS:
        gap = max_gap(nvr.db_rows(c), t_unmount - 1, time.time() - 3)
        print("unmounted: camera %s gap %.2f s" % (c, gap))
        check(gap <= MAX_GAP, "%s: gap %.1f s after disk 1 was unmounted (<= %.0f)" % (c, gap, MAX_GAP))
    st, _ = get(nvr, "/api/v1/cameras/%s/playback.m3u8?start=%s&end=%s" % (d1_cam, iso(d1_start), iso(d1_end)))
    check(st == 410, "a range only on the offline disk is gone for now (410), got %d" % st)
    st, alerts = get_json(nvr, "/api/v1/alerts")
    check(st == 200 and any(a.get("kind") == "storage_dir" for a in alerts.get("alerts", [])),
          "an alert names the offline disk")

    # 5. mounted again
    sh("mount", "--bind", real1, disk1)
    mounted.append(disk1)
    check(wait_until(lambda: (dir_state(nvr, disk1) or {}).get("state") == "ok", 10), "disk 1 ok after remount")
    dur = plays(nvr, d1_cam, d1_start, d1_end)
    check(dur > 0.5 * (d1_end - d1_start), "disk 1's footage plays again (%.1f s)" % dur)
    if d1b:
        r = d1b[-1]
        dur = plays(nvr, r["camera"], r["start_us"] / 1e6, r["end_us"] / 1e6)
        check(dur > 0.5 * (r["end_us"] - r["start_us"]) / 1e6, "footage written after the first return plays")

    # 6. min_free per disk: another program fills disk 2; retention deletes
    # disk 2's oldest footage and leaves disk 1's alone
    on1 = {r["id"] for c in CAMS for r in nvr.db_rows(c) if r["dir"] == ids[disk1] and r["state"] == 0}
    on2 = sorted((r["start_us"], r["id"]) for c in CAMS for r in nvr.db_rows(c)
                 if r["dir"] == ids[disk2] and r["state"] == 0)
    sv = os.statvfs(disk2)
    with open(os.path.join(disk2, "filler"), "wb") as f:
        f.write(b"\0" * max(0, sv.f_bavail * sv.f_frsize - (2 << 20)))
    oldest2 = on2[0][1]
    check(wait_until(lambda: oldest2 not in {r["id"] for c in CAMS for r in nvr.db_rows(c)}, 15),
          "retention deletes disk 2's oldest footage when disk 2 runs short")
    left1 = {r["id"] for c in CAMS for r in nvr.db_rows(c) if r["dir"] == ids[disk1]}
    check(on1 <= left1, "disk 1's footage is untouched (%d of %d left)" % (len(on1 & left1), len(on1)))
    os.unlink(os.path.join(disk2, "filler"))

    # kill -9 while segments are open on both disks: the next start settles
    # them on their own disks (at most the fragment being written is lost)
    nvr.kill9()
    open_rows = [r for r in nvr.db_rows() if r["state"] != 0]
    check({r["dir"] for r in open_rows} >= {ids[disk2]}, "segments were open on disk 2 at the kill: %s" %
          [(r["path"], r["dir"]) for r in open_rows])
    nvr.start()
    # (by path: SQLite may give a removed row's id to a new segment)
    open_paths = {(o["dir"], o["path"]) for o in open_rows}
    settled = lambda: [r for r in nvr.db_rows() if (r["dir"], r["path"]) in open_paths]
    check(wait_until(lambda: all(r["state"] == 0 for r in settled()), 15),
          "the segments open at the kill are settled after the restart: %s" % settled())
    for r in settled():  # kept (a whole fragment was durable) or removed (none was)
        root_dir = disk1 if r["dir"] == ids[disk1] else disk2
        check(os.path.getsize(os.path.join(root_dir, r["path"])) == r["bytes"],
              "%s: recovered on its disk with the indexed size" % r["path"])
    print("kill -9: %d segments open on disks %s; %d kept with their durable fragments, the rest had none" %
          (len(open_rows), sorted({o["dir"] for o in open_rows}), len(settled())))
    time.sleep(3)
    rc = nvr.stop()
    check(rc == 0, "nvr stops cleanly (%s)" % rc)
    r = nvr.run_cli("check", "-c", nvr.config, "--storage")
    check(r.returncode == 0, "nvr check --storage is clean: %s%s" % (r.stdout, r.stderr))

    # 7. the index lost: --rebuild-index finds the footage on both disks again
    # (what a restore onto a new machine relies on for footage newer than the backup)
    before = sorted((r["camera"], r["path"], r["dir"], r["bytes"]) for r in nvr.db_rows() if r["state"] == 0)
    for suffix in ("", "-wal", "-shm"):
        p = os.path.join(nvr.data_dir, "index.db" + suffix)
        if os.path.exists(p):
            os.unlink(p)
    r = nvr.run_cli("check", "-c", nvr.config, "--storage", "--rebuild-index")
    check(r.returncode == 0, "rebuild-index succeeds: %s%s" % (r.stdout[-2000:], r.stderr[-2000:]))
    ids2 = dir_ids(nvr)
    remap = {ids[disk1]: ids2.get(disk1), ids[disk2]: ids2.get(disk2), 0: 0}
    after = sorted((r["camera"], r["path"], r["dir"], r["bytes"]) for r in nvr.db_rows() if r["state"] == 0)
    want = sorted((c, p, remap[d], b) for c, p, d, b in before)
    check(after == want, "every segment is indexed again on its own disk (%d of %d)" %
          (len(set(after) & set(want)), len(want)))
    r = nvr.run_cli("check", "-c", nvr.config, "--storage")
    check(r.returncode == 0, "nvr check --storage is clean after the rebuild: %s%s" % (r.stdout, r.stderr))

finish("test_storage_dirs")
