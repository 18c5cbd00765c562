# SPDX-License-Identifier: Apache-2.0
"""Issue 22: containment rules.  `nvr audit --firewall nft|iptables|table`
for the covered and exposed cameras of a config whose observations are
stored (data_dir/audit.json): the nft script loads with `nft -c -f` (check
mode), --allow adds hosts and refuses anything but address literals, and,
where network namespaces can be made (root), the rules applied on a router
namespace let the recorder's address reach the camera while another address
on the same network cannot, and stop the camera starting any connection.
"""
import json
import os
import shutil
import subprocess
import sys

from harness import Nvr, check, finish

NVR = os.environ.get("NVR_BIN", "nvr")


def run(*args, **kw):
    return subprocess.run([NVR] + list(args), capture_output=True, text=True, timeout=60, **kw)


def stored(nvr, cams):
    """Writes audit.json as a probe would have: signals per camera."""
    os.makedirs(nvr.data_dir, exist_ok=True)
    doc = {"version": 1, "cameras": {
        cid: {"probed_at": "2026-12-01T10:00:00.000000Z",
              "signals": [{"signal": k, "value": v} for k, v in sigs]} for cid, sigs in cams.items()}}
    with open(os.path.join(nvr.data_dir, "audit.json"), "w") as f:
        json.dump(doc, f)


HIK = [("onvif_manufacturer", "HIKVISION"), ("onvif_model", "DS-2CD2143G2-I")]
EZVIZ = [("onvif_manufacturer", "Acme Vision"), ("isapi", "DeviceInfo xmlns=http://www.hikvision.com/ver20/XMLSchema "
                                                 "model=AV-400 firmware=V5.5.0 build 190708"),
         ("isapi_ezviz", "enabled=true")]
AXIS = [("onvif_manufacturer", "AXIS")]
OPEN = [("onvif_manufacturer", "AXIS"), ("onvif_open", "GetDeviceInformation answered a request without credentials")]

# ---- rules from a config: which cameras, nft check mode, iptables, table
nvr = Nvr("contain", [("hik", {"url": "rtsp://admin:Kq7zsecret@192.0.2.10:554/Streaming/Channels/101"}),
                      ("wl", {"url": "rtsp://admin:Kq7zsecret@192.0.2.11/cam"}),
                      ("axis", {"url": "rtsp://root:Kq7zsecret@192.0.2.12/axis-media/media.amp"}),
                      ("open", {"url": "rtsp://root:Kq7zsecret@[2001:db8::20]/axis-media/media.amp"})])
stored(nvr, {"hik": HIK, "wl": EZVIZ, "axis": AXIS, "open": OPEN})

r = run("audit", "-c", nvr.config, "--firewall", "nft", "--recorder", "192.0.2.2", "--allow", "192.0.2.3,2001:db8::3")
check(r.returncode == 0, "--firewall nft: %d %s" % (r.returncode, r.stderr))
nft_text = r.stdout
print(nft_text)
check("192.0.2.10" in nft_text and "192.0.2.11" in nft_text and "2001:db8::20" in nft_text
      and "192.0.2.12" not in nft_text, "covered and exposed cameras are in, the clean one is not")
check("elements = { 192.0.2.2, 192.0.2.3 }" in nft_text and "elements = { 2001:db8::3 }" in nft_text,
      "recorder and --allow hosts are the allowed sets")
check("Kq7zsecret" not in nft_text and "admin:" not in nft_text, "no credentials in the rules")
nft = shutil.which("nft") or "/usr/sbin/nft"
if os.path.exists(nft):
    path = os.path.join(nvr.dir, "contain.nft")
    with open(path, "w") as f:
        f.write(nft_text)
    c = subprocess.run([nft, "-c", "-f", path], capture_output=True, text=True)
    check(c.returncode == 0, "nft -c -f: %s" % c.stderr)
    # the default recorder address (the one this host reaches the cameras from) loads too
    r2 = run("audit", "-c", nvr.config, "--firewall", "nft")
    with open(path, "w") as f:
        f.write(r2.stdout)
    c = subprocess.run([nft, "-c", "-f", path], capture_output=True, text=True)
    check(r2.returncode == 0 and c.returncode == 0, "nft -c -f without --recorder: %s %s" % (r2.stderr, c.stderr))
else:
    check(False, "nft not installed (Debian package nftables: packaging/install-deps.sh --test)")

