# SPDX-License-Identifier: Apache-2.0
"""Reading the endless live.mp4 body: a client that parses top-level MP4
boxes as they arrive (used by test_live.py and bench/live_latency.py)."""
import http.client
import os
import socket
import struct
import time

NTP_UNIX_OFFSET = 2208988800


class LiveReader:
    """GET live.mp4 and yield (arrival time, box type, box bytes)."""

    def __init__(self, port, path, timeout=10, rcvbuf=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        if rcvbuf:
            # a small receive window, set before connecting: a slow client
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            s.settimeout(timeout)
            s.connect(("127.0.0.1", port))
            self.conn.sock = s
        tok = os.environ.get("NVR_TEST_TOKEN")  # set by harness.Nvr.use_token
        self.conn.request("GET", path, headers={"Authorization": "Bearer " + tok} if tok else {})
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.headers = self.resp.headers
        self.buf = b""
        self.eof = False

    def _fill(self):
        try:
            data = self.resp.read1(65536)
        except (http.client.IncompleteRead, ConnectionError):
            data = b""
        if not data:
            self.eof = True
        self.buf += data
        return bool(data)

    def boxes(self, duration):
        """Boxes received within duration seconds (stops at the end of the body)."""
        end = time.monotonic() + duration
        while time.monotonic() < end and not self.eof:
            while len(self.buf) >= 8:
                size, kind = struct.unpack_from(">I4s", self.buf, 0)
                if size < 8:
                    raise ValueError("bad box size %d" % size)
                if len(self.buf) < size:
                    break
                box, self.buf = self.buf[:size], self.buf[size:]
                yield time.time(), kind.decode("latin1"), box
            if not self._fill():
                return

    def close(self):
        self.resp.close()  # the response holds the socket open otherwise
        self.conn.close()


def prft_time(box):
    """Wall clock (Unix seconds) of a prft box (version 1)."""
    ntp = struct.unpack_from(">Q", box, 16)[0]
    return (ntp >> 32) - NTP_UNIX_OFFSET + (ntp & 0xffffffff) / 2 ** 32


def trun_sample_count(moof):
    """Sample count of the first trun inside a moof."""
    i = moof.find(b"trun")
    return struct.unpack_from(">I", moof, i + 8)[0] if i >= 4 else -1


MUX_HEADER = 8
MUX_STREAM = 255
MUX_KEY = 1


class MuxReader(LiveReader):
    """GET /api/v1/live/mux and yield its frames (docs/ref/http-api.md):
    (arrival time, kind 'S'/'I'/'F', camera index, flags, payload)."""

    def frames(self, duration):
        """Frames received within duration seconds (stops at the end of the body)."""
        end = time.monotonic() + duration
        while time.monotonic() < end and not self.eof:
            while len(self.buf) >= MUX_HEADER:
                kind, index, flags, zero, size = struct.unpack_from(">cBBBI", self.buf, 0)
                if kind not in (b"S", b"I", b"F") or zero != 0:
                    raise ValueError("bad mux frame header %r" % self.buf[:MUX_HEADER])
                if len(self.buf) < MUX_HEADER + size:
                    break
                payload = self.buf[MUX_HEADER:MUX_HEADER + size]
                self.buf = self.buf[MUX_HEADER + size:]
                yield time.time(), kind.decode(), index, flags, payload
            if not self._fill():
                return


def mp4_boxes(data):
    """(type, bytes) of the top-level boxes of data."""
    out, i = [], 0
    while i + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, i)
        if size < 8 or i + size > len(data):
            raise ValueError("bad box at %d" % i)
        out.append((kind.decode("latin1"), data[i:i + size]))
        i += size
    if i != len(data):
        raise ValueError("%d trailing bytes" % (len(data) - i))
    return out
