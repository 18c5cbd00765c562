# SPDX-License-Identifier: Apache-2.0
"""Redacted copies for records requests (docs/guide/records-requests.md),
end to end.  A camera sending video and G.711 audio (recorded as AAC) is
recorded for about 25 s and exported (20 s) with `nvr export`; then `nvr
redact` with a tracked blur box (two keyframes, interpolated), a
"everything but this box" pixelate shape, a whole-frame blackout and a mute
range.  The original and the redacted MP4 are decoded by ffmpeg frame by
frame and compared: in every frame of each shape's range the redacted
region's high-frequency energy (squared differences of neighbouring pixels)
is at most 20 % of the original's (for pixelate: inside its blocks), the
blackout frames are black, and the
rest of the frame matches the original within encoding noise (PSNR); the
audio is silent in the mute range and not outside it; the wall-clock text
track is kept.  The manifest names the original (its manifest's SHA-256 and
signature), the request and every redaction with its frames; `nvr verify`
accepts the copy alone and the chain with --derived, and fails a copy whose
redaction list was edited (and one grafted onto another original); a tampered
original is refused; bad documents are refused naming the field; the access
log has `export_redacted` with the request reference.  The same over HTTP:
POST /api/v1/exports/{id}/redact queues a job that runs, reports progress
and downloads like an export, and whose copy passes the chain; bad bodies
get 400 naming the field, 413 over 64 KiB, 409 for a copy of a copy; the
job is listed again after a restart."""
import calendar
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile

try:
    import numpy as np
except ImportError:  # Debian's python3-numpy is the system Python's: run there if another python3 came first
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

from harness import Camera, Nvr, NVR, check, finish, wait_until

REQUEST = "RR-2026-0042"
REQUESTER = "J. Doe (parent)"
W, H = 640, 360


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int(round((t % 1) * 1e6) % 1000000)


def parse_iso(s):
    g = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z$", s).groups()
    t = calendar.timegm(time.strptime("%s-%s-%sT%s:%s:%s" % g[:6], "%Y-%m-%dT%H:%M:%S"))
    return t + (float(g[6]) if g[6] else 0.0)


def frame_times(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time",
                        "-of", "csv=p=0", path], capture_output=True, text=True)
    return [float(x.strip(",")) for x in r.stdout.split() if x.strip(",") not in ("", "N/A")]


def frames(path):
    """Yields each decoded frame's luma as a HxW uint8 array."""
    p = subprocess.Popen(["ffmpeg", "-v", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough",
                          "-f", "rawvideo", "-pix_fmt", "gray", "-"], stdout=subprocess.PIPE)
    n = W * H
    while True:
        b = p.stdout.read(n)
        if len(b) < n:
            break
        yield np.frombuffer(b, np.uint8).reshape(H, W).astype(np.float64)
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
    ts = [parse_iso(k["time"]) for k in kf]
    if t <= ts[0]:
        return kf[0]["box"]
    if t >= ts[-1]:
        return kf[-1]["box"]
    for i in range(len(ts) - 1):
        if ts[i] <= t < ts[i + 1]:
            a = (t - ts[i]) / (ts[i + 1] - ts[i])
            return [kf[i]["box"][j] + a * (kf[i + 1]["box"][j] - kf[i]["box"][j]) for j in range(4)]


def box_mask(box, inset=0, outset=0):
    m = np.zeros((H, W), bool)
    x0 = int(np.floor(box[0] * W)) - outset + inset
    y0 = int(np.floor(box[1] * H)) - outset + inset
    x1 = int(np.ceil(box[2] * W)) + outset - inset
    y1 = int(np.ceil(box[3] * H)) + outset - inset
    m[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = True
    return m


def pcm(path):
    """(samples as float array, rate, start time of the audio stream, start time of the video)."""
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,sample_rate,start_time",
                        "-of", "json", path], capture_output=True, text=True)
    st = json.loads(r.stdout)["streams"]
    a = [s for s in st if s["codec_type"] == "audio"][0]
    v = [s for s in st if s["codec_type"] == "video"][0]
    rate = int(a["sample_rate"])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:a:0", "-f", "s16le", "-ac", "1", "-"],
                         capture_output=True).stdout
    return np.frombuffer(raw, "<i2").astype(np.float64), rate, float(a["start_time"]), float(v["start_time"])


