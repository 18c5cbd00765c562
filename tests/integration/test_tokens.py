# SPDX-License-Identifier: Apache-2.0
"""API tokens and password changes (issue 13 row 10): a password change over the API or
with `nvr user passwd` revokes the user's API tokens unless the admin says to keep them
(`keep_tokens: true` / `--keep-tokens`); tokens are listed with their last use (GET
/api/v1/users and `nvr user list`)."""
import json
import urllib.error
import urllib.request

from harness import NVR, Nvr, check, finish


def req(nvr, method, path, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    r = urllib.request.Request(nvr.base_url + path, data=data, method=method,
                               headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(r, timeout=20) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def tokens_of(nvr, name):
    st, body = req(nvr, "GET", "/api/v1/users", nvr.token)
    us = [u for u in json.loads(body)["users"] if u["name"] == name] if st == 200 else []
    return us[0]["tokens"] if us else None


nvr = Nvr("tokens", [])
nvr.add_user("admin", "admin", Nvr.ADMIN_PASSWORD)
nvr.token = nvr.make_token("admin")
nvr.add_user("inv", "investigator", "investigator-pass", ["*"])
t_api = nvr.make_token("inv")
nvr.start()
from harness import http_up, wait_until  # noqa: E402
check(wait_until(lambda: http_up(nvr.base_url), 15), "server up")

# --- last use listed ---
toks = tokens_of(nvr, "inv")
check(toks and toks[0].get("last_used", "missing") is None, "an unused token lists last_used null: %r" % toks)
st, _ = req(nvr, "GET", "/api/v1/holds", t_api)
check(st == 200, "the inv token works: %d" % st)
toks = tokens_of(nvr, "inv")
check(toks and isinstance(toks[0].get("last_used"), str) and toks[0]["last_used"].endswith("Z"),
      "a used token lists its last use: %r" % toks)
nvr.make_token("admin")  # never used
r = nvr.run_cli("user", "list", "-c", nvr.config)
lines = [l for l in r.stdout.split("\n") if l.strip().startswith("token ")]
check(r.returncode == 0 and any("last_used=20" in l for l in lines) and any("last_used=never" in l for l in lines),
      "nvr user list shows tokens with last use: %s" % r.stdout)

# --- a password change over the API revokes the tokens ---
st, body = req(nvr, "PUT", "/api/v1/users/inv", nvr.token, {"password": "changed-pass-1"})
check(st == 200, "admin changes inv's password: %d %s" % (st, body[:200]))
st_after, _ = req(nvr, "GET", "/api/v1/holds", t_api)
check(st_after == 401, "the token is refused after the password change (API): %d (before the fix: 200)" % st_after)
check(tokens_of(nvr, "inv") == [], "and leaves the list")

# --- keep_tokens: true keeps them ---
t_keep = nvr.make_token("inv")
st, body = req(nvr, "PUT", "/api/v1/users/inv", nvr.token, {"password": "changed-pass-2", "keep_tokens": True})
check(st == 200, "password change with keep_tokens: %d %s" % (st, body[:200]))
st, _ = req(nvr, "GET", "/api/v1/holds", t_keep)
check(st == 200, "keep_tokens keeps the token: %d" % st)
st, body = req(nvr, "PUT", "/api/v1/users/inv", nvr.token, {"password": "changed-pass-3", "keep_tokens": "yes"})
check(st == 400, "keep_tokens must be a boolean: %d" % st)

# --- the CLI: nvr user passwd revokes, --keep-tokens keeps (a token not yet cached by the server) ---
t_cli = nvr.make_token("inv")
r = __import__("subprocess").run([NVR, "user", "passwd", "-c", nvr.config, "inv"], input="changed-pass-4\n",
                                  capture_output=True, text=True)
check(r.returncode == 0 and "revoked" in r.stdout, "nvr user passwd: %s %s" % (r.stdout, r.stderr))
st, _ = req(nvr, "GET", "/api/v1/holds", t_cli)
check(st == 401, "the token is refused after nvr user passwd: %d (before the fix: 200)" % st)
t_cli2 = nvr.make_token("inv")
r = __import__("subprocess").run([NVR, "user", "passwd", "-c", nvr.config, "inv", "--keep-tokens"],
                                  input="changed-pass-5\n", capture_output=True, text=True)
check(r.returncode == 0 and "kept" in r.stdout, "nvr user passwd --keep-tokens: %s %s" % (r.stdout, r.stderr))
st, _ = req(nvr, "GET", "/api/v1/holds", t_cli2)
check(st == 200, "--keep-tokens keeps the token: %d" % st)

st, body = req(nvr, "GET", "/api/v1/access-log?action=user_changed", nvr.token)
details = [e["detail"] for e in json.loads(body)["entries"]] if st == 200 else []
check(any("tokens_revoked=1" in d for d in details) and any("tokens=kept" in d for d in details),
      "the access log says what happened to the tokens: %r" % details)
check(nvr.stop() == 0, "clean stop")
finish("tokens")
