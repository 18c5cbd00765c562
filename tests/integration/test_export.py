# SPDX-License-Identifier: Apache-2.0
"""Investigation export end to end: two cameras recorded from the test camera
with a segment boundary and a gap (the camera is stopped and restarted),
exported over a range spanning both, by the CLI and over HTTP.  Each MP4 is
checked with ffprobe/ffmpeg as an independent client: it decodes, its
timeline matches the index coverage of each run within two frames, the gap
is where the index says, it has the wall-clock text track, and the moov
comes before the mdat.  `nvr verify` passes, and fails naming the file when
one byte of any file (or the manifest, signature, key) changes; OpenSSL
verifies the signature too.  The files are named by the camera's name and
id ("main-lobby_lobby.mp4"; "gym.mp4" for a camera without a name), the
README.txt names the case, reason, operator, every camera by name and id,
the range in UTC and in the recorder's zone (run in America/Chicago here),
and every file's SHA-256, which must be the file's; SHA256SUMS.txt passes
`sha256sum -c` and `shasum -a 256 -c`; the download is offered under that
name and the list of exports names the cameras.  With --burn-time the zip
also holds a copy of the video with the time drawn into the top-left box
(those pixels changed, the rest of the picture nearly not), marked a
derivative in the manifest, while the original MP4 keeps its bytes.
`nvr verify --storage`
passes, then reports a modified and a deleted segment."""
import hashlib
import io
import json
import os
import re
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
import zipfile
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from harness import (Camera, Nvr, NVR, check, clip, finish, fragments, parse_time, top_level_boxes,
                     wait_until)

FRAME = 0.04  # 25 fps clips
base = None
ZONE = "America/Chicago"  # the recorder's zone: its README must name it and give both times
os.environ["TZ"] = ZONE   # inherited by nvr run and nvr export
LOBBY_MP4 = "main-lobby_lobby.mp4"  # camera "lobby" named "Main lobby"
GYM_MP4 = "gym.mp4"                 # camera "gym" without a name


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int(round((t % 1) * 1e6) % 1000000)


def http(path, method="GET", body=None, headers=None):
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    headers = dict(headers or {})
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(base + path, method=method, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def http_json(path, method="GET", body=None):
    st, h, raw = http(path, method, body)
    try:
        return st, json.loads(raw)
    except ValueError:
        return st, None


def expected_runs(rows, t_from, t_to):
    """[(first_frame, end)] wall clock per run: from the start of the fragment
    (GOP) containing t_from (or the first after it) to the end of the footage
    before t_to -- what the export should cover, from the index alone."""
    rows = [r for r in rows if r["state"] == 0 and r["end_us"] / 1e6 > t_from and r["start_us"] / 1e6 < t_to]
    runs = []
    for r in rows:
        scale = (r["end_us"] - r["start_us"]) / r["media_us"]
        media = 0
        first = None
        for nbytes, dur in fragments(r):
            w0 = (r["start_us"] + media * scale) / 1e6
            w1 = (r["start_us"] + (media + dur) * scale) / 1e6
            media += dur
            if w1 > t_from and w0 < t_to and first is None:
                first = w0
        end = min(r["end_us"] / 1e6, t_to)
        if runs and abs(runs[-1][1] - r["start_us"] / 1e6) < 1e-6:
            runs[-1][1] = end
        else:
            runs.append([first, end])
    return runs


def video_pts(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "packet=pts_time,duration_time", "-of", "csv=p=0", path], capture_output=True, text=True)
    out = []
    for line in r.stdout.split():
        p = line.split(",")
        out.append((float(p[0]), float(p[1]) if len(p) > 1 and p[1] not in ("", "N/A") else FRAME))
    return sorted(out)


def streams(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", path], capture_output=True, text=True)
    return json.loads(r.stdout)["streams"] if r.returncode == 0 else []


def cues(path):
    """[(start, end, text)] of the text track, through ffmpeg's SRT output."""
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:s", "-f", "srt", "-"],
                       capture_output=True, text=True)
    out = []
    for m in re.finditer(r"(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)\n(.*?)\n", r.stdout):
        g = [int(x) for x in m.groups()[:8]]
        a = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        b = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        out.append((a, b, re.sub(r"<[^>]+>", "", m.group(9))))
    return out


