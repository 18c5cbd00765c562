# SPDX-License-Identifier: Apache-2.0
"""Camera management while recording (issue 6): test a connection before
saving (codec, size, frame rate, bit rate, or the exact failure), add,
change and remove cameras over the API with no restart and without touching
the other cameras, API cameras survive a restart, cameras of the config file
are read-only over the API, SIGHUP reloads the file (added, changed, removed;
a broken file changes nothing), and every bad body is a 400 naming why."""
import base64
import json
import os
import signal
import socket
import threading
import time
import urllib.error
import urllib.request

from harness import Camera, Nvr, check, finish, free_port, wait_until


def call(nvr, path, method="GET", body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(nvr.base_url + path, method=method, data=data,
                                 headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw
    except (urllib.error.URLError, ConnectionError):
        return 0, {}


def complete(nvr, cam, after_us=0):
    return [r for r in nvr.db_rows(cam) if r["state"] == 0 and r["start_us"] >= after_us]


with Camera("h264.mp4", no_audio=True) as cam, Camera("h264.mp4", no_audio=True, user="u", password="right") as locked:
    nvr = Nvr("cameras", [("lobby", {"url": cam.url(), "segment_seconds": 2})])
    nvr.start()
    check(nvr.wait_segments("lobby", 1, 30), "lobby records")

    # --- test connection ---
    st, doc = call(nvr, "/api/v1/camera-test", "POST", {"url": cam.url()})
    v = doc.get("video", {}) if isinstance(doc, dict) else {}
    check(st == 200 and doc.get("ok") is True and v.get("codec") == "h264" and v.get("width") == 640
          and v.get("height") == 360 and abs(v.get("fps", 0) - 25) < 2 and v.get("bitrate_kbps", 0) > 100,
          "test connection reports the stream: %r" % doc)
    st, doc = call(nvr, "/api/v1/camera-test", "POST", {"url": locked.url("u", "wrong")})
    check(st == 200 and doc.get("ok") is False and doc.get("failure") == "unauthorized" and "wrong" not in json.dumps(doc),
          "wrong password: %r" % doc)
    dead = free_port()
    st, doc = call(nvr, "/api/v1/camera-test", "POST", {"url": "rtsp://127.0.0.1:%d/x" % dead})
    check(st == 200 and doc.get("ok") is False and doc.get("failure") == "unreachable", "nothing listening: %r" % doc)
    st, doc = call(nvr, "/api/v1/camera-test", "POST", {"url": "http://example.com/"})
    check(st == 400 and "rtsp" in doc.get("error", ""), "not an RTSP URL: %r" % doc)
    st, doc = call(nvr, "/api/v1/camera-test", "POST", {"url": cam.url()})
    snap = doc.get("snapshot") or ""
    jpeg = base64.b64decode(snap.split(",", 1)[1]) if snap.startswith("data:image/jpeg;base64,") else b""
    check(st == 200 and jpeg[:2] == b"\xff\xd8" and len(jpeg) > 1000, "test connection's snapshot: %r" % snap[:80])

    # slow tests (a camera that accepts and never answers) do not hold the
    # HTTP threads: three at once, and the server still answers at once
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    slow = []

    def slow_test():
        slow.append(call(nvr, "/api/v1/camera-test", "POST", {"url": "rtsp://127.0.0.1:%d/x" % silent.getsockname()[1]}))
    threads = [threading.Thread(target=slow_test) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    t0 = time.time()
    st, _ = call(nvr, "/api/v1/health")
    waited = time.time() - t0
    check(st == 200 and waited < 1.0, "health answered in %.2f s while three connection tests ran" % waited)
    for t in threads:
        t.join(30)
    check(len(slow) == 3 and all(s == 200 and d.get("ok") is False and d.get("failure") == "timeout" for s, d in slow),
          "connection tests of a silent camera: %r" % slow)
    silent.close()

    # --- add over the API: records at once, lobby untouched ---
    lobby_before = call(nvr, "/api/v1/cameras/lobby")[1]["stats"]
    t_add = time.time() * 1e6
    st, doc = call(nvr, "/api/v1/cameras", "POST", {"id": "gym", "name": "Gym", "url": locked.url("u", "right"),
                                                    "segment_seconds": 2, "group": "south",
                                                    "notes": 'above the "gym" door; PoE B\\7 # ladder'})
    check(st == 201 and doc.get("source") == "api" and "right" not in json.dumps(doc), "add gym: %d %r" % (st, doc))
    check(wait_until(lambda: len(complete(nvr, "gym")) >= 2, 30), "gym records after being added")
    lobby_after = call(nvr, "/api/v1/cameras/lobby")[1]["stats"]
    check(lobby_after["reconnects"] == lobby_before["reconnects"] and lobby_after["segments"] - lobby_before["segments"] >= 2,
          "lobby kept recording through the addition: %r -> %r, %d segments since"
          % (lobby_before, lobby_after, len(complete(nvr, "lobby", int(t_add)))))
    st, doc = call(nvr, "/api/v1/cameras")
    check([(c["id"], c["source"]) for c in doc["cameras"]] == [("lobby", "file"), ("gym", "api")], "list: %r" % doc)
    r = nvr.run_cli("recordings", "-c", nvr.config, "gym", "--json")
    check(r.returncode == 0 and json.loads(r.stdout)["segments"], "nvr recordings knows an API camera: %s" % r.stderr)

    # --- bad bodies ---
    for body, why in [({"id": "Bad Id", "url": cam.url()}, "id"), ({"id": "x1"}, "url"),
                      ({"id": "x1", "url": "http://x/"}, "rtsp"), ({"id": "x1", "url": cam.url(), "foo": 1}, "unknown field"),
                      ({"id": "x1", "url": cam.url(), "name": "a\nurl = rtsp://evil/"}, "control"),
                      ({"id": "x1", "url": cam.url(), "segment_seconds": 0}, "segment_seconds"),
                      ({"id": "x1", "url": cam.url(), "segment_seconds": "2"}, "integer"),
                      ({"id": "x1", "url": cam.url(), "transport": "pigeon"}, "transport"),
                      ({"id": "x1", "url": cam.url(), "audio": "yes"}, "true or false")]:
        st, doc = call(nvr, "/api/v1/cameras", "POST", body)
        check(st == 400 and why in doc.get("error", ""), "bad body (%s): %d %r" % (why, st, doc))
    st, doc = call(nvr, "/api/v1/cameras", "POST", {"id": "gym", "url": cam.url()})
    check(st == 409, "duplicate id: %d" % st)
    check(call(nvr, "/api/v1/cameras/x1")[0] == 404, "no half-made camera was left")

    # --- the same camera added twice at once (a double click): one 201, one 409, and it
    # is still there after a restart (the loser once deleted the winner's stored row) ---
    racers = ["dup%d" % k for k in range(4)]
    for rid in racers:
        got = []

        def add_once(rid=rid, got=got):
            got.append(call(nvr, "/api/v1/cameras", "POST", {"id": rid, "url": cam.url(), "segment_seconds": 2})[0])
        ts = [threading.Thread(target=add_once) for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        check(sorted(got) == [201, 409], "%s added twice at once: %s" % (rid, got))

    # --- file cameras are read-only over the API ---
    st, doc = call(nvr, "/api/v1/cameras/lobby", "PUT", {"name": "x"})
    check(st == 409 and "SIGHUP" in doc.get("error", ""), "PUT on a file camera: %d %r" % (st, doc))
    st, doc = call(nvr, "/api/v1/cameras/lobby", "DELETE")
    check(st == 409, "DELETE on a file camera: %d" % st)

    # --- change: takes effect, keeps the rest ---
    t_change = time.time() * 1e6
    st, doc = call(nvr, "/api/v1/cameras/gym", "PUT", {"name": "Gym east", "segment_seconds": 3})
    check(st == 200, "change gym: %d %r" % (st, doc))
    st, doc = call(nvr, "/api/v1/cameras/gym")
    check(doc.get("name") == "Gym east" and doc.get("segment_seconds") == 3 and doc.get("group") == "south" and
          doc.get("notes") == 'above the "gym" door; PoE B\\7 # ladder',
          "gym changed, unspecified fields kept (notes with quotes, a backslash, ; and #): %r" % doc)
    check(wait_until(lambda: len(complete(nvr, "gym", int(t_change))) >= 1, 30), "gym records after the change")
    check("camera changed source=api recorder=restarted" in nvr.log_text(), "a new segment length restarts the recorder")
    # a change of settings the recorder never reads (name, group, notes...) keeps it running
    before = call(nvr, "/api/v1/cameras/gym")[1]["stats"]
    st, doc = call(nvr, "/api/v1/cameras/gym", "PUT", {"notes": "moved to the east door", "group": "east"})
    after = call(nvr, "/api/v1/cameras/gym")[1]
    check(st == 200 and after["notes"] == "moved to the east door" and after["group"] == "east" and
          after["stats"]["bytes_received"] >= before["bytes_received"] and after["stats"]["segments"] >= before["segments"] and
          "camera changed source=api recorder=kept" in nvr.log_text(),
          "notes and group changed without restarting gym's recorder: %r -> %r" % (before, after))
    # the URL as the API shows it (password "***") sent back, as an edit form does: the
    # stored password is kept (gym still authenticates); "***" towards another host is refused
    shown = call(nvr, "/api/v1/cameras/gym")[1]["url"]
    check(":***@" in shown, "the API shows gym's URL redacted: %s" % shown)
    t_same = time.time() * 1e6
    st, doc = call(nvr, "/api/v1/cameras/gym", "PUT", {"url": shown, "name": "Gym east 2"})
    check(st == 200 and "right" not in json.dumps(doc), "PUT back the redacted URL: %d %r" % (st, doc))
    check(wait_until(lambda: len(complete(nvr, "gym", int(t_same))) >= 1, 30) and
          call(nvr, "/api/v1/cameras/gym")[1]["last_error"] is None,
          "gym still authenticates after its redacted URL was saved: %r" % call(nvr, "/api/v1/cameras/gym")[1])
    st, doc = call(nvr, "/api/v1/cameras/gym", "PUT", {"url": shown.replace("127.0.0.1", "127.0.0.2")})
    check(st == 400 and "***" in doc.get("error", ""), "redacted password towards another host: %d %r" % (st, doc))
    st, doc = call(nvr, "/api/v1/cameras/gym", "PUT", {"enabled": False})
    check(st == 200 and call(nvr, "/api/v1/cameras/gym")[1]["status"] == "disabled", "disable gym")
    st, doc = call(nvr, "/api/v1/cameras/gym", "PUT", {"enabled": True})
    check(st == 200, "enable gym")

    # --- restart: the API camera is still there ---
    check(nvr.stop() == 0, "clean stop")
    nvr.start()
    check(wait_until(lambda: call(nvr, "/api/v1/cameras/gym")[0] == 200, 15), "gym survives a restart")
    gone = [rid for rid in racers if call(nvr, "/api/v1/cameras/" + rid)[0] != 200]
    check(not gone, "the cameras added twice at once survive a restart (lost: %s)" % gone)
    for rid in racers:
        check(call(nvr, "/api/v1/cameras/" + rid, "DELETE")[0] == 200, "remove " + rid)
        check(call(nvr, "/api/v1/cameras/" + rid, "DELETE")[0] == 404, "remove %s again: 404" % rid)
    t_restart = time.time() * 1e6
    check(wait_until(lambda: len(complete(nvr, "gym", int(t_restart))) >= 1, 30), "gym records after the restart")

    # --- remove: recording stops, footage stays ---
    n_rows = len(complete(nvr, "gym"))
    st, doc = call(nvr, "/api/v1/cameras/gym", "DELETE")
    check(st == 200, "remove gym: %d %r" % (st, doc))
    t_rm = time.time() * 1e6
    time.sleep(5)
    rows = nvr.db_rows("gym")
    check(len(rows) >= n_rows and not [r for r in rows if r["start_us"] > t_rm], "gym stopped, its footage stays")
    check(call(nvr, "/api/v1/cameras/gym")[0] == 404, "gym is gone from the API")

    # --- SIGHUP reloads the file ---
    with open(nvr.config) as f:
        original = f.read()
    with open(nvr.config, "a") as f:
        f.write("\n[camera hall]\nurl = %s\nsegment_seconds = 2\n" % cam.url())
    t_hup = time.time() * 1e6
    nvr.proc.send_signal(signal.SIGHUP)
    check(wait_until(lambda: len(complete(nvr, "hall", int(t_hup))) >= 1, 30), "SIGHUP added hall, which records")
    check("reloaded cameras added=1 changed=0 removed=0" in nvr.log_text(), "the reload says what it did")
    with open(nvr.config, "w") as f:
        f.write(original + "\n[camera hall]\nurl = %s\nsegment_seconds = 2\nbogus = 1\n" % cam.url())
    nvr.proc.send_signal(signal.SIGHUP)
    check(wait_until(lambda: "reload refused" in nvr.log_text() and "nvr.conf:" in nvr.log_text(), 10),
          "a broken file is refused with file:line")
    check(call(nvr, "/api/v1/cameras/hall")[0] == 200, "...and changes nothing")
    with open(nvr.config, "w") as f:
        f.write(original.replace("segment_seconds = 2", "segment_seconds = 3"))
    nvr.proc.send_signal(signal.SIGHUP)
    check(wait_until(lambda: call(nvr, "/api/v1/cameras/hall")[0] == 404, 15), "SIGHUP removed hall")
    check(wait_until(lambda: call(nvr, "/api/v1/cameras/lobby")[1].get("segment_seconds") == 3, 10),
          "SIGHUP changed lobby")
    t_after = time.time() * 1e6
    check(wait_until(lambda: len(complete(nvr, "lobby", int(t_after))) >= 1, 30), "lobby records after its change")
    st, doc = call(nvr, "/api/v1/access-log?action=camera_added")
    added = sorted(e["camera"] for e in doc["entries"]) if st == 200 else []
    check(added == sorted(["gym"] + racers), "the access log has each API addition once (not the 409s): %s" % added)
    check(nvr.stop() == 0, "clean stop at the end")
    r = nvr.run_cli("check", "-c", nvr.config, "--storage")
    check(r.returncode == 0, "storage consistent: %s%s" % (r.stdout, r.stderr))
finish("cameras")
