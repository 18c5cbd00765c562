# SPDX-License-Identifier: Apache-2.0
"""rtsp_manners.py - stand-ins for cameras with odd RTSP manners, in front of
the test camera, for test_rtsp_manners.py:

  Redirector   answers OPTIONS itself and every DESCRIBE with
               `302 Moved Temporarily` and `Location:` the test camera's URL
               (cameras behind a load balancer or a recorder's front end);
  NoTeardown   relays a connection to the test camera both ways, but swallows
               the client's TEARDOWN: no answer, the session goes on
               (servers that ignore TEARDOWN);
  ChaoticClock relays a connection (RTP interleaved on the RTSP connection,
               transport = tcp) and rewrites the RTP timestamp of every frame
               of the first track (interleaved channel 0) with its own random
               jump of 15 to 600 s, forward or back: a camera whose timestamps
               are chaotic (docs/design/time.md, T7).  The packets of one
               frame keep one timestamp; RTCP goes through unchanged;
  NoRtcp       relays a connection (transport = tcp) without the camera's
               RTCP (odd interleaved channels): a camera that sends no
               sender reports, so its wall clock is never known;
  SkewedRtcp   relays a connection (transport = tcp) and moves the wall
               clock of every RTCP sender report `skew` seconds (default an
               hour) ahead: a camera whose clock is wrong, so its wall
               clock is known but not believed (time.md, T2)."""
import random
import re
import select
import socket
import struct
import threading


class _Server:
    def __init__(self):
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.port = self.lsock.getsockname()[1]
        self.stopping = False
        self.stats = {"connections": 0, "redirects": 0, "teardowns_swallowed": 0}
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, mount="/cam"):
        return "rtsp://127.0.0.1:%d%s" % (self.port, mount)

    def stop(self):
        self.stopping = True
        self.lsock.close()

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.lsock.accept()
            except OSError:
                return
            self.stats["connections"] += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()


class Redirector(_Server):
    def __init__(self, target_url):
        self.target = target_url
        super().__init__()

    def _serve(self, conn):
        buf = b""
        with conn:
            while not self.stopping:
                try:
                    data = conn.recv(4096)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                while b"\r\n\r\n" in buf:
                    head, buf = buf.split(b"\r\n\r\n", 1)
                    m = re.search(rb"CSeq:\s*(\d+)", head, re.I)
                    cseq = m.group(1).decode() if m else "0"
                    if head.startswith(b"OPTIONS"):
                        reply = "RTSP/1.0 200 OK\r\nCSeq: %s\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n" % cseq
                    else:
                        self.stats["redirects"] += 1
                        reply = "RTSP/1.0 302 Moved Temporarily\r\nCSeq: %s\r\nLocation: %s\r\n\r\n" % (
                            cseq, self.target)
                    conn.sendall(reply.encode())


class NoTeardown(_Server):
    def __init__(self, camera_port):
        self.camera_port = camera_port
        super().__init__()

    def _serve(self, conn):
        cam = socket.create_connection(("127.0.0.1", self.camera_port))
        socks = [conn, cam]
        try:
            while not self.stopping:
                r, _, _ = select.select(socks, [], [], 0.5)
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        return
                    if s is conn and b"TEARDOWN " in data:
                        # the request is one write of the client's: drop it whole
                        self.stats["teardowns_swallowed"] += 1
                        i = data.find(b"TEARDOWN ")
                        data = data[:i]
                        if not data:
                            continue
                    (cam if s is conn else conn).sendall(data)
        except OSError:
            pass
        finally:
            conn.close()
            cam.close()


class _FrameRelay(_Server):
    """Relays a connection to the test camera; every interleaved frame from
    the camera goes through _frame(channel, bytearray) -> bytes or None (to
    drop it), RTSP messages go through unchanged."""

    def __init__(self, camera_port):
        self.camera_port = camera_port
        super().__init__()

    def _serve(self, conn):
        cam = socket.create_connection(("127.0.0.1", self.camera_port))
        threading.Thread(target=self._requests, args=(conn, cam), daemon=True).start()
        buf = b""
        try:
            while not self.stopping:
                data = cam.recv(65536)
                if not data:
                    return
                buf += data
                out = []
                while buf:
                    if buf[:1] == b"$":
                        if len(buf) < 4:
                            break
                        ch, n = buf[1], struct.unpack(">H", buf[2:4])[0]
                        if len(buf) < 4 + n:
                            break
                        pkt = self._frame(ch, bytearray(buf[4:4 + n]))
                        buf = buf[4 + n:]
                        if pkt is not None:
                            out.append(b"$" + bytes([ch]) + struct.pack(">H", len(pkt)) + bytes(pkt))
                    else:
                        end = buf.find(b"\r\n\r\n")
                        if end < 0:
                            break
                        m = re.search(rb"Content-Length:\s*(\d+)", buf[:end], re.I)
                        total = end + 4 + (int(m.group(1)) if m else 0)
                        if len(buf) < total:
                            break
                        out.append(buf[:total])
                        buf = buf[total:]
                conn.sendall(b"".join(out))
        except OSError:
            pass
        finally:
            conn.close()
            cam.close()

    def _requests(self, conn, cam):
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                cam.sendall(data)
        except OSError:
            pass
        finally:
            try:
                cam.shutdown(socket.SHUT_WR)
            except OSError:
                pass


class ChaoticClock(_FrameRelay):
    def __init__(self, camera_port, seed=13):
        self.rng = random.Random(seed)
        self.last_ts, self.offset = None, 0
        super().__init__(camera_port)
        self.stats.update({"rtp": 0, "frames": 0})

    def _jump(self):
        j = self.rng.randint(15 * 90000, 600 * 90000)
        return j if self.rng.random() < 0.5 else -j

    def _frame(self, ch, pkt):
        if ch == 0 and len(pkt) >= 12:
            ts = struct.unpack_from(">I", pkt, 4)[0]
            if ts != self.last_ts:
                self.last_ts, self.offset = ts, self._jump()
                self.stats["frames"] += 1
            struct.pack_into(">I", pkt, 4, (ts + self.offset) & 0xFFFFFFFF)
            self.stats["rtp"] += 1
        return pkt


class NoRtcp(_FrameRelay):
    def __init__(self, camera_port):
        super().__init__(camera_port)
        self.stats.update({"rtcp_dropped": 0})

    def _frame(self, ch, pkt):
        if ch % 2:
            self.stats["rtcp_dropped"] += 1
            return None
        return pkt

class SkewedRtcp(_FrameRelay):
    def __init__(self, camera_port, skew=3600):
        self.skew = skew
        super().__init__(camera_port)
        self.stats.update({"sr_skewed": 0})

    def _frame(self, ch, pkt):
        # a sender report (packet type 200) first in the compound packet:
        # its NTP seconds are bytes 8..11
        if ch % 2 and len(pkt) >= 28 and pkt[1] == 200:
            secs = struct.unpack_from(">I", pkt, 8)[0]
            struct.pack_into(">I", pkt, 8, (secs + self.skew) & 0xFFFFFFFF)
            self.stats["sr_skewed"] += 1
        return pkt