def check_mp4(path, name, runs, audio):
    """One exported MP4 against the index's coverage (runs)."""
    ss = streams(path)
    kinds = [(s["codec_type"], s["codec_name"]) for s in ss]
    check(("video", "h264") in kinds, "%s: no h264 video: %s" % (name, kinds))
    check(("subtitle", "mov_text") in kinds, "%s: no mov_text track: %s" % (name, kinds))
    check((("audio", "aac") in kinds) == audio, "%s: audio %s, want %s" % (name, kinds, audio))
    boxes = [b[1] for b in top_level_boxes(path)]
    check("moov" in boxes and "mdat" in boxes and boxes.index("moov") < boxes.index("mdat"),
          "%s: not faststart: %s" % (name, boxes))
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:v"] + (["-map", "0:a"] if audio else []) +
                       ["-f", "null", "-"], capture_output=True, text=True)
    check(r.returncode == 0 and r.stderr.strip() == "", "%s: decode errors: %s" % (name, r.stderr[:300]))
    pts = video_pts(path)
    if not check(len(pts) > 10, "%s: %d video packets" % (name, len(pts))):
        return
    # split the timeline at jumps longer than two frames: one piece per run
    # (the frame before a gap is held through it, so use the nominal frame time)
    pieces = [[pts[0][0], pts[0][0] + FRAME]]
    for (a, _), (b, _) in zip(pts, pts[1:]):
        if b - (a + FRAME) > 2 * FRAME:
            pieces.append([b, b])
        pieces[-1][1] = b + FRAME
    check(len(pieces) == len(runs), "%s: %d continuous pieces, index has %d runs in range" %
          (name, len(pieces), len(runs)))
    for i, (piece, run) in enumerate(zip(pieces, runs)):
        got, want = piece[1] - piece[0], run[1] - run[0]
        check(abs(got - want) <= 2 * FRAME + 0.001,
              "%s: run %d lasts %.3f s, index coverage %.3f s" % (name, i, got, want))
        # the gap before this run sits where the wall clock says
        where = run[0] - runs[0][0]
        check(abs(piece[0] - pieces[0][0] - where) <= 2 * FRAME + 0.001,
              "%s: run %d starts at %.3f s, wall clock says %.3f s" % (name, i, piece[0] - pieces[0][0], where))
    # the text track: a cue at least every second, saying the wall-clock time
    cs = cues(path)
    check(len(cs) >= int(sum(r[1] - r[0] for r in runs)), "%s: only %d cues" % (name, len(cs)))
    timed = [c for c in cs if "NO RECORDING" not in c[2]]
    long = [c for c in timed if c[1] - c[0] > 1.003]  # a wall second at the 500 ppm slew, in ms
    check(not long, "%s: time cues last more than 1 s: %s" % (name, long[:3]))
    check(len(runs) < 2 or any("NO RECORDING" in c[2] for c in cs), "%s: no cue for the gap" % name)
    for a, b, text in timed[:3] + timed[-3:]:
        m = re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", text)
        if not check(m, "%s: cue without a UTC time: %r" % (name, text)):
            continue
        shown = parse_time(m.group(1).replace(" ", "T") + "Z")
        # the wall clock at output time a, from the runs
        t0 = pieces[0][0]
        k = max(i for i, p in enumerate(pieces) if p[0] - t0 <= a + 0.001 or i == 0)
        wall = runs[k][0] + (a - (pieces[k][0] - t0))
        check(shown <= wall + 0.01 and wall < shown + 1.01,
              "%s: cue at %.3f s says %s, wall clock is %s" % (name, a, m.group(1), iso(wall)))


def verify(path):
    return subprocess.run([NVR, "verify", path], capture_output=True, text=True, timeout=120)


