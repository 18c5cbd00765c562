# SPDX-License-Identifier: Apache-2.0
"""nvr-replay-camera (tests/camera/replay_camera.c, the cheap camera bench/ingest
uses for 256 streams) behaves like a camera: the recorder records its streams
completely, checked as the other camera kinds are (compat.verify: one run, no
gap or discontinuity, nothing dropped, every frame identical to the clip's and
in its order through the playlist and an export), over several loops of the
clip (timestamps and sequence numbers advance across them) -- with B-frames
(H.264 B-pyramid, H.265 open GOPs) and with G.711 audio (PCMU and PCMA,
recorded as FLAC).  ffmpeg, as an independent client, reads it too."""
import os
import subprocess
import time

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
