# SPDX-License-Identifier: Apache-2.0
"""Bad input loses nothing: config errors name file and line and stop
`nvr check` and `nvr run` with exit 1; a camera that does not exist (closed
port) is retried with backoff while a working camera beside it records;
a camera that stops sending without closing the connection is noticed
within 10 s."""
import os
import signal
import subprocess
import time

from harness import NVR, TMP, Camera, Nvr, check, check_segment_file, finish, free_port, wait_until

# --- config errors ---------------------------------------------------------
bad = os.path.join(TMP, "bad.conf")
with open(bad, "w") as f:
    f.write("[server]\n"
            "data_dir = relative/path\n"
            "listen = 127.0.0.1:99999\n"
            "\n"
            "[camera Lobby]\n"
            "url = rtsp://u:TopSecret@192.0.2.1/x\n"
            "[camera gym]\n"
            "url = http://192.0.2.2/\n"
            "segment_seconds = abc\n"
            "colour = blue\n"
            "[cameras]\n")
for cmd in (["check", "-c", bad], ["run", "-c", bad]):
    r = subprocess.run([NVR] + cmd, capture_output=True, text=True, timeout=30)
    check(r.returncode == 1, "nvr %s on a bad config exited %d" % (cmd[0], r.returncode))
    lines = r.stderr.strip().splitlines()
    for line_no in (2, 3, 5, 8, 9, 10, 11):
        check(any(l.startswith("%s:%d: " % (bad, line_no)) for l in lines),
              "nvr %s: no error for line %d in %r" % (cmd[0], line_no, lines))
    check("TopSecret" not in r.stderr + r.stdout, "password in config errors")
r = subprocess.run([NVR, "check", "-c", os.path.join(TMP, "missing.conf")], capture_output=True, text=True)
check(r.returncode == 1 and "missing.conf" in r.stderr, "missing config: %r" % r.stderr)
r = subprocess.run([NVR, "frobnicate"], capture_output=True, text=True)
check(r.returncode == 2 and "unknown command" in r.stderr, "unknown command: %r" % r.stderr)

# --- a dead camera beside a live one, and a camera that freezes ------------
dead_port = free_port()  # nothing listens there
with Camera("h264.mp4") as live, Camera("h264.mp4") as freezer:
    nvr = Nvr("failures", [
        ("dead", {"url": "rtsp://127.0.0.1:%d/cam" % dead_port, "segment_seconds": 2}),
        ("live", {"url": live.url(), "segment_seconds": 2}),
        ("frozen", {"url": freezer.url(), "segment_seconds": 2}),
    ])
    nvr.start()
    check(nvr.wait_segments("frozen", 1, 20), "the freezing camera did not record")
    # SIGSTOP: the camera keeps its sockets open but sends nothing more
    freezer.proc.send_signal(signal.SIGSTOP)
    t_freeze = time.time()
    noticed = wait_until(lambda: "camera=frozen stream lost" in nvr.log_text(), 15)
    t_noticed = time.time()
    check(noticed and t_noticed - t_freeze <= 10.5,
          "a silent camera was noticed after %.1f s (limit 10 s)" % (t_noticed - t_freeze))
    freezer.proc.send_signal(signal.SIGCONT)
    check(nvr.wait_segments("live", 6, 30), "the live camera stopped recording beside the dead one")
    rc = nvr.stop()
check(rc == 0, "nvr exited %r" % rc)
log = nvr.log_text()
check(log.count("camera=dead connect failed") >= 3, "the dead camera was not retried")
check("connection" in " ".join(l for l in log.splitlines() if "camera=dead connect failed" in l).lower(),
      "the dead camera's error does not say the connection failed")
check(nvr.db_rows("dead") == [], "the dead camera has rows")
live_rows = nvr.db_rows("live")
for r in live_rows:
    check_segment_file(nvr, r)
check(len(nvr.recordings("live")["runs"]) == 1, "the live camera has a gap")
print("silent camera noticed after %.1f s" % (t_noticed - t_freeze))
finish("failures")