def tamper_tests(zpath, work):
    """Flip one byte in each member (re-zipped with a valid CRC, so only our
    hashes or the signature can catch it), and once in the raw archive."""
    with zipfile.ZipFile(zpath) as z:
        names = z.namelist()
        data = {n: z.read(n) for n in names}
    # the README a recipient reads and the checksum list its commands use are signed like the video
    check("README.txt" in names and "SHA256SUMS.txt" in names, "tamper victims %s" % names)
    for victim in names:
        out = os.path.join(work, "tampered.zip")
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
            for n in names:
                b = bytearray(data[n])
                if n == victim:
                    b[len(b) // 2] ^= 0x01
                z.writestr(n, bytes(b))
        r = verify(out)
        blamed = victim if victim not in ("manifest.json.sig", "public-key.pem") else "manifest.json"
        check(r.returncode != 0, "verify passed with one byte of %s flipped" % victim)
        check(re.search(r"FAILED: (%s|%s)" % (re.escape(victim), re.escape(blamed)), r.stdout),
              "verify did not name %s: %s" % (victim, r.stdout[-400:]))
    # a flipped byte in the stored archive itself (the CRC no longer matches either)
    raw = bytearray(open(zpath, "rb").read())
    with zipfile.ZipFile(zpath) as z:
        info = z.getinfo(names[0])
    off = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.file_size // 2
    raw[off] ^= 0x80
    out = os.path.join(work, "tampered-raw.zip")
    open(out, "wb").write(bytes(raw))
    r = verify(out)
    check(r.returncode != 0 and names[0] in r.stdout, "raw flip in %s not reported: %s" % (names[0], r.stdout[-300:]))
    # an added file
    out = os.path.join(work, "added.zip")
    with zipfile.ZipFile(out, "w") as z:
        for n in names:
            z.writestr(n, data[n])
        z.writestr("extra.txt", b"planted")
    r = verify(out)
    check(r.returncode != 0 and "extra.txt" in r.stdout, "an added file was not reported: %s" % r.stdout[-300:])


def check_export_zip(zpath, nvr, t_from, t_to, operator, native):
    work = zpath + ".d"
    os.makedirs(work, exist_ok=True)
    with zipfile.ZipFile(zpath) as z:
        names = z.namelist()
        z.extractall(work)
    for n in (LOBBY_MP4, GYM_MP4, "manifest.json", "manifest.json.sig", "public-key.pem", "README.txt",
              "SHA256SUMS.txt"):
        check(n in names, "%s: no %s in %s" % (zpath, n, names))
    check(any(n.startswith("native/") for n in names) == native, "%s: native files %s, want %s" % (zpath, names, native))
    check(not native or all(n.startswith(("native/main-lobby_lobby/lobby-", "native/gym/gym-"))
                            for n in names if n.startswith("native/")), "%s: native folders %s" % (zpath, names))
    for n in names:  # entry names a records officer's tools take as they are
        check(re.fullmatch(r"[a-z0-9][a-z0-9_.+/-]*", n, re.I) and ".." not in n and not n.startswith("/"),
              "%s: unsafe entry name %r" % (zpath, n))
    man = json.load(open(os.path.join(work, "manifest.json")))
    check(man["operator"] == operator, "manifest operator %r, want %r" % (man["operator"], operator))
    check(man["reason"] == "incident 42 in the lobby", "manifest reason %r" % man["reason"])
    check(man["range"]["start"] == iso(t_from) and man["range"]["end"] == iso(t_to), "manifest range %s" % man["range"])
    check(man["time_zone"]["name"] and "start_local" in man["range"], "manifest time zone %s" % man["time_zone"])
    check([c["id"] for c in man["cameras"]] == ["lobby", "gym"], "manifest cameras %s" % man["cameras"])
    check(man["cameras"][0]["name"] == "Main lobby", "camera name %r" % man["cameras"][0]["name"])
    check([f["name"] for c in man["cameras"] for f in c["files"]] == [LOBBY_MP4, GYM_MP4],
          "manifest camera files %s" % [c["files"] for c in man["cameras"]])
    check({"README.txt", "SHA256SUMS.txt"} <= {f["name"] for f in man["files"]},
          "README.txt and SHA256SUMS.txt are signed (listed in the manifest): %s" % [f["name"] for f in man["files"]])
    listed = {f["name"]: f for f in man["files"]}
    for n in names:
        if n in ("manifest.json", "manifest.json.sig", "public-key.pem"):
            continue
        got = hashlib.sha256(open(os.path.join(work, n), "rb").read()).hexdigest()
        check(n in listed and listed[n]["sha256"] == got, "%s: sha256 %s not in the manifest" % (n, got))
    for cam in man["cameras"]:
        rows = {r["id"]: r for r in nvr.db_rows(cam["id"])}
        check(cam["source_segments"], "%s: no source segments in the manifest" % cam["id"])
        for s in cam["source_segments"]:
            r = rows.get(s["id"])
            check(r and r["sha256"] and r["sha256"].hex() == s["sha256_at_ingest"],
                  "%s: source segment %s hash differs from the index" % (cam["id"], s["path"]))
    r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", os.path.join(work, "public-key.pem"),
                        "-rawin", "-in", os.path.join(work, "manifest.json"), "-sigfile",
                        os.path.join(work, "manifest.json.sig")], capture_output=True, text=True)
    check(r.returncode == 0 and "Verified Successfully" in r.stdout, "openssl does not verify: %s %s" % (r.stdout, r.stderr))
    for cam, audio, fname in (("lobby", True, LOBBY_MP4), ("gym", False, GYM_MP4)):
        runs = expected_runs(nvr.db_rows(cam), t_from, t_to)
        check(len(runs) >= 2, "%s: the range should span a gap, runs %s" % (cam, runs))
        check_mp4(os.path.join(work, fname), "%s:%s" % (os.path.basename(zpath), fname), runs, audio)
    for n in names:  # every video, the originals too, is one ffprobe accepts
        if n.endswith(".mp4"):
            r = subprocess.run(["ffprobe", "-v", "error", "-show_format", os.path.join(work, n)], capture_output=True,
                               text=True)
            check(r.returncode == 0 and not r.stderr.strip(), "ffprobe refuses %s: %s" % (n, r.stderr[:300]))
    check_readme(work, names, man, operator)
    r = verify(zpath)
    check(r.returncode == 0 and "verified" in r.stdout, "nvr verify failed on a fresh export: %s" % r.stdout[-500:])
    check_manifest_log(man, nvr, operator)
    return man, work


def when(t, zone=None):
    """'2026-11-22 09:00:00' of instant t (seconds) in UTC, or in zone; with the zone's abbreviation."""
    d = datetime.fromtimestamp(t, ZoneInfo(zone) if zone else timezone.utc)
    return d.strftime("%Y-%m-%d %H:%M:%S"), d.tzname()


