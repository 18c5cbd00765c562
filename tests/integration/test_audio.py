# SPDX-License-Identifier: Apache-2.0
"""G.711 audio is recorded as FLAC, losslessly (docs/design/ingest.md, "Audio").

Three cameras with `audio = on`: one sending a 1 kHz sine as G.711 u-law
(PCMU, payload type 0) over TCP, one as A-law (PCMA, pt 8) over UDP (the
reader joins G.711 packets that follow one another and hands them over
before it waits, on either transport), one as 16-bit PCM (L16, a
codec nvr does not record).  After ~13 s, for both G.711 cameras, with
ffprobe/ffmpeg as the independent client: every segment file has a FLAC
track whose every decoded sample is a level of the camera's G.711 law (so
nothing was lost on the way: AAC, or any lossy codec, would not keep that);
ffmpeg decodes video and audio without an error; the audio is audible
(astats RMS level above -30 dB: the sine is at about -9 dB) and covers at
least 95 % of the video's duration -- in the segment files, through the HLS
playlist (playback.m3u8) and in `nvr export`'s MP4.  The L16 camera records
video only and says so: one WARN line per connection, `audio_status`
"unsupported: L16" on GET /api/v1/cameras, and
nvr_camera_audio_unsupported 1 in /metrics.  A fourth camera sends the AAC
clip as MP4A-LATM (RFC 6416), which the project's reader records as AAC, as
it came.  Then the PCMU camera once more through libavformat
(NVR_RTSP_READER=libav)."""
import json
import os
import re
import subprocess
import time
import urllib.request
import zipfile

from audiocheck import off_law_samples, track_duration
from harness import NVR, Camera, Nvr, check, check_segment_file, finish, iso, probe

RECORD_S = 13
SEG_S = 4
MIN_RMS_DB = -30.0
MIN_COVERAGE = 0.95


def audio_report(path, extra=()):
    """(decode errors, RMS level dB, audio seconds, video seconds) of a file or URL."""
    r = subprocess.run(["ffmpeg", "-v", "error"] + list(extra) + ["-i", path, "-f", "null", "-"],
                       capture_output=True, text=True, timeout=120)
    errors = r.stderr.strip() if r.returncode == 0 else "exit %d: %s" % (r.returncode, r.stderr.strip())
    r = subprocess.run(["ffmpeg", "-v", "info", "-nostats"] + list(extra) +
                       ["-i", path, "-map", "0:a:0", "-af", "astats=measure_perchannel=none", "-f", "null", "-"],
                       capture_output=True, text=True, timeout=120)
    levels = re.findall(r"RMS level dB: (-?[0-9.]+|-inf)", r.stderr)
    rms = float(levels[-1]) if levels and levels[-1] != "-inf" else -999.0
    return errors, rms, track_duration(path, "a:0", extra), track_duration(path, "v:0", extra)


def check_audio(what, path, extra=()):
    errors, rms, adur, vdur = audio_report(path, extra)
    cover = adur / vdur if vdur > 0 else 0
    check(errors == "", "%s: ffmpeg decode errors: %s" % (what, errors[:300]))
    check(rms > MIN_RMS_DB, "%s: audio RMS %.1f dB, want > %.0f dB (silent?)" % (what, rms, MIN_RMS_DB))
    check(cover >= MIN_COVERAGE, "%s: audio %.2f s of video %.2f s (%.1f %%)" % (what, adur, vdur, cover * 100))
    print("%s: rms %.2f dB, audio %.2f s / video %.2f s = %.1f %%, decode errors: %s" %
          (what, rms, adur, vdur, cover * 100, "none" if errors == "" else errors[:80]))
    return rms, cover


def check_segments(nvr, cam, rate="8000", codec="flac"):
    rows = [r for r in nvr.db_rows(cam) if r["state"] == 0]
    check(len(rows) >= 2, "%s: only %d complete segments" % (cam, len(rows)))
    total_a = total_v = 0.0
    for r in rows:
        p = nvr.path(r["path"])
        check_segment_file(nvr, r)
        streams = probe(p)["streams"]
        audio = [s for s in streams if s["codec_type"] == "audio"]
        check(len(audio) == 1 and audio[0].get("codec_name") == codec and
              (codec != "aac" or audio[0].get("profile") == "LC"),
              "%s: audio tracks %s, want one %s" % (r["path"], [(s.get("codec_name"), s.get("profile"))
                                                               for s in audio], codec))
        if codec == "flac":
            n, off = off_law_samples(p, cam)
            check(n > 0 and off == 0, "%s: %d of %d decoded samples are not G.711 levels (lossy?)" %
                  (r["path"], off, n))
        check(audio and audio[0].get("sample_rate") == rate, "%s: audio rate %s" %
              (r["path"], audio and audio[0].get("sample_rate")))
        errors, rms, adur, vdur = audio_report(p)
        check(errors == "", "%s: ffmpeg decode errors: %s" % (r["path"], errors[:300]))
        check(rms > MIN_RMS_DB, "%s: audio RMS %.1f dB" % (r["path"], rms))
        total_a += adur
        total_v += vdur
    cover = total_a / total_v if total_v else 0
    check(cover >= MIN_COVERAGE, "%s: segments have %.2f s of audio for %.2f s of video" % (cam, total_a, total_v))
    print("%s: %d segments, %s %s Hz, audio %.2f s / video %.2f s = %.1f %%" %
          (cam, len(rows), codec, rate, total_a, total_v, cover * 100))
    return rows