r = run("audit", "-c", nvr.config, "--firewall", "iptables", "--recorder", "192.0.2.2")
check(r.returncode == 0 and "-A NVR-CONTAIN -s 192.0.2.2 -d 192.0.2.10 -j ACCEPT" in r.stdout
      and "-A NVR-CONTAIN -s 192.0.2.10 -j DROP" in r.stdout and r.stdout.count("COMMIT") == 2 and "ip6tables-restore --noflush ----\n*filter" in r.stdout,
      "iptables: %s" % r.stdout[-400:])
r = run("audit", "-c", nvr.config, "--firewall", "table", "--recorder", "192.0.2.2")
rows = [l.split("\t") for l in r.stdout.splitlines() if l and not l.startswith("#")]
check(rows and rows[0][0] == "camera" and {x[0] for x in rows[1:]} == {"hik", "wl", "open"},
      "table rows %r" % rows)
wl = [x for x in rows if x[0] == "wl"]
check(wl and wl[0][1] == "192.0.2.11" and "cloud_p2p" in wl[0][3] and wl[0][4] == "192.0.2.2", "table wl %r" % wl)

for bad in (["--allow", "192.0.2.0/24"], ["--allow", "host.example"], ["--allow", '1.2.3.4" ; flush ruleset']):
    r = run("audit", "-c", nvr.config, "--firewall", "nft", *bad)
    check(r.returncode == 2 and not r.stdout, "bad %r: %d" % (bad, r.returncode))
r = run("audit", "-c", nvr.config, "--firewall", "pf")
check(r.returncode == 2, "--firewall pf refused")

# ---- the recorder's own conduct: every outbound destination its configuration names
r = run("audit", "-c", nvr.config, "--self", "--json")
d = json.loads(r.stdout) if r.returncode == 0 else {}
dests = {(x["camera"], x["scheme"], x["host"], x["port"]) for x in d.get("destinations", [])}
check(("hik", "rtsp", "192.0.2.10", 554) in dests and ("open", "rtsp", "2001:db8::20", 554) in dests
      and ("hik", "http", "192.0.2.10", 80) in dests and len(dests) == 8 and "Kq7zsecret" not in r.stdout
      and "contacts nothing else" in d.get("notice", ""), "--self: %s %r" % (r.returncode, sorted(dests)))
r = run("audit", "-c", nvr.config, "--self", "--probe")
check(r.returncode == 2, "--self goes alone")

# ---- the signed report: audit + containment, dated, signed with the recorder's key; nvr verify checks it
import base64
report = os.path.join(nvr.dir, "ndaa-report.txt")
r = run("audit", "-c", nvr.config, "--signed-report", report, "--recorder", "192.0.2.2")
check(r.returncode == 0 and os.path.exists(report), "--signed-report: %d %s" % (r.returncode, r.stderr))
with open(report, "rb") as f:
    data = f.read()
text = data.decode()
check(text.startswith("NVR SIGNED REPORT v1\nTitle: NDAA section 889") and "\nDate: 20" in text
      and "EXPOSURE cloud_p2p" in text and "table inet nvr_containment" in text and "hik\t192.0.2.10" in text
      and "cannot prove" in text and '"exposure":[' in text, "the report's sections")
key = run("version", "--key", "-c", nvr.config).stdout
fpr = key.split("Ed25519 ")[1].split()[0] if "Ed25519 " in key else "?"
r = run("verify", report)
check(r.returncode == 0 and ("ok: report signature (Ed25519 key %s)" % fpr) in r.stdout and "not pinned" in r.stderr,
      "nvr verify REPORT: %d %s %s" % (r.returncode, r.stdout, r.stderr))
r = run("verify", report, "-c", nvr.config)
check(r.returncode == 0 and "pinned key" in r.stdout, "verify pinned to the recorder: %s %s" % (r.stdout, r.stderr))
r = run("verify", report, "--fingerprint", "sha256:" + "0" * 64)
check(r.returncode == 1 and "not by the pinned key" in r.stdout, "another pinned key fails: %s" % r.stdout)
# the body alone checks with openssl, as the header says
sig_at = data.rindex(b"\n-----BEGIN NVR SIGNATURE-----\n") + 1
block = data[sig_at:].decode()
body_path, sig_path, pem_path = (os.path.join(nvr.dir, n) for n in ("body", "sig", "key.pem"))
with open(body_path, "wb") as f:
    f.write(data[:sig_at])
with open(sig_path, "wb") as f:
    f.write(base64.b64decode(block.split("signature: ")[1].split("\n")[0]))