def check_readme(work, names, man, operator):
    """README.txt for a records officer: who, why, which cameras by name and
    id, the range in UTC and in the recorder's zone, the signing key, every
    file with its SHA-256 (which must be the file's), the commands to check
    them on Linux, macOS and Windows and the signature; SHA256SUMS.txt for
    those commands, which pass here."""
    text = open(os.path.join(work, "README.txt"), encoding="utf-8").read()
    long = [line for line in text.split("\n") if len(line) > 100]
    check(not long and "\r" not in text, "README.txt lines over 100 columns: %s" % long[:3])
    for want in ("Reason:       incident 42 in the lobby", "Exported by:  %s" % operator,
                 '1. Main lobby (camera id "lobby")', '2. gym (camera id "gym")', "Video file %s" % LOBBY_MP4,
                 "Video file %s" % GYM_MP4, man["signing_key"]["fingerprint"], "sha256sum -c SHA256SUMS.txt",
                 "shasum -a 256 -c SHA256SUMS.txt", "Get-FileHash -Algorithm SHA256 %s" % LOBBY_MP4,
                 "certutil -hashfile %s SHA256" % LOBBY_MP4, "Get-FileHash -Algorithm SHA256 %s" % GYM_MP4,
                 "certutil -hashfile %s SHA256" % GYM_MP4, "nvr verify EXPORT.zip --fingerprint",
                 "openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin"):
        check(want in text, "README.txt lacks %r" % want)
    # the range and the export time, in UTC and in the recorder's zone, naming the zone
    start, end = parse_time(man["range"]["start"]), parse_time(man["range"]["end"])
    exported = parse_time(man["exported_at"])
    for t, label in ((start, "from"), (end, "to")):
        u, _ = when(t)
        loc, abbr = when(t, ZONE)
        check(re.search(r"%s %s(\.\d{3})? UTC" % (label, re.escape(u)), text),
              "README.txt lacks the range's %s in UTC (%s)" % (label, u))
        check(re.search(r"%s %s(\.\d{3})? %s \(UTC-0[56]:00\)" % (label, re.escape(loc), abbr), text),
              "README.txt lacks the range's %s in %s (%s %s)" % (label, ZONE, loc, abbr))
    loc, abbr = when(exported, ZONE)
    check(re.search(r"Exported at:  %s" % re.escape(when(exported)[0]), text) and loc in text,
          "README.txt lacks the export time in UTC and local (%s)" % loc)
    check(re.search(r"Time zone:    %s \(%s, UTC-0[56]:00" % (re.escape(ZONE), abbr), text),
          "README.txt does not name the zone %s (%s)" % (ZONE, abbr))
    # every file with its SHA-256, and each one the file's
    listed = dict(re.findall(r"\n  (\S+) \([\d,]+ bytes\)\n    SHA-256: ([0-9a-f]{64})\n", text))
    media = [n for n in names if n.endswith(".mp4")]
    check(sorted(listed) == sorted(media), "README.txt lists files %s, the zip has %s" % (sorted(listed), media))
    for n, h in listed.items():
        got = hashlib.sha256(open(os.path.join(work, n), "rb").read()).hexdigest() if n in names else None
        check(got == h, "README.txt: %s SHA-256 %s, the file's is %s" % (n, h, got))
    sums = open(os.path.join(work, "SHA256SUMS.txt")).read()
    check(sorted(line.split("  ", 1)[1] for line in sums.splitlines()) == sorted(media),
          "SHA256SUMS.txt lists %s" % sums[:300])
    for cmd in (["sha256sum", "-c", "SHA256SUMS.txt"], ["shasum", "-a", "256", "-c", "SHA256SUMS.txt"]):
        r = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
        check(r.returncode == 0 and r.stdout.count(": OK") == len(media),
              "%s in the unzipped export: %s %s" % (" ".join(cmd), r.stdout[-300:], r.stderr[-300:]))


def gray_frame(path, at):
    """The luma plane of the frame shown at `at` seconds: (width, height, bytes)."""
    v = [x for x in streams(path) if x["codec_type"] == "video"][0]
    r = subprocess.run(["ffmpeg", "-v", "error", "-ss", "%.3f" % at, "-i", path, "-frames:v", "1", "-f", "rawvideo",
                        "-pix_fmt", "gray", "-"], capture_output=True)
    return v["width"], v["height"], r.stdout


