# SPDX-License-Identifier: Apache-2.0
"""Backup and restore (issue 16 item 5, docs/guide/disaster-recovery.md).

A camera is recorded; a user, an API token, a hold and a signed export are
made; `nvr backup` runs while recording goes on (with a passphrase, and once
without: one warning line); more is recorded; nvr stops and the index, the
state and the signing key are wiped, the footage kept.  `nvr restore` refuses
while nvr runs, refuses a tar with one changed byte, a wrong passphrase and
a missing one -- each changing nothing -- then restores.  Afterwards:
`nvr check --storage` is clean, the user signs in with the password and the
token, the hold is there, the footage recorded after the backup is indexed
and plays (ffprobe on the HLS playback URL), the old export verifies against
the fingerprint from before and the server's key has that fingerprint."""
import hashlib
import json
import re
import os
import shutil
import stat
import subprocess
import tarfile
import time
import urllib.error
import urllib.request

from harness import Camera, Nvr, NVR, check, finish, wait_until

USER, USER_PW = "carol", "carol-password-1"
PASS = "correct horse battery staple"


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int(round((t % 1) * 1e6) % 1000000)


def http(nvr, path, method="GET", body=None, token=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(nvr.base_url + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw[:1] in (b"{", b"[") else raw
    except urllib.error.HTTPError as e:
        return e.code, None
    except (urllib.error.URLError, OSError):
        return 0, None  # not listening (yet)


def cli(*args):
    return subprocess.run([NVR] + list(args), capture_output=True, text=True, timeout=180)


def state_of(data_dir):
    """What a refused restore must not change: every name and its hash outside recordings/."""
    out = {}
    for name in sorted(os.listdir(data_dir)):
        p = os.path.join(data_dir, name)
        if os.path.isfile(p):
            with open(p, "rb") as f:
                out[name] = hashlib.sha256(f.read()).hexdigest()
        else:
            out[name] = "dir"
    return out


def complete(nvr, camera):
    return [r for r in nvr.db_rows(camera) if r["state"] == 0]


with Camera("h264.mp4", no_audio=True) as cam:
    nvr = Nvr("backup", [("door", {"url": cam.url(), "segment_seconds": 2})])
    passfile = os.path.join(nvr.dir, "passphrase")
    wrongfile = os.path.join(nvr.dir, "wrong")
    with open(passfile, "w") as f:
        f.write(PASS + "\n")
    with open(wrongfile, "w") as f:
        f.write("not the passphrase\n")
    nvr.start()
    check(nvr.wait_segments("door", 2, 40), "recording: no segments")
    nvr.add_user(USER, "investigator", USER_PW, ["door"])
    user_token = nvr.make_token(USER)
    first = complete(nvr, "door")[0]
    r = cli("hold", "add", "-c", nvr.config, "--camera", "door", "--from", iso(first["start_us"] / 1e6),
            "--to", iso(first["end_us"] / 1e6), "--reason", "backup test hold", "--json")
    check(r.returncode == 0, "hold add: %s" % r.stderr)
    hold_id = json.loads(r.stdout)["id"] if r.returncode == 0 else None
    export = os.path.join(nvr.dir, "evidence.zip")
    r = cli("export", "-c", nvr.config, "--camera", "door", "--from", iso(first["start_us"] / 1e6),
            "--to", iso(first["end_us"] / 1e6), "-o", export, "--reason", "before the backup")
    check(r.returncode == 0, "export: %s %s" % (r.stdout, r.stderr))
    st, key = http(nvr, "/api/v1/signing-key")
    fpr = key["fingerprint"] if st == 200 else None
    check(fpr and fpr.startswith("sha256:"), "signing key fingerprint: %s %s" % (st, key))

    # ---- backups while recording ----
    backup = os.path.join(nvr.dir, "nightly.tar")
    plain = os.path.join(nvr.dir, "plain.tar")
    t0 = time.time()
    r = cli("backup", "-c", nvr.config, backup, "--passphrase-file", passfile)
    check(r.returncode == 0, "backup: %s %s" % (r.stdout, r.stderr))
    print("backup took %.2f s while recording: %s" % (time.time() - t0, r.stdout.strip()))
    check("warning" not in r.stderr, "a sealed backup warns: %r" % r.stderr)
    check(not [n for n in os.listdir(nvr.dir) if ".tmp." in n], "backup left a temporary file")
    check(stat.S_IMODE(os.stat(backup).st_mode) == 0o600, "backup mode %o" % stat.S_IMODE(os.stat(backup).st_mode))
    with tarfile.open(backup) as t:
        names = t.getnames()
        man = json.load(t.extractfile("manifest.json"))
        key_member = t.extractfile("signing-key.pem.sealed").read()
    check(names[0] == "manifest.json" and "index.db" in names and "nvr.conf" in names and
          "signing-key.pem.sealed" in names and "signing-key.pem" not in names and
          not [n for n in names if n.endswith(".mp4")], "tar members: %s" % names)
    check(b"PRIVATE KEY" not in key_member, "the sealed key is readable")
    check(man["version"] == 1 and man["signing_key"]["fingerprint"] == fpr and man["data_dir"] == nvr.data_dir and
          man["host"] and man["created_at"] and all(len(m["sha256"]) == 64 for m in man["members"]),
          "manifest: %s" % man)
    r = cli("backup", "-c", nvr.config, plain)
    lines = [x for x in r.stderr.splitlines() if "warning" in x]
    check(r.returncode == 0 and len(lines) == 1 and "unencrypted" in lines[0], "plain backup: %r" % r.stderr)
    t_backup = time.time()

    # ---- restore refuses while nvr runs ----
    before = state_of(nvr.data_dir)
    r = cli("restore", "-c", nvr.config, backup, "--passphrase-file", passfile, "--force")
    check(r.returncode == 1 and "in use" in r.stderr and "nothing was changed" in r.stderr,
          "restore while running: %d %r" % (r.returncode, r.stderr))

    # ---- a few seconds more, then stop ----
    check(wait_until(lambda: len([x for x in complete(nvr, "door") if x["start_us"] / 1e6 > t_backup + 0.1]) >= 2,
                     40), "no footage recorded after the backup")
    check(nvr.stop() == 0, "nvr did not stop cleanly")
    after = [x for x in complete(nvr, "door") if x["start_us"] / 1e6 > t_backup]
    all_before_wipe = {x["path"] for x in complete(nvr, "door")}

# ---- the machine is lost: index, state and key gone, footage kept ----
for name in os.listdir(nvr.data_dir):
    if name.startswith("index.") or name in ("signing-key.pem", "audit.json"):
        os.unlink(os.path.join(nvr.data_dir, name))
os.unlink(nvr.config)  # and the configuration: restore writes it from the backup

# one changed byte in the index member: refused, nothing changed
bad = os.path.join(nvr.dir, "bad.tar")
shutil.copy(backup, bad)
with tarfile.open(bad) as t:
    off = t.getmember("index.db").offset_data + 3000
with open(bad, "r+b") as f:
    f.seek(off)
    b = f.read(1)
    f.seek(off)
    f.write(bytes([b[0] ^ 0x01]))
before = state_of(nvr.data_dir)
r = cli("restore", "-c", nvr.config, bad, "--passphrase-file", passfile)
check(r.returncode == 1 and "index.db does not match its SHA-256" in r.stderr and "nothing was changed" in r.stderr,
      "changed byte: %d %r" % (r.returncode, r.stderr))
check(state_of(nvr.data_dir) == before and not os.path.exists(nvr.config), "a refused restore changed data_dir")
print("one changed byte: %s" % r.stderr.strip())

r = cli("restore", "-c", nvr.config, backup, "--passphrase-file", wrongfile)
check(r.returncode == 1 and "wrong passphrase" in r.stderr, "wrong passphrase: %d %r" % (r.returncode, r.stderr))
r = cli("restore", "-c", nvr.config, backup)
check(r.returncode == 1 and "--passphrase-file" in r.stderr, "no passphrase: %d %r" % (r.returncode, r.stderr))
check(state_of(nvr.data_dir) == before and not os.path.exists(nvr.config), "a refused restore changed data_dir")

# ---- restore ----
r = cli("restore", "-c", nvr.config, backup, "--passphrase-file", passfile)
print(r.stdout)
check(r.returncode == 0, "restore: %d %s %s" % (r.returncode, r.stdout, r.stderr))
check(os.path.exists(nvr.config), "the configuration was not restored")
check(stat.S_IMODE(os.stat(nvr.path("signing-key.pem")).st_mode) == 0o600, "restored key mode")
r = cli("restore", "-c", nvr.config, backup, "--passphrase-file", passfile)
check(r.returncode == 1 and "--force" in r.stderr, "a second restore without --force: %r" % r.stderr)
check(os.path.exists(nvr.config + ".restored") is False, "FILE.restored written by a refused restore")

r = cli("check", "-c", nvr.config, "--storage")
check(r.returncode == 0 and "storage: 0 problems" in r.stdout, "check --storage: %s %s" % (r.stdout, r.stderr))
indexed = {x["path"] for x in complete(nvr, "door")}
check(all(x["path"] in indexed for x in after), "footage after the backup not indexed: %s" %
      sorted(x["path"] for x in after if x["path"] not in indexed))
check(all_before_wipe <= indexed, "segments lost from the index: %s" % sorted(all_before_wipe - indexed))

# ---- the restored server ----
nvr.start()  # the admin's token came back with the index
check(wait_until(lambda: http(nvr, "/api/v1/health")[0] != 0, 20), "nvr did not come back")
st, doc = http(nvr, "/api/v1/session", "POST", {"user": USER, "password": USER_PW})
check(st == 200, "the user cannot sign in with the password: %s" % st)
st, doc = http(nvr, "/api/v1/cameras", token=user_token)
check(st == 200, "the user's API token: %s" % st)
st, doc = http(nvr, "/api/v1/holds")
check(st == 200 and any(h["id"] == hold_id and h["reason"] == "backup test hold" for h in doc["holds"]),
      "the hold: %s %s" % (st, doc))
st, key = http(nvr, "/api/v1/signing-key")
check(st == 200 and key["fingerprint"] == fpr, "fingerprint after restore: %s, before %s" % (key, fpr))
r = cli("verify", export, "--fingerprint", fpr)
check(r.returncode == 0, "the old export does not verify: %s %s" % (r.stdout, r.stderr))
r = cli("verify", export, "-c", nvr.config)
check(r.returncode == 0, "the old export against the restored server's key: %s %s" % (r.stdout, r.stderr))
url = "%s/api/v1/cameras/door/playback.m3u8?start=%s&end=%s" % (
    nvr.base_url, iso(after[0]["start_us"] / 1e6), iso(after[-1]["end_us"] / 1e6))
r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
                    "stream=nb_read_frames", "-of", "csv=p=0"] + nvr.ffmpeg_auth() + [url],
                   capture_output=True, text=True, timeout=120)
nums = re.findall(r"\d+", r.stdout)
frames = int(nums[0]) if nums else 0
want = sum(x["frames"] for x in after)
check(r.returncode == 0 and frames == want, "footage after the backup: ffprobe read %d frames, the index has %d (%r %s)"
      % (frames, want, r.stdout[:100], r.stderr[:300]))
print("after the backup: %d segments, %d frames play" % (len(after), frames))
check(nvr.stop() == 0, "nvr did not stop cleanly after the restore")

finish("test_backup")
