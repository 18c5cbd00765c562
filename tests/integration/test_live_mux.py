# SPDX-License-Identifier: Apache-2.0
"""Several cameras on one connection: GET /api/v1/live/mux (issue 23 item 2)
against a running `nvr run` and the test camera.

- the body is framed as docs/ref/http-api.md says: the stream's status first,
  then per camera a "live" status with its MSE type, its init segment, and
  one-frame fragments (prft+moof+mdat) from a keyframe, in order;
- every camera's bytes arrive, and one camera's init + fragments written to
  a file are a file ffprobe decodes (the sub stream where one is configured);
- bad input is a 4xx JSON error: no list, an empty id, a duplicate, more than
  16 cameras, a bad stream or codec, an unknown camera;
- access: nobody signed in is 401; a viewer gets 200 for their own cameras
  and, for a list holding a camera they may not see, the same 404 as for a
  camera that does not exist (the whole request, nothing leaks);
- a mux of N cameras counts as N connections against
  max_connections_per_address (503 with Retry-After past it; given back when
  it closes);
- a reader that stops reading does not stall recording or another viewer, and
  when it reads again every camera still comes;
- a camera that goes away: its status says "ended", the body stays open, and
  its new init segment follows when it is back; viewers are freed on close;
- a camera changed over the API in a way that restarts it, while watched on
  its sub stream: the live.mp4 viewer's body ends (it comes back to the new
  recorder), the mux shows the camera again from the new recorder; removed:
  the mux says "unavailable" (the camera was removed), and no RTSP session of
  the old recorder is left open to the camera."""
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request

from harness import Camera, Nvr, camera_connections, check, finish, wait_until
from livestream import MUX_KEY, MUX_STREAM, LiveReader, MuxReader, mp4_boxes

base = None
PW = "viewer-pass-123"