def check_burn(nvr, t_from, t_to, man):
    """burn_time: beside the stream copy (unchanged: the same bytes as without
    it), a copy with the time drawn into the top-left box; the manifest calls it
    a derivative of the original, the README says so, nvr verify accepts it."""
    bz = os.path.join(nvr.dir, "burn.zip")
    r = subprocess.run([NVR, "export", "-c", nvr.config, "--camera", "lobby", "--from", iso(t_from), "--to", iso(t_to),
                        "-o", bz, "--reason", "time burned in", "--burn-time"], capture_output=True, text=True,
                       timeout=300)
    if not check(r.returncode == 0, "nvr export --burn-time failed: %s %s" % (r.stdout, r.stderr)):
        return
    burned = "main-lobby_lobby-with-time.mp4"
    work = bz + ".d"
    with zipfile.ZipFile(bz) as z:
        names = z.namelist()
        z.extractall(work)
    check(names[:2] == [LOBBY_MP4, burned], "burn export entries %s" % names)
    check(not [n for n in os.listdir(nvr.dir) if ".burn-" in n], "temporary files left: %s" % os.listdir(nvr.dir))
    bman = json.load(open(os.path.join(work, "manifest.json")))
    orig = {f["name"]: f["sha256"] for f in man["files"]}
    got = {f["name"]: f["sha256"] for f in bman["files"]}
    check(got.get(LOBBY_MP4) == orig.get(LOBBY_MP4), "the original video differs with burn_time: %s %s" %
          (got.get(LOBBY_MP4), orig.get(LOBBY_MP4)))
    files = bman["cameras"][0]["files"]
    check(len(files) == 2 and "derivative" not in files[0] and files[1]["name"] == burned and
          files[1].get("derivative", {}).get("of") == LOBBY_MP4 and "burned" in json.dumps(files[1]["derivative"]),
          "the manifest's derivative: %s" % files)
    readme = open(os.path.join(work, "README.txt")).read()
    check("Copy %s: the video above with the date and time burned into" % burned in readme and
          "%s is the evidence" % LOBBY_MP4 in readme, "README on the copy: %s" % readme[:1500])
    v = verify(bz)
    check(v.returncode == 0 and "verified" in v.stdout, "nvr verify on a burn_time export: %s" % v.stdout[-400:])
    kinds = sorted((s["codec_type"], s["codec_name"]) for s in streams(os.path.join(work, burned)))
    check(kinds == [("audio", "aac"), ("subtitle", "mov_text"), ("video", "h264")], "burned streams %s" % kinds)
    a, b = os.path.join(work, LOBBY_MP4), os.path.join(work, burned)
    check(abs(video_pts(a)[-1][0] - video_pts(b)[-1][0]) < 0.1, "the copy's timeline differs from the original's")
    w, h, fa = gray_frame(a, 2.0)
    _, _, fb = gray_frame(b, 2.0)
    if not check(len(fa) == w * h and len(fb) == w * h, "frames %d %d, want %d" % (len(fa), len(fb), w * h)):
        return
    s = h // 270 if h >= 270 else 1  # export_burn_box
    bx, by, bw, bh = 4 * s, 4 * s, min(220 * s, w - 4 * s), min(22 * s, h - 4 * s)
    inside = [(x, y) for y in range(by, by + bh) for x in range(bx, bx + bw)]
    dark = sum(1 for x, y in inside if fb[y * w + x] < 40)
    light = sum(1 for x, y in inside if fb[y * w + x] > 200)
    changed = sum(1 for x, y in inside if abs(fb[y * w + x] - fa[y * w + x]) > 30)
    check(dark > 0.5 * len(inside) and light > 0.03 * len(inside) and changed > 0.3 * len(inside),
          "the time box: %d dark, %d light, %d changed of %d pixels" % (dark, light, changed, len(inside)))
    outside = [fa[i] - fb[i] for i in range(0, w * h, 7) if not (bx <= i % w < bx + bw + 4 and i // w < by + bh + 4)]
    mad = sum(abs(d) for d in outside) / max(1, len(outside))
    check(mad < 6, "the picture outside the box changed by %.1f on average" % mad)
    print("burn_time: %dx%d, box %dx%d: %d dark, %d light, %d changed; outside mean abs diff %.2f" %
          (w, h, bw, bh, dark, light, changed, mad))


def check_manifest_log(man, nvr, operator, ref=None):
    """The manifest lists the export's own access-log entries (one
    export_created per camera, by the operator) exactly as the log holds
    them, and the log's head when it was written."""
    log = man.get("access_log") or {}
    entries = log.get("entries", [])
    check(sorted(e["camera"] for e in entries) == ["gym", "lobby"] and
          all(e["action"] == "export_created" and e["user"] == operator for e in entries),
          "manifest access_log entries: %s" % entries)
    details = {e["detail"] for e in entries}
    check(len(details) == 1 and (ref is None or details == {"export=" + ref}), "entries of one export: %s" % details)
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(nvr.data_dir, "index.db"), uri=True)
    for e in entries:
        row = con.execute("SELECT action, camera, detail, hex(hash) FROM access_log WHERE id = ?", (e["id"],)).fetchone()
        check(row and row[0] == e["action"] and row[2] == e["detail"] and row[3].lower() == e["hash"],
              "manifest entry %s differs from the log: %s" % (e, row))
    head = log.get("head", {})
    row = con.execute("SELECT hex(hash) FROM access_log WHERE id = ?", (head.get("id", -1),)).fetchone()
    check(row and row[0].lower() == head.get("hash") and head["id"] >= max([e["id"] for e in entries] or [0]),
          "manifest access_log head %s vs log %s" % (head, row))
    # every export writes a signed checkpoint of the log first (issue 13 row 6): the head is anchored
    row = con.execute("SELECT action, detail FROM access_log WHERE id = ?", (head.get("id", -1),)).fetchone()
    check(row and row[0] == "log_checkpoint" and "reason=export" in row[1] and "sig=" in row[1],
          "the manifest's head is the export's checkpoint: %s" % (row,))
    con.close()


def export_holds(nvr):
    """The holds exports took: (active, released)."""
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(nvr.data_dir, "index.db"), uri=True)
    rows = con.execute("SELECT id, released_by, export_pid FROM holds WHERE export_pid IS NOT NULL").fetchall()
    con.close()
    return [r for r in rows if r[1] is None], [r for r in rows if r[1] is not None]