def rms(x):
    return float(np.sqrt((x ** 2).mean())) if len(x) else 0.0


def verify(*args):
    return subprocess.run([NVR, "verify"] + list(args), capture_output=True, text=True, timeout=180)


def rezip(src, dst, change):
    """Copies zip src to dst with change(name, bytes) -> bytes applied to each entry."""
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zo:
        for info in zi.infolist():
            zo.writestr(info.filename, change(info.filename, zi.read(info.filename)))


with Camera("h264_pcmu.mov", audio_codec="pcmu") as cam:
    nvr = Nvr("redact", [("lobby", {"url": cam.url(), "segment_seconds": 4, "audio": "on", "name": "Main lobby"})])
    nvr.start()
    t_start = time.time()

    def enough():
        done = [r for r in nvr.db_rows("lobby") if r["state"] == 0]
        return done and done[-1]["end_us"] / 1e6 - done[0]["start_us"] / 1e6 >= 22.5
    check(wait_until(enough, 60), "25 s of recording did not come")
    rows = [r for r in nvr.db_rows("lobby") if r["state"] == 0]
    t_from = rows[0]["start_us"] / 1e6 + 0.5
    t_to = t_from + 20
    orig = os.path.join(nvr.dir, "original.zip")
    r = subprocess.run([NVR, "export", "-c", nvr.config, "--camera", "lobby", "--from", iso(t_from), "--to",
                        iso(t_to), "-o", orig, "--reason", "incident 7", "--case", "C-7", "--burn-time"],
                       capture_output=True, text=True, timeout=180)
    check(r.returncode == 0, "nvr export: %s %s" % (r.stdout, r.stderr))
    with zipfile.ZipFile(orig) as z:
        oman_raw = z.read("manifest.json")
        osig = z.read("manifest.json.sig")
        oman = json.loads(oman_raw)
        ofile = oman["cameras"][0]["files"][0]
        work = os.path.join(nvr.dir, "orig")
        z.extractall(work)
    first = parse_iso(ofile["first_frame"])
    print("export: %s, first frame %s, %.2f s" % (ofile["name"], ofile["first_frame"], ofile["duration"]))

    # ---- the redactions ----
    track = {"start": iso(first + 2), "end": iso(first + 8), "mode": "blur",
             "keyframes": [{"time": iso(first + 2), "box": [0.05, 0.10, 0.30, 0.45]},
                           {"time": iso(first + 8), "box": [0.60, 0.45, 0.90, 0.85]}]}
    allbut = {"start": iso(first + 9), "end": iso(first + 13), "box": [0.40, 0.30, 0.65, 0.70],
              "mode": "blur", "invert": True, "source": "assisted", "by": "reviewer-1"}
    black = {"start": iso(first + 15), "end": iso(first + 16), "box": [0, 0, 1, 1], "mode": "fill"}
    pixel = {"start": iso(first + 16.5), "end": iso(first + 19), "box": [0.10, 0.55, 0.35, 0.95],
             "mode": "pixelate"}
    mute = {"start": iso(first + 5), "end": iso(first + 12)}
    doc = {"shapes": [track, allbut, black, pixel], "mute": [mute]}
    docpath = os.path.join(nvr.dir, "redactions.json")
    with open(docpath, "w") as f:
        json.dump(doc, f)

    # bad documents: refused before any work, the field named
    for bad, field in (({"shapes": [dict(track, mode="smudge")]}, "shapes[0].mode"),
                       ({"shapes": [dict(allbut, box=[0.5, 0.3, 0.4, 0.7])]}, "shapes[0].box"),
                       ({"shapes": [dict(allbut, box=[0.1, 0.3, 1.4, 0.7])]}, "shapes[0].box[2]"),
                       ({"shapes": [track, dict(black, start="yesterday")]}, "shapes[1].start"),
                       ({"shapes": [dict(track, colour="red")]}, "shapes[0].colour"),
                       ({"mute": [{"start": iso(first + 5), "end": iso(first + 4)}]}, "mute[0].end")):
        bp = os.path.join(nvr.dir, "bad.json")
        out = os.path.join(nvr.dir, "bad.zip")
        with open(bp, "w") as f:
            json.dump(bad, f)
        r = subprocess.run([NVR, "redact", "-c", nvr.config, orig, bp, out], capture_output=True, text=True)
        check(r.returncode == 2 and field in r.stderr and not os.path.exists(out),
              "bad document (%s): exit %d, %r" % (field, r.returncode, r.stderr))

    red = os.path.join(nvr.dir, "redacted.zip")
    t0 = time.time()
    r = subprocess.run([NVR, "redact", "-c", nvr.config, orig, docpath, red, "--request", REQUEST,
                        "--requester", REQUESTER], capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, "nvr redact: %s %s" % (r.stdout, r.stderr))
    print(r.stdout.strip(), "(%.1f s)" % (time.time() - t0))
    print("sizes: original %d bytes, redacted %d bytes" % (os.path.getsize(orig), os.path.getsize(red)))

    with zipfile.ZipFile(red) as z:
        names = z.namelist()
        rman = json.loads(z.read("manifest.json"))
        rdir = os.path.join(nvr.dir, "red")
        z.extractall(rdir)
    stem = ofile["name"][:-4]
    check(names == [stem + "-redacted.mp4", "redactions.json", "SHA256SUMS.txt", "README.txt", "manifest.json",
                    "manifest.json.sig", "public-key.pem"], "the redacted zip's entries: %s" % names)
    check(not any("with-time" in n or n.startswith("native/") for n in names),
          "the unredacted burn-time copy must not be in the redacted zip: %s" % names)

    # ---- the manifest: the chain, the request, every redaction ----
    df = rman.get("derived_from", {})
    check(rman.get("format") == "nvr-redacted-export/1", "format %s" % rman.get("format"))
    check(df.get("manifest_sha256") == hashlib.sha256(oman_raw).hexdigest() and df.get("signature") == osig.hex()
          and df.get("signing_key_fingerprint") == oman["signing_key"]["fingerprint"],
          "derived_from does not name the original: %s" % df)
    check(rman.get("request") == {"number": REQUEST, "requester": REQUESTER}, "request %s" % rman.get("request"))
    import pwd
    me = pwd.getpwuid(os.getuid()).pw_name
    shapes = rman["redactions"]["shapes"]
    check(len(shapes) == 4 and [s["mode"] for s in shapes] == ["blur", "blur", "fill", "pixelate"]
          and [s["source"] for s in shapes] == ["manual", "assisted", "manual", "manual"]
          and [s["by"] for s in shapes] == [me, "reviewer-1", me, me] and shapes[1]["invert"] is True
          and shapes[0]["keyframes"] == 2, "manifest redactions: %s" % shapes)
    check(len(rman["redactions"]["mute"]) == 1, "manifest mute: %s" % rman["redactions"]["mute"])
    rf = rman["cameras"][0]["files"][0]
    check(rf["of"] == ofile["name"] and rf["name"] == stem + "-redacted.mp4", "file entry %s" % rf)
    readme = open(os.path.join(rdir, "README.txt")).read()
    rsha = hashlib.sha256(open(os.path.join(rdir, rf["name"]), "rb").read()).hexdigest()
    check(REQUEST in readme and REQUESTER in readme and "Main lobby (lobby)" in readme and rsha in readme
          and "cannot be recovered" in readme and rman["signing_key"]["fingerprint"] in readme,
          "README.txt for the recipient:\n%s" % readme)
    r = subprocess.run(["sha256sum", "-c", "SHA256SUMS.txt"], cwd=rdir, capture_output=True, text=True)
    check(r.returncode == 0 and "redactions.json: OK" in r.stdout, "sha256sum -c: %s %s" % (r.stdout, r.stderr))

    # ---- the pictures ----
    opath, rpath = os.path.join(work, ofile["name"]), os.path.join(rdir, stem + "-redacted.mp4")
    ot, rt = frame_times(opath), frame_times(rpath)
    check(len(ot) == len(rt) and len(ot) > 450 and all(abs(a - b) < 0.002 for a, b in zip(ot, rt)),
          "frame times differ: %d original, %d redacted" % (len(ot), len(rt)))
    start_pts = ot[0] if ot else 0
    counts = [0, 0, 0, 0]
    worst_ratio = [0.0, 0.0, 0.0, 0.0]
    blk = (H + 8) // 16
    blk += blk & 1  # redact_block_size
    worst_psnr = 99.0
    worst_black = 0.0
    unredacted = 0
    for i, (a, b) in enumerate(zip(frames(opath), frames(rpath))):
        t = first + (ot[i] - start_pts)
        active = [s for s in doc["shapes"] if parse_iso(s["start"]) <= t < parse_iso(s["end"])]
        keep = np.ones((H, W), bool)  # pixels no shape touches
        for k, s in enumerate(doc["shapes"]):
            if s not in active:
                continue
            counts[k] += 1
            box = box_at(s, t)
            if s.get("invert"):
                kept = box_mask(box, outset=2)
                region = ~kept
                keep &= box_mask(box, inset=2)
            elif s["mode"] == "fill":
                region = box_mask(box)
                keep &= ~box_mask(box, outset=2)
            else:
                region = box_mask(box, inset=2)
                keep &= ~box_mask(box, outset=2)
            if s["mode"] == "fill":
                worst_black = max(worst_black, float(b[region].mean()))
                continue
            if s["mode"] == "pixelate":
                # each block one mean: the energy inside blocks (pairs not across a block edge) is gone;
                # the edges between blocks are the pixelation itself
                x0, y0 = int(np.floor(box[0] * W)) & ~1, int(np.floor(box[1] * H)) & ~1
                grid = np.zeros((H, W), bool)
                grid[:, x0::blk] = True
                grid[y0::blk, :] = True
                grid[:, x0 + blk - 1::blk] = True
                grid[y0 + blk - 1::blk, :] = True
                region = region & ~grid
            eo, er = hf_energy(a, region), hf_energy(b, region)
            ratio = er / eo if eo else 1.0
            worst_ratio[k] = max(worst_ratio[k], ratio)
        p = psnr(a, b, keep)
        worst_psnr = min(worst_psnr, p)
        if not active:
            unredacted += 1
    expect = [round(6 / 0.04), round(4 / 0.04), round(1 / 0.04), round(2.5 / 0.04)]
    check(all(abs(c - e) <= 1 for c, e in zip(counts, expect)), "frames per shape %s, want %s" % (counts, expect))
    mframes = [s["frames"][0]["count"] if s["frames"] else 0 for s in shapes]
    check(mframes == counts, "the manifest's frame counts %s, the decoded %s" % (mframes, counts))
    check(worst_ratio[0] <= 0.2, "tracked blur: high-frequency energy kept %.1f %% (want <= 20 %%)"
          % (worst_ratio[0] * 100))
    check(worst_ratio[1] <= 0.2, "all-but blur: high-frequency energy kept %.1f %% (want <= 20 %%)"
          % (worst_ratio[1] * 100))
    check(worst_ratio[3] <= 0.2, "pixelate: high-frequency energy inside the blocks kept %.1f %% (want <= 20 %%)"
          % (worst_ratio[3] * 100))
    check(worst_black <= 20, "blackout: mean luma %.1f" % worst_black)
    check(worst_psnr >= 30, "the unredacted pixels: PSNR %.1f dB (want >= 30)" % worst_psnr)
    print("frames per shape %s; high-frequency energy kept (worst frame): tracked blur %.1f %%, all-but blur %.1f %%, "
          "pixelate (inside blocks) %.1f %%; blackout mean luma %.1f; PSNR of the rest >= %.1f dB; %d frames without "
          "redaction" % (counts, worst_ratio[0] * 100, worst_ratio[1] * 100, worst_ratio[3] * 100, worst_black,
                         worst_psnr, unredacted))

    # ---- the sound ----
    oa, orate, oas, ovs = pcm(opath)
    ra, rrate, ras, rvs = pcm(rpath)
    m0, m1 = parse_iso(mute["start"]) - first, parse_iso(mute["end"]) - first

    def window(x, rate, astart, vstart, t0, t1):
        i0 = int((t0 + vstart - astart) * rate)
        i1 = int((t1 + vstart - astart) * rate)
        return x[max(i0, 0):max(i1, 0)]
    inside = rms(window(ra, rrate, ras, rvs, m0 + 0.05, m1 - 0.05))
    before = rms(window(ra, rrate, ras, rvs, 1.0, m0 - 0.1))
    after = rms(window(ra, rrate, ras, rvs, m1 + 0.1, m1 + 4))
    ref = rms(window(oa, orate, oas, ovs, 1.0, m0 - 0.1))
    check(ref > 300 and inside < ref * 0.01, "mute: RMS %.1f inside the range, original %.1f" % (inside, ref))
    check(before > ref * 0.5 and after > ref * 0.5, "sound outside the mute range: %.1f / %.1f (original %.1f)"
          % (before, after, ref))
    print("audio RMS: original %.0f; redacted before %.0f, inside the mute range %.2f, after %.0f"
          % (ref, before, inside, after))

    # ---- the wall-clock text track ----
    def cues(path):
        r = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:s", "-f", "srt", "-"],
                           capture_output=True, text=True)
        return r.stdout
    oc, rc_ = cues(opath), cues(rpath)
    check(oc and oc == rc_, "the text track was not kept (%d vs %d bytes)" % (len(oc), len(rc_)))

    # ---- verification ----
    v = verify(red)
    check(v.returncode == 0 and "verified" in v.stdout, "nvr verify REDACTED: %s" % v.stdout[-600:])
    v = verify("-c", nvr.config, red)
    check(v.returncode == 0, "nvr verify -c REDACTED: %s" % v.stdout[-600:])

    check("a redacted copy" in v.stdout and REQUEST in v.stdout and hashlib.sha256(oman_raw).hexdigest() in v.stdout,
          "nvr verify does not say what the copy is: %s" % v.stdout[-600:])
    v = verify(orig, "--derived", red)
    check(v.returncode == 0 and "chain verified" in v.stdout, "nvr verify --derived: %s" % v.stdout[-800:])
    v = verify("-c", nvr.config, orig, "--derived", red)
    check(v.returncode == 0 and "chain verified" in v.stdout, "nvr verify -c --derived: %s" % v.stdout[-800:])

    # an edited redaction list fails, alone and in the chain: redactions.json without its pixelate
    # shape, or the manifest's list without it (then the signature no longer matches)
    edited = os.path.join(nvr.dir, "edited.zip")

    def drop_doc(name, data):
        if name == "redactions.json":
            d = json.loads(data)
            d["shapes"] = d["shapes"][:3]
            return json.dumps(d).encode()
        return data

    def drop_manifest(name, data):
        if name == "manifest.json":
            m = json.loads(data)
            m["redactions"]["shapes"] = m["redactions"]["shapes"][:3]
            return json.dumps(m, indent=2).encode()
        return data
    for change, what in ((drop_doc, "redactions.json"), (drop_manifest, "manifest.json")):
        rezip(red, edited, change)
        v = verify(edited)
        check(v.returncode == 1 and ("FAILED: " + what) in v.stdout,
              "an edited %s verified: %s" % (what, v.stdout[-600:]))
        v = verify(orig, "--derived", edited)
        check(v.returncode == 1 and "CHAIN VERIFICATION FAILED" in v.stdout,
              "an edited %s passed the chain: %s" % (what, v.stdout[-600:]))

    # another export (intact, same key) is not the original of this copy
    other = os.path.join(nvr.dir, "other.zip")
    r = subprocess.run([NVR, "export", "-c", nvr.config, "--camera", "lobby", "--from", iso(t_from + 1), "--to",
                        iso(t_to), "-o", other], capture_output=True, text=True, timeout=180)
    v = verify(other, "--derived", red)
    check(r.returncode == 0 and v.returncode == 1 and "not derived from this export" in v.stdout
          and "CHAIN VERIFICATION FAILED" in v.stdout, "another original passed the chain: %s" % v.stdout[-800:])
    # and a redacted copy cannot be the original of a chain, nor be redacted again
    v = verify(red, "--derived", red)
    check(v.returncode == 1, "a copy as its own original: %s" % v.stdout[-400:])
    r = subprocess.run([NVR, "redact", "-c", nvr.config, red, docpath, os.path.join(nvr.dir, "twice.zip")],
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 1 and "not an export" in r.stderr, "redacting a redacted copy: %d %r" % (r.returncode,
                                                                                                r.stderr))

    # the access log: export_redacted with the request reference
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(nvr.data_dir, "index.db"), uri=True)
    logged = con.execute("SELECT user, camera, detail FROM access_log WHERE action = 'export_redacted'").fetchall()
    check(len(logged) == 1 and logged[0][1] == "lobby" and ("request=" + REQUEST) in logged[0][2]
          and REQUESTER in logged[0][2] and rman["id"] in logged[0][2],
          "access log export_redacted: %s" % logged)

    # a tampered original is refused
    tampered = os.path.join(nvr.dir, "tampered.zip")

    def flip(name, data):
        if name == ofile["name"]:
            data = bytearray(data)
            data[len(data) // 2] ^= 1
            return bytes(data)
        return data
    rezip(orig, tampered, flip)
    out = os.path.join(nvr.dir, "from-tampered.zip")
    r = subprocess.run([NVR, "redact", "-c", nvr.config, tampered, docpath, out], capture_output=True, text=True,
                       timeout=120)
    check(r.returncode == 1 and "does not verify" in r.stderr and not os.path.exists(out),
          "a tampered original: exit %d, %r" % (r.returncode, r.stderr))
    leftovers = [n for n in os.listdir(nvr.dir) if ".redact-" in n]
    check(not leftovers, "temporary files left: %s" % leftovers)

    # ---- the same over HTTP: a job like an export ----
    def http(path, method="GET", body=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(nvr.base_url + path, method=method, data=data,
                                     headers={"Content-Type": "application/json"} if data is not None else {})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
        except OSError as e:  # not listening (yet)
            return 0, str(e).encode()

    def job(jid, timeout=120):
        seen = []

        def done():
            st, b = http("/api/v1/exports/" + jid)
            d = json.loads(b) if st == 200 else None
            if d:
                seen.append(d["progress"])
            return d if d and d["status"] in ("done", "failed") else None
        return wait_until(done, timeout), seen

    st, b = http("/api/v1/exports", "POST", {"cameras": ["lobby"], "start": iso(t_from), "end": iso(t_to),
                                             "reason": "incident 7"})
    eid = json.loads(b)["id"] if st == 202 else "0" * 32
    d, _ = job(eid)
    check(d and d["status"] == "done", "the HTTP export: %s" % d)
    st, b = http("/api/v1/exports/%s/redact?request=%s&requester=%s" % (eid, REQUEST, "J.%20Doe%20(parent)"),
                 "POST", doc)
    rj = json.loads(b) if st == 202 else {}
    check(st == 202 and len(rj.get("id", "")) == 32 and rj.get("redacted_from") == eid,
          "POST /exports/{id}/redact: %d %s" % (st, b[:300]))
    d, seen = job(rj.get("id", "0" * 32), 180)
    check(d and d["status"] == "done" and d["size"] > 0 and d["download_name"].endswith("-redacted.zip")
          and d["redacted_from"] == eid and all(0 <= p <= 1 for p in seen),
          "the redaction job: %s (progress seen %s)" % (d, seen[:20]))
    st, ozip = http("/api/v1/exports/%s/download" % eid)
    st2, rzip = http("/api/v1/exports/%s/download" % rj.get("id", ""))
    hz_o, hz_r = os.path.join(nvr.dir, "http-original.zip"), os.path.join(nvr.dir, "http-redacted.zip")
    open(hz_o, "wb").write(ozip)
    open(hz_r, "wb").write(rzip)
    v = verify("-c", nvr.config, hz_o, "--derived", hz_r)
    check(st == st2 == 200 and v.returncode == 0 and "chain verified" in v.stdout,
          "the HTTP redacted copy's chain: %d %d %s" % (st, st2, v.stdout[-600:]))
    if st2 == 200:
        with zipfile.ZipFile(hz_r) as z:
            hm = json.loads(z.read("manifest.json"))
        check(hm["request"] == {"number": REQUEST, "requester": REQUESTER} and hm["operator"] == "admin"
              and hm["derived_from"]["export_id"] == eid and
              [s["by"] for s in hm["redactions"]["shapes"]] == ["admin", "reviewer-1", "admin", "admin"],
              "the HTTP copy's manifest: %s %s %s" % (hm["request"], hm["operator"], hm["derived_from"]))
    # bad bodies: a clear 400 naming the field, 413 over 64 KiB, 409 for a copy of a copy
    st, b = http("/api/v1/exports/%s/redact" % eid, "POST", {"shapes": [dict(track, box=[0, 0, 2, 1])]})
    check(st == 400 and b"shapes[0].box" in b, "a bad document over HTTP: %d %s" % (st, b[:200]))
    big = {"shapes": [dict(black, by="x" * 100)] * 700}
    st, b = http("/api/v1/exports/%s/redact" % eid, "POST", big)
    check(st == 413, "a %d-byte document: %d %s" % (len(json.dumps(big)), st, b[:200]))
    st, b = http("/api/v1/exports/%s/redact" % rj.get("id", ""), "POST", doc)
    check(st == 409, "redacting a redacted copy over HTTP: %d %s" % (st, b[:200]))
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(nvr.data_dir, "index.db"), uri=True)
    logged = con.execute("SELECT user, address, detail FROM access_log WHERE action = 'export_redacted' "
                         "AND user = 'admin'").fetchall()
    check(len(logged) == 1 and logged[0][1] == "127.0.0.1" and ("request=" + REQUEST) in logged[0][2]
          and ("of=" + eid) in logged[0][2], "the HTTP job's export_redacted: %s" % logged)
    # after a restart the copy is listed again, still naming its original
    nvr.stop()
    nvr.start()
    check(wait_until(lambda: http("/api/v1/health")[0] == 200, 20), "nvr restarts")
    st, b = http("/api/v1/exports/" + rj.get("id", ""))
    d = json.loads(b) if st == 200 else {}
    check(d.get("status") == "done" and d.get("redacted_from") == eid and d.get("download_name", "").endswith(
        "-redacted.zip"), "the copy after a restart: %s" % d)

    nvr.stop()

finish("test_redact")
