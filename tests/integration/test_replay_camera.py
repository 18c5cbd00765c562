# SPDX-License-Identifier: Apache-2.0
"""nvr-replay-camera (tests/camera/replay_camera.c, the cheap camera bench/ingest
uses for 256 streams) behaves like a camera: the recorder records its streams
completely, checked as the other camera kinds are (compat.verify: one run, no
gap or discontinuity, nothing dropped, every frame identical to the clip's and
in its order through the playlist and an export), over several loops of the
clip (timestamps and sequence numbers advance across them) -- with B-frames
(H.264 B-pyramid, H.265 open GOPs) and with G.711 audio (PCMU and PCMA,
recorded as FLAC), also a clip made by the ffmpeg command with its own x264
defaults and 16 kHz stereo A-law.  ffmpeg, as an independent client, reads it
too."""
import os
import subprocess
import time

from audiocheck import off_law_samples, track_duration
from compat import record, verify
from harness import Camera, Nvr, check, finish, probe

REPLAY = os.environ["NVR_REPLAY_CAMERA_BIN"]


class Replay(Camera):
    """The replay camera, started and stopped as the test camera is."""

    def __init__(self, clip_name, **kw):
        super().__init__(clip_name, **kw)
        self.args[0] = REPLAY


# B-frames and two loops of the 10 s clips in the 20 s recording
with Replay("h264_bf.mp4", mount="/cam", mounts=2) as c1, Replay("h265_bf.mp4") as c2:
    class Mount:
        def __init__(self, cam, m):
            self.cam, self.m = cam, m

        def url(self):
            return self.cam.url(mount=self.m)

    nvr, t0 = record("replay", [("bf1", Mount(c1, "/cam1")), ("bf2", Mount(c1, "/cam2")), ("h265", c2)])
    t1 = time.time()
    check(nvr.stop() == 0, "nvr run did not exit 0")
    verify(nvr, [("bf1", "h264_bf.mp4"), ("bf2", "h264_bf.mp4"), ("h265", "h265_bf.mp4")], t0, t1, "own")

# G.711: audio recorded as FLAC beside the video
for law in ("pcmu", "pcma"):
    with Replay("h264_%s.mov" % law) as c:
        nvr = Nvr("replay-" + law, [("a", {"url": c.url(), "audio": "on", "segment_seconds": 4})])
        nvr.start()
        nvr.wait_segments("a", 2, 40)
        check(nvr.stop() == 0, "nvr run did not exit 0")
        done = [r for r in nvr.db_rows("a") if r["state"] == 0]
        check(len(done) >= 2, "%s: %d complete segments" % (law, len(done)))
        for r in done:
            p = nvr.path(r["path"])
            audio = [s for s in probe(p)["streams"] if s["codec_type"] == "audio"]
            check(len(audio) == 1 and audio[0].get("codec_name") == "flac" and audio[0].get("sample_rate") == "8000",
                  "%s: %s audio %s" % (law, r["path"], [(s.get("codec_name"), s.get("sample_rate")) for s in audio]))
            d = subprocess.run(["ffmpeg", "-v", "error", "-i", p, "-f", "null", "-"], capture_output=True, text=True,
                               timeout=60)
            check(d.returncode == 0 and not d.stderr.strip(), "%s: decode errors: %s" % (r["path"], d.stderr[:300]))
        print("%s: %d segments with FLAC audio" % (law, len(done)))

# A source this project did not shape: a clip made here by the ffmpeg command
# with its own x264 defaults (3 B-frames, B-pyramid) in a QuickTime file with
# the moov at its end, its sound pink noise and a tone as 16 kHz *stereo*
# A-law.  The replay camera offers it as a camera with 16 kHz G.711 does
# (payload type 97, "PCMA/16000/2"); nvr records both channels at 16 kHz, as
# FLAC, every sample a level of the A-law, the sound as long as the picture.
tmp = os.environ.get("NVR_TEST_TMP", "/tmp")
ff = os.path.join(tmp, "replay-ffmpeg-alaw16k-stereo.mov")
r = subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
                    "-f", "lavfi", "-i", "anoisesrc=color=pink:sample_rate=16000:amplitude=0.3",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000",
                    "-filter_complex", "[1][2]amix=inputs=2,aformat=channel_layouts=stereo[a]",
                    "-map", "0:v", "-map", "[a]", "-t", "10", "-c:v", "libx264", "-bf", "3", "-g", "50",
                    "-pix_fmt", "yuv420p", "-c:a", "pcm_alaw", "-ar", "16000", "-ac", "2", ff],
                   capture_output=True, text=True, timeout=120)
