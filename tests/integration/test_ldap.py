# SPDX-License-Identifier: Apache-2.0
"""Directory sign-in with LDAP (issue 17 item 3) against a real OpenLDAP
`slapd` on loopback (tests/integration/slapd.py): the login route asks the
directory for a name that is no local account, and the account it makes
carries the role and grants of the person's directory groups.

Proves: a directory user signs in with the mapped role and grants and sees
only the granted cameras; a wrong, empty or NUL password is refused; a
person in no mapped group is refused; a group change in the directory
changes the role at the next sign-in (access-logged); directory failures
are throttled like local ones; the name of a local account is never taken
over (its directory password does not open it, nor does the same name in
other case: logged, access-logged login_failed); names with filter
characters are escaped (`ali*` does not find alice; slapd's log shows the
escaped filter); an admin cannot set a directory account's password (API,
CLI); slapd stopped: 503 while the local admin still signs in; a directory
that accepts connections and never answers: 503 after the timeout, at most
one such sign-in at a time with 2 HTTP threads (the next 503 at once) and
the local admin signs in meanwhile; failover to the second URL;
bind_password_file; the group search (group_base/group_filter instead of
memberOf); LDAPS and StartTLS with the test CA work, with another CA they
fail (503); an unreadable ca_file: the recorder starts, directory sign-in
503; a user_filter matching several entries signs nobody in."""
import http.client
import json
import os
import socket
import sqlite3
import subprocess
import threading
import time

from harness import NVR, Nvr, check, finish, free_port, http_up, wait_until
from slapd import SUFFIX, Slapd, ldap_section

USERS = {"alice": "alice-pass-1", "bob": "bob-pass-1", "carol": "carol-pass-1", "dave": "dave-ldap-pass",
         "eve": "eve-pass-1"}
GROUPS = {"nvr-viewers": ["alice", "eve", "dave"], "south-staff": ["bob"], "nvr-investigators": ["bob"],
          "nvr-admins": [], "teachers": ["carol"]}
DAVE_LOCAL_PW = "dave-local-pass"
CAMERAS = [("cam1", {"url": "rtsp://127.0.0.1:9/a", "group": "north"}),
           ("cam2", {"url": "rtsp://127.0.0.1:9/b", "group": "south"}),
           ("cam3", {"url": "rtsp://127.0.0.1:9/c"})]


def call(nvr, method, path, body=None, cookie=None, token=None, src="127.0.0.1"):
    """(status, JSON or None, headers) of one request from address src."""
    conn = http.client.HTTPConnection("127.0.0.1", nvr.port, timeout=30, source_address=(src, 0))
    headers = {"Content-Type": "application/json"}
    if cookie:
        headers["Cookie"] = cookie
    if token:
        headers["Authorization"] = "Bearer " + token
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        r = conn.getresponse()
        data = r.read()
        try:
            doc = json.loads(data)
        except ValueError:
            doc = None
        return r.status, doc, r
    finally:
        conn.close()


def sign_in(nvr, user, password, src="127.0.0.1"):
    """(status, document, cookie)."""
    st, doc, r = call(nvr, "POST", "/api/v1/session", {"user": user, "password": password}, src=src)
    cookie = (r.getheader("Set-Cookie") or "").split(";")[0]
    return st, doc, cookie


def cameras_seen(nvr, cookie):
    st, doc, _ = call(nvr, "GET", "/api/v1/cameras", cookie=cookie)
    return sorted(c["id"] for c in doc["cameras"]) if st == 200 else st


def user_row(nvr, name):
    db = sqlite3.connect(os.path.join(nvr.data_dir, "index.db"))
    try:
        return db.execute("SELECT role, pwhash, source FROM users WHERE name = ?", (name,)).fetchone()
    finally:
        db.close()


def api_user(nvr, name):
    st, doc, _ = call(nvr, "GET", "/api/v1/users", token=nvr.token)
    found = [u for u in doc["users"] if u["name"] == name] if st == 200 else []
    return found[0] if found else None


def restart_with(nvr, base_text, section):
    nvr.stop()
    with open(nvr.config, "w") as f:
        f.write(base_text + section)
    nvr.start()
    check(wait_until(lambda: http_up(nvr.base_url), 20), "nvr up again")


slapd = Slapd().start()
slapd.load_school(USERS, GROUPS)

nvr = Nvr("ldap", CAMERAS)
with open(nvr.config) as f:
    base_text = f.read()
with open(nvr.config, "a") as f:
    f.write(ldap_section(slapd))
