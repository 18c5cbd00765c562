# SPDX-License-Identifier: Apache-2.0
"""The NDAA compliance audit end to end: `nvr audit --probe` against fake
ONVIF devices (tests/onvif/fake_onvif.py, WS-Security and HTTP digest) and
the real test camera presenting vendor-like RTSP/SDP details, producing
each verdict with its evidence; hostile SOAP/XML replies (2 MiB, 100000
levels deep, billion laughs, malformed, hostile strings) rejected without a
crash; the stored report without --probe; a changed data file re-judging
stored observations; CSV; data-file errors as FILE:LINE; `nvr discover`
against the fake device's WS-Discovery responder; GET/POST /api/v1/audit.
"""
import csv
import io
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

from harness import Camera, Nvr, check, finish, free_port, wait_until, _children

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "onvif", "fake_onvif.py")
VENDORS = os.path.join(HERE, "..", "..", "data", "ndaa-vendors.ini")
PW = "onvif-s3cret"


class Fake:
    def __init__(self, profile, auth="wsse", user="admin", password=PW, log=None, extra=()):
        args = [sys.executable, FAKE, "--profile", profile, "--auth", auth, "--user", user, "--password", password]
        args += list(extra)
        if log:
            args += ["--log", log]
        self.log = log
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        _children.append(self.proc)
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "ready":
            raise SystemExit("fake ONVIF device did not start")
        self.http, self.udp = int(line[1]), int(line[2])

    def onvif(self, cred=""):
        return "http://%s127.0.0.1:%d/onvif/device_service" % (cred, self.http)

    def requests(self):
        with open(self.log) as f:
            return [l.split(" ", 1) for l in f.read().splitlines()]


def run(*args, timeout=120):
    return subprocess.run([os.environ.get("NVR_BIN", "nvr")] + list(args), capture_output=True, text=True,
                          timeout=timeout)


def by_id(doc):
    return {c["id"]: c for c in doc["cameras"]}


def ev(cam, signal):
    return [e for e in cam["evidence"] if e["signal"] == signal]


def covered_signals(cam):
    return {e["signal"] for e in cam["evidence"] if e["covered"]}


tmp = os.environ.get("NVR_TEST_TMP", "/tmp")
logs = {}
fakes = {}
for name, profile, auth in [("hik", "hikvision", "wsse"), ("wl", "whitelabel", "digest"), ("axis", "axis", "wsse"),
                            ("dahua", "dahua", "wsse"), ("mute", "mute", "wsse"), ("badpw", "hikvision", "wsse"),
                            ("huge", "huge", "wsse"), ("deep", "deep", "wsse"), ("laughs", "laughs", "wsse"),
                            ("malformed", "malformed", "wsse"), ("strings", "strings", "wsse"),
                            ("silent", "silent", "wsse"), ("skew", "axis", "digest")]:
    logs[name] = os.path.join(tmp, "audit-fake-%s-%d.log" % (name, os.getpid()))
    fakes[name] = Fake(profile, auth=auth, log=logs[name],
                       extra=["--clock-offset", "-3600"] if name == "skew" else [])