with Camera("h264_aac.mp4") as cam:
    nvr = Nvr("export", [("lobby", {"url": cam.url(), "segment_seconds": 3, "audio": "on", "name": "Main lobby"}),
                         ("gym", {"url": cam.url(), "segment_seconds": 3})])
    base = nvr.base_url
    nvr.start()
    check(nvr.wait_segments("lobby", 2, 40) and nvr.wait_segments("gym", 2, 40), "no segments before the gap")
    cam.stop()
    time.sleep(4)
    cam.start()
    check(wait_until(lambda: all(len([r for r in nvr.db_rows(c) if r["state"] == 0 and
                                      r["start_us"] / 1e6 > time.time() - 30 and
                                      r["session"] != nvr.db_rows(c)[0]["session"]]) >= 2
                                 for c in ("lobby", "gym")), 40), "no segments after the gap")
    rows = nvr.db_rows("lobby")
    done = [r for r in rows if r["state"] == 0]
    t_from = done[0]["start_us"] / 1e6 + 1.3          # mid-GOP: the export starts at the keyframe before
    # mid-GOP at the end: cut at the frame; only finished footage of both cameras,
    # so the CLI and HTTP exports (made at different times) see the same
    t_to = min(max(r["end_us"] for r in nvr.db_rows(c) if r["state"] == 0) for c in ("lobby", "gym")) / 1e6 - 0.7
    reason = "incident 42 in the lobby"

    # ---- CLI ----
    out = os.path.join(nvr.dir, "cli.zip")
    r = subprocess.run([NVR, "export", "-c", nvr.config, "--camera", "lobby,gym", "--from", iso(t_from), "--to",
                        iso(t_to), "-o", out, "--reason", reason, "--native"], capture_output=True, text=True,
                       timeout=120)
    check(r.returncode == 0, "nvr export failed: %s %s" % (r.stdout, r.stderr))
    import pwd
    man, work = check_export_zip(out, nvr, t_from, t_to, pwd.getpwuid(os.getuid()).pw_name, True)
    active, released = export_holds(nvr)
    check(not active and len(released) == 1 and released[0][1] == "export",
          "the CLI export's temporary hold: active %s, released %s" % (active, released))
    tamper_tests(out, work)
    r = subprocess.run([NVR, "version", "--key", "-c", nvr.config], capture_output=True, text=True)
    check(r.returncode == 0 and man["signing_key"]["fingerprint"] in r.stdout and "BEGIN PUBLIC KEY" in r.stdout,
          "nvr version --key: %s" % r.stdout)
    key_mode = os.stat(os.path.join(nvr.data_dir, "signing-key.pem")).st_mode & 0o777
    check(key_mode == 0o600, "signing key mode %o" % key_mode)

    # CLI bad input
    for args, rc in ((["--camera", "nosuch"], 2), (["--to", iso(t_from - 10)], 2),
                     (["--from", "2020-01-01T00:00:00Z", "--to", "2020-01-01T01:00:00Z"], 1),
                     (["--from", "2020-01-01T00:00:00Z", "--to", "2020-01-09T00:00:00Z"], 2),
                     (["--from", "yesterday"], 2)):
        argv = {"--camera": "lobby", "--from": iso(t_from), "--to": iso(t_to)}
        for i in range(0, len(args), 2):
            argv[args[i]] = args[i + 1]
        bad = os.path.join(nvr.dir, "bad.zip")
        r = subprocess.run([NVR, "export", "-c", nvr.config, "-o", bad] + [x for kv in argv.items() for x in kv],
                           capture_output=True, text=True)
        check(r.returncode == rc and r.stderr.strip() and not os.path.exists(bad),
              "nvr export %s: exit %d (want %d), stderr %r" % (args, r.returncode, rc, r.stderr))

    # ---- HTTP ----
    body = {"cameras": ["lobby", "gym"], "start": iso(t_from), "end": iso(t_to), "reason": reason, "native": False}
    st, doc = http_json("/api/v1/exports", "POST", body)
    check(st == 202 and doc and len(doc.get("id", "")) == 32, "POST /exports: %s %s" % (st, doc))
    eid = doc["id"] if doc else "x"
    seen = set()

    def finished():
        s, d = http_json("/api/v1/exports/" + eid)
        if s == 200 and d:
            seen.add(d["status"])
            check(0 <= d["progress"] <= 1, "progress %s" % d["progress"])
            return d if d["status"] in ("done", "failed") else None
        return None
    d = wait_until(finished, 60)
    check(d and d["status"] == "done" and d["size"] > 0 and d["error"] is None, "export job: %s" % d)
    st, h, data = http("/api/v1/exports/%s/download" % eid)
    check(st == 200 and h.get("Content-Type") == "application/zip" and d and len(data) == d["size"],
          "download: %s %s %d" % (st, h.get("Content-Type"), len(data)))
    dname = "export_main-lobby_lobby+gym_%s.zip" % time.strftime("%Y-%m-%d_%H%M%SZ", time.gmtime(int(t_from)))
    check(h.get("Content-Disposition") == 'attachment; filename="%s"' % dname and d and d["download_name"] == dname,
          "the download's suggested name: %s, job %s (want %s)" % (h.get("Content-Disposition"),
                                                                 d and d.get("download_name"), dname))
    hz = os.path.join(nvr.dir, "http.zip")
    open(hz, "wb").write(data)
    st, h, part = http("/api/v1/exports/%s/download" % eid, headers={"Range": "bytes=10-109"})
    check(st == 206 and part == data[10:110], "download range: %s %d bytes" % (st, len(part)))
    hman, hwork = check_export_zip(hz, nvr, t_from, t_to, "admin", False)  # the harness's signed-in admin
    check_manifest_log(hman, nvr, "admin", eid)
    st, doc = http_json("/api/v1/holds?all=true")
    ex = [h for h in doc["holds"] if h["export"]] if st == 200 else []
    check(len(ex) == 2 and all(not h["active"] and h["released_by"] == "export" and h["cameras"] == ["gym", "lobby"]
                               and h["start"] == iso(t_from) for h in ex) and eid in ex[-1]["reason"],
          "the exports' temporary holds over HTTP: %s" % ex)
    # an export's hold cannot be released by hand while its process lives; a
    # dead exporter's hold is released by the next export (or at start-up)
    con = sqlite3.connect(os.path.join(nvr.data_dir, "index.db"))
    dead = subprocess.Popen(["true"])
    dead.wait()
    for pid in (nvr.proc.pid, dead.pid):
        cur = con.execute("INSERT INTO holds(start_us, end_us, case_id, reason, created_by, created_us, export_pid) "
                          "VALUES (?, ?, '', 'export x in progress', 'admin', ?, ?)",
                          (int(t_from * 1e6), int(t_to * 1e6), int(time.time() * 1e6), pid))
        con.execute("INSERT INTO hold_cameras(hold_id, camera) VALUES (?, 'lobby')", (cur.lastrowid,))
    con.commit()
    live_hold, dead_hold = [r[0] for r in con.execute("SELECT id FROM holds ORDER BY id DESC LIMIT 2")][::-1]
    con.close()
    st, doc = http_json("/api/v1/holds/%d" % live_hold, "DELETE")
    check(st == 409 and doc and "export" in doc.get("error", ""), "DELETE a running export's hold: %s %s" % (st, doc))
    for n in (LOBBY_MP4, GYM_MP4):
        a = [f["sha256"] for f in man["files"] if f["name"] == n]
        b = [f["sha256"] for f in hman["files"] if f["name"] == n]
        check(a == b, "%s differs between the CLI and the HTTP export (same range): %s %s" % (n, a, b))
    st, doc = http_json("/api/v1/exports")
    check(st == 200 and any(e["id"] == eid and e["cameras"] == ["lobby", "gym"] and e["reason"] == reason and
                            e["camera_names"] == ["Main lobby", "gym"] for e in doc["exports"]),
          "GET /exports: %s" % doc)

    # HTTP bad input: 4xx with a JSON error, never a crash
    bad = [(b"not json", 400), ({"cameras": [], "start": iso(t_from), "end": iso(t_to)}, 400),
           ({"cameras": ["nosuch"], "start": iso(t_from), "end": iso(t_to)}, 404),
           ({"cameras": ["lobby"], "start": "noon", "end": iso(t_to)}, 400),
           ({"cameras": ["lobby"], "start": iso(t_to), "end": iso(t_from)}, 400),
           ({"cameras": ["lobby"], "start": "2020-01-01T00:00:00Z", "end": "2020-01-09T00:00:00Z"}, 400),
           ({"cameras": ["lobby"], "start": "2020-01-01T00:00:00Z", "end": "2020-01-01T01:00:00Z"}, 404),
           ({"cameras": ["lobby", "lobby"], "start": iso(t_from), "end": iso(t_to)}, 400),
           ({"cameras": ["lobby"], "start": iso(t_from), "end": iso(t_to), "native": "yes"}, 400),
           ({"cameras": ["lobby"], "start": iso(t_from), "end": iso(t_to), "burn_time": 1}, 400),
           ({"cameras": ["lobby"], "start": iso(t_from), "end": iso(t_to), "reason": 7}, 400)]
    for b, want in bad:
        st, doc = http_json("/api/v1/exports", "POST", b)
        check(st == want and isinstance(doc, dict) and doc.get("error"), "POST %r: %s %s (want %d)" % (b, st, doc, want))
    for path in ("/api/v1/exports/" + "0" * 32, "/api/v1/exports/nothex", "/api/v1/exports/%s/download" % ("f" * 32),
                 "/api/v1/exports/../download"):
        st, doc = http_json(path)
        check(st == 404 and doc and doc.get("error"), "GET %s: %s %s" % (path, st, doc))
    # who may export: investigators, only cameras they are granted, only their own jobs
    nvr.add_user("ilobby", "investigator", "a long password one", ["lobby"])
    nvr.add_user("watcher", "viewer", "a long password two", ["*"])
    itok = {"Authorization": "Bearer " + nvr.make_token("ilobby")}
    vtok = {"Authorization": "Bearer " + nvr.make_token("watcher")}
    one = {"cameras": ["lobby"], "start": iso(t_from), "end": iso(t_to), "reason": reason}
    st, _, _ = http("/api/v1/exports", "POST", one, headers=vtok)
    check(st == 403, "a viewer queued an export: %s" % st)
    st, _, _ = http("/api/v1/exports", "POST", dict(one, cameras=["gym"]), headers=itok)
    check(st == 404, "an investigator exported a camera not granted: %s" % st)
    st, _, raw = http("/api/v1/exports", "POST", one, headers=itok)
    mine = json.loads(raw).get("id", "") if st == 202 else ""
    check(st == 202 and mine, "investigator export: %s %r" % (st, raw[:200]))
    st, _, raw = http("/api/v1/exports/" + eid, headers=itok)
    check(st == 404, "an investigator saw another user's export: %s" % st)
    st, _, raw = http("/api/v1/exports/%s/download" % eid, headers=itok)
    check(st == 404, "an investigator downloaded another user's export: %s" % st)
    st, _, raw = http("/api/v1/exports", headers=itok)
    ids = [e["id"] for e in json.loads(raw)["exports"]] if st == 200 else None
    check(ids == [mine], "an investigator's list: %s" % ids)
    st, doc = http_json("/api/v1/exports/" + mine)  # the admin sees every export
    check(st == 200 and doc["operator"] == "ilobby", "admin view of the investigator's export: %s %s" % (st, doc))
    req = urllib.request.Request(base + "/api/v1/exports", headers={"Authorization": "Bearer nope"})
    try:
        urllib.request.urlopen(req, timeout=10)
        st = 200
    except urllib.error.HTTPError as e:
        st = e.code
    check(st == 401, "a bad token listed exports: %s" % st)
    check(wait_until(lambda: http_json("/api/v1/exports/" + mine)[1]["status"] in ("done", "failed"), 60),
          "the investigator's export did not finish")
    st, doc = http_json("/api/v1/holds/%d" % dead_hold)
    check(st == 200 and not doc["active"] and doc["released_by"] == "nvr", "a dead exporter's hold: %s %s" % (st, doc))
    st, doc = http_json("/api/v1/holds/%d" % live_hold)
    check(st == 200 and doc["active"], "a live exporter's hold was released: %s %s" % (st, doc))
    check_burn(nvr, t_from, t_to, man)  # after the holds are counted: it makes one more
    check(nvr.proc.poll() is None, "nvr died")
    check(nvr.stop() == 0, "nvr did not stop cleanly")
    # after a restart the finished exports are listed from their zips' manifests: names, range, reason
    nvr.start()
    def listing():
        try:
            return http_json("/api/v1/exports")[0] == 200
        except OSError:  # not listening yet
            return False
    check(wait_until(listing, 20), "nvr did not come back")
    st, doc = http_json("/api/v1/exports")
    again = [e for e in doc["exports"] if e["id"] == eid] if st == 200 and doc else []
    check(again and again[0]["camera_names"] == ["Main lobby", "gym"] and again[0]["cameras"] == ["lobby", "gym"] and
          again[0]["download_name"] == dname and again[0]["reason"] == reason and again[0]["start"] == iso(t_from) and
          again[0]["operator"] == "admin", "an export found on disk at start-up: %s" % again)
    check(nvr.stop() == 0, "nvr did not stop cleanly after the restart")

