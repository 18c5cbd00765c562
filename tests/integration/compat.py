# SPDX-License-Identifier: Apache-2.0
"""compat.py - the camera-compatibility checks shared by the tests that make
the test camera behave like a real camera of some kind (test_bframes,
test_sdp_params, test_udp).

verify() proves, per camera: one run with no gap and no discontinuity
(coverage >= 99.9 %), 0 dropped frames, every file decoded by ffmpeg with 0
errors, the frames of the whole recording (read through the HLS playlist)
identical to the camera's clip and in its order (framemd5), an export MP4 that
ffmpeg decodes frame for frame in the same order, and a snapshot of a recorded
moment.  live_check() decodes a few seconds of live.mp4."""
import os
import re
import subprocess
import tempfile
import time
import urllib.request
import zipfile

from harness import Nvr, check, check_segment_file, clip, finish, http_up, iso, parse_time, wait_until
from livestream import LiveReader

RECORD_S = 20
DEPTH = 2  # the B-frame clips' reorder depth: the last frames may be missing at a stop
SEG_S = 6


def framemd5(args):
    r = subprocess.run(["ffmpeg", "-v", "error"] + args + ["-map", "0:v:0", "-f", "framemd5", "-"],
                       capture_output=True, text=True, timeout=180)
    md5 = [line.split(",")[-1].strip() for line in r.stdout.splitlines() if line and not line.startswith("#")]
    return r.returncode, md5, r.stderr


def check_order(cam, rec, src, tail):
    """rec must be src looped, from the frame where it starts (a keyframe).
    The last `tail` frames may differ: frames that follow B-frames the camera
    had not sent yet when the recording stopped.  Returns the matching frames."""
    if not check(rec and src, "%s: no frames (rec %d, src %d)" % (cam, len(rec), len(src))):
        return 0
    at = src.index(rec[0]) if rec[0] in src else 0
    body = rec[:len(rec) - tail] if tail else rec
    same = sum(1 for i, h in enumerate(rec) if h == src[(at + i) % len(src)])
    bad = [i for i, h in enumerate(body) if h != src[(at + i) % len(src)]]
    check(not bad, "%s: %d of %d frames differ from the camera's, first at %s" %
          (cam, len(bad), len(body), bad[0] if bad else None))
    return same


def record(name, cams, wrapper=None, transport="tcp"):
    nvr = Nvr(name, [(cid, {"url": c.url(), "segment_seconds": SEG_S, "transport": transport}) for cid, c in cams],
              wrapper=wrapper)
    nvr.start()
    t0 = time.time()
    nvr.wait_segments(cams[0][0], 1, 30)
    time.sleep(max(0, RECORD_S - (time.time() - t0)))
    return nvr, t0


def live_check(nvr, cam):
    """A few seconds of live.mp4: ffmpeg decodes it without an error."""
    lr = LiveReader(nvr.port, "/api/v1/cameras/%s/live.mp4" % cam, timeout=10)
    if not check(lr.status == 200, "%s: live.mp4 answered %d" % (cam, lr.status)):
        return
    data = b"".join(box for _t, _kind, box in lr.boxes(4))
    lr.close()
    with tempfile.NamedTemporaryFile(suffix=".mp4", dir=nvr.dir, delete=False) as f:
        f.write(data)
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", f.name, "-f", "null", "-"], capture_output=True, text=True)
    rc, md5, _ = framemd5(["-i", f.name])
    check(r.returncode == 0 and not r.stderr.strip(), "%s: live.mp4 decode errors: %s" % (cam, r.stderr[:300]))
    check(len(md5) >= 50, "%s: live.mp4 gave %d frames in 4 s" % (cam, len(md5)))
    print("%s: live.mp4 %d frames decoded, 0 errors" % (cam, len(md5)))


def serve_only(nvr):
    """Starts nvr again on the same index with its cameras disabled: the API
    serves what was recorded, and nothing more is recorded."""
    text = open(nvr.config).read()
    with open(nvr.config, "w") as f:
        f.write(re.sub(r"(\[camera [^\]]+\]\n)", r"\1enabled = no\n", text))
    nvr.start()
    wait_until(lambda: http_up(nvr.base_url), 20)


