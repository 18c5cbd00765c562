# SPDX-License-Identifier: Apache-2.0
"""G.711 audio in a real browser (Debian's chromium driven by playwright-core:
tests/browser/audio_test.mjs), against `nvr run` with two cameras, both with
`audio = on`: "door" sends G.711 u-law (recorded as FLAC at 8 kHz), "yard"
sends L16, a codec nvr cannot record.

The Node driver checks: the cameras page shows "audio g711 -> flac" for door
and the warning badge "audio not recorded: L16" for yard; a recorded
segment of door (8 kHz FLAC in fMP4) plays through Media Source Extensions
in Chromium -- buffered, currentTime advances, audio bytes decoded, no
media error -- and door's recorded range plays through hls.js from
playback.m3u8 with its audio decoded: what the decisions to keep 8 kHz and
to store G.711 as FLAC (docs/design/ingest.md, "Audio") rely on."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, Nvr, check, failures, finish, http_up, iso, wait_until  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "audio")

with Camera("h264_pcmu.mov", audio_codec="pcmu") as door, Camera("h264_l16.mov", audio_codec="l16") as yard:
    nvr = Nvr("browser-audio", [
        ("door", {"url": door.url(), "segment_seconds": 4, "audio": "on", "name": "Door (G.711)"}),
        ("yard", {"url": yard.url(), "segment_seconds": 4, "audio": "on", "name": "Yard (L16)"}),
    ], server_extra="web_dir = %s" % web_dir)
    nvr.start()
    check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come up")
    check(nvr.wait_segments("door", 2, 40), "door did not record")
    rows = [r for r in nvr.db_rows("door") if r["state"] == 0]
    env = dict(os.environ, BASE_URL=nvr.base_url, ARTIFACTS=art, ADMIN_USER="admin",
               ADMIN_PASSWORD=Nvr.ADMIN_PASSWORD, SEGMENT_ID=str(rows[-1]["id"]) if rows else "0",
               PLAY_START=iso(rows[0]["start_us"] / 1e6) if rows else "", PLAY_END=iso(rows[-1]["end_us"] / 1e6) if rows else "")
    r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "audio_test.mjs")], env=env, timeout=200)
    check(r.returncode == 0, "browser checks failed (audio_test.mjs exit %d; screenshots in %s)" % (r.returncode, art))
    check(nvr.stop() == 0, "nvr did not exit cleanly")
    if failures:
        print(nvr.log_text()[-3000:])
finish("test_browser_audio")
