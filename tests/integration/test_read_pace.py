# SPDX-License-Identifier: Apache-2.0
"""Read pace (docs/design/ingest.md, "Read pace"): a camera that only goes to
disk is read at the relaxed pace (up to 0.4 s of stream gathers in the
kernel between wake-ups), one that somebody needs promptly at the prompt
pace (0.1 s).  What is measured is the wake-ups of the camera's ingest
thread (`nvr-ingest`, its voluntary context switches in /proc): at 1 Mbit/s
about 2.5 a second relaxed, 10 prompt.

Four recorders, one camera each, side by side:
  plain - the test camera directly: relaxed; prompt while a live viewer
          reads it (and its fragments then arrive within 0.35 s of the
          camera's clock, p95), relaxed again once the hub is idle;
  nosr  - the same camera without its RTCP (rtsp_manners.NoRtcp): no wall
          clock from the camera, so arrival times place its segments: prompt;
  chaos - chaotic timestamps (rtsp_manners.ChaoticClock): recorded on
          arrival time: prompt;
  skew  - sender reports an hour ahead (rtsp_manners.SkewedRtcp): the
          camera's clock is known but not believed (T2), so arrival times
          place its segments: prompt.
Every segment of `plain` is accepted by ffprobe and ffmpeg, and its media
covers the time it ran (no footage lost to the slower pace)."""
import json
import os
import statistics
import time
import urllib.request

from harness import Camera, Nvr, check, check_segment_file, finish, http_up, wait_until
from livestream import LiveReader, prft_time
from rtsp_manners import ChaoticClock, NoRtcp, SkewedRtcp

RELAXED_MAX = 4.5  # wake-ups a second; about 2.5 expected
PROMPT_MIN = 7.0   # about 10 expected
IDLE_S = 10        # LIVE_IDLE_US: the hub stays hot this long after the last viewer


def ingest_thread(nvr):
    task = "/proc/%d/task" % nvr.proc.pid
    for tid in os.listdir(task):
        try:
            if open("%s/%s/comm" % (task, tid)).read().strip() == "nvr-ingest":
                return "%s/%s/status" % (task, tid)
        except OSError:
            pass
    return None


def switches(status_path):
    for line in open(status_path):
        if line.startswith("voluntary_ctxt_switches:"):
            return int(line.split()[1])
    raise SystemExit("no voluntary_ctxt_switches in " + status_path)


def wake_rates(nvrs, seconds):
    """Wake-ups a second of each recorder's ingest thread over the same window."""
    paths = [ingest_thread(n) for n in nvrs]
    t0, c0 = time.monotonic(), [switches(p) for p in paths]
    time.sleep(seconds)
    t1, c1 = time.monotonic(), [switches(p) for p in paths]
    return [(b - a) / (t1 - t0) for a, b in zip(c0, c1)]


def camera_doc(nvr, cam):
    with urllib.request.urlopen("%s/api/v1/cameras/%s" % (nvr.base_url, cam), timeout=10) as r:
        return json.loads(r.read())


def recording(nvr, cam):
    try:
        return (camera_doc(nvr, cam).get("stats") or {}).get("frames", 0) > 0
    except OSError:
        return False


