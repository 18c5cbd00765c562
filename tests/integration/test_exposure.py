# SPDX-License-Identifier: Apache-2.0
"""Issue 22: what covered cameras expose, and how to contain them.

Exposure checks of `nvr audit --probe` against fake devices
(tests/onvif/fake_onvif.py): a white-label Hikvision front ("Acme Vision",
Hikvision OUI and ISAPI underneath) with Hik-Connect/EZVIZ on and a firmware
build inside CVE-2021-36260's range; a Dahua front with P2P (T2UServer) on;
a Hikvision camera with current firmware signing in as "admin"; a camera
with public NTP/DNS servers that answers ONVIF without credentials; and a
clean Axis camera with no exposure.  Each exposure carries its kind,
detail, evidence and source in the JSON, the CSV and the API report; the
probe only reads (GET, or a SOAP POST to /onvif/).
"""
import csv
import io
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

from harness import Nvr, check, finish, free_port, wait_until, _children

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "onvif", "fake_onvif.py")
PW = "onvif-s3cret"
tmp = os.environ.get("NVR_TEST_TMP", "/tmp")


class Fake:
    def __init__(self, name, profile, extra=()):
        self.log = os.path.join(tmp, "exposure-%s-%d.log" % (name, os.getpid()))
        args = [sys.executable, FAKE, "--profile", profile, "--user", "admin", "--password", PW, "--log", self.log]
        self.proc = subprocess.Popen(args + list(extra), stdout=subprocess.PIPE, text=True)
        _children.append(self.proc)
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "ready":
            raise SystemExit("fake device did not start")
        self.http = int(line[1])

    def requests(self):
        with open(self.log) as f:
            return [l.split(" ", 1) for l in f.read().splitlines()]


def run(*args):
    return subprocess.run([os.environ.get("NVR_BIN", "nvr")] + list(args), capture_output=True, text=True, timeout=120)


def kinds(cam):
    return sorted(x["kind"] for x in cam["exposure"])


fakes = {
    "wl": Fake("wl", "whitelabel"),                     # EZVIZ on, firmware V5.5.0 build 190708
    "dahua": Fake("dahua", "dahua"),                    # P2P on
    "hik": Fake("hik", "hikvision"),                    # V5.7.3 build 220112: fixed; signs in as admin
    "leaky": Fake("leaky", "axis", ["--ntp", "203.0.113.7,pool.ntp.org,10.1.1.1", "--dns", "8.8.8.8", "--open"]),
    "clean": Fake("clean", "axis"),
}
closed = free_port()
cams = [(k, {"url": "rtsp://admin:%s@127.0.0.1:%d/cam" % (PW, closed),
             "onvif": "http://127.0.0.1:%d/onvif/device_service" % f.http}) for k, f in fakes.items()]
nvr = Nvr("exposure", cams)

r = run("audit", "-c", nvr.config, "--probe", "--json", "--timeout", "2")
check(r.returncode == 0, "audit --probe: exit %d %s" % (r.returncode, r.stderr))
doc = json.loads(r.stdout)
c = {x["id"]: x for x in doc["cameras"]}
for k, v in c.items():
    print("%-6s %-28s %s" % (k, v["verdict"], kinds(v)))
    for x in v["exposure"]:
        print("       %s: %s\n         evidence: %s\n         source: %s" % (x["kind"], x["detail"], x["evidence"],
                                                                           x["source"]))

check(all(set(x) == {"kind", "detail", "evidence", "source"} and all(x.values())
          for v in c.values() for x in v["exposure"]), "every exposure has kind, detail, evidence and source")

wl = c["wl"]
check(wl["verdict"] == "likely_covered_white_label", "wl verdict %s" % wl["verdict"])
cloud = [x for x in wl["exposure"] if x["kind"] == "cloud_p2p"]
check(cloud and "EZVIZ" in cloud[0]["detail"] and "enabled=true" in cloud[0]["evidence"]
      and "/ISAPI/System/Network/EZVIZ" in cloud[0]["source"], "wl: EZVIZ exposure %r" % cloud)
vuln = [x for x in wl["exposure"] if x["kind"] == "vulnerable_firmware"]
check(len(vuln) == 1 and "CVE-2021-36260" in vuln[0]["detail"] and "190708" in vuln[0]["detail"]
      and "approximate" in vuln[0]["detail"] and "HSRC-202109-01" in vuln[0]["source"]
      and "https://www.hikvision.com/" in vuln[0]["source"] and "2021-09-18" in vuln[0]["source"],
      "wl: CVE-2021-36260 with its advisory and date %r" % vuln)
