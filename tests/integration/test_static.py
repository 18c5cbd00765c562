# SPDX-License-Identifier: Apache-2.0
"""The web UI's files over HTTP (nvr/http/http_static.c): served from web_dir
with content types, ETag/304, Range and HEAD; never anything outside it --
not with "..", encoded dots, hidden files, or a symlink that leads out (one
that stays inside is fine); unknown API paths keep the API's JSON 404.  And what web/build_static.py
makes of a UI: versioned /s/ID/ URLs cached as immutable, module preloads in
the pages, .br/.gz copies chosen by Accept-Encoding."""
import gzip
import os
import re
import shutil
import subprocess
import sys
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

# --- the build's work: build id, versioned URLs, preloads, precompressed copies ---
big = "".join("export const line%d = 'the same long line of a module, %d';\n" % (i, i) for i in range(200))
with open(os.path.join(web, "js", "big.js"), "w") as f:
    f.write(big)
with open(os.path.join(web, "js", "page.js"), "w") as f:
    f.write("import { line1 } from './big.js';\nconsole.log(line1);\n")
with open(os.path.join(web, "page.html"), "w") as f:
    f.write('<!doctype html><link rel="stylesheet" href="app.css"><script type="module" src="js/page.js"></script>\n')
build = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "web", "build_static.py")
r = subprocess.run([sys.executable, build, web], capture_output=True, text=True)
check(r.returncode == 0, "build_static.py: %s" % r.stderr)
with open(os.path.join(web, "build-id")) as f:
    bid = f.read().strip()
check(re.fullmatch(r"[0-9a-f]{16}", bid), "a 16-digit build id: %r" % bid)
page = get("/page.html")[2].decode()
check('src="s/%s/js/page.js"' % bid in page and 'rel="modulepreload" href="s/%s/js/big.js"' % bid in page,
      "the page loads its module by the build id and preloads what it imports: %r" % page)
r = subprocess.run([sys.executable, build, web], capture_output=True, text=True)
check(get("/page.html")[2].decode() == page and open(os.path.join(web, "build-id")).read().strip() == bid,
      "build_static.py twice gives the same page and id")
url = "/s/%s/js/big.js" % bid
st, h, b = get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
check(st == 200 and h.get("Content-Encoding") == "br" and h.get("Vary") == "Accept-Encoding",
      "br when the browser takes it: %d %s %s" % (st, h.get("Content-Encoding"), h.get("Vary")))
check(h.get("Cache-Control") == "public, max-age=31536000, immutable", "the current id is immutable: %s"
      % h.get("Cache-Control"))
if shutil.which("brotli"):
    d = subprocess.run(["brotli", "-d", "-c"], input=b, capture_output=True)
    check(d.stdout.decode() == big, "the br bytes decode to the file (%d -> %d bytes)" % (len(b), len(d.stdout)))
br_etag = h.get("ETag")
st, h, b = get(url, headers={"Accept-Encoding": "br;q=0, gzip"})
check(st == 200 and h.get("Content-Encoding") == "gzip" and gzip.decompress(b).decode() == big,
      "gzip when br is refused (q=0): %d %s" % (st, h.get("Content-Encoding")))
check(h.get("ETag") != br_etag, "each coding has its own ETag")
st, h, b = get(url, headers={"Accept-Encoding": "identity"})
check(st == 200 and not h.get("Content-Encoding") and b.decode() == big and h.get("Vary") == "Accept-Encoding",
      "the file itself otherwise, still Vary: %d %s" % (st, h.get("Content-Encoding")))
st, h, b = get("/s/0123456789abcdef/js/big.js", headers={"Accept-Encoding": "gzip"})
check(st == 200 and gzip.decompress(b).decode() == big and h.get("Cache-Control") == "no-cache",
      "an older build's id gets today's file, not cached for long: %d %s" % (st, h.get("Cache-Control")))
st, h, b = get("/js/big.js")
check(st == 200 and h.get("Cache-Control") == "no-cache", "the unversioned URL stays no-cache")
for path in ["/s/%s/../secret.txt" % bid, "/s/%s/.hidden" % bid, "/s/%s/leak.txt" % bid]:
    st, b = raw_get(path)
    check(st == 404 and b"SECRET" not in b and b"HIDDEN" not in b, "%s: %d" % (path, st))

# web_dir missing: the API still works, / is a 404
os.rename(web, web + "-gone")
st, h, b = get("/")
check(st == 404 and b'"error"' in b, "missing web_dir: %d %r" % (st, b))
check(get("/api/v1/health")[0] == 200, "the API works without web_dir")
check(nvr.stop() == 0, "nvr did not exit cleanly")
finish("test_static")