# ---- nvr verify --storage ----
r = subprocess.run([NVR, "verify", "-c", nvr.config, "--storage"], capture_output=True, text=True, timeout=120)
check(r.returncode == 0 and re.search(r"storage: \d+ segments verified, 0 altered", r.stdout),
      "verify --storage on intact footage: %s %s" % (r.stdout, r.stderr))
done = [x for x in nvr.db_rows() if x["state"] == 0]
altered, deleted = done[1]["path"], done[2]["path"]
with open(nvr.path(altered), "r+b") as f:
    f.seek(os.path.getsize(nvr.path(altered)) // 2)
    b = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([b[0] ^ 0x01]))
os.unlink(nvr.path(deleted))
r = subprocess.run([NVR, "verify", "-c", nvr.config, "--storage"], capture_output=True, text=True, timeout=120)
check(r.returncode == 1 and "altered: " + altered in r.stdout and "missing: " + deleted in r.stdout and
      "2 altered or missing" in r.stdout, "verify --storage did not report the damage: %s" % r.stdout)

# ---- a camera whose resolution changes: one file per format, in order ----
cam = Camera("h264_4s.mp4")
cam.args += ["--switch-clip", clip("h264_4s_320.mp4")]
with cam:
    nvr2 = Nvr("export-parts", [("c", {"url": cam.url(), "segment_seconds": 60})])
    nvr2.start()
    time.sleep(11)
    check(nvr2.stop() == 0, "nvr (parts) did not stop cleanly")