check("default_account" in kinds(wl), "wl: admin on a Hikvision firmware is a default account")

da = c["dahua"]
check(da["verdict"] == "covered", "dahua verdict %s" % da["verdict"])
p2p = [x for x in da["exposure"] if x["kind"] == "cloud_p2p"]
check(p2p and "T2UServer" in p2p[0]["detail"] and "Enable=true" in p2p[0]["evidence"]
      and "name=T2UServer" in p2p[0]["source"], "dahua: P2P exposure %r" % p2p)
acct = [x for x in da["exposure"] if x["kind"] == "default_account"]
check(acct and "admin" in acct[0]["evidence"] and "group=" not in acct[0]["evidence"]
      and "administrator rights" in acct[0]["detail"], "dahua: default admin account with its group %r" % acct)
check("upnp" not in kinds(da), "dahua: UPnP is off")

hik = c["hik"]
check(kinds(hik) == ["default_account"], "hik (fixed firmware): only the default account %s" % kinds(hik))
check("Administrator" in hik["exposure"][0]["evidence"] if hik["exposure"] else False,
      "hik: the device's userLevel is the evidence")

lk = c["leaky"]
check(lk["verdict"] == "other" and kinds(lk) == ["external_servers", "external_servers", "unauthenticated_service"],
      "leaky: %s %s" % (lk["verdict"], kinds(lk)))
ntp = [x for x in lk["exposure"] if x["kind"] == "external_servers" and x["detail"].startswith("NTP")]
check(ntp and "203.0.113.7 (a public address)" in ntp[0]["detail"] and "pool.ntp.org" in ntp[0]["detail"]
      and "10.1.1.1" not in ntp[0]["detail"], "leaky: public NTP servers only %r" % ntp)

check(c["clean"]["verdict"] == "other" and c["clean"]["exposure"] == [], "clean camera: %r" % c["clean"]["exposure"])
check(doc["summary"]["exposed"] == 4, "summary exposed %r" % doc["summary"])

# read-only: GETs and SOAP POSTs to /onvif/ only, never a password guess
for name, f in fakes.items():
    for method, path in f.requests():
        check(method == "GET" or (method == "POST" and path.startswith("/onvif/")), "%s: %s %s" % (name, method, path))
check(["GET", "/ISAPI/System/Network/EZVIZ"] in fakes["wl"].requests(), "wl: EZVIZ endpoint read")
check(["GET", "/cgi-bin/configManager.cgi?action=getConfig&name=T2UServer"] in fakes["dahua"].requests(),
      "dahua: T2UServer read")
check(not any("ISAPI" in p or "cgi-bin" in p for _, p in fakes["clean"].requests() if p not in (
    "/ISAPI/System/deviceInfo", "/cgi-bin/magicBox.cgi?action=getSystemInfo")),
    "a camera that is neither Hikvision nor Dahua gets no vendor exposure request")

# CSV: one exposure cell per camera
r = run("audit", "-c", nvr.config, "--csv")
rows = {row["camera"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
check("cloud_p2p: " in rows["wl"]["exposure"] and "CVE-2021-36260" in rows["wl"]["exposure"]
      and rows["clean"]["exposure"] == "", "csv exposure cells %r" % {k: v["exposure"][:60] for k, v in rows.items()})

# text
r = run("audit", "-c", nvr.config)
check("EXPOSURE cloud_p2p" in r.stdout and "EXPOSURE vulnerable_firmware" in r.stdout, "text report lists exposures")

# the API report (GET /api/v1/audit) has the same exposures
nvr.start()


def api(path):
    try:
        with urllib.request.urlopen(nvr.base_url + path, timeout=15) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (urllib.error.URLError, ConnectionError):
        return 0, b""


got = wait_until(lambda: (lambda x: json.loads(x[1]) if x[0] == 200 else None)(api("/api/v1/audit")), 15)
check(got and {x["id"]: kinds(x) for x in got["cameras"]} == {k: kinds(v) for k, v in c.items()},
      "API exposures equal the CLI's")
check(nvr.stop() == 0, "nvr run stopped")

for f in fakes.values():
    f.proc.terminate()
finish("test_exposure")
