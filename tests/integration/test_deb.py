# SPDX-License-Identifier: Apache-2.0
"""The Debian package (`make deb`: debian/, packaging/build-deb.sh).

Builds the .deb from this checkout into BUILD/deb-test (lintian errors fail
the build), or takes the one named by NVR_DEB; checks what it holds (the
binary, the web UI, the vendor file, /etc/nvr/nvr.conf as a conffile, the
hardened unit, the postinst's system user) and that neither the package's nor
the build tree's binary holds the build machine's paths; unpacks it into a
scratch root (dpkg -x) and runs `nvr version`, `nvr check` on the shipped
configuration pointed at a temporary data_dir, and `nvr audit` (which reads
the vendor file installed beside the binary)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import check, finish  # noqa: E402

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.dirname(os.environ["NVR_BIN"])
TMP = os.environ.get("NVR_TEST_TMP")


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def version():
    text = open(os.path.join(SRC, "CMakeLists.txt")).read()
    return re.search(r"project\(nvr VERSION ([0-9.]+)", text).group(1)


deb = os.environ.get("NVR_DEB")
if not deb:
    out = os.path.join(BUILD, "deb-test")
    r = run([os.path.join(SRC, "packaging", "build-deb.sh"), "--out", out], timeout=1500)
    check(r.returncode == 0, "build-deb.sh: exit %d\n%s%s" % (r.returncode, r.stdout[-3000:], r.stderr[-3000:]))
    arch = run(["dpkg-architecture", "-q", "DEB_HOST_ARCH"]).stdout.strip()
    deb = os.path.join(out, "nvr_%s_%s.deb" % (version(), arch))
    check(os.path.isfile(os.path.join(out, "lintian.log")), "lintian ran")
if not check(os.path.isfile(deb), "the package exists: %s" % deb):
    finish("test_deb")

# what it holds
listing = run(["dpkg-deb", "-c", deb]).stdout
entries = {}
for line in listing.splitlines():
    f = line.split()
    entries[f[-1].lstrip(".")] = (f[0], f[1])
for path in ("/usr/bin/nvr", "/usr/share/nvr/ndaa-vendors.ini", "/usr/share/nvr/web/index.html",
             "/usr/share/nvr/web/vendor/hls.mjs", "/usr/share/nvr/web/js/common.js", "/etc/nvr/nvr.conf",
             "/lib/systemd/system/nvr.service", "/usr/share/doc/nvr/copyright", "/usr/share/man/man1/nvr.1.gz"):
    check(path in entries, "the package has %s" % path)
check(entries.get("/usr/bin/nvr", ("",))[0] == "-rwxr-xr-x", "nvr is executable: %s" % (entries.get("/usr/bin/nvr"),))
check(all(owner == "root/root" for _, owner in entries.values()), "every file is root's in the archive")

ctl = tempfile.mkdtemp(prefix="nvr-deb-ctl-", dir=TMP)
root = tempfile.mkdtemp(prefix="nvr-deb-root-", dir=TMP)
try:
    check(run(["dpkg-deb", "-e", deb, ctl]).returncode == 0, "dpkg-deb -e")
    conffiles = open(os.path.join(ctl, "conffiles")).read().split() if os.path.exists(os.path.join(ctl, "conffiles")) else []
    check(conffiles == ["/etc/nvr/nvr.conf"], "the configuration is a conffile: %s" % conffiles)
    postinst = open(os.path.join(ctl, "postinst")).read()
    check("adduser --system" in postinst and " nvr" in postinst, "postinst makes the system user nvr")
    check("install -d -o nvr -g nvr -m 0750 /var/lib/nvr" in postinst, "postinst makes /var/lib/nvr, the user's")
    check("chown root:nvr /etc/nvr/nvr.conf" in postinst and "chmod 0640 /etc/nvr/nvr.conf" in postinst,
          "postinst makes the configuration readable by the group nvr only")
    control = run(["dpkg-deb", "-f", deb, "Depends"]).stdout
    check("adduser" in control and "libavformat" in control, "Depends: adduser and the libraries: %s" % control)

    check(run(["dpkg-deb", "-x", deb, root]).returncode == 0, "dpkg -x into a scratch root")
    unit = open(os.path.join(root, "lib", "systemd", "system", "nvr.service")).read()
    for line in ("User=nvr", "ExecStart=/usr/bin/nvr run -c /etc/nvr/nvr.conf",
                 "ExecStartPre=/usr/bin/nvr check -c /etc/nvr/nvr.conf", "ProtectSystem=strict",
                 "NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectHome=yes", "ReadWritePaths=/var/lib/nvr",
                 "SystemCallFilter=@system-service"):
        check(re.search("^" + re.escape(line) + "$", unit, re.M), "the unit has %s" % line)
    check(re.search(r"^CapabilityBoundingSet=$", unit, re.M), "the unit has no capabilities")
    if shutil.which("systemd-analyze"):
        # every directive known to this systemd (the unit's binary: the unpacked one)
        units = os.path.join(ctl, "units")
        os.makedirs(units)
        with open(os.path.join(units, "nvr.service"), "w") as f:
            f.write(unit.replace("/usr/bin/nvr", os.path.join(root, "usr", "bin", "nvr")))
        v = run(["systemd-analyze", "verify", "--man=no", os.path.join(units, "nvr.service")], timeout=60)
        check(v.returncode == 0 and "nvr.service:" not in v.stderr, "systemd-analyze verify: %s" % v.stderr)

    nvr = os.path.join(root, "usr", "bin", "nvr")
    # no path of the build machine in what is shipped nor in the build tree's binary
    for binary, where in ((nvr, "the package's nvr"), (os.environ["NVR_BIN"], "the build tree's nvr")):
        data = open(binary, "rb").read()
        for p in {SRC, os.path.realpath(SRC), os.path.abspath(BUILD)}:
            check(p.encode() not in data, "%s holds no %s" % (where, p))

    v = run([nvr, "version"], timeout=30)
    check(v.returncode == 0 and v.stdout.strip() == "nvr " + version(), "nvr version: %d %r" % (v.returncode, v.stdout))

    # the shipped configuration, with data_dir and web_dir in the scratch root
    data = os.path.join(root, "var", "lib", "nvr")
    os.makedirs(data)
    conf = open(os.path.join(root, "etc", "nvr", "nvr.conf")).read()
    check(re.search(r"^data_dir = /var/lib/nvr$", conf, re.M), "the shipped data_dir is /var/lib/nvr")
    conf = re.sub(r"^data_dir = .*$", "data_dir = " + data, conf, flags=re.M)
    conf = re.sub(r"^\[server\]$", "[server]\nweb_dir = " + os.path.join(root, "usr", "share", "nvr", "web"), conf,
                  count=1, flags=re.M)
    cfg = os.path.join(root, "etc", "nvr", "nvr.test.conf")
    with open(cfg, "w") as f:
        f.write(conf)
    c = run([nvr, "check", "-c", cfg], timeout=60)
    check(c.returncode == 0, "nvr check on the shipped configuration: %d %s%s" % (c.returncode, c.stdout, c.stderr))
    a = run([nvr, "audit", "-c", cfg], timeout=60)
    check(a.returncode == 0 and "lobby: unknown" in a.stdout, "nvr audit from the package: %d %s" % (a.returncode, a.stderr))
    # a broken vendor file beside the binary is what it reports: it reads its own
    vendors = os.path.join(root, "usr", "share", "nvr", "ndaa-vendors.ini")
    with open(vendors, "w") as f:
        f.write("[[[\n")
    a = run([nvr, "audit", "-c", cfg], timeout=60)
    check(a.returncode != 0 and "share/nvr/ndaa-vendors.ini:1:" in a.stderr,
          "the unpacked binary reads the vendor file installed beside it: %d %s" % (a.returncode, a.stderr))
finally:
    shutil.rmtree(ctl, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
finish("test_deb")
