# SPDX-License-Identifier: Apache-2.0
"""Connection exhaustion (issue 13 row 3): one client holding many slow
connections must not starve everyone else.

- the finding at full size, with the default limits: 1,100 connections from
  127.0.0.2, each sending a header line every 5 s (so an idle timeout never
  fires), reopened as soon as the server drops them; meanwhile a client at
  127.0.0.1 asks for /api/v1/health twice a second, and each answer must come
  within 2 s (today: none does once the 1,000 connection slots are full);
- with small limits (read_timeout = 3, max_connections_per_address = 10,
  max_connections = 40): a trickled request is closed at the deadline, also
  while its body trickles; the connection over the per-address limit, and the
  one over the total, are answered 503 with Retry-After; a live stream runs
  past the deadline."""
import http.client
import resource
import socket
import threading
import time

from harness import Camera, Nvr, check, finish


class Trickler(threading.Thread):
    """n connections from src, a header line every period seconds each;
    a connection the server closes is opened again a second later."""

    def __init__(self, port, src, n, period):
        super().__init__(daemon=True)
        self.port, self.src, self.n, self.period = port, src, n, period
        self.stop = False
        self.opened = self.dropped = 0
        self.held = 0

    def run(self):
        socks = [None] * self.n
        last = [0.0] * self.n
        sent = [0] * self.n
        retry = [0.0] * self.n
        while not self.stop:
            now = time.monotonic()
            held = 0
            for i in range(self.n):
                s = socks[i]
                if s is None:
                    if now < retry[i]:
                        continue
                    s = socket.socket()
                    s.setblocking(False)
                    try:
                        s.bind((self.src, 0))
                        s.connect_ex(("127.0.0.1", self.port))
                    except OSError:
                        s.close()
                        retry[i] = now + 1
                        continue
                    socks[i], last[i], sent[i] = s, 0.0, 0
                    self.opened += 1
                    continue
                gone = False
                try:
                    if s.recv(4096) == b"":
                        gone = True
                except BlockingIOError:
                    pass
                except OSError:
                    gone = True
                if not gone and now - last[i] >= self.period:
                    line = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n" if sent[i] == 0 else b"X-Trickle: %d\r\n" % sent[i]
                    try:
                        s.send(line)
                        sent[i] += 1
                        last[i] = now
                    except BlockingIOError:
                        pass
                    except OSError:
                        gone = True
                if gone:
                    s.close()
                    socks[i] = None
                    retry[i] = now + 1
                    self.dropped += 1
                else:
                    held += 1
            self.held = held
            time.sleep(0.2)
        for s in socks:
            if s:
                s.close()


def health(port, src="127.0.0.1", timeout=2.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(src, 0))
    try:
        conn.request("GET", "/api/v1/health")
        r = conn.getresponse()
        r.read()
        return r.status, r.getheader("Retry-After")
    except (OSError, http.client.HTTPException):
        return 0, None
    finally:
        conn.close()


def closed_within(sock, limit, feed=None, period=1.0):
    """Seconds until the server closes sock (feeding it feed() every period), or None."""
    t0 = time.monotonic()
    sock.settimeout(0.2)
    next_feed = t0
    while time.monotonic() - t0 < limit:
        if feed and time.monotonic() >= next_feed:
            try:
                sock.send(feed())
            except OSError:
                return time.monotonic() - t0
            next_feed += period
        try:
            if sock.recv(4096) == b"":
                return time.monotonic() - t0
        except socket.timeout:
            pass
        except OSError:
            return time.monotonic() - t0
    return None


soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
t_start = time.monotonic()

# --- the finding at full size, default limits ---
nvr = Nvr("conn", [])
nvr.start()
check(any(health(nvr.port)[0] == 200 or time.sleep(0.2) for _ in range(50)), "nvr answers")
attack = Trickler(nvr.port, "127.0.0.2", 1100, 5.0)
attack.start()
time.sleep(4)  # the attack is in place
answered = asked = 0
slow = []
t_end = time.monotonic() + 20
while time.monotonic() < t_end:
    t = time.monotonic()
    st, _ = health(nvr.port)
    asked += 1
    if st == 200 and time.monotonic() - t <= 2.0:
        answered += 1
    else:
        slow.append(st)
    time.sleep(max(0, 0.5 - (time.monotonic() - t)))
