# SPDX-License-Identifier: Apache-2.0
"""udp_mangler.py - an RTSP proxy for the UDP tests that reorders or drops
RTP datagrams on their way from the camera, as a Wi-Fi link or a busy
switch would.

The proxy listens on a TCP port and relays each RTSP connection to the
camera; in every SETUP it replaces the client's `client_port=A-B` with a
pair of its own UDP ports, and relays what the camera sends there to
127.0.0.1:A (RTP) and :B (RTCP).  For the first track set up (the video),
`swap_every=N` sends every Nth RTP packet after the one that follows it,
`drop_every=N` drops every Nth; the counts are kept in `stats`."""
import re
import select
import socket
import threading

from harness import relay, shut


class Mangler:
    def __init__(self, camera_port, swap_every=0, drop_every=0):
        self.camera_port = camera_port
        self.swap_every = swap_every
        self.drop_every = drop_every
        self.stats = {"rtp": 0, "swapped": 0, "dropped": 0}
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(4)
        self.port = self.lsock.getsockname()[1]
        self.stopping = False
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, mount="/cam"):
        return "rtsp://127.0.0.1:%d%s" % (self.port, mount)

    def stop(self):
        self.stopping = True
        self.lsock.close()

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            cam = socket.create_connection(("127.0.0.1", self.camera_port))
            state = {"tracks": 0}
            threading.Thread(target=self._requests, args=(c, cam, state), daemon=True).start()
            threading.Thread(target=relay, args=(cam, c), daemon=True).start()

    def _requests(self, c, cam, state):
        """Client to camera, request by request (the client sends no bodies
        in UDP mode), with client_port rewritten."""
        buf = b""
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                buf += d
                while b"\r\n\r\n" in buf:
                    head, buf = buf.split(b"\r\n\r\n", 1)
                    head = head.decode("latin-1")
                    m = re.search(r"client_port=(\d+)-(\d+)", head)
                    if m:
                        rtp, rtcp = self._pair()
                        video = state["tracks"] == 0
                        state["tracks"] += 1
                        threading.Thread(target=self._relay, daemon=True,
                                         args=(rtp, rtcp, int(m.group(1)), int(m.group(2)), video)).start()
                        head = head.replace(m.group(0), "client_port=%d-%d" % (rtp.getsockname()[1],
                                                                               rtcp.getsockname()[1]))
                    cam.sendall(head.encode("latin-1") + b"\r\n\r\n")
        except OSError:
            pass
        shut(c, cam)

    @staticmethod
    def _pair():
        while True:
            a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            a.bind(("127.0.0.1", 0))
            p = a.getsockname()[1]
            if p % 2 == 0:
                b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    b.bind(("127.0.0.1", p + 1))
                    return a, b
                except OSError:
                    b.close()
            a.close()

    def _relay(self, rtp, rtcp, to_rtp, to_rtcp, video):
        held = None
        n = 0
        while not self.stopping:
            r, _, _ = select.select([rtp, rtcp], [], [], 0.5)
            for s in r:
                d = s.recv(65536)
                if s is rtcp:
                    rtcp.sendto(d, ("127.0.0.1", to_rtcp))
                    continue
                n += 1
                with self.lock:
                    self.stats["rtp"] += video
                if video and self.drop_every and n % self.drop_every == 0:
                    with self.lock:
                        self.stats["dropped"] += 1
                    continue
                if video and self.swap_every and n % self.swap_every == 0 and held is None:
                    held = d
                    continue
                rtp.sendto(d, ("127.0.0.1", to_rtp))
                if held is not None:
                    rtp.sendto(held, ("127.0.0.1", to_rtp))
                    held = None
                    with self.lock:
                        self.stats["swapped"] += 1