nvr.add_user("dave", "viewer", DAVE_LOCAL_PW, ["cam3"])
nvr.start()
check(wait_until(lambda: http_up(nvr.base_url), 20), "nvr up")

# --- a directory user: mapped role and grants, only the granted cameras ---
st, doc, alice = sign_in(nvr, "alice", USERS["alice"])
check(st == 200 and doc["user"]["role"] == "viewer" and doc["user"]["cameras"] == ["cam1"]
      and doc["user"]["source"] == "ldap", "alice signs in as a viewer granted cam1: %d %s" % (st, doc))
check(cameras_seen(nvr, alice) == ["cam1"], "alice sees only cam1: %s" % cameras_seen(nvr, alice))
row = user_row(nvr, "alice")
check(row is not None and row[1] == "!" and row[2] == "ldap", "alice's row: source ldap, pwhash '!': %r" % (row,))
st, doc, bob = sign_in(nvr, "bob", USERS["bob"])
check(st == 200 and doc["user"]["role"] == "investigator" and doc["user"]["cameras"] == ["group:south"],
      "bob (nvr-investigators, south-staff) is an investigator granted group:south: %d %s" % (st, doc))
check(cameras_seen(nvr, bob) == ["cam2"], "bob sees only cam2: %s" % cameras_seen(nvr, bob))
st, doc, _ = sign_in(nvr, "Alice", USERS["alice"])
check(st == 200 and doc["user"]["name"] == "alice", "the directory's spelling names the account: %s" % doc)
check(api_user(nvr, "alice")["source"] == "ldap" and api_user(nvr, "admin")["source"] == "local",
      "GET /api/v1/users shows each account's source")

# --- refused: wrong, empty, NUL password; no mapped group ---
st, doc, _ = sign_in(nvr, "alice", "wrong-password")
check(st == 401, "a wrong password: 401: %d %s" % (st, doc))
st, doc, _ = sign_in(nvr, "alice", "")
check(st == 400, "an empty password: 400 (never an anonymous bind): %d %s" % (st, doc))
st, doc, _ = sign_in(nvr, "alice", "\u0000")
check(st == 400, "a password holding NUL: 400 (the JSON reader refuses it): %d %s" % (st, doc))
st, doc, _ = sign_in(nvr, "carol", USERS["carol"])
check(st == 401, "carol, in no mapped group, is refused: %d %s" % (st, doc))
check(user_row(nvr, "carol") is None, "and no account is made for her")
check("in no group mapped to a role user=carol" in nvr.log_text(), "the refusal is logged")

# --- filter characters are escaped: no injection ---
for name in ("ali*", "*", "a)(uid=*", "alice)(|(uid=*"):
    st, doc, _ = sign_in(nvr, name, USERS["alice"], src="127.0.0.3")
    check(st == 401, "the name %r finds nobody: %d %s" % (name, st, doc))
slapd_log = open(slapd.log_path).read().lower()
check('filter="(uid=ali\\2a)"' in slapd_log and 'filter="(uid=a\\29\\28uid=\\2a)"' in slapd_log,
      "slapd saw the names escaped: (uid=ali\\2a), (uid=a\\29\\28uid=\\2a)")

# --- a group change in the directory changes the role at the next sign-in ---
st, doc, _ = sign_in(nvr, "eve", USERS["eve"])
check(st == 200 and doc["user"]["role"] == "viewer", "eve starts as a viewer: %d %s" % (st, doc))
slapd.move("eve", "nvr-viewers", "nvr-admins")
st, doc, eve = sign_in(nvr, "eve", USERS["eve"])
check(st == 200 and doc["user"]["role"] == "admin" and doc["user"]["cameras"] == [],
      "after the directory moved her to nvr-admins, eve signs in as admin: %d %s" % (st, doc))
check(user_row(nvr, "eve")[0] == "admin", "her row says admin")
st, doc, _ = call(nvr, "GET", "/api/v1/access-log?user=eve&action=user_changed", token=nvr.token)
check(st == 200 and [e["detail"] for e in doc["entries"]] == ["user=eve role=admin source=ldap grants="],
      "the access log records the change the directory made: %s" % (doc,))
check(cameras_seen(nvr, eve) == ["cam1", "cam2", "cam3"], "and she sees every camera")

