# SPDX-License-Identifier: Apache-2.0
"""Shared helpers for the black-box integration tests.

Each test runs the real `nvr` binary against the real test camera
(nvr-test-camera, gst-rtsp-server) on loopback, reads the real SQLite index
and checks every recorded file with Debian's ffmpeg/ffprobe as an
independent client.  Paths come from the environment CTest sets:
NVR_BIN, NVR_CAMERA_BIN, NVR_CLIPS (a directory with the clips made by the
`clips` fixture), NVR_TEST_TMP (a scratch directory).
"""
import json
import os
import re
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

NVR = os.environ.get("NVR_BIN", "nvr")
CAMERA = os.environ.get("NVR_CAMERA_BIN", "nvr-test-camera")
CLIPS = os.environ.get("NVR_CLIPS", "clips")
TMP = os.environ.get("NVR_TEST_TMP", tempfile.gettempdir())

failures = []
_children = []  # every process a test started, stopped at exit whatever happens


def _reap():
    for p in _children:
        if p.poll() is None:
            p.kill()
            p.wait()


import atexit  # noqa: E402
atexit.register(_reap)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))


def check(cond, msg):
    """Records a failed expectation (the test keeps going, and exits 1 at the end)."""
    if not cond:
        failures.append(msg)
        print("CHECK FAILED: " + msg, file=sys.stderr, flush=True)
    return cond


def finish(name):
    """Prints the closing line CTest/CI read and exits accordingly."""
    if failures:
        print("%s: 0 passed, 1 failed (%d checks failed)" % (name, len(failures)))
        sys.exit(1)
    print("%s: 1 passed, 0 failed" % name)
    sys.exit(0)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def clip(name):
    path = os.path.join(CLIPS, name)
    if not os.path.exists(path):
        raise SystemExit("missing clip %s (the clips fixture makes it)" % path)
    return path