def verify(nvr, cams, t0, t1, reader):
    log = nvr.log_text()
    serve_only(nvr)
    for cam, clip_name in cams:
        rows = nvr.db_rows(cam)
        check(len(rows) >= 2, "%s: %d segments" % (cam, len(rows)))
        for r in rows:
            check_segment_file(nvr, r)
        # no discontinuity, nothing dropped
        check("camera=%s timestamp discontinuity" % cam not in log, "%s: a timestamp discontinuity was logged" % cam)
        m = re.search(r"camera=%s recorder stopped frames=(\d+) .* dropped=(\d+)" % cam, log)
        check(m and m.group(2) == "0", "%s: dropped frames: %s" % (cam, m.group(0) if m else "no stop line"))
        check("camera=%s video reorder_depth=" % cam in log, "%s: the reorder depth was not logged" % cam)
        # one run, no gap: coverage of the run, and of the time nvr ran
        doc = nvr.recordings(cam)
        check(len(doc["runs"]) == 1, "%s: %d runs, want 1" % (cam, len(doc["runs"])))
        start, end = parse_time(doc["runs"][0]["start"]), parse_time(doc["runs"][0]["end"])
        media = sum(r["media_us"] for r in rows) / 1e6
        coverage = media / (end - start) if end > start else 0
        check(coverage >= 0.999, "%s: coverage %.4f of the run" % (cam, coverage))
        # (libavformat gives a session's first frame no timestamp, which cannot
        # be placed among B-frames: that reader starts at the second keyframe)
        # (start-up: connecting and the first keyframe, slower on a loaded machine;
        # the run's own coverage above is what shows that nothing is lost)
        slack = 3.0 + (2.0 if reader in ("libav", "udp") else 0)
        check(end - start >= (t1 - t0) - slack, "%s: %.2f s covered of %.2f s run" % (cam, end - start, t1 - t0))
        # frame order through the HLS playlist, against the clip
        url = "%s/api/v1/cameras/%s/playback.m3u8?start=%s&end=%s" % (nvr.base_url, cam, iso(start), iso(end))
        rc, rec, err = framemd5(nvr.ffmpeg_auth() + ["-i", url])
        check(rc == 0 and not err.strip(), "%s: playlist decode errors: %s" % (cam, err[:300]))
        want = sum(r["frames"] for r in rows)
        check(len(rec) == want, "%s: %d frames decoded from the playlist, the index has %d" % (cam, len(rec), want))
        _, src, _ = framemd5(["-i", clip(clip_name)])
        same = check_order(cam, rec, src, DEPTH)
        # export: the MP4 decodes, every frame in the camera's order
        out = os.path.join(nvr.dir, "%s.zip" % cam)
        r = nvr.run_cli("export", "-c", nvr.config, "--camera", cam, "--from", iso(start), "--to", iso(end),
                        "-o", out, "--reason", "b-frames test")
        check(r.returncode == 0, "%s: export failed: %s" % (cam, r.stderr[:300]))
        exp_frames = 0
        if r.returncode == 0:
            with zipfile.ZipFile(out) as z:
                mp4 = [n for n in z.namelist() if n.endswith(".mp4")]
                z.extractall(os.path.join(nvr.dir, cam + "-x"), mp4)
            path = os.path.join(nvr.dir, cam + "-x", mp4[0])
            d = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:v:0", "-f", "null", "-"],
                               capture_output=True, text=True)
            check(d.returncode == 0 and not d.stderr.strip(), "%s: export decode errors: %s" % (cam, d.stderr[:300]))
            _, exp, _ = framemd5(["-i", path])
            exp_frames = len(exp)
            check(abs(len(exp) - want) <= 1, "%s: export has %d frames, the index %d" % (cam, len(exp), want))
            check_order(cam + " export", exp, src, DEPTH)
        # snapshot of a recorded moment
        st = urllib.request.urlopen("%s/api/v1/cameras/%s/snapshot.jpg?time=%s" % (nvr.base_url, cam, iso(start + 5)),
                                    timeout=20)
        body = st.read()
        check(st.status == 200 and body[:2] == b"\xff\xd8", "%s: snapshot of a recorded moment" % cam)
        print("%s (%s reader): %d segments, coverage %.2f %%, %.2f s of %.2f s, dropped %s, %d frames in order "
              "of %d, 0 decode errors, export %d frames" %
              (cam, reader, len(rows), coverage * 100, end - start, t1 - t0, m.group(2) if m else "?", same,
               len(rec), exp_frames))
    nvr.stop()


