// SPDX-License-Identifier: Apache-2.0
// audio_switch_test.mjs - a camera whose recorded sound changes codec in
// the middle of the range played: "gate" recorded AAC, then (nvr restarted
// with the camera sending G.711, as after the upgrade that made G.711 FLAC)
// FLAC.  Started by test_browser_audio.py.  hls.js (the playback page's
// player) plays gate's playlist from 3 s before the change: the playlist
// says DISCONTINUITY and gives a new EXT-X-MAP there, and the player must
// go on into the FLAC part with its sound decoded.
// Environment (with lib.mjs's): ADMIN_USER, ADMIN_PASSWORD, PLAY_START,
// PLAY_END (RFC 3339), SWITCH_MS (wall-clock ms of the first FLAC segment).
import { check, finish, launch, login } from './lib.mjs';

const browser = await launch(['--autoplay-policy=no-user-gesture-required']);
try {
  const page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage();
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'the admin signs in');
  const r = await page.evaluate(async ({ start, end, switchMs }) => {
    const Hls = (await import('/vendor/hls.mjs')).default;
    const v = document.createElement('video');
    document.body.appendChild(v);
    const hls = new Hls({ enableWorker: false });
    let error = null;
    let frags = [];
    hls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) error = d.details; });
    hls.on(Hls.Events.LEVEL_LOADED, (_e, d) => { frags = d.details.fragments; });
    hls.loadSource(`/api/v1/cameras/gate/playback.m3u8?start=${encodeURIComponent(start)}&end=${encodeURIComponent(end)}`);
    hls.attachMedia(v);
    const t0 = Date.now();
    while (v.readyState < 2 && !error && Date.now() - t0 < 15000) await new Promise((ok) => setTimeout(ok, 100));
    // the media time where the FLAC part begins
    const first = frags.find((f) => f.programDateTime !== null && f.programDateTime >= switchMs - 500);
    const switchAt = first ? first.start : null;
    try { await v.play(); } catch (e) { error = error || String(e); }
    // play until 2 s past the change (at most 15 s)
    let before = null;
    while (!error && switchAt !== null && v.currentTime < switchAt + 2 && Date.now() - t0 < 30000) {
      if (before === null && v.currentTime >= switchAt) before = v.webkitAudioDecodedByteCount;
      await new Promise((ok) => setTimeout(ok, 100));
    }
    const out = { switchAt, currentTime: v.currentTime, readyState: v.readyState, frags: frags.length,
                  bytesAtSwitch: before, bytesAfter: v.webkitAudioDecodedByteCount, error,
                  mediaError: v.error && v.error.message };
    hls.destroy();
    return out;
  }, { start: process.env.PLAY_START, end: process.env.PLAY_END, switchMs: Number(process.env.SWITCH_MS) });
  console.log('switch: ' + JSON.stringify(r));
  check(r.switchAt !== null, `the playlist has the FLAC part (${r.frags} fragments)`);
  check(!r.error && !r.mediaError, `no fatal error across the change (${r.error} ${r.mediaError})`);
  check(r.switchAt !== null && r.currentTime >= r.switchAt + 2,
    `playback goes on 2 s into the FLAC part (at ${r.currentTime}, the change at ${r.switchAt})`);
  check(r.bytesAtSwitch !== null && r.bytesAfter > r.bytesAtSwitch,
    `sound is decoded after the change (${r.bytesAtSwitch} -> ${r.bytesAfter} bytes)`);
} finally {
  await browser.close();
}
finish('audio_switch_test');
