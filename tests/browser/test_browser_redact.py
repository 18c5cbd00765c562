# SPDX-License-Identifier: Apache-2.0
"""The redaction editor (redact.html) in a real browser (Debian's chromium
driven by playwright-core: tests/browser/redact_test.mjs), end to end.

A camera sending video and G.711 audio (recorded as AAC) is recorded for
about 25 s; an investigator's 20 s export of it is made over the API.  The
Node driver opens it from the Exports page's "Redact…" link, draws a box
with the mouse, moves to another moment and drags it again (a second
keyframe: a tracked box), draws a second box and makes it "everything
except this box", adds a mute range, saves REDACTIONS.json, loads it back
into a fresh page, renders with a request number and requester, follows the
job and downloads the copy with the page's link; the page must fit a 390 px
phone and answer the keyboard.

Then this script checks the result without the browser: the saved document
holds what was drawn (two keyframes where they were dragged, invert, the
mute range); the original and the redacted MP4 are decoded by ffmpeg frame
by frame and, in every frame of each box's range, the redacted region's
high-frequency energy has dropped by at least 80 %, the rest of the frame is
the original's within encoding noise (PSNR >= 30 dB); the sound is silent in
the mute range and not outside it; `nvr verify` accepts the copy alone and,
given the original, confirms the chain, and fails the copy once a box is
dropped from its redactions.json; opening the video is access-logged."""
import json
import os
import subprocess
import sys
import time
import urllib.request
import zipfile

try:
    import numpy as np
except ImportError:  # Debian's python3-numpy is the system Python's: run there if another python3 came first
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, NVR, Nvr, check, failures, finish, http_up, iso, parse_time, wait_until  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "redact")
os.makedirs(art, exist_ok=True)
zip_path = os.path.join(art, "redacted.zip")
doc_path = os.path.join(art, "redactions.json")
fig_path = os.path.join(art, "figures.json")
for p in (zip_path, doc_path, fig_path):
    if os.path.exists(p):
        os.remove(p)
check(os.path.exists(os.path.join(web_dir, "redact.html")), "the editor is built in %s" % web_dir)
INV, INV_PW = "ivy", "investigator-pass-1"
REQUEST, REQUESTER = "RR-2026-0042", "J. Doe (parent)"


def size_of(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                        "-of", "json", path], capture_output=True, text=True)
    s = json.loads(r.stdout)["streams"][0]
    return int(s["width"]), int(s["height"])


def frame_times(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time",
                        "-of", "csv=p=0", path], capture_output=True, text=True)
    return [float(x.strip(",")) for x in r.stdout.split() if x.strip(",") not in ("", "N/A")]


def frames(path, w, h):
    """Yields each decoded frame's luma as an HxW float array."""
    p = subprocess.Popen(["ffmpeg", "-v", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough",
                          "-f", "rawvideo", "-pix_fmt", "gray", "-"], stdout=subprocess.PIPE)
    while True:
        b = p.stdout.read(w * h)
        if len(b) < w * h:
            break
        yield np.frombuffer(b, np.uint8).reshape(h, w).astype(np.float64)
    p.wait()


def hf_energy(img, mask):
    """Mean squared difference of horizontal and vertical neighbours, both in mask."""
    dx = np.diff(img, axis=1) ** 2
    dy = np.diff(img, axis=0) ** 2
    mx = mask[:, 1:] & mask[:, :-1]
    my = mask[1:, :] & mask[:-1, :]
    n = mx.sum() + my.sum()
    return (dx[mx].sum() + dy[my].sum()) / n if n else 0.0


def psnr(a, b, mask):
    if not mask.any():
        return 99.0
    mse = ((a[mask] - b[mask]) ** 2).mean()
    return 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def box_at(shape, t):
    kf = shape.get("keyframes")
    if not kf:
        return shape["box"]
    ts = [parse_time(k["time"]) for k in kf]
    if t <= ts[0]:
        return kf[0]["box"]
    if t >= ts[-1]:
        return kf[-1]["box"]
    for i in range(len(ts) - 1):
        if ts[i] <= t < ts[i + 1]:
            a = (t - ts[i]) / (ts[i + 1] - ts[i])
            return [kf[i]["box"][j] + a * (kf[i + 1]["box"][j] - kf[i]["box"][j]) for j in range(4)]