with open(pem_path, "w") as f:
    f.write(block[block.index("-----BEGIN PUBLIC KEY-----"):block.index("-----END NVR")])
if shutil.which("openssl"):
    o = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pem_path, "-rawin", "-in", body_path,
                        "-sigfile", sig_path], capture_output=True, text=True)
    check(o.returncode == 0, "openssl verifies the body: %s" % o.stderr)
check(("signed-bytes: %d\n" % sig_at) in block, "signed-bytes is the body's length")
# one changed byte anywhere fails: every byte of the signature block, and bytes spread over the body
# (each nvr verify costs a process start: a sample, the ends of every line of the block included)
line_ends = [sig_at + i for i, ch in enumerate(block) if ch == "\n"]
positions = sorted(set(list(range(sig_at, len(data), 7)) + line_ends + [e - 1 for e in line_ends]
                       + list(range(0, sig_at, max(1, sig_at // 30))) + [sig_at - 1]))
bad = os.path.join(nvr.dir, "changed.txt")
passed = []
for pos in positions:
    changed = bytearray(data)
    changed[pos] = changed[pos] ^ 0x01 if changed[pos] not in (0x0a,) else 0x20
    with open(bad, "wb") as f:
        f.write(changed)
    r = run("verify", bad)
    if r.returncode != 1:
        passed.append(pos)
check(not passed, "a report changed at byte(s) %s still verifies" % passed[:10])
with open(bad, "wb") as f:
    f.write(data + b"\n")
check(run("verify", bad).returncode == 1, "a byte appended fails")
with open(bad, "wb") as f:
    f.write(data[:-1])
check(run("verify", bad).returncode == 1, "a byte cut fails")
print("signed report: %d single-byte changes all refused" % len(positions))

# ---- the same rules over the API (the audit page's download), admin only
import urllib.error
import urllib.request
from harness import wait_until
nvr.start()


def get(path):
    try:
        with urllib.request.urlopen(nvr.base_url + path, timeout=15) as resp:
            return resp.status, resp.read().decode(), resp.headers.get("Content-Disposition") or ""
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), ""
    except (urllib.error.URLError, ConnectionError):
        return 0, "", ""


def strip_time(t):
    return "\n".join(l for l in t.splitlines() if "generated" not in l)


got = wait_until(lambda: (lambda x: x if x[0] == 200 else None)(
    get("/api/v1/audit/containment?format=nft&recorder=192.0.2.2&allow=192.0.2.3,2001:db8::3")), 20)
check(got and strip_time(got[1]) == strip_time(nft_text) and 'filename="nvr-containment-' in got[2],
      "GET /api/v1/audit/containment is nvr audit --firewall nft: %r" % (got[:1] if got else None,))
st, body, _ = get("/api/v1/audit/containment?format=table")
check(st == 200 and "hik\t192.0.2.10" in body,
      "format=table over the API: %s" % st)
for bad in ("format=pf", "allow=10.0.0.0/8", "allow=a%20b", "recorder=me"):
    st, body, _ = get("/api/v1/audit/containment?" + bad)
    check(st == 400, "%s: %s" % (bad, st))
check(nvr.stop() == 0, "nvr run stopped")

# ---- applied in network namespaces: lan (recorder 10.231.1.2, another host 10.231.1.3) -- gw -- cam (10.231.2.2)
def sh(*cmd, check_rc=True):
    p = subprocess.run(list(cmd), capture_output=True, text=True, timeout=30)
    if check_rc and p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), p.stderr))
    return p


tag = str(os.getpid() % 100000)
NS = {k: "nvrc%s-%s" % (k, tag) for k in ("lan", "gw", "cam")}
netns_ok = os.geteuid() == 0 and os.path.exists(nft) and \
    subprocess.run(["ip", "netns", "add", NS["gw"]], capture_output=True).returncode == 0
if not netns_ok:
    print("SKIP: network namespaces need root and nft; only nft -c was checked")
else:
    listeners = []
    try:
        sh("ip", "netns", "add", NS["lan"])
        sh("ip", "netns", "add", NS["cam"])
        sh("ip", "link", "add", "gl", "netns", NS["gw"], "type", "veth", "peer", "name", "lg", "netns", NS["lan"])
        sh("ip", "link", "add", "gc", "netns", NS["gw"], "type", "veth", "peer", "name", "cg", "netns", NS["cam"])

        def nx(ns, *cmd, check_rc=True):
            return sh("ip", "netns", "exec", NS[ns], *cmd, check_rc=check_rc)
        nx("gw", "ip", "addr", "add", "10.231.1.1/24", "dev", "gl")
        nx("gw", "ip", "addr", "add", "10.231.2.1/24", "dev", "gc")
        nx("lan", "ip", "addr", "add", "10.231.1.2/24", "dev", "lg")
        nx("lan", "ip", "addr", "add", "10.231.1.3/24", "dev", "lg")
        nx("cam", "ip", "addr", "add", "10.231.2.2/24", "dev", "cg")
        for ns, dev in (("gw", "gl"), ("gw", "gc"), ("lan", "lg"), ("cam", "cg")):
            nx(ns, "ip", "link", "set", dev, "up")
            nx(ns, "ip", "link", "set", "lo", "up")
        nx("lan", "ip", "route", "add", "default", "via", "10.231.1.1")
        nx("cam", "ip", "route", "add", "default", "via", "10.231.2.1")
        nx("gw", "sysctl", "-qw", "net.ipv4.ip_forward=1")

        LISTEN = ("import socket,sys\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                  "s.bind((sys.argv[1],int(sys.argv[2])));s.listen(16);print('up',flush=True)\n"
                  "while True:\n c,_=s.accept();c.close()\n")
        CONNECT = ("import socket,sys\ns=socket.socket();s.settimeout(1.5)\nif sys.argv[1]!='-':s.bind((sys.argv[1],0))\n"
                   "s.connect((sys.argv[2],int(sys.argv[3])));print('connected')\n")

        def listen(ns, addr, port):
            p = subprocess.Popen(["ip", "netns", "exec", NS[ns], sys.executable, "-c", LISTEN, addr, str(port)],
                                 stdout=subprocess.PIPE, text=True)
            listeners.append(p)
            p.stdout.readline()

        def reach(ns, src, dst, port):
            return nx(ns, sys.executable, "-c", CONNECT, src, dst, str(port), check_rc=False).returncode == 0
        listen("cam", "10.231.2.2", 8554)     # the camera's RTSP port
        listen("lan", "10.231.1.3", 9000)     # another host on the school network
        listen("lan", "10.231.1.2", 9001)     # the recorder itself

        check(reach("lan", "10.231.1.2", "10.231.2.2", 8554) and reach("lan", "10.231.1.3", "10.231.2.2", 8554)
              and reach("cam", "-", "10.231.1.3", 9000), "before the rules everything reaches everything")

        cn = Nvr("contain-ns", [("lobby", {"url": "rtsp://admin:Kq7zsecret@10.231.2.2:8554/cam"}),
                                ("hall", {"url": "rtsp://root:Kq7zsecret@10.231.2.9/cam"})])
        stored(cn, {"lobby": EZVIZ, "hall": AXIS})
        r = run("audit", "-c", cn.config, "--firewall", "nft", "--recorder", "10.231.1.2")
        check(r.returncode == 0 and "10.231.2.9" not in r.stdout, "rules for the namespace test: %s" % r.stderr)
        path = os.path.join(cn.dir, "contain.nft")
        with open(path, "w") as f:
            f.write(r.stdout)
        nx("gw", nft, "-f", path)
        nx("gw", nft, "-f", path)  # loading it again replaces the table (idempotent)
        listed = nx("gw", nft, "list", "table", "inet", "nvr_containment").stdout
        check("10.231.2.2" in listed, "the table is on the router")

        check(reach("lan", "10.231.1.2", "10.231.2.2", 8554), "the recorder reaches the camera")
        check(not reach("lan", "10.231.1.3", "10.231.2.2", 8554), "another address cannot reach the camera")
        check(not reach("cam", "-", "10.231.1.3", 9000), "the camera cannot connect out to another host")
        check(not reach("cam", "-", "10.231.1.2", 9001), "the camera cannot start a connection even to the recorder")

        # --allow a management host: it reaches the camera too
        r = run("audit", "-c", cn.config, "--firewall", "nft", "--recorder", "10.231.1.2", "--allow", "10.231.1.3")
        with open(path, "w") as f:
            f.write(r.stdout)
        nx("gw", nft, "-f", path)
        check(reach("lan", "10.231.1.3", "10.231.2.2", 8554), "an --allow host reaches the camera")
        check(not reach("cam", "-", "10.231.1.3", 9000), "... and the camera still cannot connect out")
    finally:
        for p in listeners:
            p.kill()
            p.wait()
        for ns in NS.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

finish("test_contain")
