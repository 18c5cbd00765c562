# SPDX-License-Identifier: Apache-2.0
"""Motion detection end to end (issue 14, docs/design/motion.md): the test
camera serves a clip with a static, noisy scene in which a box crosses the
right half of the picture from 10 s to 18 s of every 30 s loop (a keyframe
every second), to three cameras of one `nvr run`:

- `a` (motion on by default): GET /api/v1/cameras/a/motion has an event for
  each crossing, starting and ending within a second of the truth (the
  truth on the wall clock: the first segment's start + the clip time), and
  none elsewhere (the static scene, sensor noise included, makes none); a
  region on the box's path finds it, with the box's part of the picture,
  one elsewhere finds nothing; `nvr motion --json` answers the same;
- `m` with `motion_mask` over the right half: no event;
- `off` with `motion = off`: no event and no motion rows in the index;
- bad requests are 4xx with {"error"}; the search is in the access log;
- `b`, a second camera with motion: GET /api/v1/motion?cameras=a,b,m,off
  answers the per-camera events of a and b merged by start, each naming
  its camera (the region and limit as per camera; bad lists are 400, an
  unknown camera 404); GET .../motion/density in 1 s buckets has motion in
  each crossing's seconds and none in the quiet seconds before it.
- after the index is lost, `nvr check --storage --rebuild-index` brings the
  footage back without motion, and `--rebuild-motion` runs the detector over
  the files' keyframes: `a`'s events come back (count +-1, starts within
  1 s), `m` stays masked, `off` is skipped; running it again replaces."""
import json
import os
import re
import sqlite3
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

from harness import CLIPS, TMP, Camera, Nvr, check, finish, iso, wait_until

LOOP, ENTER, LEAVE = 30.0, 10.0, 18.0
base = None


def make_clip():
    """The 30 s clip (made once per build tree, next to the other clips)."""
    path = os.path.join(CLIPS, "motion_box.mp4")
    if os.path.exists(path) and os.path.getsize(path) > 0:
        return path
    tmp = path + ".tmp.mp4"
    scene = ("color=c=gray:s=640x360:r=25:d=0.04,"
             "geq=lum='128+50*sin(X/13)*cos(Y/9)+20*sin(X/41+Y/17)':cb=128:cr=128,"
             "loop=loop=-1:size=1,trim=duration=30,setpts=N/25/TB,noise=alls=6:allf=t")
    r = subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", scene,
                        "-f", "lavfi", "-i", "color=c=white:s=60x80:r=25:d=30",
                        "-filter_complex",
                        "[0][1]overlay=x='300+(t-%g)*30':y=140:enable='between(t,%g,%g)',format=yuv420p"
                        % (ENTER, ENTER, LEAVE - 0.04),
                        "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-keyint_min", "25",
                        "-sc_threshold", "0", "-b:v", "800k", "-maxrate", "800k", "-bufsize", "800k",
                        "-t", "30", "-an", tmp], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("cannot make the motion clip: %s" % r.stderr)
    os.rename(tmp, path)
    return path


def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=15) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def events(cam, start, end, region=None):
    q = {"start": iso(start), "end": iso(end)}
    if region:
        q["region"] = region
    st, body = get("/api/v1/cameras/%s/motion?%s" % (cam, urllib.parse.urlencode(q)))
    check(st == 200, "%s motion: status %d %r" % (cam, st, body[:200]))
    return json.loads(body)["events"] if st == 200 else []


