# SPDX-License-Identifier: Apache-2.0
"""Anchored access log (issue 13 row 6): `nvr run` writes signed checkpoints of the chain's
head (at start, periodically, at every export, at shutdown; each also in the server log).
With write access to the index, deleting one user's entries and recomputing the chain (the
formula is public) used to leave `nvr verify --log` saying "intact"; now the next checkpoint
no longer matches (its signature needs the recorder's key).  Cutting entries off the end,
the shutdown checkpoint with them, is reported too."""
import hashlib
import os
import shutil
import sqlite3
import struct
import subprocess

from harness import NVR, Nvr, check, finish, http_up, wait_until
import http.client
import json


def login(port, user, password):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.request("POST", "/api/v1/session", body=json.dumps({"user": user, "password": password}),
                 headers={"Content-Type": "application/json", "Origin": "http://127.0.0.1:%d" % port})
    st = conn.getresponse().status
    conn.close()
    return st


def entry_hash(prev, rid, t, texts):
    h = hashlib.sha256(prev + struct.pack("<qq", rid, t))
    for s in texts:
        b = s.encode()
        h.update(struct.pack("<I", len(b)) + b)
    return h.digest()


def rechain(db):
    """What a forger with write access does: renumber the ids and recompute every hash."""
    con = sqlite3.connect(db)
    rs = con.execute("SELECT id, time_us, user, address, action, camera, detail FROM access_log ORDER BY id").fetchall()
    con.execute("DELETE FROM access_log")
    prev = b"\0" * 32
    for i, (_, t, user, addr, action, cam, detail) in enumerate(rs, 1):
        h = entry_hash(prev, i, t, [user, addr, action, cam, detail])
        con.execute("INSERT INTO access_log(id, time_us, user, address, action, camera, detail, prev_hash, hash) "
                    "VALUES (?,?,?,?,?,?,?,?,?)", (i, t, user, addr, action, cam, detail, prev, h))
        prev = h
    con.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'access_log'", (len(rs),))
    con.commit()
    con.close()


def tampered(nvr, what, sql_text):
    d = os.path.join(nvr.dir, "tamper-" + what)
    shutil.copytree(nvr.data_dir, d)
    conf = os.path.join(nvr.dir, "tamper-%s.conf" % what)
    with open(nvr.config) as f, open(conf, "w") as g:
        g.write(f.read().replace(nvr.data_dir, d))
    con = sqlite3.connect(os.path.join(d, "index.db"))
    con.executescript(sql_text)
    con.commit()
    con.close()
    rechain(os.path.join(d, "index.db"))
    return subprocess.run([NVR, "verify", "-c", conf, "--log"], capture_output=True, text=True, timeout=60)


nvr = Nvr("log-anchor", [])
nvr.add_user("mallory", "viewer", "mallory-pass-1")
nvr.start()
check(wait_until(lambda: http_up(nvr.base_url), 15), "server up")
for _ in range(3):
    check(login(nvr.port, "mallory", "mallory-pass-1") == 200, "mallory signs in")
check(nvr.stop() == 0, "clean stop")
nvr.start()  # a second run: its start checkpoint anchors mallory's entries
check(wait_until(lambda: http_up(nvr.base_url), 15), "server up again")
check(login(nvr.port, "mallory", "mallory-pass-1") == 200, "mallory signs in again")
check(nvr.stop() == 0, "clean stop")
check("access log checkpoint" in nvr.log_text(), "checkpoints are written to the server log too")

db = os.path.join(nvr.data_dir, "index.db")
con = sqlite3.connect(db)
cps = con.execute("SELECT id, detail FROM access_log WHERE action = 'log_checkpoint' ORDER BY id").fetchall()
last = con.execute("SELECT action, detail FROM access_log ORDER BY id DESC LIMIT 1").fetchone()
con.close()
check(len(cps) >= 4 and all("sig=" in d for _, d in cps), "start and shutdown checkpoints of both runs: %s" % cps)
check(last and last[0] == "log_checkpoint" and "reason=shutdown" in last[1], "the log ends with the shutdown one")

r = nvr.run_cli("verify", "-c", nvr.config, "--log")
check(r.returncode == 0 and "intact" in r.stdout and "checkpoints verified" in r.stdout and "WARNING" not in r.stdout,
      "an untouched log verifies with its checkpoints: %s" % r.stdout[-400:])

# deleting one user's entries and recomputing the chain
r = tampered(nvr, "rewrite", "DELETE FROM access_log WHERE user = 'mallory';")
print("rewrite before a checkpoint: exit %d" % r.returncode)
check(r.returncode == 1 and "ALTERED" in r.stdout and "checkpoint" in r.stdout,
      "a rewrite before a checkpoint is detected: %d %s" % (r.returncode, r.stdout[-600:]))
# ... and the checkpoints removed as well
r = tampered(nvr, "rewrite-all", "DELETE FROM access_log WHERE user = 'mallory' OR action = 'log_checkpoint';")
check(r.returncode == 1 and "no signed checkpoint" in r.stdout,
      "a log stripped of its checkpoints is reported: %d %s" % (r.returncode, r.stdout[-400:]))
# a forged checkpoint (the signature changed)
r = tampered(nvr, "forged", "UPDATE access_log SET detail = substr(detail, 1, length(detail) - 4) || 'abcd' "
                            "WHERE id = (SELECT MIN(id) FROM access_log WHERE action = 'log_checkpoint');")
check(r.returncode == 1 and "signature does not match" in r.stdout, "a forged checkpoint: %s" % r.stdout[-400:])
# the newest entries cut off, the shutdown checkpoint with them
r = tampered(nvr, "cut", "DELETE FROM access_log WHERE id >= (SELECT MAX(id) - 1 FROM access_log);")
print("end cut off: exit %d, warned %s" % (r.returncode, "cut off" in r.stdout))
check("does not end with a shutdown checkpoint" in r.stdout and "cut off" in r.stdout,
      "a cut-off end is reported: %s" % r.stdout[-400:])
finish("log_anchor")
