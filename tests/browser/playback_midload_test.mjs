// SPDX-License-Identifier: Apache-2.0
// playback_midload_test.mjs - Play pressed while the playback page's player
// is still loading (started by test_browser_playback_midload.py with one
// camera, "door", whose footage has a 7 s hole).  The page opens (day view)
// at TARGET, 4 s into the footage after the hole; then, round after round,
// "-1 min" (before all the footage: the player loads a new playlist, a new
// hls.js on the same <video>) and "Go" back to TARGET, clicked in the page so
// that nothing waits between them, and:
//   - Play pressed at once, 50 ms or 200 ms after Go;
//   - Play pressed between "-1 min" and Go (0, 50 or 200 ms after "-1 min");
//   - Go once the new playlist is parsed (the tile leaves "loading"), Play
//     0 or 50 ms after it;
//   - Go 20..250 ms after "-1 min", Play at once;
//   - the page already playing (no Play pressed).
// Every round must load a new playlist, and the video must play from TARGET
// within 8 s: readyState >= 2, not paused, currentTime advancing and the wall
// clock past TARGET by at least a second.  Once seen in CI (ui_test.mjs):
// the player stayed at readyState 0, paused false, nothing buffered, no error.
// Environment (with lib.mjs's): ADMIN_USER, ADMIN_PASSWORD, CAMERA, TARGET,
// FOOTAGE_END (RFC 3339); CPU_SLOWDOWN (optional, e.g. 4: chromium's CPU
// throttled that many times, to widen a race).
import { BASE, check, finish, launch, login, shot, sleep, waitFor, watch } from './lib.mjs';

const CAM = process.env.CAMERA;
const TARGET = Date.parse(process.env.TARGET);
check(TARGET + 4000 < Date.parse(process.env.FOOTAGE_END), `the footage after ${process.env.TARGET} (to ${process.env.FOOTAGE_END}) has room to play`);

const browser = await launch(['--autoplay-policy=no-user-gesture-required']);
try {
  const page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage();
  watch(page);
  let playlists = 0; // playback.m3u8 requests: one per load (a new hls.js)
  page.on('request', (r) => r.url().includes('/playback.m3u8') && playlists++);
  const slow = +(process.env.CPU_SLOWDOWN || 0);
  if (slow > 1) await (await page.context().newCDPSession(page)).send('Emulation.setCPUThrottlingRate', { rate: slow });
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'the admin signs in');
  await page.goto(`${BASE}/playback.html?cameras=${CAM}&t=${new Date(TARGET).toISOString()}&zoom=0`);
  const tile = page.locator(`.tile[data-camera="${CAM}"]`);
  const video = tile.locator('video');
  const clock = page.locator('#wallclock');
  const opened = await waitFor(async () => {
    const ok = await video.evaluate((v) => v.readyState >= 2 && !v.seeking);
    const t = Date.parse((await clock.getAttribute('data-time')) || '');
    return ok && Math.abs(t - TARGET) <= 1000;
  }, 20000);
  check(opened, `the page opens at ${new Date(TARGET).toISOString()} with its picture loaded`);

  // what the player is doing, for the report
  const state = () => tile.evaluate((t) => {
    const v = t.querySelector('video');
    const b = [];
    for (let i = 0; i < v.buffered.length; i++) b.push(`${v.buffered.start(i).toFixed(1)}-${v.buffered.end(i).toFixed(1)}`);
    return `state ${t.dataset.state}, paused ${v.paused}, readyState ${v.readyState}, networkState ${v.networkState}, ` +
      `currentTime ${v.currentTime.toFixed(2)}, buffered [${b.join(' ')}], error ${v.error && v.error.code}, ` +
      `clock ${document.getElementById('wallclock').dataset.time}`;
  });
  // plays from TARGET within 8 s: {ms} (from the last click to playing) or null
  const plays = async () => {
    const t0 = Date.now();
    let c0 = null;
    return waitFor(async () => {
      const s = await video.evaluate((v) => ({ rs: v.readyState, paused: v.paused, c: v.currentTime }));
      const w = Date.parse((await clock.getAttribute('data-time')) || '');
      if (s.rs >= 2 && !s.paused && c0 === null) c0 = s.c;
      return s.rs >= 2 && !s.paused && c0 !== null && s.c - c0 >= 0.8 && w >= TARGET + 1000 && w < TARGET + 9000
        ? { ms: Date.now() - t0 } : null;
    }, 8000, 100);
  };

  // one round: "-1 min" and Go (the time field set to TARGET), Play as `how` says
  const round = (how, delay) => page.evaluate(({ how, delay, target }) => new Promise((ok) => {
    const $ = (s) => document.querySelector(s);
    const d = new Date(target);
    const p = (n) => String(n).padStart(2, '0');
    $('#date').value = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
    $('#time').value = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    const later = (ms, fn) => (ms ? setTimeout(fn, ms) : fn());
    $('[data-jump="-60"]').click();
    if (how === 'after') {
      $('#go').click();
      later(delay, () => {
        $('#play').click();
        ok();
      });
    } else if (how === 'parsed') {
      // Go once the new playlist is parsed (the tile leaves "loading"), then Play
      const tile = document.querySelector('.tile');
      const poll = setInterval(() => {
        if (tile.dataset.state === 'loading') return;
        clearInterval(poll);
        $('#go').click();
        later(delay, () => {
          $('#play').click();
          ok();
        });
      }, 2);
    } else if (how === 'go-late') {
      // Go `delay` ms after "-1 min", Play at once
      setTimeout(() => {
        $('#go').click();
        $('#play').click();
        ok();
      }, delay);
    } else if (how === 'between') {
      later(delay, () => {
        $('#play').click();
        $('#go').click();
        ok();
      });
    } else {
      $('#go').click();
      ok();
    }
  }), { how, delay, target: TARGET });
  const isPlaying = () => page.evaluate(() => document.getElementById('play').dataset.playing === '1');

  const rounds = [];
  for (let i = 0; i < 3; i++) for (const d of [0, 50, 200]) rounds.push(['after', d]);
  for (const d of [0, 50, 200]) rounds.push(['between', d]);
  for (const d of [0, 50, 0, 50]) rounds.push(['parsed', d]);
  for (const d of [20, 60, 120, 250]) rounds.push(['go-late', d]);
  for (let i = 0; i < 4; i++) rounds.push(['playing', 0]);
  let stalled = 0;
  let loads = 0;
  for (const [i, [how, delay]] of rounds.entries()) {
    if (how === 'playing' && !(await isPlaying())) {
      await page.click('#play');
      await plays();
    }
    const before = playlists;
    await round(how, delay);
    const ok = await plays();
    loads += playlists > before ? 1 : 0;
    const label = `round ${i + 1} (${{
      after: `Play ${delay} ms after Go`,
      between: `Play ${delay} ms after -1 min, before Go`,
      parsed: `Go once the playlist is parsed, Play ${delay} ms after`,
      'go-late': `Go ${delay} ms after -1 min, Play at once`,
      playing: 'already playing',
    }[how]})`;
    if (!ok) {
      stalled++;
      await shot(page, `stalled-${i + 1}`);
    }
    check(ok, `${label}: plays from the instant within 8 s (${ok ? `in ${ok.ms} ms` : await state()})`);
    if (how !== 'playing' && (await isPlaying())) await page.click('#play'); // pause for the next round
    await sleep(300);
  }
  console.log(`rounds: ${rounds.length}, stalled: ${stalled}`);
  check(loads === rounds.length, `every round loaded a new playlist while Play was pressed (${loads} of ${rounds.length})`);
} finally {
  await browser.close();
}
finish('playback_midload_test');
