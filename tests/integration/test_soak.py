# SPDX-License-Identifier: Apache-2.0
"""Memory that stops growing (issue 20): the short version of bench/soak.

Six cameras recording, two API clients polling as fast as they are answered
(cameras, health, the timeline, playlists, a segment, a snapshot), and a
seventh camera added and removed by a config reload (SIGHUP) every 3 s, for
about two and a half minutes.  Checks, none of them a timing:

  - every reload is applied (the log says so) and nvr answers throughout;
  - after the churn (clients stopped, the extra camera removed) the thread
    count comes back to what it was before, and the fd count to at most 3
    above it (a leak of one per reload would be ~50);
  - resident anonymous memory (RssAnon) a minute after the churn, idle (nvr
    hands what it freed back to the kernel once a minute, see
    nvr_alloc_tune), is at most IDLE_RISE_MAX_MB above what it
    was cold (3 s after the cameras connected).  The server before that
    change (128 MiB trim threshold, 16 arenas, no trim) kept +17 MB here, so
    this fails on it.  The bound is 12 MB: the cold sample is taken during
    the cameras' start (16.6 to 20.8 MB in four runs) and the runs of this
    build gave +6.3 and +8.7 MB from it.
    The rise is printed in two parts: a warm-up (the same load for WARM_S,
    then idle, before the measured churn) and the churn after it.  The
    "step not yet explained" of 2026-12-03 (+6.1 to +8.5 MB from cold) is
    mostly warm-up: 2026-12-04 (other builds running), +2.9 then +3.5 MB
    over the 150 s churn (+6.3 in all) and +5.0 then +3.7 (+8.7); with
    MALLOC_ARENA_MAX=16 +3.5 then +7.1; the old allocator above +9.7 then
    +7.4 (+17.0).  What the server
    needs once it has done each thing once (the index's page cache, each
    HTTP thread's arena, the snapshot scaler, the fragments' buffers) is in
    the warm-up; the churn part is what arenas keep across reloads.  The
    slope over the second half of the churn is printed, not checked: on a
    loaded machine it is noise (+1.2 to +2.9 MB/min).
    Skipped in the sanitizer build: ASan's allocator keeps freed memory in
    its quarantine (up to 256 MB) by design, so RSS says nothing there.
"""
import os
import re
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from harness import NVR, Camera, Nvr, check, finish, iso, wait_until

STEADY = 6
CHURN_S = 150
HUP_EVERY_S = 3
SAMPLE_S = 2
IDLE_RISE_MAX_MB = 12.0
IDLE_WAIT_S = 75      # > TRIM_EVERY_S of nvr/cli/cli.c
WARM_S = 30

asan = "libasan" in subprocess.run(["ldd", NVR], capture_output=True, text=True).stdout


