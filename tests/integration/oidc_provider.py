# SPDX-License-Identifier: Apache-2.0
"""oidc-provider (npm, pinned in web/package.json) on loopback for the OIDC tests:
oidc_server.mjs run by node with a client "nvr" and an accounts file the test rewrites
(a user's groups change at their next sign-in).  Used by test_oidc.py and
tests/browser/test_browser_oidc.py."""
import json
import os
import re
import subprocess

import requests

from harness import _children, check, free_port, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "test-client-secret-0123456789"


class NodeProvider:
    def __init__(self, tmp, redirect_uri, host="127.0.0.1"):
        self.port = free_port()
        self.issuer = "http://%s:%d" % (host, self.port)
        self.accounts = os.path.join(tmp, "accounts.json")
        self.conf = os.path.join(tmp, "provider.json")
        with open(self.conf, "w") as f:
            json.dump({"issuer": self.issuer, "port": self.port, "accounts": self.accounts,
                       "clients": [{"client_id": "nvr", "client_secret": SECRET,
                                    "redirect_uris": [redirect_uri]}]}, f)
        self.log = open(os.path.join(tmp, "provider.log"), "a")
        self.proc = None

    def set_accounts(self, accounts):
        with open(self.accounts + ".tmp", "w") as f:
            json.dump(accounts, f)
        os.replace(self.accounts + ".tmp", self.accounts)

    def start(self):
        self.proc = subprocess.Popen(["node", os.path.join(HERE, "oidc_server.mjs"), self.conf],
                                     stdout=self.log, stderr=self.log,
                                     env=dict(os.environ, NPM_DIR=os.environ["NPM_DIR"]))
        _children.append(self.proc)
        url = "http://127.0.0.1:%d/.well-known/openid-configuration" % self.port
        check(wait_until(lambda: up(url), 20), "oidc-provider is up at %s" % self.issuer)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def up(url):
    try:
        requests.get(url, timeout=2)
        return True
    except requests.RequestException:
        return False


def forms(html):
    """(action, {name: value}) of each form of a page (the provider's own markup)."""
    out = []
    for m in re.finditer(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', html, re.S):
        fields = {}
        for i in re.finditer(r'<input([^>]*)>', m.group(2)):
            name = re.search(r'name="([^"]+)"', i.group(1))
            value = re.search(r'value="([^"]*)"', i.group(1))
            if name:
                fields[name.group(1)] = value.group(1) if value else ""
        out.append((m.group(1).replace("&amp;", "&"), fields))
    return out
