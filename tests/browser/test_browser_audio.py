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
to store G.711 as FLAC (docs/design/ingest.md, "Audio") rely on.

Then the upgrade that made G.711 FLAC, as a district lives it: a camera
"gate" records AAC, nvr is stopped, the camera comes back sending G.711
(recorded as FLAC from then on), and hls.js plays gate's range across the
change, sound decoded on both sides (audio_switch_test.mjs)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Camera, Nvr, check, failures, finish, http_up, iso, wait_until  # noqa: E402

web_dir = os.environ["NVR_WEB_DIR"]
art = os.path.join(os.environ["NVR_ARTIFACTS"], "audio")

with Camera("h264_pcmu.mov", audio_codec="pcmu") as door, Camera("h264_l16.mov", audio_codec="l16") as yard, \
        Camera("h264_aac.mp4") as gate:
    nvr = Nvr("browser-audio", [
        ("door", {"url": door.url(), "segment_seconds": 4, "audio": "on", "name": "Door (G.711)"}),
        ("yard", {"url": yard.url(), "segment_seconds": 4, "audio": "on", "name": "Yard (L16)"}),
        ("gate", {"url": gate.url(), "segment_seconds": 4, "audio": "on", "name": "Gate (AAC, then G.711)"}),
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
    check(nvr.wait_segments("gate", 3, 40), "gate did not record AAC")
    check(nvr.stop() == 0, "nvr did not exit cleanly")

    # the upgrade: gate comes back sending G.711, recorded as FLAC from now on
    with open(nvr.config) as f:
        text = f.read()
    with open(nvr.config, "w") as f:
        f.write(text.replace("url = %s\n" % gate.url(), "url = %s\n" % door.url()))
    aac_rows = [r for r in nvr.db_rows("gate") if r["state"] == 0]
    nvr.start()
    check(wait_until(lambda: http_up(nvr.base_url), 10), "the server did not come back")
    check(wait_until(lambda: len([r for r in nvr.db_rows("gate") if r["state"] == 0]) >= len(aac_rows) + 2, 40),
          "gate did not record G.711 after the restart")
    rows = [r for r in nvr.db_rows("gate") if r["state"] == 0]
    codecs = [r["audio_codec"] for r in rows]
    flac = [r for r in rows if r["audio_codec"] == "flac"]
    check(aac_rows and flac and codecs[:len(aac_rows)] == ["aac"] * len(aac_rows),
          "gate's segments: %s, want AAC then FLAC" % codecs)
    if aac_rows and flac:
        switch = flac[0]["start_us"] / 1e6
        env2 = dict(env, PLAY_START=iso(switch - 3), PLAY_END=iso(flac[-1]["end_us"] / 1e6),
                    SWITCH_MS=str(int(switch * 1000)))
        r = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "audio_switch_test.mjs")], env=env2,
                           timeout=200)
        check(r.returncode == 0, "browser checks failed (audio_switch_test.mjs exit %d)" % r.returncode)
    check(nvr.stop() == 0, "nvr did not exit cleanly after the restart")
    if failures:
        print(nvr.log_text()[-3000:])
finish("test_browser_audio")
