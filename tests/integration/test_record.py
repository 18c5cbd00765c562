# SPDX-License-Identifier: Apache-2.0
"""Records three cameras at once -- H.264, H.265 with AAC kept (audio = on),
H.264 with AAC dropped (audio off) -- and checks every segment with
independent tools, the index's coverage against the wall time recorded, and
that a clean SIGTERM finishes the open segments and exits 0."""
import os
import time

from harness import Camera, Nvr, check, check_segment_file, finish, parse_time, probe

RECORD_S = 14
SEG_S = 4

with Camera("h264.mp4") as c1, Camera("h265_aac.mp4") as c2, Camera("h264_aac.mp4") as c3:
    nvr = Nvr("record", [
        ("plain", {"url": c1.url(), "segment_seconds": SEG_S}),
        ("hevc", {"url": c2.url(), "segment_seconds": SEG_S, "audio": "on", "transport": "tcp"}),
        ("muted", {"url": c3.url(), "segment_seconds": SEG_S}),
    ])
    nvr.start()
    t_start = time.time()
    time.sleep(RECORD_S)
    t_stop = time.time()
    rc = nvr.stop()
    check(rc == 0, "nvr run exited %r on SIGTERM" % rc)

log = nvr.log_text()
for cam, codec, audio in (("plain", "h264", None), ("hevc", "hevc", "aac"), ("muted", "h264", None)):
    rows = nvr.db_rows(cam)
    check(len(rows) >= RECORD_S // SEG_S - 1, "%s: only %d segments" % (cam, len(rows)))
    check(all(r["state"] == 0 for r in rows), "%s: a segment was left unfinished after SIGTERM" % cam)
    for r in rows:
        check_segment_file(nvr, r)
        check(r["video_codec"] == codec, "%s: codec %s" % (cam, r["video_codec"]))
        check((r["width"], r["height"]) == (640, 360), "%s: size %dx%d" % (cam, r["width"], r["height"]))
        # T1: wall duration within 500 ppm (+1 ms rounding) of media duration
        wall = r["end_us"] - r["start_us"]
        check(abs(wall - r["media_us"]) <= r["media_us"] * 500e-6 + 1000,
              "%s: wall %d vs media %d" % (cam, wall, r["media_us"]))
    # every file: the right tracks
    for r in rows:
        streams = probe(nvr.path(r["path"]))["streams"]
        kinds = sorted(s["codec_type"] for s in streams)
        want = ["audio", "video"] if audio else ["video"]
        check(kinds == want, "%s: tracks %s, want %s" % (r["path"], kinds, want))
        if audio:
            check(any(s.get("codec_name") == "aac" for s in streams), "%s: no AAC" % r["path"])
    # segments of one session are contiguous and every cut is <= segment_seconds + one GOP
    for a, b in zip(rows, rows[1:]):
        check(b["start_us"] == a["end_us"], "%s: gap or overlap between %s and %s" % (cam, a["path"], b["path"]))
        # the files of one run continue each other's timestamps (HLS needs no discontinuity)
        check(b["media_start_us"] == a["media_start_us"] + a["media_us"],
              "%s: media time does not continue from %s to %s" % (cam, a["path"], b["path"]))
    check(rows and rows[0]["media_start_us"] == 0, "%s: the camera's first frame is not at media time 0" % cam)
    for r in rows:
        st = float(probe(nvr.path(r["path"]))["format"].get("start_time", "0"))
        check(abs(st - r["media_start_us"] / 1e6) < 0.05,
              "%s: file starts at %.3f s, index says %.3f s" % (r["path"], st, r["media_start_us"] / 1e6))
    for r in rows[:-1]:
        check(SEG_S * 1e6 <= r["media_us"] <= (SEG_S + 2.05) * 1e6, "%s: segment media %d us" % (cam, r["media_us"]))
    # coverage vs wall time: footage lies inside the time nvr ran, and covers it
    # but for the connection (the first keyframe is kept even though libavformat
    # gives it no timestamp)
    doc = nvr.recordings(cam)
    check(len(doc["runs"]) == 1, "%s: %d runs, want 1" % (cam, len(doc["runs"])))
    if doc["runs"]:
        start = parse_time(doc["runs"][0]["start"])
        end = parse_time(doc["runs"][0]["end"])
        check(start >= t_start - 0.5, "%s: footage starts %.3f s before nvr started" % (cam, t_start - start))
        check(end <= t_stop + 0.5, "%s: footage ends %.3f s after nvr stopped" % (cam, end - t_stop))
        covered = end - start
        check(covered >= (t_stop - t_start) - 1.5,
              "%s: %.2f s covered of %.2f s run" % (cam, covered, t_stop - t_start))
        print("%s: %d segments, %.2f s covered of %.2f s wall" % (cam, len(rows), covered, t_stop - t_start))

check("connected transport=tcp" in log, "no connection logged")
check("camera=muted audio not recorded codec=aac (audio = off)" in log, "the dropped audio was not logged")
check("camera=plain audio not recorded" not in log, "a camera without audio logged dropped audio")
finish("record")
