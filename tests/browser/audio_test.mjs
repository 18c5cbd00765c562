// SPDX-License-Identifier: Apache-2.0
// audio_test.mjs - G.711 cameras in Debian's chromium (started by
// test_browser_audio.py with "door", G.711 u-law recorded as 8 kHz FLAC, and
// "yard", whose L16 audio cannot be recorded):
//   - the cameras page shows door's audio as "g711 -> flac" and a warning
//     badge "audio not recorded: L16" on yard's row;
//   - one of door's segment files, fetched with the session's cookie,
//     plays through Media Source Extensions: the SourceBuffer takes it,
//     currentTime advances, audio bytes are decoded, no media error;
//   - door's recorded range plays through hls.js (the playback page's
//     player) from playback.m3u8: time advances, audio bytes are decoded.
// Environment (with lib.mjs's): ADMIN_USER, ADMIN_PASSWORD, SEGMENT_ID,
// PLAY_START, PLAY_END (RFC 3339).
import { check, finish, launch, login, openLoaded, shot, waitFor, watch } from './lib.mjs';

const browser = await launch(['--autoplay-policy=no-user-gesture-required']);
try {
  const page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage();
  watch(page);
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'the admin signs in');
  check(await openLoaded(page, '/cameras.html'), 'the cameras page loads');
  const door = page.locator('tr[data-camera="door"]'), yard = page.locator('tr[data-camera="yard"]');
  check(await waitFor(async () => ((await door.textContent()) || '').includes('audio g711 -> flac'), 15000),
    'door shows its audio as g711 -> flac');
  const badge = yard.locator('.badge.audio-unsupported');
  check(await waitFor(() => badge.count(), 15000), 'yard has the unsupported-audio badge');
  if (await badge.count()) {
    check(((await badge.textContent()) || '').includes('audio not recorded: L16'), 'the badge names the codec');
    check(((await badge.getAttribute('title')) || '').includes('cannot be recorded'), 'the badge explains itself');
  }
  check((await door.locator('.badge.audio-unsupported').count()) === 0, 'door has no warning badge');
  await shot(page, 'cameras-audio');

  const r = await page.evaluate(async (id) => {
    const cams = await (await fetch('/api/v1/cameras')).json();
    const cam = cams.cameras.find((c) => c.id === 'door');
    const vmime = cam && cam.video && cam.video.mime ? cam.video.mime : 'video/mp4; codecs="avc1.42c01e"';
    const type = vmime.replace(/"\s*$/, ', flac"');
    const bytes = await (await fetch(`/api/v1/cameras/door/segments/${id}.mp4`)).arrayBuffer();
    const v = document.createElement('video');
    document.body.appendChild(v);
    const ms = new MediaSource();
    v.src = URL.createObjectURL(ms);
    await new Promise((ok) => ms.addEventListener('sourceopen', ok, { once: true }));
    const sb = ms.addSourceBuffer(type);
    const appended = await new Promise((ok) => {
      sb.addEventListener('updateend', () => ok(true), { once: true });
      sb.addEventListener('error', () => ok(false), { once: true });
      sb.appendBuffer(bytes);
    });
    if (!appended) return { type, appended, error: v.error && v.error.message };
    const start = sb.buffered.length ? sb.buffered.start(0) : 0;
    const end = sb.buffered.length ? sb.buffered.end(0) : 0;
    v.currentTime = start;
    await v.play();
    await new Promise((ok) => setTimeout(ok, 2500));
    return { type, appended, start, end, played: v.currentTime - start, audioBytes: v.webkitAudioDecodedByteCount,
             error: v.error && v.error.message };
  }, process.env.SEGMENT_ID);
  console.log('MSE: ' + JSON.stringify(r));
  check(r.appended, `the SourceBuffer takes the 8 kHz FLAC segment (${r.type})`);
  check(r.end - r.start > 3, `the segment is buffered (${r.start}..${r.end})`);
  check(r.played > 1.5, `it plays (${r.played} s in 2.5 s)`);
  check(r.audioBytes > 0, `audio is decoded (${r.audioBytes} bytes)`);
  check(!r.error, `no media error (${r.error})`);

  const h = await page.evaluate(async ({ start, end }) => {
    const Hls = (await import('/vendor/hls.mjs')).default;
    const v = document.createElement('video');
    document.body.appendChild(v);
    const hls = new Hls({ enableWorker: false });
    let error = null;
    hls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) error = d.details; });
    hls.loadSource(`/api/v1/cameras/door/playback.m3u8?start=${encodeURIComponent(start)}&end=${encodeURIComponent(end)}`);
    hls.attachMedia(v);
    const t0 = Date.now();
    while (v.readyState < 2 && !error && Date.now() - t0 < 15000) await new Promise((ok) => setTimeout(ok, 100));
    const from = v.currentTime;
    try { await v.play(); } catch (e) { error = error || String(e); }
    await new Promise((ok) => setTimeout(ok, 3000));
    const out = { readyState: v.readyState, played: v.currentTime - from, audioBytes: v.webkitAudioDecodedByteCount,
                  audioCodec: hls.levels && hls.levels[0] ? hls.levels[0].audioCodec : null, error };
    hls.destroy();
    return out;
  }, { start: process.env.PLAY_START, end: process.env.PLAY_END });
  console.log('hls.js: ' + JSON.stringify(h));
  check(!h.error, `hls.js plays door's range without a fatal error (${h.error})`);
  check(h.played > 1.5, `door's range plays through hls.js (${h.played} s in 3 s)`);
  check(h.audioBytes > 0, `hls.js: FLAC audio is decoded (${h.audioBytes} bytes, codec ${h.audioCodec})`);
} finally {
  await browser.close();
}
finish('audio_test');
