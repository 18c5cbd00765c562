# SPDX-License-Identifier: Apache-2.0
"""`nvr verify EXPORT.zip` with a pinned signer (issue 13 row 7): an export whose footage was
altered and re-signed with a fresh key verifies when only the key inside the zip is trusted
(the old behaviour, now with a loud "SIGNER NOT PINNED" warning), and fails (exit 1, a
clear FAILED: signer line) with --fingerprint HEX, --key FILE or -c FILE (the recorder's
own key); the genuine export passes all three."""
import hashlib
import json
import os
import subprocess
import time
import zipfile

from harness import NVR, Camera, Nvr, check, finish, iso


def verify(*args):
    return subprocess.run([NVR, "verify"] + list(args), capture_output=True, text=True, timeout=120)


def openssl(*args, **kw):
    return subprocess.run(["openssl"] + list(args), capture_output=True, check=True, **kw)


with Camera("h264.mp4", no_audio=True) as cam:
    nvr = Nvr("verify-pin", [("lobby", {"url": cam.url(), "segment_seconds": 2})])
    nvr.start()
    check(nvr.wait_segments("lobby", 2, 40), "recording")
    check(nvr.stop() == 0, "clean stop")

rows = [r for r in nvr.db_rows("lobby") if r["state"] == 0]
t0, t1 = rows[0]["start_us"] / 1e6, rows[-1]["end_us"] / 1e6
genuine = os.path.join(nvr.dir, "genuine.zip")
r = nvr.run_cli("export", "-c", nvr.config, "--camera", "lobby", "--from", iso(t0), "--to", iso(t1), "-o", genuine,
                "-q", "--reason", "pin test")
check(r.returncode == 0, "nvr export: %s %s" % (r.stdout, r.stderr))

# the recorder's key as `nvr version --key` prints it, and its fingerprint
r = nvr.run_cli("version", "--key", "-c", nvr.config)
keyfile = os.path.join(nvr.dir, "recorder-key.txt")
open(keyfile, "w").write(r.stdout)
fpr = [l.split()[-1] for l in r.stdout.split("\n") if l.startswith("signing key:")][0]

# forged: one byte of the footage flipped, the manifest's hash fixed, re-signed with a fresh key
work = os.path.join(nvr.dir, "forge")
os.makedirs(work)
with zipfile.ZipFile(genuine) as z:
    data = {n: z.read(n) for n in z.namelist()}
man = json.loads(data["manifest.json"])
victim = [f for f in man["files"] if f["name"].endswith(".mp4")][0]
b = bytearray(data[victim["name"]])
b[len(b) // 2] ^= 0x01
data[victim["name"]] = bytes(b)
victim["sha256"] = hashlib.sha256(b).hexdigest()
key = os.path.join(work, "fresh.pem")
openssl("genpkey", "-algorithm", "ed25519", "-out", key)
pub_pem = openssl("pkey", "-in", key, "-pubout").stdout
raw = openssl("pkey", "-in", key, "-pubout", "-outform", "DER").stdout[-32:]
man["signing_key"]["fingerprint"] = "sha256:" + hashlib.sha256(raw).hexdigest()
mbytes = json.dumps(man, indent=2).encode()
open(os.path.join(work, "manifest.json"), "wb").write(mbytes)
sig = openssl("pkeyutl", "-sign", "-inkey", key, "-rawin", "-in", os.path.join(work, "manifest.json")).stdout
data.update({"manifest.json": mbytes, "manifest.json.sig": sig, "public-key.pem": pub_pem})
forged = os.path.join(nvr.dir, "forged.zip")
with zipfile.ZipFile(forged, "w", zipfile.ZIP_STORED) as z:
    for n, d in data.items():
        z.writestr(n, d)

# unpinned: the forgery verifies (as before), but the report says loudly that nobody pinned the signer
r = verify(forged)
print("unpinned forged: exit %d" % r.returncode)
check(r.returncode == 0 and "SIGNER NOT PINNED" in r.stdout and "not pinned" in r.stderr,
      "unpinned verify of the forgery passes but warns: %d %s %s" % (r.returncode, r.stdout[-400:], r.stderr))
# pinned three ways: the forgery fails
for how in (["--fingerprint", fpr], ["--fingerprint", fpr[7:].upper()], ["--key", keyfile],
            ["--key", os.path.join(nvr.data_dir, "signing-key.pem")], ["-c", nvr.config]):
    r = verify(forged, *how)
    print("pinned %s forged: exit %d" % (how[0], r.returncode))
    check(r.returncode == 1 and "FAILED: signer" in r.stdout and fpr in r.stdout and "VERIFICATION FAILED" in r.stdout,
          "pinned (%s) verify of the forgery fails: %d %s %s" % (how[0], r.returncode, r.stdout[-400:], r.stderr))
    r = verify(genuine, *how)
    check(r.returncode == 0 and "signer is the pinned key" in r.stdout and "NOT PINNED" not in r.stdout,
          "pinned (%s) verify of the genuine export passes: %d %s %s" % (how[0], r.returncode, r.stdout[-300:], r.stderr))
r = verify(genuine)
check(r.returncode == 0 and "SIGNER NOT PINNED" in r.stdout, "unpinned genuine: passes, warns: %s" % r.stdout[-300:])
r = verify(genuine, "--fingerprint", "abc")
check(r.returncode == 2, "a malformed fingerprint is a usage error: %d %s" % (r.returncode, r.stderr))
r = verify(genuine, "--fingerprint", fpr, "-c", nvr.config)
check(r.returncode == 2, "two pins are a usage error: %d" % r.returncode)
finish("verify_pin")