def box_mask(box, w, h, inset=0, outset=0):
    m = np.zeros((h, w), bool)
    x0 = int(np.floor(box[0] * w)) - outset + inset
    y0 = int(np.floor(box[1] * h)) - outset + inset
    x1 = int(np.ceil(box[2] * w)) + outset - inset
    y1 = int(np.ceil(box[3] * h)) + outset - inset
    m[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = True
    return m


def pcm(path):
    """(samples as float array, rate, start time of the audio stream, start time of the video)."""
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,sample_rate,start_time",
                        "-of", "json", path], capture_output=True, text=True)
    st = json.loads(r.stdout)["streams"]
    a = [s for s in st if s["codec_type"] == "audio"][0]
    v = [s for s in st if s["codec_type"] == "video"][0]
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:a:0", "-f", "s16le", "-ac", "1", "-"],
                         capture_output=True).stdout
    return (np.frombuffer(raw, "<i2").astype(np.float64), int(a["sample_rate"]), float(a["start_time"]),
            float(v["start_time"]))


def rms(x):
    return float(np.sqrt((x ** 2).mean())) if len(x) else 0.0


with Camera("h264_pcmu.mov", audio_codec="pcmu") as cam:
    nvr = Nvr("browser-redact", [("lobby", {"url": cam.url(), "segment_seconds": 4, "audio": "on",
                                            "name": "Main lobby"})],
              server_extra="web_dir = %s" % web_dir)
    nvr.add_user("admin", "admin", Nvr.ADMIN_PASSWORD)
    nvr.token = nvr.make_token("admin")
    nvr.add_user(INV, "investigator", INV_PW, ["lobby"])
    inv_token = nvr.make_token(INV)
    nvr.start()
    check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")

    def enough():
        done = [r for r in nvr.db_rows("lobby") if r["state"] == 0]
        return done and done[-1]["end_us"] / 1e6 - done[0]["start_us"] / 1e6 >= 22.5
    check(wait_until(enough, 60), "25 s of recording did not come")
    rows = [r for r in nvr.db_rows("lobby") if r["state"] == 0]
    t_from = rows[0]["start_us"] / 1e6 + 0.5

    def api(path, method="GET", body=None, token=inv_token, raw=False):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(nvr.base_url + path, data=data, method=method,
                                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read() if raw else json.loads(r.read())

    # the investigator's own export, over the API
    ex = api("/api/v1/exports", "POST", {"cameras": ["lobby"], "start": iso(t_from), "end": iso(t_from + 20),
                                         "reason": "incident 7", "case": "C-7"})
    check(wait_until(lambda: api("/api/v1/exports/" + ex["id"])["status"] in ("done", "failed"), 120),
          "the export did not finish")
    check(api("/api/v1/exports/" + ex["id"])["status"] == "done", "the export failed: %s" % api("/api/v1/exports/" + ex["id"]))
    vids = api("/api/v1/exports/%s/videos" % ex["id"])
    print("videos: %s" % vids)
    check(len(vids["videos"]) == 1 and vids["videos"][0]["camera"] == "lobby" and vids["redacted_from"] is None,
          "GET /exports/{id}/videos lists the one MP4: %s" % vids)

    orig_zip = os.path.join(nvr.dir, "original.zip")
    with open(orig_zip, "wb") as f:
        f.write(api("/api/v1/exports/%s/download" % ex["id"], raw=True))
    work = os.path.join(nvr.dir, "orig")
    with zipfile.ZipFile(orig_zip) as z:
        oman = json.loads(z.read("manifest.json"))
        ofile = oman["cameras"][0]["files"][0]
        z.extractall(work)
    opath = os.path.join(work, ofile["name"])
    # the video route serves the MP4 inside the zip byte for byte, and ranges of it
    served = api(vids["videos"][0]["url"], raw=True)
    check(served == open(opath, "rb").read(), "GET /exports/{id}/video is the zip's MP4 (%d bytes)" % len(served))
    req = urllib.request.Request(nvr.base_url + vids["videos"][0]["url"],
                                 headers={"Authorization": "Bearer " + inv_token, "Range": "bytes=100-199"})
    with urllib.request.urlopen(req, timeout=30) as r:
        part = r.read()
        check(r.status == 206 and part == served[100:200], "a Range of it: %d, %d bytes" % (r.status, len(part)))
    first = parse_time(ofile["first_frame"])

    env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, INV_USER=INV, INV_PASSWORD=INV_PW,
               EXPORT_ID=ex["id"], ZIP_PATH=zip_path, DOC_PATH=doc_path, REQUEST=REQUEST, REQUESTER=REQUESTER)
    r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "redact_test.mjs")], env=env, timeout=500)
    check(r.returncode == 0, "browser checks failed (redact_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))

    # ---- the document the page saved: what was drawn ----
    doc = json.load(open(doc_path)) if os.path.exists(doc_path) else {"shapes": [], "mute": []}
    print("document: %s" % json.dumps(doc))
    shapes = doc.get("shapes", [])
    tracked = [s for s in shapes if len(s.get("keyframes", [])) == 2]
    inverted = [s for s in shapes if s.get("invert")]
    check(len(shapes) == 2 and len(tracked) == 1 and len(inverted) == 1 and len(doc.get("mute", [])) == 1,
          "the saved document: a tracked box, an inverted box, a mute range")
    if tracked:
        k = tracked[0]["keyframes"]
        near = lambda a, b: all(abs(x - y) <= 0.02 for x, y in zip(a, b))  # noqa: E731
        check(near(k[0]["box"], [0.05, 0.10, 0.30, 0.45]) and near(k[1]["box"], [0.60, 0.45, 0.90, 0.85]),
              "the keyframes are where the boxes were dragged: %s" % k)
        check(abs(parse_time(k[0]["time"]) - first - 2) < 0.1 and abs(parse_time(k[1]["time"]) - first - 8) < 0.1,
              "at 2 s and 8 s into the video: %s" % [parse_time(x["time"]) - first for x in k])

    # ---- the copy ----
    if check(os.path.exists(zip_path), "the browser downloaded no copy to %s" % zip_path):
        with zipfile.ZipFile(zip_path) as z:
            rman = json.loads(z.read("manifest.json"))
            applied = json.loads(z.read("redactions.json"))
            rdir = os.path.join(nvr.dir, "red")
            z.extractall(rdir)
        check(rman.get("request") == {"number": REQUEST, "requester": REQUESTER}, "request %s" % rman.get("request"))
        check(rman["derived_from"]["export_id"] == ex["id"], "derived from the export: %s" % rman["derived_from"])
        rfile = rman["cameras"][0]["files"][0]
        rpath = os.path.join(rdir, rfile["name"])
        w, h = size_of(opath)
        ot, rt = frame_times(opath), frame_times(rpath)
        check(len(ot) == len(rt) and len(ot) > 400, "frames: %d original, %d redacted" % (len(ot), len(rt)))
        start_pts = ot[0] if ot else 0
        ashapes = applied["shapes"]
        counts = [0] * len(ashapes)
        worst = [0.0] * len(ashapes)
        worst_psnr = 99.0
        for i, (a, b) in enumerate(zip(frames(opath, w, h), frames(rpath, w, h))):
            t = first + (ot[i] - start_pts)
            keep = np.ones((h, w), bool)
            for k, s in enumerate(ashapes):
                if not parse_time(s["start"]) <= t < parse_time(s["end"]):
                    continue
                counts[k] += 1
                box = box_at(s, t)
                if s.get("invert"):
                    region = ~box_mask(box, w, h, outset=2)
                    keep &= box_mask(box, w, h, inset=2)
                else:
                    region = box_mask(box, w, h, inset=2)
                    keep &= ~box_mask(box, w, h, outset=2)
                eo, er = hf_energy(a, region), hf_energy(b, region)
                worst[k] = max(worst[k], er / eo if eo else 1.0)
            worst_psnr = min(worst_psnr, psnr(a, b, keep))
        names = ["inverted" if s.get("invert") else "tracked" for s in ashapes]
        print("frames per box %s; high-frequency energy kept (worst frame) %s; PSNR of the rest >= %.1f dB"
              % (dict(zip(names, counts)), {n: "%.1f %%" % (x * 100) for n, x in zip(names, worst)}, worst_psnr))
        for n, c, x in zip(names, counts, worst):
            check(c >= 50, "%s box: %d frames in its range" % (n, c))
            check(x <= 0.2, "%s box: high-frequency energy kept %.1f %% in its worst frame (want a drop >= 80 %%)"
                  % (n, x * 100))
        check(worst_psnr >= 30, "the rest of the picture: PSNR %.1f dB (want >= 30)" % worst_psnr)

        # ---- the sound ----
        mute = applied["mute"][0]
        oa, orate, oas, ovs = pcm(opath)
        ra, rrate, ras, rvs = pcm(rpath)
        m0, m1 = parse_time(mute["start"]) - first, parse_time(mute["end"]) - first

        def window(x, rate, astart, vstart, t0, t1):
            i0 = int((t0 + vstart - astart) * rate)
            i1 = int((t1 + vstart - astart) * rate)
            return x[max(i0, 0):max(i1, 0)]
        inside = rms(window(ra, rrate, ras, rvs, m0 + 0.05, m1 - 0.05))
        before = rms(window(ra, rrate, ras, rvs, 0.5, m0 - 0.1))
        after = rms(window(ra, rrate, ras, rvs, m1 + 0.1, m1 + 4))
        ref = rms(window(oa, orate, oas, ovs, m0 + 0.05, m1 - 0.05))
        print("audio RMS: mute %.2f-%.2f s; original there %.0f; redacted before %.0f, inside %.2f, after %.0f"
              % (m0, m1, ref, before, inside, after))
        check(ref > 300 and inside < ref * 0.01, "muted where asked: RMS %.1f inside (original %.1f)" % (inside, ref))
        check(before > ref * 0.3 and after > ref * 0.3, "sound outside the mute range: %.1f / %.1f" % (before, after))

        # ---- the chain ----
        v = subprocess.run([NVR, "verify", zip_path], capture_output=True, text=True, timeout=180)
        check(v.returncode == 0, "nvr verify on the copy alone: %s%s" % (v.stdout, v.stderr))
        v = subprocess.run([NVR, "verify", "-c", nvr.config, orig_zip, "--derived", zip_path], capture_output=True,
                           text=True, timeout=180)
        check(v.returncode == 0 and "chain verified" in v.stdout, "nvr verify --derived: %s%s" % (v.stdout, v.stderr))
        # a copy whose redaction list was edited (a box dropped) fails
        edited = os.path.join(nvr.dir, "edited.zip")
        with zipfile.ZipFile(zip_path) as zi, zipfile.ZipFile(edited, "w", zipfile.ZIP_STORED) as zo:
            for info in zi.infolist():
                data = zi.read(info.filename)
                if info.filename == "redactions.json":
                    d = json.loads(data)
                    d["shapes"] = d["shapes"][1:]
                    data = json.dumps(d).encode()
                zo.writestr(info.filename, data)
        v = subprocess.run([NVR, "verify", edited], capture_output=True, text=True, timeout=180)
        check(v.returncode != 0, "a copy with an edited redaction list fails nvr verify: %s" % v.stdout[-300:])
    log = [e for e in api("/api/v1/access-log?action=export_viewed", token=nvr.token)["entries"]]
    check(log and log[0]["user"] == INV and log[0]["camera"] == "lobby", "the editor's video is access-logged: %s"
          % log[:2])
    if os.path.exists(fig_path):
        print("figures: %s" % open(fig_path).read())
    check(nvr.stop() == 0, "nvr did not exit cleanly")
    if failures:
        print(nvr.log_text()[-3000:])
finish("test_browser_redact")
