# SPDX-License-Identifier: Apache-2.0
"""The web UI's files over HTTP (nvr/http/http_static.c): served from web_dir
with content types, ETag/304, Range and HEAD; never anything outside it --
not with "..", encoded dots, hidden files, or a symlink that leads out (one
that stays inside is fine); unknown API paths keep the API's JSON 404."""
import os
import tempfile
import urllib.error
import urllib.request

from harness import Nvr, TMP, check, finish, wait_until

base = None


def get(path, method="GET", headers=None):
    req = urllib.request.Request(base + path, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()
    except (urllib.error.URLError, ConnectionError):
        return 0, {}, b""


def raw_get(path):
    """GET with the path sent exactly as written (urllib would not normalise, but be sure)."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", nvr.port, timeout=10)
    c.putrequest("GET", path, skip_accept_encoding=True)
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


web = tempfile.mkdtemp(prefix="web-", dir=TMP)
outside = tempfile.mkdtemp(prefix="outside-", dir=TMP)
with open(os.path.join(outside, "secret.txt"), "w") as f:
    f.write("SECRET-OUTSIDE")
os.makedirs(os.path.join(web, "js"))
os.makedirs(os.path.join(web, "sub"))
files = {"index.html": "<!doctype html><title>UI</title>", "js/app.js": "export const x = 1;\n",
         "app.css": "body{}", "sub/index.html": "sub index", "data.bin": "0123456789", ".hidden": "HIDDEN"}
for name, text in files.items():
    with open(os.path.join(web, name), "w") as f:
        f.write(text)
os.symlink(os.path.join(outside, "secret.txt"), os.path.join(web, "leak.txt"))   # leads out
os.symlink(outside, os.path.join(web, "leakdir"))                                 # leads out
os.symlink(os.path.join(web, "app.css"), os.path.join(web, "alias.css"))          # stays inside

nvr = Nvr("static", [], server_extra="web_dir = %s" % web)
base = nvr.base_url
nvr.start()
check(wait_until(lambda: get("/api/v1/health")[0] == 200, 10), "the server did not come up")

for path, ctype, body in [("/", "text/html", files["index.html"]), ("/index.html", "text/html", files["index.html"]),
                          ("/js/app.js", "text/javascript", files["js/app.js"]), ("/app.css", "text/css", "body{}"),
                          ("/sub/", "text/html", "sub index"), ("/alias.css", "text/css", "body{}"),
                          ("/data.bin", "application/octet-stream", "0123456789")]:
    st, h, b = get(path)
    check(st == 200 and b.decode() == body, "%s: %d %r" % (path, st, b[:60]))
    check(h.get("Content-Type", "").startswith(ctype), "%s: content type %s" % (path, h.get("Content-Type")))
    check(h.get("Cache-Control") == "no-cache", "%s: cache-control %s" % (path, h.get("Cache-Control")))
    check(h.get("ETag", "").startswith('"'), "%s: etag %r" % (path, h.get("ETag")))

# ETag / 304, HEAD, Range
st, h, _ = get("/index.html")
etag = h.get("ETag")
st2, h2, b2 = get("/index.html", headers={"If-None-Match": etag})
check(st2 == 304 and b2 == b"", "If-None-Match: %d" % st2)
os.utime(os.path.join(web, "index.html"), (1, 1))
st3, h3, _ = get("/index.html", headers={"If-None-Match": etag})
check(st3 == 200 and h3.get("ETag") != etag, "a changed file has a new ETag (%d)" % st3)
st, h, b = get("/index.html", method="HEAD")
check(st == 200 and b == b"" and h.get("Content-Length") == str(len(files["index.html"])), "HEAD: %d %r" % (st, h.get("Content-Length")))
st, h, b = get("/data.bin", headers={"Range": "bytes=2-4"})
check(st == 206 and b == b"234" and h.get("Content-Range") == "bytes 2-4/10", "Range: %d %r" % (st, b))

# refused: outside web_dir, hidden, malformed -- a JSON 404, never the file
for path in ["/../outside/secret.txt", "/..%2f..%2fetc%2fpasswd", "/%2e%2e/%2e%2e/etc/passwd", "/js/../../etc/passwd",
             "/.hidden", "/%2ehidden", "/leak.txt", "/leakdir/secret.txt", "//etc/passwd", "/js//app.js",
             "/nope.html", "/js/", "/js", "/a%20b"]:
    st, b = raw_get(path)
    check(st == 404, "%s: status %d, want 404" % (path, st))
    check(b"SECRET" not in b and b"HIDDEN" not in b and b"root:" not in b, "%s: leaked %r" % (path, b[:60]))
    check(b.startswith(b'{"error":'), "%s: body %r" % (path, b[:60]))

# %00 ends the path where libmicrohttpd decodes it: this is /index.html, served as HTML
st, b = raw_get("/index.html%00.css")
check(st in (200, 404) and b"SECRET" not in b, "NUL in the path: %d" % st)

# methods and the API's own 404s
st, h, b = get("/index.html", method="POST")
check(st == 404, "POST /index.html: %d" % st)
st, h, b = get("/api/v1/nope")
check(st == 404 and b'"error"' in b, "unknown API route: %d %r" % (st, b))
st, h, b = get("/api/v1/cameras", method="DELETE")
check(st == 405, "DELETE /api/v1/cameras still 405: %d" % st)

# web_dir missing: the API still works, / is a 404
os.rename(web, web + "-gone")
st, h, b = get("/")
check(st == 404 and b'"error"' in b, "missing web_dir: %d %r" % (st, b))
check(get("/api/v1/health")[0] == 200, "the API works without web_dir")
check(nvr.stop() == 0, "nvr did not exit cleanly")
finish("test_static")