def iso(t):
    """Seconds since the epoch -> RFC 3339 UTC with microseconds, rounded to the nearest one.

    A start_us / 1e6 from the index must come back as the same microsecond: truncating
    (t % 1) * 1e6 gave one microsecond less about half the time, and a range meant to begin at a
    segment's start then overlapped the segment before it by 1 us."""
    s, us = divmod(int(round(t * 1e6)), 1000000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%06dZ" % us


def http_up(base):
    """Whether the server at base answers its health route."""
    import urllib.request
    try:
        with urllib.request.urlopen(base + "/api/v1/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def camera_connections(port):
    """Established TCP connections to the camera's port (its RTSP clients)."""
    n = 0
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(name).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if int(f[1].split(":")[1], 16) == port and f[3] == "01":
                n += 1
    return n


def wait_until(pred, timeout, step=0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def relay(src, dst, rate=0, piece=65536):
    """Copies what src receives to dst until either side ends (then shuts
    both down); with rate, at most that many bytes a second, in pieces of
    `piece` bytes (a slow link).  For the tests' TCP proxies."""
    t = time.monotonic()
    try:
        while True:
            b = src.recv(piece)
            if not b:
                break
            if rate:
                t = max(t + len(b) / rate, time.monotonic() - 0.05)
                time.sleep(max(0.0, t - time.monotonic()))
            dst.sendall(b)
    except OSError:
        pass
    shut(src, dst)


def shut(*socks):
    """Shuts the sockets down both ways (a peer already gone is fine)."""
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class Camera:
    """The test camera as a child process: start, stop (SIGTERM), restart."""

    def __init__(self, clip_name, port=None, mount="/cam", user=None, password=None, auth="basic",
                 no_audio=False, mounts=1, audio_codec=None, extra=None):
        self.args = [CAMERA, "--clip", clip(clip_name), "--port", str(port or free_port()),
                     "--mount", mount]
        self.port = int(self.args[self.args.index("--port") + 1])
        self.mount = mount
        if user:
            self.args += ["--user", user, "--password", password, "--auth", auth]
        if no_audio:
            self.args.append("--no-audio")
        if audio_codec:
            self.args += ["--audio-codec", audio_codec]
        if mounts > 1:
            self.args += ["--mounts", str(mounts)]
        self.args += extra or []  # behaviours of other cameras (tests/camera/README.md)
        self.proc = None

    def url(self, user=None, password=None, mount=None):
        cred = ""
        if user:
            cred = user + (":" + password if password is not None else "") + "@"
        return "rtsp://%s127.0.0.1:%d%s" % (cred, self.port, mount or self.mount)

    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        _children.append(self.proc)
        line = self.proc.stdout.readline()
        if not line.startswith("ready "):
            raise SystemExit("test camera did not start: %r" % line)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class Nvr:
    """An `nvr run` process with its own data_dir and config file."""

    ADMIN_PASSWORD = "admin-password-1"

    def __init__(self, name, cameras, server_extra="", storage_extra="", wrapper=None, admin=True):
        self.wrapper = wrapper or []
        self.admin = admin          # create an admin and an API token before the first start
        self.token = None
        self.dir = tempfile.mkdtemp(prefix="nvr-%s-" % name, dir=TMP)
        self.data_dir = os.path.join(self.dir, "data")
        self.config = os.path.join(self.dir, "nvr.conf")
        self.log_path = os.path.join(self.dir, "nvr.log")
        self.port = free_port()
        self.base_url = "http://127.0.0.1:%d" % self.port
        text = "[server]\nlisten = 127.0.0.1:%d\ndata_dir = %s\n%s\n" % (self.port, self.data_dir, server_extra)
        if storage_extra:
            text += "[storage]\n%s\n" % storage_extra
        for cam_id, keys in cameras:
            text += "\n[camera %s]\n" % cam_id
            for k, v in keys.items():
                text += "%s = %s\n" % (k, v)
        with open(self.config, "w") as f:
            f.write(text)
        self.proc = None
        self.log = None
        self.started_at = None

    def add_user(self, name, role, password, cameras=None):
        args = ["user", "add", "-c", self.config, name, "--role", role]
        if cameras:
            args += ["--camera", ",".join(cameras)]
        r = subprocess.run([NVR] + args, input=password + "\n", capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise SystemExit("nvr user add failed: %s" % r.stderr)

    def make_token(self, name):
        r = self.run_cli("user", "token", "-c", self.config, name)
        if r.returncode != 0:
            raise SystemExit("nvr user token failed: %s" % r.stderr)
        return r.stdout.strip()

    def use_token(self):
        """Every urllib request of the test carries the admin's bearer token."""
        import urllib.request
        opener = urllib.request.build_opener()
        opener.addheaders = [("Authorization", "Bearer " + self.token)]
        urllib.request.install_opener(opener)
        os.environ["NVR_TEST_TOKEN"] = self.token  # for raw http.client readers (livestream.py)

    def ffmpeg_auth(self):
        """ffmpeg/ffprobe options that send the admin's token (playlists and segments)."""
        return ["-headers", "Authorization: Bearer %s\r\n" % self.token]

    def start(self):
        if self.admin and not self.token:
            self.add_user("admin", "admin", self.ADMIN_PASSWORD)
            self.token = self.make_token("admin")
        if self.token:
            self.use_token()
        self.log = open(self.log_path, "a")
        self.started_at = time.time()
        self.proc = subprocess.Popen(self.wrapper + [NVR, "run", "-c", self.config],
                                     stdout=self.log, stderr=self.log)
        _children.append(self.proc)
        return self

    def stop(self, timeout=20):
        """SIGTERM; returns the exit status."""
        if not self.proc:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = "hung"
        self.proc = None
        self.log.close()
        return rc

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None
        self.log.close()

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def run_cli(self, *args):
        return subprocess.run([NVR] + list(args), capture_output=True, text=True, timeout=120)

    def recordings(self, camera):
        r = self.run_cli("recordings", "-c", self.config, camera, "--json")
        if r.returncode != 0:
            raise SystemExit("nvr recordings failed: %s" % r.stderr)
        return json.loads(r.stdout)

    def db_rows(self, camera=None):
        """Segment rows read straight from the SQLite file (not through nvr)."""
        path = os.path.join(self.data_dir, "index.db")
        if not os.path.exists(path):
            return []
        con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        con.row_factory = sqlite3.Row
        q = "SELECT * FROM segments"
        args = ()
        if camera:
            q += " WHERE camera = ?"
            args = (camera,)
        try:
            rows = [dict(r) for r in con.execute(q + " ORDER BY camera, start_us", args)]
        except sqlite3.OperationalError:
            rows = []  # nvr is still creating the schema
        finally:
            con.close()
        return rows

    def path(self, rel):
        return os.path.join(self.data_dir, rel)

    def wait_segments(self, camera, n, timeout):
        """Waits until the camera has at least n complete segments."""
        def done():
            try:
                return len([r for r in self.db_rows(camera) if r["state"] == 0]) >= n
            except sqlite3.Error:
                return False
        return wait_until(done, timeout)

    def record_hole(self, cam, cameras, seconds=7, then=4, timeout=60):
        """A hole in the footage: stops the test camera `cam` for `seconds`
        and starts it again, then waits until each of `cameras` (the ids
        recording from it) has `then` more segments.  Returns (gap_start,
        gap_end) in wall-clock seconds; a camera that does not come back
        fails the test."""
        before = {c: len(self.db_rows(c)) for c in cameras}
        gap_start = time.time()
        cam.stop()
        time.sleep(seconds)
        cam.start()
        gap_end = time.time()
        check(wait_until(lambda: all(len(self.db_rows(c)) >= before[c] + then for c in cameras), timeout),
              "%s did not record after the hole" % ",".join(cameras))
        return gap_start, gap_end


def fragments(row):
    """The fragment table of a row: [(bytes, duration_us)]."""
    blob = row["fragments"]
    return [struct.unpack_from("<II", blob, i) for i in range(0, len(blob), 8)]


def top_level_boxes(path):
    """[(offset, type, size)] of an MP4 file's top-level boxes."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    off = 0
    while off + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, off)
        if size == 1:
            size = struct.unpack_from(">Q", data, off + 8)[0]
        if size < 8:
            break
        out.append((off, kind.decode("latin1"), size))
        off += size
    return out


def check_segment_file(nvr, row):
    """Checks one complete segment against the index with independent tools:
    the file's size and SHA-256, its box layout against the fragment table,
    that ffmpeg decodes it without one error, and ffprobe's duration."""
    import hashlib
    p = nvr.path(row["path"])
    name = row["path"]
    if not check(os.path.exists(p), "%s: file missing" % name):
        return
    data = open(p, "rb").read()
    check(len(data) == row["bytes"], "%s: size %d != index %d" % (name, len(data), row["bytes"]))
    if row["state"] == 0:
        check(row["sha256"] is not None and hashlib.sha256(data).digest() == row["sha256"],
              "%s: sha256 differs from the index" % name)
    boxes = top_level_boxes(p)
    kinds = [b[1] for b in boxes]
    check(kinds[:2] == ["ftyp", "moov"], "%s: starts with %s" % (name, kinds[:2]))
    init = sum(b[2] for b in boxes[:2])
    check(init == row["init_bytes"], "%s: init %d != index %d" % (name, init, row["init_bytes"]))
    frags = fragments(row)
    off = row["init_bytes"]
    for i, (nbytes, _dur) in enumerate(frags):
        at = [b for b in boxes if b[0] == off]
        check(at and at[0][1] == "moof", "%s: fragment %d at %d is not a moof" % (name, i, off))
        off += nbytes
    check(off == len(data), "%s: fragments end at %d, file at %d" % (name, off, len(data)))
    check(kinds.count("moof") == len(frags), "%s: %d moof boxes, %d fragments indexed" %
          (name, kinds.count("moof"), len(frags)))
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", p, "-f", "null", "-"], capture_output=True, text=True)
    check(r.returncode == 0 and r.stderr.strip() == "", "%s: ffmpeg decode errors: %s" % (name, r.stderr[:500]))
    dur = probe_duration(p)
    media = row["media_us"] / 1e6
    check(abs(dur - media) <= 0.1, "%s: ffprobe duration %.3f != index media %.3f" % (name, dur, media))


def probe(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("ffprobe failed on %s: %s" % (path, r.stderr))
    return json.loads(r.stdout)


def probe_duration(path):
    """Duration of the video track from its packets (first pts to last pts + duration)."""
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "packet=pts_time,duration_time", "-of", "csv=p=0", path],
                       capture_output=True, text=True)
    pts = []
    last_dur = 0.0
    for line in r.stdout.split():
        parts = line.split(",")
        try:
            pts.append(float(parts[0]))
            last_dur = float(parts[1]) if len(parts) > 1 and parts[1] not in ("", "N/A") else last_dur
        except ValueError:
            continue
    if not pts:
        return 0.0
    return max(pts) - min(pts) + last_dur


def parse_time(s):
    """RFC 3339 with microseconds and Z -> seconds since the epoch."""
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z$", s)
    import calendar
    secs = calendar.timegm(tuple(int(x) for x in m.groups()[:6]))
    frac = m.group(7) or "0"
    return secs + int(frac) / 10 ** len(frac)
