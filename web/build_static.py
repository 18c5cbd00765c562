#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""web/build_static.py WWW - makes the copied UI in WWW fast on slow links.

Run by the build (web/CMakeLists.txt) after web/ui/* and vendor/hls.mjs are
copied into WWW.  Idempotent: running it twice gives the same files.

1. The build id: the first 16 hex digits of a SHA-256 over every file's path
   and bytes (not the .gz/.br copies, not build-id itself), written to
   WWW/build-id.  The server (nvr/http/http_static.c) serves WWW/REST at
   /s/ID/REST too, and with the current ID as immutable for a year: a new
   build changes the ID, so browsers never run a stale file and never ask
   twice for an unchanged one.
2. Every page (*.html) refers to its scripts and style sheet through
   s/ID/ (relative URLs, so the modules' own relative imports stay under the
   same prefix) and gets a <link rel="modulepreload"> for every module its
   scripts import, directly or not: the browser asks for the whole graph at
   once instead of one round trip per level of imports.  The pages
   themselves stay unversioned ("no-cache"), so a new build shows at once.
3. Precompressed copies: FILE.gz (gzip -9) and FILE.br (brotli -q 11, when
   the brotli program is installed: packaging/install-deps.sh) of every
   text file of 512 bytes or more; the server picks one by Accept-Encoding.

Exit 0, or 1 with a message on stderr.  Python 3 standard library only.
"""
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys

TEXT = (".html", ".js", ".mjs", ".css", ".json", ".svg", ".txt", ".map")
MIN_COMPRESS = 512
PREFIX_RE = re.compile(r'((?:src|href)=")(?:s/[0-9a-f]{16}/)?((?:js|css|vendor)/[^"]+")')
IMPORT_RE = re.compile(r'''(?:^|[;\s])import\s*(?:[\w{}\s,*]+from\s*)?['"](\.{1,2}/[^'"]+)['"]''', re.M)
PRELOAD_RE = re.compile(r'\n?<link rel="modulepreload"[^>]*>')
MODULE_RE = re.compile(r'<script type="module" src="(?:s/[0-9a-f]{16}/)?(js/[^"]+)"></script>')


def sources(www):
    for dirpath, dirnames, files in os.walk(www):
        dirnames.sort()
        for f in sorted(files):
            if f.endswith((".gz", ".br")) or f == "build-id":
                continue
            yield os.path.relpath(os.path.join(dirpath, f), www)


def imports_of(www, rel, seen):
    """rel's static imports, recursively, in the order first seen (paths relative to www)."""
    with open(os.path.join(www, rel), encoding="utf-8") as f:
        text = f.read()
    for spec in IMPORT_RE.findall(text):
        dep = os.path.normpath(os.path.join(os.path.dirname(rel), spec))
        if dep not in seen and os.path.isfile(os.path.join(www, dep)):
            seen.append(dep)
            imports_of(www, dep, seen)
    return seen


def rewrite_page(www, rel, build_id):
    path = os.path.join(www, rel)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = PRELOAD_RE.sub("", text)
    text = PREFIX_RE.sub(lambda m: m.group(1) + "s/" + build_id + "/" + m.group(2), text)
    graph = []
    for entry in MODULE_RE.findall(text):
        for dep in imports_of(www, entry, []):
            if dep not in graph and dep != entry:
                graph.append(dep)
    if graph:
        links = "".join('\n<link rel="modulepreload" href="s/%s/%s">' % (build_id, d) for d in graph)
        text = re.sub(r'(<script type="module" src="[^"]+"></script>)', lambda m: m.group(1) + links, text, count=1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def compress(www, rel, brotli):
    src = os.path.join(www, rel)
    st = os.stat(src)
    if not rel.endswith(TEXT) or st.st_size < MIN_COMPRESS:
        for ext in (".gz", ".br"):
            if os.path.exists(src + ext):
                os.unlink(src + ext)
        return
    gz = src + ".gz"
    if not os.path.exists(gz) or os.stat(gz).st_mtime_ns < st.st_mtime_ns:
        with open(src, "rb") as f:
            data = f.read()
        with open(gz + ".tmp", "wb") as f:
            f.write(gzip.compress(data, 9, mtime=0))
        os.replace(gz + ".tmp", gz)
    br = src + ".br"
    if brotli and (not os.path.exists(br) or os.stat(br).st_mtime_ns < st.st_mtime_ns):
        subprocess.run([brotli, "-q", "11", "-f", "-o", br + ".tmp", src], check=True)
        os.replace(br + ".tmp", br)


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        print("usage: build_static.py WWW", file=sys.stderr)
        return 1
    www = sys.argv[1]
    pages = [r for r in sources(www) if r.endswith(".html") and os.sep not in r]
    # the id covers what the pages load, so it is computed over the pages without their prefixes
    for rel in pages:
        rewrite_page(www, rel, "0" * 16)
    h = hashlib.sha256()
    for rel in sources(www):
        with open(os.path.join(www, rel), "rb") as f:
            h.update(rel.encode() + b"\0" + f.read() + b"\0")
    build_id = h.hexdigest()[:16]
    for rel in pages:
        rewrite_page(www, rel, build_id)
    brotli = shutil.which("brotli")
    if not brotli:
        print("build_static.py: brotli not installed: only .gz copies (packaging/install-deps.sh installs it)",
              file=sys.stderr)
    for rel in sources(www):
        compress(www, rel, brotli)
    with open(os.path.join(www, "build-id.tmp"), "w") as f:
        f.write(build_id + "\n")
    os.replace(os.path.join(www, "build-id.tmp"), os.path.join(www, "build-id"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