def ts(s):
    return time.mktime(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone + float("0" + s[19:-1])


def expect_error(path, status):
    st, body = get(path)
    try:
        doc = json.loads(body)
    except ValueError:
        doc = {}
    check(st == status and isinstance(doc.get("error"), str), "%s: %d %r, want %d {error}" % (path, st, body[:120], status))


def multi_camera(t_begin, now, ev_a, truth, t0):
    """GET /api/v1/motion over several cameras, and the density route."""
    rng = {"start": iso(t_begin), "end": iso(now + 60)}
    ev_b = events("b", t_begin, now + 60)
    check(len(ev_b) >= 1, "b has motion too: %d events" % len(ev_b))
    st, body = get("/api/v1/motion?" + urllib.parse.urlencode(dict(rng, cameras="a,b,m,off")))
    doc = json.loads(body) if st == 200 else {}
    got = [(e["camera"], e["start"], e["end"]) for e in doc.get("events", [])]
    want = sorted([("a", e["start"], e["end"]) for e in ev_a] + [("b", e["start"], e["end"]) for e in ev_b],
                  key=lambda x: (ts(x[1]), x[0] != "a"))
    check(st == 200 and got == want and doc.get("truncated") is False,
          "several cameras: the per-camera events merged by start: %d %r, want %r" % (st, got, want))
    st, body = get("/api/v1/motion?" + urllib.parse.urlencode(dict(rng, cameras="b,a", region="0.5,0.35,0.7,0.65")))
    hits_a = events("a", t_begin, now + 60, region="0.5,0.35,0.7,0.65")
    got = [(e["camera"], e["start"]) for e in json.loads(body)["events"]] if st == 200 else None
    check(got is not None and [x for x in got if x[0] == "a"] == [("a", e["start"]) for e in hits_a]
          and got == sorted(got, key=lambda x: ts(x[1])), "several cameras with a region: %r" % got)
    st, body = get("/api/v1/motion?" + urllib.parse.urlencode(dict(rng, cameras="a,b", limit=1)))
    doc = json.loads(body) if st == 200 else {}
    check(st == 200 and len(doc["events"]) == 1 and doc["truncated"] is True
          and doc["events"][0]["start"] == want[0][1], "limit over several cameras: the first, truncated: %r" % body[:300])
    q = urllib.parse.urlencode(rng)
    expect_error("/api/v1/motion?" + q, 400)
    expect_error("/api/v1/motion?cameras=&" + q, 400)
    expect_error("/api/v1/motion?cameras=a,a&" + q, 400)
    expect_error("/api/v1/motion?cameras=a,,b&" + q, 400)
    expect_error("/api/v1/motion?cameras=%s&%s" % (",".join("c%d" % i for i in range(17)), q), 400)
    expect_error("/api/v1/motion?cameras=a,nosuch&" + q, 404)
    expect_error("/api/v1/motion?cameras=a&start=%s&end=%s" % (iso(now - 40 * 86400), iso(now)), 400)
    expect_error("/api/v1/motion?cameras=a&%s&region=1,1,0,0" % q, 400)
    expect_error("/api/v1/motion?cameras=a&%s&limit=1001" % q, 400)
    # density in 1 s buckets: motion in each crossing's seconds, none in the quiet ones before it
    start = int(t_begin)
    n = int(now) - start
    st, body = get("/api/v1/cameras/a/motion/density?start=%s&end=%s&buckets=%d" % (iso(start), iso(start + n), n))
    doc = json.loads(body) if st == 200 else {}
    dens = doc.get("motion", [])
    check(st == 200 and len(dens) == n and abs(doc.get("bucket_seconds", 0) - 1) < 1e-9
          and all(0 <= v <= 1 for v in dens), "density: %d buckets of 1 s: %r" % (st, body[:200]))
    for a, b in truth:
        if b + 1 > now or len(dens) != n:
            continue
        inside = dens[int(a) - start + 1:int(b) - start - 1]
        quiet = dens[int(a) - start - 6:int(a) - start - 2]
        check(sum(1 for v in inside if v > 0) >= len(inside) // 2 and all(v == 0 for v in quiet),
              "density: crossing at %.1f: inside %r, quiet before %r" % (a - start, inside, quiet))
    st, body = get("/api/v1/cameras/off/motion/density?start=%s&end=%s&buckets=20" % (iso(start), iso(start + n)))
    check(st == 200 and json.loads(body)["motion"] == [0] * 20, "density of a camera without motion: %r" % body[:200])
    dq = "start=%s&end=%s" % (iso(start), iso(start + n))
    expect_error("/api/v1/cameras/a/motion/density?%s&buckets=0" % dq, 400)
    expect_error("/api/v1/cameras/a/motion/density?%s&buckets=2001" % dq, 400)
    expect_error("/api/v1/cameras/a/motion/density?%s&buckets=x" % dq, 400)
    expect_error("/api/v1/cameras/a/motion/density?end=" + iso(now), 400)
    expect_error("/api/v1/cameras/nosuch/motion/density?" + dq, 404)
    st, body = get("/api/v1/access-log?action=motion")
    entries = json.loads(body).get("entries", []) if st == 200 else []
    check(any(e["camera"] == "b" for e in entries) and any(e["camera"] == "off" for e in entries),
          "a search over several cameras is logged for each")


def main():
    global base
    make_clip()
    cam = Camera("motion_box.mp4", mount="/cam", mounts=4).start()
    nvr = Nvr("motion", [
        ("a", {"url": cam.url(mount="/cam1")}),
        ("m", {"url": cam.url(mount="/cam2"), "motion_mask": "0.45,0,1,1; 0,0,0.1,0.1"}),
        ("off", {"url": cam.url(mount="/cam3"), "motion": "off"}),
        ("b", {"url": cam.url(mount="/cam4")}),
    ]).start()
    base = nvr.base_url
    check(wait_until(lambda: all(nvr.db_rows(c) for c in ("a", "m", "off", "b")), 30), "the four cameras record")
    t0 = {c: min(r["start_us"] for r in nvr.db_rows(c)) / 1e6 for c in ("a", "m", "off", "b")}
    t_begin = time.time() - 120
    # two crossings have ended (an event closes and is written 4 s after the box left)
    time.sleep(max(0.0, t0["a"] + LOOP + LEAVE + 7 - time.time()))
    now = time.time()
    ev = events("a", t_begin, now + 60)
    truth = [(t0["a"] + k * LOOP + ENTER, t0["a"] + k * LOOP + LEAVE) for k in range(3)
             if t0["a"] + k * LOOP + ENTER < now - 1]
    print("truth %s\nevents %s" % (truth, json.dumps(ev)))
    check(len(ev) == len(truth), "one event per crossing: %d events, %d crossings" % (len(ev), len(truth)))
    for (a, b), e in zip(truth, ev):
        s = ts(e["start"])
        check(abs(s - a) <= 1.0, "event start %.2f s from the truth" % (s - a))
        check(abs(ts(e["end"]) - b) <= 1.0, "event end %.2f s from the truth" % (ts(e["end"]) - b))
        check(e["score"] >= 4 and e["region"][0] >= 0.4 and e["region"][2] <= 1.0, "event score/region %s" % e)
    # a region on the box's path, one where nothing moves
    hits = events("a", t_begin, now + 60, region="0.5,0.35,0.7,0.65")
    check(len(hits) == len(truth), "region on the path: %d hits" % len(hits))
    for e, (a, b) in zip(hits, truth):
        check(abs(ts(e["start"]) - a) <= 1.0 and e["region"][0] >= 0.5 - 1e-6 and e["region"][2] <= 0.72,
              "region hit %s" % e)
    check(events("a", t_begin, now + 60, region="0,0,0.3,0.3") == [], "nothing moves top left")
    multi_camera(t_begin, now, ev, truth, t0)
    # masked and off
    check(events("m", t_begin, now + 60) == [], "the mask hides the box")
    check(events("off", t_begin, now + 60) == [], "motion off: no events")
    con = sqlite3.connect("file:%s?mode=ro" % nvr.path("index.db"), uri=True)
    rows = con.execute("SELECT COUNT(*) FROM motion_seconds WHERE camera = 'off'").fetchone()[0]
    rows += con.execute("SELECT COUNT(*) FROM motion_events WHERE camera = 'off'").fetchone()[0]
    con.close()
    check(rows == 0, "motion off writes nothing: %d rows" % rows)
    # the CLI answers the same
    r = nvr.run_cli("motion", "-c", nvr.config, "a", "--from", iso(t_begin), "--to", iso(now + 60), "--json")
    check(r.returncode == 0, "nvr motion: %s" % r.stderr)
    if r.returncode == 0:
        cli_ev = json.loads(r.stdout)["events"]
        check([e["start"] for e in cli_ev[:len(truth)]] == [e["start"] for e in ev[:len(truth)]],
              "nvr motion --json has the API's events")
    # bad requests
    rng = "start=%s&end=%s" % (iso(now - 60), iso(now))
    expect_error("/api/v1/cameras/a/motion?end=" + iso(now), 400)
    expect_error("/api/v1/cameras/a/motion?start=%s&end=%s" % (iso(now - 40 * 86400), iso(now)), 400)
    expect_error("/api/v1/cameras/a/motion?start=%s&end=%s" % (iso(now), iso(now - 60)), 400)
    expect_error("/api/v1/cameras/a/motion?%s&region=0,0,2,1" % rng, 400)
    expect_error("/api/v1/cameras/a/motion?%s&region=0.5,0,0.2,1" % rng, 400)
    expect_error("/api/v1/cameras/a/motion?%s&region=nope" % rng, 400)
    expect_error("/api/v1/cameras/a/motion?%s&limit=0" % rng, 400)
    expect_error("/api/v1/cameras/nosuch/motion?" + rng, 404)
    st, body = get("/api/v1/cameras/a/motion?%s&limit=1" % rng.replace(iso(now - 60), iso(t_begin)))
    doc = json.loads(body) if st == 200 else {}
    check(st == 200 and len(doc.get("events", [])) <= 1 and (len(truth) < 2 or doc.get("truncated") is True),
          "limit caps the answer and says so: %r" % body[:200])
    st, body = get("/api/v1/access-log?action=motion")
    entries = json.loads(body).get("entries", []) if st == 200 else []
    check(any(e["camera"] == "a" and "region=" in e["detail"] for e in entries), "searches are in the access log")
    check(nvr.stop() == 0, "clean stop")
    m = re.search(r"camera=a recorder stopped .* motion_keyframes=(\d+) motion_analysed=(\d+) motion_dropped=(\d+)",
                  nvr.log_text())
    check(m and int(m.group(1)) > 30 and m.group(1) == m.group(2) and m.group(3) == "0",
          "motion analysed every keyframe of a: %s" % (m.group(0) if m else None))
    cam.stop()
    r = nvr.run_cli("check", "-c", nvr.config, "--storage")
    check(r.returncode == 0 and "storage: 0 problems" in r.stdout, "nvr check --storage: %s" % r.stdout[-300:])
    rebuild(nvr, t_begin, now + 60)


def cli_events(nvr, cam, start, end):
    r = nvr.run_cli("motion", "-c", nvr.config, cam, "--from", iso(start), "--to", iso(end), "--json")
    check(r.returncode == 0, "nvr motion %s: %s" % (cam, r.stderr))
    return json.loads(r.stdout)["events"] if r.returncode == 0 else []


def rebuild(nvr, start, end):
    """The index is lost: --rebuild-index indexes the files again, --rebuild-motion runs the
    detector over their keyframes, and the events come back (count +-1, starts within 1 s)."""
    before = cli_events(nvr, "a", start, end)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(nvr.path("index.db" + suffix)):
            os.unlink(nvr.path("index.db" + suffix))
    r = nvr.run_cli("check", "-c", nvr.config, "--storage", "--rebuild-index")
    check(r.returncode == 0 and "add --rebuild-motion" in r.stdout, "rebuild-index says motion is not rebuilt: %s"
          % r.stdout[-400:])
    check(cli_events(nvr, "a", start, end) == [], "a lost index has no motion")
    r = nvr.run_cli("check", "-c", nvr.config, "--storage", "--rebuild-motion")
    print(r.stdout[-600:])
    check(r.returncode == 0 and "rebuild-motion: 4 cameras" not in r.stdout and "rebuild-motion: 3 cameras" in r.stdout
          and "camera off: skipped (motion = off)" in r.stdout and "storage: 0 problems" in r.stdout,
          "nvr check --storage --rebuild-motion: %s %s" % (r.stdout[-600:], r.stderr[-300:]))
    after = cli_events(nvr, "a", start, end)
    print("before %s\nafter %s" % (json.dumps(before), json.dumps(after)))
    check(before and abs(len(after) - len(before)) <= 1, "rebuilt events: %d, before %d" % (len(after), len(before)))
    for e in before:
        near = [x for x in after if abs(ts(x["start"]) - ts(e["start"])) <= 1.0]
        check(near, "the event at %s comes back within 1 s: %s" % (e["start"], [x["start"] for x in after]))
        if near:
            check(abs(ts(near[0]["end"]) - ts(e["end"])) <= 2.0 and near[0]["region"][0] >= 0.4,
                  "rebuilt event %s against %s" % (near[0], e))
    check(cli_events(nvr, "m", start, end) == [], "the mask still hides the box after the rebuild")
    check(cli_events(nvr, "off", start, end) == [], "motion off: still nothing")
    # a second run replaces, it does not add
    r = nvr.run_cli("check", "-c", nvr.config, "--storage", "--rebuild-motion", "--from", iso(start), "--to", iso(end))
    again = cli_events(nvr, "a", start, end)
    check(r.returncode == 0 and [e["start"] for e in again] == [e["start"] for e in after],
          "running it again replaces the events: %d then %d" % (len(after), len(again)))


if __name__ == "__main__":  # (make_clip is shared with tests/browser/test_browser_motion_search.py)
    main()
    finish("test_motion")