attack.stop = True
attack.join()
print("during a 1,100-connection trickle from one address: %d of %d requests from another address answered "
      "within 2 s (before: 0); the attacker held %d connections at the end, opened %d, dropped %d"
      % (answered, asked, attack.held, attack.opened, attack.dropped))
# all of them, give or take one on a machine loaded by other work
check(asked >= 20 and answered >= asked - 1,
      "requests from another address answered within 2 s during the trickle: %d of %d (%s)"
      % (answered, asked, slow[:5]))
check(attack.held <= 100 + 8, "one address holds at most its share: %d" % attack.held)
check(nvr.stop() == 0, "clean stop after the flood")

# --- small limits: deadlines, 503, live streams ---
with Camera("h264.mp4", no_audio=True) as cam:
    nvr = Nvr("conn-small", [("lobby", {"url": cam.url(), "segment_seconds": 2})],
              server_extra="read_timeout = 3\nmax_connections_per_address = 10\nmax_connections = 40")
    nvr.start()
    check(any(health(nvr.port)[0] == 200 or time.sleep(0.2) for _ in range(50)), "nvr answers (small limits)")

    # a request trickled a header line a second is closed at the deadline
    s = socket.create_connection(("127.0.0.1", nvr.port), source_address=("127.0.0.3", 0))
    s.send(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
    n = [0]

    def line():
        n[0] += 1
        return b"X-Trickle: %d\r\n" % n[0]

    took = closed_within(s, 12, line, 1.0)
    s.close()
    check(took is not None and took <= 3 + 2.5, "a trickled request is closed at read_timeout: %s s" % took)
    print("a request trickled a line a second: closed after %s s (read_timeout = 3)" % (took and "%.1f" % took))

    # a body trickled a byte a second: closed at the deadline too
    s = socket.create_connection(("127.0.0.1", nvr.port), source_address=("127.0.0.3", 0))
    s.send(b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Content-Length: 1000\r\n\r\n{")
    took = closed_within(s, 12, lambda: b" ", 1.0)
    s.close()
    check(took is not None and took <= 3 + 2.5, "a trickled body is closed at read_timeout: %s s" % took)

    # over the per-address limit: 503 with Retry-After, while another address is served
    idle = [socket.create_connection(("127.0.0.1", nvr.port), source_address=("127.0.0.4", 0)) for _ in range(10)]
    time.sleep(1)  # accepted by the server (its workers accept in parallel), well within read_timeout
    st, retry = health(nvr.port, "127.0.0.4")
    other, _ = health(nvr.port, "127.0.0.5")
    for x in idle:
        x.close()
    check(st == 503 and retry and int(retry) > 0, "the 11th connection from one address: %d Retry-After=%s" % (st, retry))
    check(other == 200, "another address meanwhile: %d" % other)

    # over the total: 503 with Retry-After
    time.sleep(0.5)
    idle = [socket.create_connection(("127.0.0.1", nvr.port), source_address=("127.0.0.%d" % (10 + i // 10), 0))
            for i in range(40)]
    time.sleep(1)
    st, retry = health(nvr.port, "127.0.0.20")
    for x in idle:
        x.close()
    check(st == 503 and retry, "a connection over max_connections: %d Retry-After=%s" % (st, retry))

    # a live stream is an answer, not a request being read: it outlives the deadline
    check(nvr.wait_segments("lobby", 1, 30), "recording")
    conn = http.client.HTTPConnection("127.0.0.1", nvr.port, timeout=10)
    conn.request("GET", "/api/v1/cameras/lobby/live.mp4", headers={"Authorization": "Bearer " + nvr.token})
    r = conn.getresponse()
    got_late = 0
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 7:
            b = r.read1(65536)
            if not b:
                break
            if time.monotonic() - t0 > 4.5:
                got_late += len(b)
    except (OSError, http.client.HTTPException):
        pass
    conn.close()
    check(r.status == 200 and got_late > 0, "a live stream still flows after read_timeout: %d, %d bytes late"
          % (r.status, got_late))
    check(nvr.stop() == 0, "clean stop (small limits)")
print("took %.1f s" % (time.monotonic() - t_start))
finish("conn_limits")
