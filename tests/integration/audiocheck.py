# SPDX-License-Identifier: Apache-2.0
"""audiocheck.py - what the tests that record sound ask of a file, with
ffmpeg/ffprobe as the independent client: a track's duration, and whether
every decoded sample is a level of a G.711 law (a lossless copy of what the
camera sent; test_audio, test_replay_camera)."""
import audioop  # noqa: E402  (deprecated in 3.11, still here: the G.711 tables)
import subprocess


def track_duration(path, sel, extra=()):
    """First pts to last pts + duration of a track's packets, in seconds."""
    r = subprocess.run(["ffprobe", "-v", "error"] + list(extra) + ["-select_streams", sel, "-show_entries",
                        "packet=pts_time,duration_time", "-of", "csv=p=0", path],
                       capture_output=True, text=True, timeout=120)
    pts, last_dur = [], 0.0
    for line in r.stdout.split():
        parts = line.split(",")
        try:
            pts.append(float(parts[0]))
            if len(parts) > 1 and parts[1] not in ("", "N/A"):
                last_dur = float(parts[1])
        except ValueError:
            continue
    if last_dur == 0.0 and len(pts) >= 2:  # ffprobe gives FLAC packets of an fMP4 no duration: as the one before
        last_dur = sorted(pts)[-1] - sorted(pts)[-2]
    return max(pts) - min(pts) + last_dur if pts else 0.0


LAW_LEVELS = {
    "pcmu": set(int.from_bytes(audioop.ulaw2lin(bytes([b]), 2), "little", signed=True) for b in range(256)),
    "pcma": set(int.from_bytes(audioop.alaw2lin(bytes([b]), 2), "little", signed=True) for b in range(256)) | {0},
}


def off_law_samples(path, law):
    """(samples decoded from the file's audio, how many are not a level of the G.711 law) -- 0 for a
    lossless copy (0 is allowed for A-law too: the silence a gap or the last frame is padded with)."""
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:a:0", "-f", "s16le", "-"],
                       capture_output=True, timeout=120)
    raw = r.stdout
    vals = [int.from_bytes(raw[i:i + 2], "little", signed=True) for i in range(0, len(raw) - 1, 2)]
    return len(vals), sum(1 for v in vals if v not in LAW_LEVELS[law])