hik_cam = Camera("h264.mp4", user="admin", password=PW, auth="digest", no_audio=True)
hik_cam.args += ["--server-header", "HIKVISION RTSP Server", "--sdp-name", "HIKVISION Media Presentation"]
plain_cam = Camera("h264.mp4", user="admin", password=PW, auth="digest", no_audio=True)
closed = free_port()  # nothing listens there: RTSP fails fast
with hik_cam, plain_cam:
    def cam(url_cam, fake, cred=""):
        url = url_cam.url("admin", PW) if url_cam else "rtsp://admin:%s@127.0.0.1:%d/cam" % (PW, closed)
        return {"url": url, "onvif": fakes[fake].onvif(cred)}
    cams = [("hik", cam(hik_cam, "hik")), ("wl", cam(plain_cam, "wl")), ("axis", cam(plain_cam, "axis")),
            ("dahua", cam(None, "dahua")), ("mute", cam(None, "mute")),
            ("badpw", cam(None, "badpw", "admin:wrong@")),
            ("huge", cam(None, "huge")), ("deep", cam(None, "deep")), ("laughs", cam(None, "laughs")),
            ("malformed", cam(None, "malformed")), ("strings", cam(None, "strings")),
            ("silent", cam(None, "silent")), ("skew", cam(None, "skew")),
            ("elsewhere", {"url": "rtsp://127.0.0.1:%d/cam" % closed,
                           "onvif": "http://127.0.0.2:%d/onvif/device_service" % fakes["hik"].http})]
    nvr = Nvr("audit", cams)

    # --- before any probe: everything unknown, nothing contacted
    r = run("audit", "-c", nvr.config, "--json")
    check(r.returncode == 0, "audit without probe: exit %d %s" % (r.returncode, r.stderr))
    doc = json.loads(r.stdout)
    check(all(c["verdict"] == "unknown" and c["probed_at"] is None for c in doc["cameras"]),
          "unprobed cameras must be unknown")
    check(all(os.path.getsize(l) == 0 if os.path.exists(l) else True for l in logs.values()),
          "audit without --probe contacted a device")

    # --- probe
    t0 = time.monotonic()
    r = run("audit", "-c", nvr.config, "--probe", "--json", "--timeout", "1.5")
    probe_s = time.monotonic() - t0
    check(r.returncode == 0, "audit --probe: exit %d %s" % (r.returncode, r.stderr))
    print("audit --probe of %d cameras: %.2f s" % (len(cams), probe_s))
    doc = json.loads(r.stdout)
    c = by_id(doc)
    for k, v in c.items():
        print("%-10s %-28s %s" % (k, v["verdict"], v["reason"]))

    hik = c["hik"]
    check(hik["verdict"] == "covered", "hik: %s" % hik["verdict"])
    check(hik["label"] == "HIKVISION" and "Hikvision" in (hik["maker"] or ""), "hik maker/label %r %r" % (hik["maker"], hik["label"]))
    check({"onvif_manufacturer", "mac_oui", "rtsp_server", "isapi", "onvif_model"} <= covered_signals(hik),
          "hik covered evidence: %s" % covered_signals(hik))
    check(any(e["value"] == "HIKVISION Media Presentation" for e in ev(hik, "sdp_session")), "hik: SDP session name")
    check(all(e["source"] for e in hik["evidence"] if e["matched"]), "hik: matched evidence without a source")
    check(ev(hik, "onvif_main_uri") and ev(hik, "onvif_main_uri")[0]["value"].endswith("/Channels/101"), "hik: main URI")
    check(ev(hik, "onvif_sub_uri") and ev(hik, "onvif_sub_uri")[0]["value"].endswith("/Channels/102"), "hik: sub URI")
    off = ev(hik, "onvif_clock_offset_ms")
    check(off and abs(int(off[0]["value"])) < 1500, "hik: clock offset %r" % off)

    wl = c["wl"]
    check(wl["verdict"] == "likely_covered_white_label", "wl: %s" % wl["verdict"])
    check(wl["label"] == "Acme Vision", "wl label %r" % wl["label"])
    check({"mac_oui", "isapi"} <= covered_signals(wl) and "onvif_manufacturer" not in covered_signals(wl),
          "wl covered evidence: %s" % covered_signals(wl))
    check(any("GStreamer" in e["value"] for e in ev(wl, "rtsp_server")), "wl: plain RTSP server header read over digest")

    ax = c["axis"]
    check(ax["verdict"] == "other", "axis: %s" % ax["verdict"])
    check(ax["maker"] and "Axis" in ax["maker"], "axis maker %r" % ax["maker"])
    check(not covered_signals(ax), "axis: covered evidence %s" % covered_signals(ax))
    check(ev(ax, "mac_oui") and ev(ax, "mac_oui")[0]["company"] == "axis", "axis: OUI not matched to Axis")

    da = c["dahua"]
    check(da["verdict"] == "covered" and "Dahua" in (da["maker"] or ""), "dahua: %s %s" % (da["verdict"], da["maker"]))
    check("magicbox" in covered_signals(da), "dahua: magicbox evidence")

    check(c["mute"]["verdict"] == "unknown", "mute: %s" % c["mute"]["verdict"])
    check(ev(c["mute"], "onvif_error") and ev(c["mute"], "rtsp_error"), "mute: errors listed as evidence")

    bad = c["badpw"]
    check(any("authentication" in e["value"] for e in ev(bad, "onvif_error")),
          "badpw: onvif_error should say the credentials were refused: %s" % ev(bad, "onvif_error"))
    check(bad["label"] is None, "badpw: label read despite a wrong password")

    for name in ("huge", "deep", "laughs", "malformed"):
        h = c[name]
        check(h["verdict"] == "unknown", "%s: verdict %s" % (name, h["verdict"]))
        check(h["label"] is None, "%s: hostile reply yielded a label %r" % (name, h["label"]))
        check(ev(h, "onvif_error"), "%s: no onvif_error" % name)
    s = c["strings"]
    check(s["label"] is not None and len(s["label"]) <= 255, "strings: label length")
    check(all(0x20 <= ord(ch) < 0x7f for e in s["evidence"] for ch in e["value"]), "strings: unclean characters kept")

    si = c["silent"]
    check(si["verdict"] == "unknown" and any("timed out" in e["value"] for e in ev(si, "onvif_error")),
          "silent: %s %s" % (si["verdict"], ev(si, "onvif_error")))
    # a device that never answers costs its timeouts, no more: GetSystemDateAndTime and
    # GetDeviceInformation (then ONVIF gives up), GET / (then HTTP gives up) -> 3 x 1.5 s; the
    # others answer at once, with the exposure reads (GetNTP/GetDNS, an unauthenticated
    # GetDeviceInformation, the vendor settings) about 9 s in the ASan build under load
    check(probe_s < 12, "probe took %.1f s; the silent device should cost about 4.5 s" % probe_s)

    sk = c["skew"]
    off = ev(sk, "onvif_clock_offset_ms")
    check(off and abs(int(off[0]["value"]) + 3600000) < 1500, "skew: clock offset %r, want about -3600000" % off)
    check(sk["verdict"] == "other" and sk["label"] == "AXIS", "skew: ONVIF over HTTP digest %s %r" % (sk["verdict"], sk["label"]))

    el = c["elsewhere"]
    check(any("own host" in e["value"] for e in ev(el, "onvif_error")), "elsewhere: onvif on another host not refused")

    # read-only, and only the configured host: every request a GET or a SOAP POST to /onvif/
    for name, f in fakes.items():
        for method, path in f.requests():
            check(method == "GET" or (method == "POST" and path.startswith("/onvif/")),
                  "%s: %s %s is not a read" % (name, method, path))
    check(["POST", "/onvif/Media"] in fakes["hik"].requests(), "hik: the Media XAddr's path was not used on our host")

    # --- the stored report (no probe) gives the same verdicts
    r = run("audit", "-c", nvr.config, "--json")
    stored = by_id(json.loads(r.stdout))
    check({k: v["verdict"] for k, v in stored.items()} == {k: v["verdict"] for k, v in c.items()},
          "stored report differs from the probe's")
    with open(os.path.join(nvr.data_dir, "audit.json")) as f:
        check(json.load(f)["version"] == 1, "audit.json version")

    # --- an updated data file re-judges stored observations (no probe, no recompiling)
    with open(VENDORS) as f:
        text = f.read()
    text = text.replace("[company hikvision]\nname   = Hikvision (Hangzhou Hikvision Digital Technology Co., Ltd.)\n"
                        "status = covered", "[company hikvision]\nname   = Hikvision\nstatus = other")
    check("status = other" in text, "test: data file edit")
    alt = os.path.join(nvr.dir, "vendors.ini")
    with open(alt, "w") as f:
        f.write(text)
    r = run("audit", "-c", nvr.config, "--json", "--vendors", alt)
    rejudged = by_id(json.loads(r.stdout))
    check(rejudged["wl"]["verdict"] == "other" and rejudged["hik"]["verdict"] == "other",
          "with Hikvision not covered, hik and wl should be other: %s %s" % (rejudged["hik"]["verdict"],
                                                                            rejudged["wl"]["verdict"]))
    check(rejudged["dahua"]["verdict"] == "covered", "dahua re-judged wrongly")

    # --- CSV
    r = run("audit", "-c", nvr.config, "--csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    check(len(rows) == len(cams), "csv rows %d" % len(rows))
    check({row["camera"]: row["verdict"] for row in rows}["wl"] == "likely_covered_white_label", "csv verdict")
    check(all(not row["label"].startswith(("=", "+", "-", "@")) for row in rows), "csv: formula not defused")

    # --- data file errors: FILE:LINE
    bad_vendors = os.path.join(nvr.dir, "bad.ini")
    with open(bad_vendors, "w") as f:
        f.write("[company x]\nname = X\nstatus = maybe\nsource = s\n[brand Y]\ncompany = nope\nsource = s\ncolour = red\n")
    r = run("audit", "-c", nvr.config, "--vendors", bad_vendors)
    check(r.returncode == 1, "bad data file: exit %d" % r.returncode)
    for want in ("bad.ini:3: status", "bad.ini:8: unknown key colour", "bad.ini:5: [brand Y]: no [company nope]"):
        check(want in r.stderr, "bad data file: %r not in %r" % (want, r.stderr))

    # --- nvr discover (unicast probe to the fake device's WS-Discovery port)
    r = run("discover", "--target", "127.0.0.1:%d" % fakes["hik"].udp, "--timeout", "1", "--json")
    check(r.returncode == 0, "discover: exit %d %s" % (r.returncode, r.stderr))
    devs = json.loads(r.stdout)["devices"] if r.returncode == 0 else []
    check(len(devs) == 1, "discover: %d devices (a stray answer must be ignored)" % len(devs))
    if devs:
        check(devs[0]["xaddrs"] == [fakes["hik"].onvif()], "discover xaddrs %r" % devs[0]["xaddrs"])
        check(devs[0]["name"] == "HIKVISION" and devs[0]["hardware"] == "DS-2CD2143G2-I", "discover scopes %r" % devs[0])
    r = run("discover", "--target", "127.0.0.1:%d" % free_port(), "--timeout", "0.5")
    check(r.returncode == 0 and "0 devices" in r.stdout, "discover with nobody answering: %r" % r.stdout)

    # --- HTTP: GET the stored report, POST a new probe (202), 409 while running
    nvr.start()

    def api(method, path):
        req = urllib.request.Request(nvr.base_url + path, method=method)
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())
        except (urllib.error.URLError, ConnectionError):
            return 0, None
    st, d = wait_until(lambda: (lambda x: x if x[0] == 200 else None)(api("GET", "/api/v1/audit")), 15) or (0, None)
    check(st == 200 and d and not d["running"], "GET /api/v1/audit: %s" % st)
    if d:
        check({x["id"]: x["verdict"] for x in d["cameras"]}["wl"] == "likely_covered_white_label", "API verdicts")
    before = os.path.getmtime(os.path.join(nvr.data_dir, "audit.json"))
    st, d = api("POST", "/api/v1/audit")
    check(st == 202, "POST /api/v1/audit: %s" % st)
    st2, d2 = api("POST", "/api/v1/audit")
    # the silent device keeps the probe busy for seconds (default 4 s timeouts)
    check(st2 == 409 and d2 and isinstance(d2.get("error"), str), "second POST while probing: %s %r" % (st2, d2))
    st3, d3 = api("GET", "/api/v1/audit")
    check(st3 == 200 and d3["running"] is True, "GET while probing: running %r" % (d3 or {}).get("running"))
    done = wait_until(lambda: (lambda x: x[1] if x[0] == 200 and not x[1]["running"] and x[1]["probe_finished"] else None)(
        api("GET", "/api/v1/audit")), 60)
    check(bool(done), "the background probe did not finish")
    if done:
        check({x["id"]: x["verdict"] for x in done["cameras"]} == {k: v["verdict"] for k, v in c.items()},
              "API probe verdicts differ from the CLI's")
        check(os.path.getmtime(os.path.join(nvr.data_dir, "audit.json")) > before, "audit.json not rewritten")
        # the same report as CSV (the audit page's download): what `nvr audit --csv` prints
        with urllib.request.urlopen(nvr.base_url + "/api/v1/audit?format=csv", timeout=15) as resp:
            csv_api = resp.read().decode()
            ctype, disp = resp.headers.get("Content-Type"), resp.headers.get("Content-Disposition")
        cli = run("audit", "-c", nvr.config, "--csv")
        # (run() reads text: its universal newlines turn the CSV's CRLF into LF)
        check(cli.returncode == 0 and csv_api.replace("\r\n", "\n") == cli.stdout and ctype.startswith("text/csv")
              and re.search(r'filename="ndaa-audit-\d{4}-\d\d-\d\d\.csv"', disp or ""),
              "GET /api/v1/audit?format=csv (%s, %s) is nvr audit --csv: %s" % (ctype, disp, [
                  (a, b) for a, b in zip(csv_api.split("\r\n"), cli.stdout.split("\n")) if a != b][:2]))
        check(csv_api.startswith("camera,name,verdict,") and csv_api.count("\r\n") == len(cams) + 1,
              "the CSV has a header and one row per camera")
    st, d = api("GET", "/api/v1/audit?format=xml")
    check(st == 400 and "format" in d.get("error", ""), "format=xml: %s %r" % (st, d))

    # a camera added over the API is in the report (unknown until probed), then probed like the others
    def post(path, body, timeout=15):
        """POSTs JSON; (status, decoded answer or None)."""
        req = urllib.request.Request(nvr.base_url + path, method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def post_camera(body):
        return post("/api/v1/cameras", body)[0]
    st = post_camera({"id": "hik2", "name": "Added in the UI", "url": hik_cam.url("admin", PW),
                      "onvif": fakes["hik"].onvif()})
    check(st == 201, "POST /api/v1/cameras hik2: %s" % st)
    listed = wait_until(lambda: (lambda x: by_id(x[1]).get("hik2") if x[0] == 200 else None)(api("GET", "/api/v1/audit")), 15)
    check(listed and listed["verdict"] == "unknown" and listed["name"] == "Added in the UI",
          "an API camera in the report before a probe: %r" % listed)
    st, _ = api("POST", "/api/v1/audit")
    done = wait_until(lambda: (lambda x: x[1] if x[0] == 200 and not x[1]["running"] else None)(api("GET", "/api/v1/audit")), 60)
    check(done and by_id(done).get("hik2", {}).get("verdict") == "covered",
          "the API camera probed: %r" % (by_id(done).get("hik2") if done else None))

    # --- HTTP discovery (the camera page's "Find cameras"): the same answer as `nvr discover`
    def discover(body):
        return post("/api/v1/discover", body)
    st, d = discover({"target": "127.0.0.1:%d" % fakes["hik"].udp, "timeout": 1})
    devs = d.get("devices", []) if st == 200 else []
    check(st == 200 and len(devs) == 1 and devs[0]["xaddrs"] == [fakes["hik"].onvif()] and devs[0]["name"] == "HIKVISION",
          "POST /api/v1/discover: %s %r" % (st, d))
    for bad in ({"target": "cam.example:3702"}, {"target": "127.0.0.1"}, {"timeout": 60}, {"timeout": "3"}):
        st, d = discover(bad)
        check(st == 400 and isinstance(d.get("error"), str), "discover %r: %s %r" % (bad, st, d))

    # --- HTTP ONVIF read (the camera page's "Read from camera"): device facts and stream URIs
    def onvif(body):
        return post("/api/v1/onvif", body, timeout=30)
    st, d = onvif({"address": "127.0.0.1:%d" % fakes["hik"].http, "user": "admin", "password": PW})
    check(st == 200 and d.get("ok") and d["manufacturer"] == "HIKVISION" and d["model"] == "DS-2CD2143G2-I"
          and d["mac"] == "44:47:cc:12:34:56" and (d["main_uri"] or "").startswith("rtsp://127.0.0.1:554/")
          and isinstance(d["clock_offset_ms"], int) and PW not in json.dumps(d), "POST /api/v1/onvif: %s %r" % (st, d))
    st, d = onvif({"address": fakes["hik"].onvif(), "user": "admin", "password": "wrong"})
    check(st == 200 and d.get("ok") is False and d.get("failure") == "unauthorized", "ONVIF with a wrong password: %r" % d)
    st, d = onvif({"address": "127.0.0.1:%d" % closed})
    check(st == 200 and d.get("ok") is False and d.get("failure") == "unreachable", "ONVIF at a closed port: %r" % d)
    for bad in ({}, {"address": "http://admin:pw@127.0.0.1/onvif"}, {"address": "ftp://x/"}, {"address": "a b"},
                {"address": "127.0.0.1", "user": 5}):
        st, d = onvif(bad)
        check(st == 400 and isinstance(d.get("error"), str), "ONVIF %r: %s %r" % (bad, st, d))
    check(nvr.stop() == 0, "nvr run did not stop cleanly")
    check("AddressSanitizer" not in nvr.log_text() and "runtime error" not in nvr.log_text(), "sanitizer report")

    # --- a camera that answers nothing at the next probe keeps its identification, with a note
    r = run("audit", "-c", nvr.config, "--json")
    before_dahua = by_id(json.loads(r.stdout))["dahua"] if r.returncode == 0 else {}
    fakes["dahua"].proc.terminate()
    fakes["dahua"].proc.wait(5)
    r = run("audit", "-c", nvr.config, "--probe", "--camera", "dahua", "--json", "--timeout", "1.5")
    after_dahua = by_id(json.loads(r.stdout))["dahua"] if r.returncode in (0, 1) and r.stdout else {}
    note = ev(after_dahua, "last_probe") if after_dahua else []
    check(before_dahua.get("verdict") == "covered" and after_dahua.get("verdict") == "covered"
          and after_dahua.get("probed_at") == before_dahua.get("probed_at")
          and note and "nothing identified (onvif_error" in note[0]["value"],
          "a failed probe keeps the identification: %r -> %r" % (before_dahua.get("verdict"), after_dahua))

for f in fakes.values():
    f.proc.terminate()
finish("test_audit")