def get(path, headers=None):
    req = urllib.request.Request(base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def expect_error(path, status, headers=None):
    st, h, body = get(path, headers)
    check(st == status, "%s: status %d, want %d (%s)" % (path, st, status, body[:120]))
    try:
        doc = json.loads(body)
        check(isinstance(doc.get("error"), str) and doc["error"], "%s: error body %r" % (path, body[:100]))
    except ValueError:
        check(False, "%s: not JSON: %r" % (path, body[:100]))
    return body


def collect(reader, seconds):
    """Frames of seconds of a mux body, grouped per camera index."""
    per = {}
    order = []
    for _, kind, index, flags, payload in reader.frames(seconds):
        order.append((kind, index))
        per.setdefault(index, []).append((kind, flags, payload))
    return per, order


def call(path, method, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, method=method, data=data,
                                 headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def viewers_metric(camera, stream):
    st, _, body = get("/metrics")
    m = re.search(r'nvr_camera_live_viewers\{camera="%s",stream="%s"\} (\d+)' % (camera, stream), body.decode())
    return int(m.group(1)) if m else -1


with Camera("h264.mp4", mounts=4, no_audio=True) as cam:
    nvr = Nvr("live-mux", [("lobby", {"url": cam.url(mount="/cam1"), "sub_url": cam.url(mount="/cam2"),
                                      "segment_seconds": 3}),
                           ("gym", {"url": cam.url(mount="/cam3"), "segment_seconds": 3}),
                           ("yard", {"url": cam.url(mount="/cam4"), "segment_seconds": 3, "group": "south"})],
              server_extra="max_connections_per_address = 10")
    base = nvr.base_url
    nvr.add_user("vl", "viewer", PW, ["lobby", "gym"])
    tok = nvr.make_token("vl")
    nvr.start()
    check(wait_until(lambda: all(nvr.wait_segments(c, 1, 1) for c in ("lobby", "gym", "yard")), 40),
          "the cameras did not record")

    # --- framing: three cameras, sub streams where configured ---
    r = MuxReader(nvr.port, "/api/v1/live/mux?cameras=lobby,gym,yard&stream=sub")
    check(r.status == 200, "mux status %d" % r.status)
    check(r.headers.get("Content-Type") == "application/vnd.nvr.live-mux", "type %s" % r.headers.get("Content-Type"))
    check(r.headers.get("Cache-Control") == "no-store", "cache control %s" % r.headers.get("Cache-Control"))
    per, order = collect(r, 5)
    r.close()
    check(order[:1] == [("S", MUX_STREAM)], "the stream's status comes first: %s" % order[:3])
    hello = json.loads(per.get(MUX_STREAM, [("S", 0, b"{}")])[0][2])
    check(hello == {"version": 1, "cameras": ["lobby", "gym", "yard"]}, "stream status %r" % hello)
    st, _, body = get("/api/v1/cameras/lobby")
    main_mime = json.loads(body)["video"]["mime"]
    for i, name in enumerate(["lobby", "gym", "yard"]):
        fr = per.get(i, [])
        kinds = [k for k, _, _ in fr]
        check(kinds[:2] == ["S", "I"], "%s: a status then the init segment first: %s" % (name, kinds[:4]))
        status = json.loads(fr[0][2]) if fr else {}
        check(status.get("camera") == name and status.get("state") == "live" and
              re.fullmatch(r'video/mp4; codecs="avc1\.[0-9a-f]{6}"', status.get("mime", "")),
              "%s: live status with its type %r" % (name, status))
        check(kinds.count("F") >= 75, "%s: %d fragments in 5 s" % (name, kinds.count("F")))
        check(set(kinds[2:]) == {"F"}, "%s: only fragments after the init: %s" % (name, set(kinds[2:])))
        frags = [(f, p) for k, f, p in fr if k == "F"]
        check(frags and frags[0][0] & MUX_KEY, "%s: the first fragment is a keyframe" % name)
        bad = [b for _, p in frags[:50] for b in [[t for t, _ in mp4_boxes(p)]] if b != ["prft", "moof", "mdat"]]
        check(not bad, "%s: each fragment is prft+moof+mdat: %s" % (name, bad[:2]))
        init = [p for k, _, p in fr if k == "I"]
        check(init and [t for t, _ in mp4_boxes(init[0])] == ["ftyp", "moov"], "%s: init is ftyp+moov" % name)
        path = os.path.join(nvr.dir, "mux-%s.mp4" % name)
        with open(path, "wb") as f:
            f.write(init[0] if init else b"")
            for _, p in frags:
                f.write(p)
        pr = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries",
                             "frame=key_frame,width,height", "-of", "csv=p=0", path], capture_output=True, text=True)
        frames = [l for l in pr.stdout.split() if l]
        check(pr.returncode == 0 and pr.stderr.strip() == "", "%s: ffprobe errors: %s" % (name, pr.stderr[:300]))
        check(len(frames) >= 75, "%s: ffprobe decoded %d frames of the demuxed bytes" % (name, len(frames)))
        check(frames and frames[0].startswith("1,"), "%s: the first decoded frame is a keyframe %s" % (name, frames[:1]))
    print("figure: mux 5 s: %s" % {n: sum(1 for k, _, _ in per.get(i, []) if k == "F")
                                   for i, n in enumerate(["lobby", "gym", "yard"])})
    check(wait_until(lambda: viewers_metric("lobby", "sub") == 0 and viewers_metric("gym", "main") == 0, 10),
          "the mux's viewers are gone once it closes (/metrics)")

    # --- bad input: 4xx JSON errors ---
    expect_error("/api/v1/live/mux", 400)
    expect_error("/api/v1/live/mux?cameras=", 400)
    expect_error("/api/v1/live/mux?cameras=lobby,,gym", 400)
    expect_error("/api/v1/live/mux?cameras=lobby,gym,lobby", 400)
    body = expect_error("/api/v1/live/mux?cameras=" + ",".join("c%d" % i for i in range(17)), 400)
    check(b"16" in body, "the bound is named: %s" % body[:120])
    expect_error("/api/v1/live/mux?cameras=lobby&stream=fourth", 400)
    expect_error("/api/v1/live/mux?cameras=lobby&codec=vp9", 400)
    expect_error("/api/v1/live/mux?cameras=lobby," + "x" * 200, 400)
    expect_error("/api/v1/live/mux?cameras=lobby,nosuch", 404)
    expect_error("/api/v1/live/mux?cameras=lobby%00", 404)
    r = MuxReader(nvr.port, "/api/v1/live/mux?cameras=" + ",".join(["lobby", "gym", "yard"] * 1))
    check(r.status == 200, "three cameras: %d" % r.status)
    r.close()

    # --- access: anonymous 401; a viewer's own cameras 200; a hidden one as a missing one ---
    saved = os.environ.pop("NVR_TEST_TOKEN")
    anon = LiveReader(nvr.port, "/api/v1/live/mux?cameras=lobby")
    anon_body = anon.resp.read()
    anon.close()
    check(anon.status == 401 and json.loads(anon_body).get("error"), "nobody signed in: %d %s" % (anon.status, anon_body))
    vh = {"Authorization": "Bearer " + tok}
    os.environ["NVR_TEST_TOKEN"] = tok
    r = MuxReader(nvr.port, "/api/v1/live/mux?cameras=lobby,gym")
    per, _ = collect(r, 2)
    r.close()
    check(r.status == 200 and 0 in per and 1 in per, "a viewer watches their two cameras: %d" % r.status)
    hidden = expect_error("/api/v1/live/mux?cameras=lobby,yard", 404, vh)
    missing = expect_error("/api/v1/live/mux?cameras=lobby,nosuchcam", 404, vh)
    check(hidden.replace(b"yard", b"X") == missing.replace(b"nosuchcam", b"X"),
          "a hidden camera answers as a missing one: %s / %s" % (hidden, missing))
    check(b"lobby" not in hidden and b"south" not in hidden, "nothing else is told: %s" % hidden)
    os.environ["NVR_TEST_TOKEN"] = saved
    st, _, body = get("/api/v1/access-log?action=live_view")
    check(st == 200 and b"mux=2" in body, "the access log records each camera of a mux: %s" % body[:200])

    # --- a mux of N cameras counts as N connections (max_connections_per_address = 10) ---
    time.sleep(2)  # the server lets go of the connections closed above (at its next write)
    held = [MuxReader(nvr.port, "/api/v1/live/mux?cameras=lobby,gym,yard") for _ in range(3)]
    check([h.status for h in held] == [200, 200, 200], "three muxes of 3 (9 connections): %s" % [h.status for h in held])
    over = MuxReader(nvr.port, "/api/v1/live/mux?cameras=lobby,gym,yard")
    over_body = over.resp.read() if over.status != 200 else b""
    check(over.status == 503 and over.headers.get("Retry-After"), "a fourth (9 + 3 > 10) is 503 with Retry-After: %d %s"
          % (over.status, over_body[:120]))
    over.close()

    def single_fits():
        one = LiveReader(nvr.port, "/api/v1/cameras/lobby/live.mp4")
        one.close()
        return one.status == 200
    check(wait_until(single_fits, 5), "a single live.mp4 (the tenth) still fits")
    for h in held:
        h.close()

    def fits():
        x = MuxReader(nvr.port, "/api/v1/live/mux?cameras=lobby,gym,yard")
        x.close()
        return x.status == 200
    check(wait_until(fits, 10), "closed muxes give their connections back")

    # --- a reader that stops reading stalls nothing ---
    slow = MuxReader(nvr.port, "/api/v1/live/mux?cameras=lobby,gym", rcvbuf=4096)
    other = LiveReader(nvr.port, "/api/v1/cameras/gym/live.mp4")
    n_rows = len(nvr.db_rows("lobby"))
    moofs = sum(1 for _, k, _ in other.boxes(8) if k == "moof")
    check(moofs >= 150, "another viewer gets every frame while a mux reader stalls: %d fragments in 8 s" % moofs)
    check(len(nvr.db_rows("lobby")) >= n_rows + 2, "recording goes on while a mux reader stalls")
    other.close()
    per, _ = collect(slow, 4)
    late = {i: sum(1 for k, _, _ in per.get(i, []) if k == "F") for i in (0, 1)}
    check(all(v >= 25 for v in late.values()), "when it reads again every camera still comes: %s" % late)
    slow.close()
    check("live viewer behind" in nvr.log_text(), "the stalled mux's viewers skipped ahead (log)")

    # --- a camera that goes away: "ended", the body stays, a new init when it is back ---
    r = MuxReader(nvr.port, "/api/v1/live/mux?cameras=lobby,gym", timeout=60)
    list(collect(r, 2))
    cam.stop()
    seen = {0: [], 1: []}
    for _, kind, index, _, payload in r.frames(20):
        if kind == "S" and index in seen:
            seen[index].append(json.loads(payload).get("state"))
        if all("ended" in v for v in seen.values()):
            break
    check(all("ended" in v for v in seen.values()), "each camera's status says ended: %s" % seen)
    cam.start()
    back = {0: 0, 1: 0}
    for _, kind, index, _, _ in r.frames(60):
        if kind == "I" and index in back:
            back[index] += 1
        if all(back.values()):
            break
    check(all(back.values()), "a new init segment for each camera when it is back, on the same body: %s" % back)
    r.close()
    check(wait_until(lambda: viewers_metric("lobby", "main") == 0 and viewers_metric("gym", "main") == 0, 10),
          "no viewer left after the muxes closed")

    # --- an API camera changed (restarted) and removed while watched on its sub stream ---
    check(wait_until(lambda: camera_connections(cam.port) == 3, 30),
          "the three cameras' sessions only: %d" % camera_connections(cam.port))
    st, body = call("/api/v1/cameras", "POST", {"id": "porch", "url": cam.url(mount="/cam3"),
                                                "sub_url": cam.url(mount="/cam4"), "segment_seconds": 3})
    check(st == 201 or st == 200, "add porch: %d %s" % (st, body[:200]))
    check(nvr.wait_segments("porch", 1, 30), "porch records")
    one = LiveReader(nvr.port, "/api/v1/cameras/porch/live.mp4?stream=sub", timeout=30)
    check(one.status == 200 and any(k == "moof" for _, k, _ in one.boxes(4)), "porch's sub stream plays")
    mux = MuxReader(nvr.port, "/api/v1/live/mux?cameras=porch&stream=sub", timeout=60)
    per, _ = collect(mux, 3)
    check(any(k == "F" for k, _, _ in per.get(0, [])), "porch's sub stream plays in a mux")
    check(camera_connections(cam.port) == 5, "porch and its sub stream: %d sessions" % camera_connections(cam.port))
    st, body = call("/api/v1/cameras/porch", "PUT", {"segment_seconds": 4})
    check(st == 200 and "recorder=restarted" in nvr.log_text(), "change porch (a restart): %d" % st)
    t0 = time.monotonic()
    for _ in one.boxes(15):
        pass
    check(one.eof and time.monotonic() - t0 < 10, "the old recorder's sub viewer is told it ended")
    one.close()
    states, inits = [], 0
    for _, kind, index, _, payload in mux.frames(30):
        if kind == "S":
            states.append(json.loads(payload).get("state"))
        if kind == "I" and "ended" in states:
            inits += 1
            break
    check("ended" in states and inits == 1, "the mux shows porch again from its new recorder: %s" % states)
    st, body = call("/api/v1/cameras/porch", "DELETE")
    check(st == 200, "remove porch: %d" % st)
    states = []
    for _, kind, index, _, payload in mux.frames(30):
        if kind == "S":
            doc = json.loads(payload)
            states.append((doc.get("state"), doc.get("reason")))
            if doc.get("state") == "unavailable":
                break
    check(("unavailable", "the camera was removed") in states, "the mux says porch was removed: %s" % states)
    mux.close()
    check(wait_until(lambda: camera_connections(cam.port) == 3, 20),
          "no session of porch's recorders is left: %d" % camera_connections(cam.port))
    check(nvr.stop() == 0, "nvr did not exit cleanly")
finish("test_live_mux")