def proc_stats(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k = line.split(":", 1)[0]
            if k in ("RssAnon", "Threads", "VmRSS"):
                out[k] = int(line.split()[1])
    out["fds"] = len(os.listdir("/proc/%d/fd" % pid))
    return out


def slope(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0


def write_config(nvr, cam, extra):
    text = "[server]\nlisten = 127.0.0.1:%d\ndata_dir = %s\n" % (nvr.port, nvr.data_dir)
    names = ["c%d" % i for i in range(1, STEADY + 1)] + (["x"] if extra else [])
    for i, name in enumerate(names, 1):
        text += "\n[camera %s]\nurl = %s\nsegment_seconds = 2\n" % (name, cam.url(mount="/cam%d" % i))
    with open(nvr.config + ".tmp", "w") as f:
        f.write(text)
    os.replace(nvr.config + ".tmp", nvr.config)


class Client(threading.Thread):
    def __init__(self, base, k, stop_ev):
        super().__init__(daemon=True)
        self.base, self.k, self.stop_ev = base, k, stop_ev
        self.requests = 0
        self.failures = []

    def get(self, path, limit=None):
        self.requests += 1
        try:
            with urllib.request.urlopen(self.base + path, timeout=60) as r:
                return r.read(limit) if limit else r.read()
        except urllib.error.HTTPError as e:
            e.close()
            if e.code not in (404, 410):  # the extra camera comes and goes
                self.failures.append("%s: %d" % (path, e.code))
        except OSError as e:
            self.failures.append("%s: %s" % (path, e))
        return None

    def run(self):
        n = 0
        while not self.stop_ev.is_set():
            n += 1
            cam = "c%d" % ((n + self.k) % STEADY + 1)
            now = time.time()
            self.get("/api/v1/cameras")
            self.get("/api/v1/health")
            self.get("/api/v1/cameras/%s/recordings?start=%s&end=%s"
                     % (cam, urllib.parse.quote(iso(now - 3600)), urllib.parse.quote(iso(now + 60))))
            pl = self.get("/api/v1/cameras/%s/playback.m3u8?start=%s&end=%s"
                          % (cam, urllib.parse.quote(iso(now - 60)), urllib.parse.quote(iso(now))))
            segs = re.findall(rb"segments/(\d+)\.mp4", pl or b"")
            if segs and n % 3 == 0:
                self.get("/api/v1/cameras/%s/segments/%s.mp4" % (cam, segs[-1].decode()), limit=65536)
            if n % 10 == 0:
                self.get("/api/v1/cameras/%s/snapshot.jpg?width=320" % cam)
            time.sleep(0.05)


def churn(nvr, cam, seconds, samples):
    """Two clients and a reload every HUP_EVERY_S for `seconds`, then the
    clients stopped and the extra camera removed; returns the reloads sent."""
    pid = nvr.proc.pid
    stop_ev = threading.Event()
    clients = [Client(nvr.base_url, k, stop_ev) for k in range(2)]
    for c in clients:
        c.start()
    hups, extra = 0, False
    t0 = time.monotonic()
    next_hup = t0 + HUP_EVERY_S
    while time.monotonic() - t0 < seconds and nvr.proc.poll() is None:
        now = time.monotonic()
        if now >= next_hup:
            extra = not extra
            write_config(nvr, cam, extra)
            nvr.proc.send_signal(1)  # SIGHUP
            hups += 1
            next_hup = now + HUP_EVERY_S
        s = proc_stats(pid)
        s["t"] = (now - t0) / 60.0
        samples.append(s)
        time.sleep(SAMPLE_S)
    stop_ev.set()
    for c in clients:
        c.join(90)
    check(nvr.proc.poll() is None, "nvr exited during the churn (status %s)" % nvr.proc.poll())
    for c in clients:
        check(not c.failures, "API failures: %s" % c.failures[:5])
    print("%d reloads, %d API requests" % (hups, sum(c.requests for c in clients)))
    if extra:
        write_config(nvr, cam, False)
        nvr.proc.send_signal(1)
        hups += 1
    return hups


def reloads_logged(nvr):
    return len(re.findall(r"reloaded cameras ", nvr.log_text()))


with Camera("h264.mp4", mounts=STEADY + 1, no_audio=True) as cam:
    nvr = Nvr("soak", [])
    write_config(nvr, cam, False)
    nvr.start()
    pid = nvr.proc.pid
    connected = lambda: len(set(re.findall(r"camera=(c\d+) connected ", nvr.log_text())))
    check(wait_until(lambda: connected() >= STEADY, 60), "only %d of %d cameras connected" % (connected(), STEADY))
    time.sleep(3)
    cold = proc_stats(pid)
    print("cold:   threads %d, fds %d, RssAnon %.1f MB" % (cold["Threads"], cold["fds"], cold["RssAnon"] / 1024))

    # warm: the same load for WARM_S, then idle as at the end, so that what
    # every server holds once it has done each thing once (the index's page
    # cache, each HTTP thread's arena, the snapshot scaler, the fragments'
    # buffers) is in the baseline and the check below sees only growth
    warm_hups = churn(nvr, cam, WARM_S, [])
    check(wait_until(lambda: reloads_logged(nvr) >= warm_hups, 30),
          "only %d of %d reloads logged" % (reloads_logged(nvr), warm_hups))
    if not asan:
        time.sleep(IDLE_WAIT_S)
    base = proc_stats(pid)
    print("before: threads %d, fds %d, RssAnon %.1f MB (%+.1f MB since cold, the warm-up)"
          % (base["Threads"], base["fds"], base["RssAnon"] / 1024, (base["RssAnon"] - cold["RssAnon"]) / 1024))

    samples = []
    hups = warm_hups + churn(nvr, cam, CHURN_S, samples)
    check(wait_until(lambda: reloads_logged(nvr) >= hups, 30),
          "only %d of %d reloads logged" % (reloads_logged(nvr), hups))

    # fds and threads back to where they were
    def settled():
        s = proc_stats(pid)
        return s if s["Threads"] == base["Threads"] and s["fds"] <= base["fds"] + 3 else None
    end = wait_until(settled, 30, step=0.5) or proc_stats(pid)
    print("after:  threads %d, fds %d, RssAnon %.1f MB" % (end["Threads"], end["fds"], end["RssAnon"] / 1024))
    check(end["Threads"] == base["Threads"], "threads %d after the churn, %d before" % (end["Threads"], base["Threads"]))
    check(end["fds"] <= base["fds"] + 3, "fds %d after the churn, %d before" % (end["fds"], base["fds"]))

    # resident memory over the second half
    half = [s for s in samples if s["t"] >= samples[-1]["t"] / 2]
    mb = [s["RssAnon"] / 1024.0 for s in half]
    k = max(1, len(half) // 5)
    rise = sum(mb[-k:]) / k - sum(mb[:k]) / k
    sl = slope([s["t"] for s in half], mb)
    print("RssAnon over the second half: %.1f -> %.1f MB, slope %+.2f MB/min, rise %+.1f MB (%d samples)"
          % (mb[0], mb[-1], sl, rise, len(half)))
    if asan:
        print("sanitizer build: RSS is not checked (ASan's quarantine keeps freed memory)")
    else:
        # idle: once a minute nvr hands the memory it freed back to the kernel
        # (malloc_trim); what is left is what it holds, plus at most a minute of garbage
        time.sleep(IDLE_WAIT_S)
        idle = proc_stats(pid)
        rise = (idle["RssAnon"] - cold["RssAnon"]) / 1024.0
        print("idle:   RssAnon %.1f MB (%+.1f MB since cold: %+.1f warm-up, %+.1f the churn)"
              % (idle["RssAnon"] / 1024, rise, (base["RssAnon"] - cold["RssAnon"]) / 1024,
                 (idle["RssAnon"] - base["RssAnon"]) / 1024))
        check(rise <= IDLE_RISE_MAX_MB, "RssAnon %+.1f MB above its level cold, idle after the churn (bound %.0f MB)"
              % (rise, IDLE_RISE_MAX_MB))
    check(nvr.stop(timeout=60) == 0, "nvr did not exit cleanly")
finish("soak")