# --- a local account's name is never taken over ---
st, doc, _ = sign_in(nvr, "dave", USERS["dave"], src="127.0.0.4")
check(st == 401, "dave's directory password does not open the local dave: %d %s" % (st, doc))
st, doc, _ = sign_in(nvr, "DAVE", USERS["dave"], src="127.0.0.4")
check(st == 401, "nor the same name in other case (the directory says dave): %d %s" % (st, doc))
check("directory sign-in refused: the name belongs to another account user=dave source=ldap account_source=local"
      in nvr.log_text(),
      "the refused takeover is logged")
st, doc, _ = call(nvr, "GET", "/api/v1/access-log?user=DAVE&action=login_failed", token=nvr.token)
check(st == 200 and any(e["detail"].startswith("ldap: the name belongs to another account") for e in doc["entries"]),
      "and access-logged as login_failed: %s" % (doc,))
st, doc, _ = sign_in(nvr, "dave", DAVE_LOCAL_PW)
check(st == 200 and doc["user"]["source"] == "local" and doc["user"]["cameras"] == ["cam3"],
      "the local dave signs in with the local password, unchanged: %d %s" % (st, doc))
check(user_row(nvr, "dave")[2] == "local", "dave's row is still local")

# --- directory failures go through the sign-in throttle like local ones ---
codes = [sign_in(nvr, "bob", "wrong-password-%d" % i, src="127.0.0.8")[0] for i in range(6)]
check(codes == [401] * 5 + [429], "five wrong directory passwords from one address, then 429: %s" % codes)
st, doc, _ = sign_in(nvr, "bob", USERS["bob"], src="127.0.0.9")
check(st == 200, "bob still signs in from another address: %d" % st)

# --- an admin cannot set a directory account's password (API, CLI) ---
st, doc, _ = call(nvr, "PUT", "/api/v1/users/alice", {"password": "new-password-1"}, token=nvr.token)
check(st == 400 and "directory" in (doc or {}).get("error", ""), "no password on an ldap account: %d %s" % (st, doc))
r = subprocess.run([NVR, "user", "passwd", "-c", nvr.config, "alice"], input="new-password-1\n", capture_output=True,
                   text=True, timeout=60)
check(r.returncode == 1 and "through the directory" in r.stderr, "nor with nvr user passwd: %d %s" % (r.returncode,
                                                                                                   r.stderr))

# --- the access log ---
st, doc, _ = call(nvr, "GET", "/api/v1/access-log?user=alice&limit=100", token=nvr.token)
acts = [(e["action"], e.get("detail", "")) for e in doc["entries"]] if st == 200 else []
check(("user_created", "user=alice role=viewer source=ldap grants=cam1") in acts
      and ("login", "viewer source=ldap") in acts,
      "the access log has alice's account made and her sign-in: %s" % acts[:6])

# --- the directory down: 503, and the local admin still signs in ---
slapd.stop()
st, doc, _ = sign_in(nvr, "alice", USERS["alice"])
check(st == 503 and "directory" in doc["error"], "slapd stopped: 503 JSON error: %d %s" % (st, doc))
st, doc, _ = sign_in(nvr, "alice", USERS["alice"])
check(st == 503, "again 503 (not counted as a failure, no 429): %d" % st)
st, doc, _ = sign_in(nvr, "admin", Nvr.ADMIN_PASSWORD)
check(st == 200 and doc["user"]["role"] == "admin", "the local admin signs in meanwhile: %d %s" % (st, doc))
check(nvr.log_text().count("ldap directory cannot be reached") == 1,
      "one log line for the outage: %d" % nvr.log_text().count("ldap directory cannot be reached"))
slapd.start()

# --- a directory that never answers: bounded in time and in threads ---
hole = socket.socket()
hole.bind(("127.0.0.1", free_port()))
hole.listen(16)  # connections complete in the kernel's queue; nothing ever reads or answers
two_threads = base_text.replace("[server]\n", "[server]\nhttp_threads = 2\n", 1)
restart_with(nvr, two_threads, ldap_section(slapd, url="ldap://127.0.0.1:%d" % hole.getsockname()[1],
                                            extra="").replace("timeout = 3", "timeout = 2"))
results = {}


def timed(key, user, pw, src):
    t0 = time.monotonic()
    st, _, _ = sign_in(nvr, user, pw, src=src)
    results[key] = (st, time.monotonic() - t0)


slow = threading.Thread(target=timed, args=("slow", "alice", USERS["alice"], "127.0.0.5"))
slow.start()
time.sleep(0.5)  # the first one holds the one directory slot
timed("busy", "bob", USERS["bob"], "127.0.0.6")
timed("admin", "admin", Nvr.ADMIN_PASSWORD, "127.0.0.7")
meanwhile = slow.is_alive()
slow.join()
check(results["slow"][0] == 503 and 1.5 <= results["slow"][1] <= 8,
      "a directory that never answers: 503 after the 2 s timeout: %s" % (results["slow"],))
