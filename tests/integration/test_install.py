# SPDX-License-Identifier: Apache-2.0
"""packaging/install.sh, staged (--root): what `make install` puts on a Debian
box, without touching this machine's / (no apt-get, no build, no systemctl).

Checks the layout (binary, web UI with hls.js, the audit's vendor file, the
configuration at mode 0640, data_dir at 0750, the systemd unit pointing at
the installed binary); that a second run keeps an edited configuration; that
the installed binary reads the vendor file installed beside it (a broken
copy there is what it reports, not the source tree's); that the installed
configuration passes `nvr check`; and that bad options are refused."""
import filecmp
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import check, finish  # noqa: E402

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.dirname(os.environ["NVR_BIN"])
SCRIPT = os.path.join(SRC, "packaging", "install.sh")


def install(root, *extra):
    return subprocess.run([SCRIPT, "--root", root, "--no-deps", "--no-build", "--build-dir", BUILD] + list(extra),
                          capture_output=True, text=True, timeout=120)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


root = tempfile.mkdtemp(prefix="nvr-install-", dir=os.environ.get("NVR_TEST_TMP"))
try:
    r = install(root)
    check(r.returncode == 0, "install.sh --root: exit %d\n%s%s" % (r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
    prefix = os.path.join(root, "usr", "local")
    nvr = os.path.join(prefix, "bin", "nvr")
    share = os.path.join(prefix, "share", "nvr")
    conf = os.path.join(root, "etc", "nvr", "nvr.conf")
    unit = os.path.join(root, "etc", "systemd", "system", "nvr.service")
    check(os.access(nvr, os.X_OK), "the binary is installed: %s" % nvr)
    vendors = os.path.join(share, "ndaa-vendors.ini")
    check(os.path.exists(vendors) and filecmp.cmp(vendors, os.path.join(SRC, "data", "ndaa-vendors.ini"), shallow=False),
          "the audit's vendor file is installed")
    for f in ("index.html", "playback.html", "audit.html", "js/common.js", "css/app.css", "vendor/hls.mjs"):
        check(os.path.isfile(os.path.join(share, "web", f)), "the web UI has %s" % f)
    check(os.path.isfile(conf) and filecmp.cmp(conf, os.path.join(SRC, "packaging", "nvr.example.ini"), shallow=False),
          "the configuration is the example")
    check(os.path.isfile(conf) and mode(conf) == 0o640, "the configuration is mode 0640 (it holds camera passwords)")
    data = os.path.join(root, "var", "lib", "nvr")
    check(os.path.isdir(data) and mode(data) == 0o750, "data_dir /var/lib/nvr is made, mode 0750")
    text = open(unit).read() if os.path.exists(unit) else ""
    check("ExecStart=/usr/local/bin/nvr run -c /etc/nvr/nvr.conf" in text
          and "ExecStartPre=/usr/local/bin/nvr check -c /etc/nvr/nvr.conf" in text,
          "the unit runs the installed binary with the installed configuration")
    check("systemctl enable --now nvr" in r.stdout and "nvr user add" in r.stdout, "it prints the next steps")

    # the installed configuration is valid as shipped
    c = subprocess.run([nvr, "check", "-c", conf], capture_output=True, text=True, timeout=30)
    check(c.returncode == 0, "nvr check on the installed configuration: %d %s" % (c.returncode, c.stderr))

    # a second run (an upgrade) keeps the edited configuration
    with open(conf, "a") as f:
        f.write("\n; edited by the administrator\n")
    edited = open(conf).read()
    r = install(root)
    check(r.returncode == 0 and open(conf).read() == edited and "kept the configuration" in r.stdout,
          "a second run keeps the configuration (exit %d)" % r.returncode)

    # the installed binary reads the vendor file installed beside it
    work = os.path.join(root, "work")
    os.makedirs(work)
    cfg = os.path.join(work, "nvr.conf")
    with open(cfg, "w") as f:
        f.write("[server]\ndata_dir = %s\n\n[camera lobby]\nurl = rtsp://127.0.0.1:9/cam\n" % os.path.join(work, "data"))
    a = subprocess.run([nvr, "audit", "-c", cfg], capture_output=True, text=True, timeout=30)
    check(a.returncode == 0 and "lobby: unknown" in a.stdout, "nvr audit from the install: %d %s" % (a.returncode, a.stderr))
    shutil.copy(vendors, vendors + ".good")
    with open(vendors, "w") as f:
        f.write("[[[\n")
    a = subprocess.run([nvr, "audit", "-c", cfg], capture_output=True, text=True, timeout=30)
    check(a.returncode != 0 and os.path.join(prefix, "bin", "..", "share", "nvr", "ndaa-vendors.ini") + ":1:" in a.stderr,
          "the installed binary reads its own vendor file: %d %s" % (a.returncode, a.stderr))
    shutil.move(vendors + ".good", vendors)

    # refused options
    for bad in (["--prefix", "usr/local"], ["--frobnicate"]):
        b = install(root, *bad)
        check(b.returncode == 2, "install.sh %s: exit %d (want 2)" % (" ".join(bad), b.returncode))
    b = install(root, "--prefix", "/opt/nvr")
    check(b.returncode == 1 and "configured for prefix" in b.stderr,
          "a build tree configured for another prefix is refused: %d %s" % (b.returncode, b.stderr))
finally:
    shutil.rmtree(root, ignore_errors=True)
finish("test_install")