def get_json(nvr, path):
    with urllib.request.urlopen(nvr.base_url + path, timeout=15) as r:
        return json.loads(r.read())


def get_text(nvr, path):
    with urllib.request.urlopen(nvr.base_url + path, timeout=15) as r:
        return r.read().decode()


with Camera("h264_pcmu.mov", audio_codec="pcmu") as cu, Camera("h264_pcma.mov", audio_codec="pcma") as ca, \
        Camera("h264_l16.mov", audio_codec="l16") as cl, Camera("h264_aac.mp4", audio_codec="latm") as cm:
    nvr = Nvr("audio", [
        ("pcmu", {"url": cu.url(), "segment_seconds": SEG_S, "audio": "on", "transport": "tcp"}),
        ("pcma", {"url": ca.url(), "segment_seconds": SEG_S, "audio": "on", "transport": "udp"}),
        ("l16", {"url": cl.url(), "segment_seconds": SEG_S, "audio": "on"}),
        ("latm", {"url": cm.url(), "segment_seconds": SEG_S, "audio": "on", "transport": "tcp"}),
    ])
    nvr.start()
    time.sleep(RECORD_S)

    # --- the cameras' audio on the API and in /metrics ---
    cams = {c["id"]: c for c in get_json(nvr, "/api/v1/cameras")["cameras"]}
    status = {k: v.get("audio_status") for k, v in cams.items()}
    check(status == {"pcmu": "g711 -> flac", "pcma": "g711 -> flac", "l16": "unsupported: L16", "latm": "aac"},
          "audio_status on /api/v1/cameras: %s" % status)
    print("GET /api/v1/cameras audio_status: %s" % status)
    metrics = get_text(nvr, "/metrics")
    for cam, want in (("pcmu", 0), ("pcma", 0), ("l16", 1), ("latm", 0)):
        line = 'nvr_camera_audio_unsupported{camera="%s"} %d' % (cam, want)
        check(line in metrics, "/metrics lacks %r" % line)

    # --- segments, then the same footage through HLS and export ---
    rows = {cam: check_segments(nvr, cam) for cam in ("pcmu", "pcma")}
    check_segments(nvr, "latm", "48000", "aac")  # AAC as MP4A-LATM, kept as it is
    for cam in ("pcmu", "pcma"):
        if not rows[cam]:
            continue
        start, end = rows[cam][0]["start_us"] / 1e6, rows[cam][-1]["end_us"] / 1e6
        url = nvr.base_url + "/api/v1/cameras/%s/playback.m3u8?start=%s&end=%s" % (cam, iso(start), iso(end))
        check_audio("%s HLS playlist" % cam, url, nvr.ffmpeg_auth())
        out = os.path.join(nvr.dir, "%s.zip" % cam)
        r = subprocess.run([NVR, "export", "-c", nvr.config, "--camera", cam, "--from", iso(start), "--to", iso(end),
                            "-o", out, "--reason", "audio test"], capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, "nvr export %s failed: %s %s" % (cam, r.stdout, r.stderr))
        if r.returncode == 0:
            with zipfile.ZipFile(out) as z:
                z.extract("%s.mp4" % cam, out + ".d")
            mp4 = os.path.join(out + ".d", "%s.mp4" % cam)
            check(any(s.get("codec_name") == "flac" for s in probe(mp4)["streams"]), "%s export: no FLAC" % cam)
            n, off = off_law_samples(mp4, cam)
            check(n > 0 and off == 0, "%s export: %d of %d samples are not G.711 levels" % (cam, off, n))
            check_audio("%s export MP4" % cam, mp4)

    # l16: video recorded, no audio track
    for r in [r for r in nvr.db_rows("l16") if r["state"] == 0]:
        kinds = sorted(s["codec_type"] for s in probe(nvr.path(r["path"]))["streams"])
        check(kinds == ["video"], "l16 %s: tracks %s, want video only" % (r["path"], kinds))
    check(nvr.stop() == 0, "nvr run did not exit 0 on SIGTERM")

log = nvr.log_text()
connections = log.count("camera=l16 connected")
warns = re.findall(r"warn camera=l16 audio not recorded codec=L16 reason=\"[^\"]+\"", log)
check(connections >= 1 and len(warns) == connections,
      "l16: %d WARN lines for %d connections" % (len(warns), connections))
check("camera=pcmu audio transcode codec=pcm_mulaw sample_rate=8000" in log, "pcmu: no transcode line")
check("camera=pcma audio transcode codec=pcm_alaw sample_rate=8000" in log, "pcma: no transcode line")
check("camera=pcmu audio not recorded" not in log, "pcmu: audio reported as not recorded")

# --- the PCMU camera through libavformat's RTSP client ---
os.environ["NVR_RTSP_READER"] = "libav"
try:
    with Camera("h264_pcmu.mov", audio_codec="pcmu") as cu:
        nvr2 = Nvr("audio-libav", [("pcmu", {"url": cu.url(), "segment_seconds": SEG_S, "audio": "on"})])
        nvr2.start()
        time.sleep(RECORD_S)
        st = get_json(nvr2, "/api/v1/cameras")["cameras"][0].get("audio_status")
        check(st == "g711 -> flac", "libav: audio_status %r" % st)
        check_segments(nvr2, "pcmu")
        check(nvr2.stop() == 0, "nvr run (libav) did not exit 0 on SIGTERM")
finally:
    del os.environ["NVR_RTSP_READER"]
finish("test_audio")