check(results["busy"][0] == 503 and results["busy"][1] < 1.5,
      "a second directory sign-in meanwhile: 503 at once (one slot of 2 threads): %s" % (results["busy"],))
check(results["admin"][0] == 200 and meanwhile,
      "the local admin signs in while the directory sign-in still waits: %s %s" % (results["admin"], meanwhile))
check("ldap too many sign-ins at once" in nvr.log_text(), "the busy refusal is logged")
hole.close()

# --- groups from a group search instead of memberOf; failover; the password in a file ---
dead = "ldap://127.0.0.1:%d" % free_port()  # nothing listens there
restart_with(nvr, base_text, ldap_section(slapd, url="%s %s" % (dead, slapd.url()),
                                          password_file=os.path.join(nvr.dir, "ldap-password"),
                                          extra="member_of = no\ngroup_base = ou=groups,%s\n"
                                                "group_filter = (&(objectClass=groupOfNames)(member=%%s))\n"
                                                % SUFFIX))
st, doc, bob = sign_in(nvr, "bob", USERS["bob"])
check(st == 200 and doc["user"]["role"] == "investigator" and doc["user"]["cameras"] == ["group:south"],
      "group search, the second URL, bind_password_file: bob is an investigator granted group:south: %d %s"
      % (st, doc))

# --- TLS: LDAPS and StartTLS with the test CA; another CA fails ---
# 127.0.0.1, not localhost: libldap checks a "localhost" URL against the
# reverse lookup of the address (this machine's name)
tls_url = "ldaps://127.0.0.1:%d" % slapd.tls_port
restart_with(nvr, base_text, ldap_section(slapd, url=tls_url, extra="ca_file = %s\n" % slapd.ca))
st, doc, _ = sign_in(nvr, "alice", USERS["alice"])
check(st == 200, "LDAPS with the test CA: %d %s" % (st, doc))
restart_with(nvr, base_text, ldap_section(slapd, url=tls_url, extra="ca_file = %s\n" % slapd.wrong_ca))
st, doc, _ = sign_in(nvr, "alice", USERS["alice"])
check(st == 503, "LDAPS with another CA: 503: %d %s" % (st, doc))
st_url = "ldap://127.0.0.1:%d" % slapd.port
restart_with(nvr, base_text, ldap_section(slapd, url=st_url, extra="starttls = on\nca_file = %s\n" % slapd.ca))
st, doc, _ = sign_in(nvr, "alice", USERS["alice"])
check(st == 200, "StartTLS with the test CA: %d %s" % (st, doc))
restart_with(nvr, base_text, ldap_section(slapd, url=st_url, extra="starttls = on\nca_file = %s\n" % slapd.wrong_ca))
st, doc, _ = sign_in(nvr, "alice", USERS["alice"])
check(st == 503, "StartTLS with another CA: 503: %d %s" % (st, doc))
check("ldap TLS failed" in nvr.log_text(), "the StartTLS failure is logged as such")
# a ca_file that cannot be read: the recorder still starts and records; directory sign-in is 503
restart_with(nvr, base_text, ldap_section(slapd, url=st_url, extra="starttls = on\nca_file = /nonexistent/ca.pem\n"))
st, doc, _ = sign_in(nvr, "alice", USERS["alice"])
check(st == 503, "an unreadable ca_file: directory sign-in 503: %d %s" % (st, doc))
st, doc, _ = sign_in(nvr, "admin", Nvr.ADMIN_PASSWORD)
check(st == 200, "and the local admin signs in: %d" % st)
check("cannot read the ldap ca_file path=/nonexistent/ca.pem" in nvr.log_text(), "the start-up log says why")
# a user_filter that matches several entries: nobody signs in through it
restart_with(nvr, base_text, ldap_section(slapd, extra="user_filter = (|(uid=%s)(objectClass=inetOrgPerson))\n"))
st, doc, _ = sign_in(nvr, "alice", USERS["alice"])
check(st == 401, "a filter matching several entries signs nobody in: %d %s" % (st, doc))
check("ldap several entries match one name" in nvr.log_text(), "and says so in the log")
check(USERS["alice"] not in nvr.log_text() and "service-secret-1" not in nvr.log_text(),
      "no password in the server's log")

nvr.stop()
slapd.stop()
finish("test_ldap")