with Camera("h264.mp4", no_audio=True) as cam:
    nosr_proxy, chaos_proxy, skew_proxy = NoRtcp(cam.port), ChaoticClock(cam.port), SkewedRtcp(cam.port)
    plain = Nvr("pace-plain", [("plain", {"url": cam.url(), "transport": "tcp", "segment_seconds": 10})])
    nosr = Nvr("pace-nosr", [("nosr", {"url": nosr_proxy.url(), "transport": "tcp"})])
    chaos = Nvr("pace-chaos", [("chaos", {"url": chaos_proxy.url(), "transport": "tcp"})])
    skew = Nvr("pace-skew", [("skew", {"url": skew_proxy.url(), "transport": "tcp"})])
    nvrs = [plain, nosr, chaos, skew]
    for n in nvrs:
        n.start()
    t0 = time.time()
    for n, c in zip(nvrs, ("plain", "nosr", "chaos", "skew")):
        check(wait_until(lambda: http_up(n.base_url), 20), "%s: nvr did not answer" % c)
        # the API token of each recorder: urllib carries the last one installed
        n.use_token()
        check(wait_until(lambda: recording(n, c), 30), "%s: not recording" % c)
        check(ingest_thread(n), "%s: no thread named nvr-ingest" % c)
    chaos.use_token()
    check(wait_until(lambda: camera_doc(chaos, "chaos").get("timestamps") == "arrival", 30),
          "chaos: not recorded on arrival time")
    time.sleep(2)  # past the first sender report and the pace's first change

    r_plain, r_nosr, r_chaos, r_skew = wake_rates(nvrs, 6)
    print("wake-ups a second, nobody watching: plain %.1f, nosr %.1f, chaos %.1f, skew %.1f" %
          (r_plain, r_nosr, r_chaos, r_skew))
    check(r_plain <= RELAXED_MAX, "plain: %.1f wake-ups a second, want <= %.1f (relaxed)" % (r_plain, RELAXED_MAX))
    check(r_nosr >= PROMPT_MIN, "nosr: %.1f wake-ups a second, want >= %.1f (prompt)" % (r_nosr, PROMPT_MIN))
    check(r_chaos >= PROMPT_MIN, "chaos: %.1f wake-ups a second, want >= %.1f (prompt)" % (r_chaos, PROMPT_MIN))
    check(r_skew >= PROMPT_MIN, "skew: %.1f wake-ups a second, want >= %.1f (prompt)" % (r_skew, PROMPT_MIN))
    check(nosr_proxy.stats["rtcp_dropped"] > 0, "the NoRtcp proxy dropped nothing: %s" % nosr_proxy.stats)
    check(skew_proxy.stats["sr_skewed"] > 0, "the SkewedRtcp proxy moved no sender report: %s" % skew_proxy.stats)
    check("camera=skew clock source=local" in skew.log_text(), "skew: the camera's clock was believed")

    # a live viewer of plain: prompt while it reads, within 0.35 s of the camera
    plain.use_token()
    viewer = LiveReader(plain.port, "/api/v1/cameras/plain/live.mp4")
    check(viewer.status == 200, "live.mp4: status %d" % viewer.status)
    lags, started = [], time.monotonic()
    for t, kind, box in viewer.boxes(2):
        pass
    path = ingest_thread(plain)
    c0, w0 = switches(path), time.monotonic()
    for t, kind, box in viewer.boxes(6):
        if kind == "prft":
            lags.append(t - prft_time(box))
    r_live = (switches(path) - c0) / (time.monotonic() - w0)
    viewer.close()
    lags.sort()
    p95 = lags[int(0.95 * (len(lags) - 1))] if lags else None
    print("plain while watched: %.1f wake-ups a second; %d fragments, lag median %.3f s, p95 %.3f s" %
          (r_live, len(lags), statistics.median(lags) if lags else -1, p95 if p95 is not None else -1))
    check(r_live >= PROMPT_MIN, "plain watched: %.1f wake-ups a second, want >= %.1f" % (r_live, PROMPT_MIN))
    check(len(lags) >= 100, "only %d live fragments in 6 s" % len(lags))
    check(p95 is not None and p95 <= 0.35, "live lag p95 %s s, want <= 0.35" % p95)

    time.sleep(IDLE_S + 3)  # the hub idles, then the next frame stops its muxer
    (r_after,) = wake_rates([plain], 6)
    print("plain after the viewer left: %.1f wake-ups a second" % r_after)
    check(r_after <= RELAXED_MAX, "plain after the viewer: %.1f wake-ups a second, want <= %.1f" %
          (r_after, RELAXED_MAX))

    t1 = time.time()
    for n in nvrs:
        check(n.stop() == 0, "nvr run did not exit 0")
    nosr_proxy.stop()
    chaos_proxy.stop()
    skew_proxy.stop()

rows = [r for r in plain.db_rows("plain") if r["state"] == 0]
media = sum(r["media_us"] for r in rows) / 1e6
ran = t1 - t0
print("plain: %d segments, media %.2f s of %.2f s run" % (len(rows), media, ran))
check(len(rows) == len(plain.db_rows("plain")), "a segment of plain was left incomplete")
check(media >= ran - 5, "plain: media %.2f s, the run %.2f s (connect time aside, 5 s allowed)" % (media, ran))
for i, r in enumerate(rows):
    check_segment_file(plain, r)
    if i > 0:
        check(r["start_us"] == rows[i - 1]["end_us"], "%s does not continue the segment before" % r["path"])
check(" error " not in plain.log_text(), "an error line in plain's log")

finish("read_pace")