check(r.returncode == 0, "ffmpeg could not make the clip: %s" % r.stderr[-300:])
with Replay(ff) as c:
    nvr = Nvr("replay-alaw16k", [("st", {"url": c.url(), "audio": "on", "segment_seconds": 4})])
    nvr.start()
    nvr.wait_segments("st", 3, 40)
    check(nvr.stop() == 0, "nvr run did not exit 0")
    # (the last segment, cut by the stop, may end before its first FLAC block)
    done = sorted((r for r in nvr.db_rows("st") if r["state"] == 0), key=lambda r: r["start_us"])[:-1]
    check(len(done) >= 2, "16 kHz stereo: %d complete segments before the last" % len(done))
    adur = vdur = 0.0
    for r in done:
        p = nvr.path(r["path"])
        audio = [s for s in probe(p)["streams"] if s["codec_type"] == "audio"]
        got = [(s.get("codec_name"), s.get("sample_rate"), s.get("channels")) for s in audio]
        check(got == [("flac", "16000", 2)], "16 kHz stereo: %s audio %s" % (r["path"], got))
        n, off = off_law_samples(p, "pcma")
        check(n > 0 and off == 0, "16 kHz stereo: %s: %d of %d samples are not A-law levels" % (r["path"], off, n))
        d = subprocess.run(["ffmpeg", "-v", "error", "-i", p, "-f", "null", "-"], capture_output=True, text=True,
                           timeout=60)
        check(d.returncode == 0 and not d.stderr.strip(), "%s: decode errors: %s" % (r["path"], d.stderr[:300]))
        adur += track_duration(p, "a:0")
        vdur += track_duration(p, "v:0")
    check(vdur > 0 and abs(adur - vdur) <= 0.2 * len(done),
          "16 kHz stereo: audio %.2f s against video %.2f s" % (adur, vdur))
    check("camera=st audio transcode codec=pcm_alaw sample_rate=16000" in nvr.log_text(),
          "16 kHz stereo: no transcode line")
    print("16 kHz stereo A-law (ffmpeg's own clip): %d segments, FLAC 16000 Hz x 2, audio %.2f s / video %.2f s, "
          "every sample an A-law level" % (len(done), adur, vdur))

# The GStreamer test camera serves that clip too (as 8 kHz mono A-law: its
# payloader takes no other G.711).  Its first chunk is sound, which once held
# the camera's loader in preroll forever (tests/camera/test_camera.c, link_branch).
ff8 = os.path.join(tmp, "ffmpeg-alaw8k-mono.mov")
r = subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", ff, "-c:v", "copy", "-c:a", "pcm_alaw", "-ar", "8000",
                    "-ac", "1", ff8], capture_output=True, text=True, timeout=60)
check(r.returncode == 0, "ffmpeg could not remux the clip: %s" % r.stderr[-300:])
with Camera(ff8, audio_codec="pcma") as c:
    r = subprocess.run(["ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-show_entries",
                        "stream=codec_name,sample_rate", "-of", "csv=p=0", c.url()],
                       capture_output=True, text=True, timeout=30)
    got = sorted(r.stdout.split())
    check(got == ["h264", "pcm_alaw,8000"], "nvr-test-camera with ffmpeg's clip: %s %s" % (got, r.stderr[-200:]))

# ffmpeg as the client: 6 s copied, 150 frames, decodes without an error
with Replay("h264_bf.mp4") as c:
    out = os.path.join(os.environ.get("NVR_TEST_TMP", "/tmp"), "replay-ffmpeg.mp4")
    r = subprocess.run(["ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", c.url(), "-t", "6", "-c", "copy",
                        "-y", out], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "ffmpeg: %s" % r.stderr[-300:])
    d = subprocess.run(["ffmpeg", "-v", "error", "-i", out, "-f", "null", "-"], capture_output=True, text=True,
                       timeout=60)
    check(d.returncode == 0 and not d.stderr.strip(), "ffmpeg decode: %s" % d.stderr[-300:])
    n = subprocess.run(["ffprobe", "-v", "error", "-count_packets", "-select_streams", "v", "-show_entries",
                        "stream=nb_read_packets", "-of", "csv=p=0", out], capture_output=True, text=True).stdout
    # (ffmpeg's -t cuts on presentation time after its own start-up buffering:
    # nvr-test-camera gives 155 frames here too)
    check(145 <= int(n.strip() or 0) <= 165, "ffmpeg recorded %s frames in 6 s" % n.strip())

finish("replay_camera")