rows = [r for r in nvr2.db_rows("c") if r["state"] == 0]
out = os.path.join(nvr2.dir, "parts.zip")
r = subprocess.run([NVR, "export", "-c", nvr2.config, "--camera", "c", "--from", iso(rows[0]["start_us"] / 1e6),
                    "--to", iso(rows[-1]["end_us"] / 1e6), "-o", out], capture_output=True, text=True, timeout=120)
check(r.returncode == 0, "export of a changing camera failed: %s" % r.stderr)
if os.path.exists(out):
    with zipfile.ZipFile(out) as z:
        parts = sorted(n for n in z.namelist() if n.endswith(".mp4"))
        z.extractall(out + ".d")
    check(parts == ["c-part%d.mp4" % (i + 1) for i in range(len(rows))],
          "%d segments of alternating sizes gave files %s" % (len(rows), parts))
    for i, (n, row) in enumerate(zip(parts, rows)):
        v = [s for s in streams(os.path.join(out + ".d", n)) if s["codec_type"] == "video"]
        check(v and (v[0]["width"], v[0]["height"]) == (row["width"], row["height"]),
              "%s: %s, index says %dx%d" % (n, v and (v[0]["width"], v[0]["height"]), row["width"], row["height"]))
    r = verify(out)
    check(r.returncode == 0, "verify of the parts export: %s" % r.stdout[-300:])
finish("test_export")
