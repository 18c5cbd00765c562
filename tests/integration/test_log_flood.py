# SPDX-License-Identifier: Apache-2.0
"""Anonymous access-log flood (issue 13 row 4): blocked sign-ins are cheap 429s, and each
used to append an access-log entry.  Now identical anonymous events are written once and
then counted (one entry with the count and the first and last time when the window closes or
at shutdown), and each address has a hard cap of entries a minute (the rest counted in one
`log_suppressed` entry).  Checked: rows written by N blocked sign-ins for one name, and by
N blocked sign-ins with N different names; every event is accounted for (entries written at
once + the counts); the first failure is written at once; the hash chain verifies."""
import concurrent.futures
import http.client
import json
import os
import re
import sqlite3

from harness import Nvr, check, finish, http_up, wait_until

N = 3000


def login(port, user, password):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("POST", "/api/v1/session", body=json.dumps({"user": user, "password": password}),
                     headers={"Content-Type": "application/json", "Origin": "http://127.0.0.1:%d" % port})
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def rows(nvr):
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(nvr.data_dir, "index.db"), uri=True)
    try:
        return con.execute("SELECT id, user, address, action, detail FROM access_log "
                           "WHERE action IN ('login_failed', 'login_blocked', 'log_suppressed') ORDER BY id").fetchall()
    finally:
        con.close()


def accounted(rs, action):
    """Events of action the rows stand for: 1 per entry written at once, + the counts."""
    n = 0
    for _, _, _, act, detail in rs:
        m = re.search(r"(?:repeats|events)=(\d+)", detail)
        if act == "log_suppressed":
            if m and "last_action=%s" % action in detail:
                n += int(m.group(1))
        elif act == action:
            n += int(m.group(1)) if m else 1
    return n


nvr = Nvr("log-flood", [])
nvr.add_user("victim", "viewer", "victim-password-1")
nvr.start()
check(wait_until(lambda: http_up(nvr.base_url), 15), "server up")

# --- one name: 5 failures block it, then N blocked tries ---
fails = [login(nvr.port, "victim", "wrong-password") for _ in range(5)]
check(fails == [401] * 5, "five failures: %s" % fails)
first = rows(nvr)
check(any(r[3] == "login_failed" and r[1] == "victim" and "repeats" not in r[4] for r in first),
      "the first failure is written at once: %s" % first)
with concurrent.futures.ThreadPoolExecutor(8) as ex:
    codes = list(ex.map(lambda _: login(nvr.port, "victim", "wrong-password"), range(N)))
blocked = codes.count(429)
check(blocked >= N * 0.95, "blocked sign-ins answered 429: %d of %d" % (blocked, N))
check(any(r[3] == "login_blocked" for r in rows(nvr)), "the first blocked try is written at once")

# --- one address, many names: the per-address cap (the address is blocked after 20 failures) ---
names = ["user%04d" % i for i in range(N)]
with concurrent.futures.ThreadPoolExecutor(8) as ex:
    codes2 = list(ex.map(lambda n: login(nvr.port, n, "wrong-password"), names))
check(nvr.stop() == 0, "clean stop (flushes the counts)")

rs = rows(nvr)
one_name = [r for r in rs if r[1] == "victim"]
print("rows written for 5 failures + %d blocked sign-ins of one name: %d (one per sign-in before)" % (N, len(one_name)))
check(len(one_name) <= 6, "one name: at most a few rows: %d: %s" % (len(one_name), one_name[:6]))
check(accounted(one_name, "login_failed") == 5 and accounted(one_name, "login_blocked") == blocked,
      "every event of the one name is accounted for: failed %d of 5, blocked %d of %d"
      % (accounted(one_name, "login_failed"), accounted(one_name, "login_blocked"), blocked))
many = [r for r in rs if r[1] != "victim"]
print("rows written for %d sign-ins with %d different names from one address: %d (one per sign-in before)"
      % (N, N, len(many)))
check(len(many) <= 35, "many names from one address: capped: %d rows" % len(many))
total = accounted(many, "login_failed") + accounted(many, "login_blocked")
check(total == N, "every sign-in of the many names is accounted for: %d of %d" % (total, N))
check(any(r[3] == "log_suppressed" and r[2] == "127.0.0.1" for r in many), "a log_suppressed entry for the address")
r = nvr.run_cli("verify", "-c", nvr.config, "--log")
check(r.returncode == 0 and "intact" in r.stdout, "the chain verifies: %s" % r.stdout[-300:])
finish("log_flood")
