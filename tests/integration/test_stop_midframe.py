# SPDX-License-Identifier: Apache-2.0
"""A stop that lands in the middle of a frame records no damaged frame.

Seen once in CI (test_bframes, NVR_RTSP_READER=libav): the last segment of a
run ended with a frame ffmpeg could not decode ("error while decoding MB 32 3,
bytestream -5").  libavformat, when its interrupt callback ends a read, flushes
its parsers and hands over the access unit being received, cut where the read
stopped; nvr wrote it.  On a fast loopback link a frame arrives in a burst, so
a stop rarely lands inside one.  Here the camera's bytes pass a proxy that
spreads them out (about 1.3x the clip's bit rate, in 1 KiB pieces), so most
frames are in flight most of the time, and nvr is stopped at a different
moment in each round, with both readers.  Every complete segment must decode
without an error in ffmpeg, the last one included."""
import os
import random
import socket
import subprocess
import threading
import time

from harness import Camera, Nvr, check, finish, relay

RATE = 170 * 1024  # bytes per second towards nvr (the clip is about 130 KiB/s)
PIECE = 1024
ROUNDS = 3


class SlowLink:
    """A TCP proxy to the camera; what the camera sends reaches the client at RATE."""

    def __init__(self, port):
        self.target = port
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(8)
        self.port = self.ls.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self):
        return "rtsp://127.0.0.1:%d/cam" % self.port

    def _accept(self):
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            u = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=relay, args=(c, u), daemon=True).start()
            threading.Thread(target=relay, args=(u, c, RATE, PIECE), daemon=True).start()

    def close(self):
        self.ls.close()


def decode_errors(path):
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"], capture_output=True, text=True,
                       timeout=60)
    return r.stderr.strip() if r.returncode == 0 else "exit %d %s" % (r.returncode, r.stderr.strip())


rng = random.Random(int(os.environ.get("NVR_TEST_SEED", time.time())))
with Camera("h264.mp4", no_audio=True) as cam:
    link = SlowLink(cam.port)
    for reader in ("own", "libav"):
        for i in range(ROUNDS):
            wrapper = ["env", "NVR_RTSP_READER=libav"] if reader == "libav" else None
            nvr = Nvr("midframe-%s-%d" % (reader, i), [("m", {"url": link.url(), "segment_seconds": 2})],
                      wrapper=wrapper)
            nvr.start()
            check(nvr.wait_segments("m", 2, 40), "%s round %d: nothing recorded" % (reader, i))
            time.sleep(rng.uniform(0.0, 1.0))
            check(nvr.stop() == 0, "%s round %d: nvr run did not exit 0" % (reader, i))
            rows = sorted((r for r in nvr.db_rows("m") if r["state"] == 0), key=lambda r: r["start_us"])
            bad = [(r["path"], e[:160]) for r in rows for e in [decode_errors(nvr.path(r["path"]))] if e]
            check(rows and not bad, "%s round %d: %d segments, damaged: %s" % (reader, i, len(rows), bad))
            print("%s round %d: %d segments, the last %d frames, 0 decode errors%s" %
                  (reader, i, len(rows), rows[-1]["frames"] if rows else 0, "" if not bad else " (FAILED)"))
    link.close()
finish("stop_midframe")
