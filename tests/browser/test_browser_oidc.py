# SPDX-License-Identifier: Apache-2.0
"""OpenID Connect sign-in in a real browser (Debian's chromium driven by playwright-core:
tests/browser/oidc_test.mjs) against `nvr run` and oidc-provider (npm, pinned) on loopback.

The provider is reached as `localhost`, the recorder as 127.0.0.1: two sites, so the
browser's trip to the provider and back is a real cross-site one (SameSite=Strict cookie
set on the callback).  This script sets the scene -- a local admin, the provider with
alice (group nvr-admins) and carol (no mapped group) -- and then runs the Node driver;
afterwards it checks on the server side what the browser did."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Nvr, check, failures, finish, http_up, wait_until  # noqa: E402
from oidc_provider import SECRET, NodeProvider  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "oidc")
nvr = Nvr("browser-oidc", [], server_extra="web_dir = %s" % web_dir)
prov = NodeProvider(nvr.dir, nvr.base_url + "/api/v1/oidc/callback", host="localhost")
prov.set_accounts({"alice": {"groups": ["nvr-admins"]}, "carol": {"groups": ["students"]}})
prov.start()
with open(nvr.config, "a") as f:
    f.write("\n[oidc]\nissuer = %s\nclient_id = nvr\nclient_secret = %s\nlabel = Sign in with District SSO\n"
            "admin_groups = nvr-admins\n" % (prov.issuer, SECRET))
nvr.start()
check(wait_until(lambda: http_up(nvr.base_url), 15), "the server did not come up")
env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, TOKEN=nvr.token, LABEL="Sign in with District SSO")
r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "oidc_test.mjs")], env=env, timeout=240)
check(r.returncode == 0, "browser checks failed (oidc_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
check(nvr.stop() == 0, "nvr did not exit cleanly")
v = nvr.run_cli("verify", "-c", nvr.config, "--log")
check(v.returncode == 0, "nvr verify --log after the browser's sign-ins: %s%s" % (v.stdout, v.stderr))
check(SECRET not in nvr.log_text(), "the client secret is never logged")
prov.stop()
if failures:
    print(nvr.log_text()[-3000:])
finish("test_browser_oidc")
