// SPDX-License-Identifier: Apache-2.0
// console_test.mjs - the district console (`nvr console`) in Debian's
// chromium, for test_browser_console.py: sign in with a district account on
// the console's login page; the status board (district.html) shows both
// sites up; the playback page of a north.* camera (its recorder over HTTP)
// and of a south.* camera (over HTTPS, its key pinned) each decode and play
// through the console's proxy (lib.mjs playsAt); the cross-site picker
// (district_playback.html) plays the two together on one clock: each tile's
// wall-clock instant within SYNC_MS of the master's while playing, after a
// seek (the timeline's keys) and after pause/resume, both paused together,
// both at the speed asked; from an instant before the south camera's first
// footage (GAP_T) the south tile says "no recording at this time" while the
// north one plays, and joins in step once the clock reaches SOUTH_FIRST;
// the live grid plays both cameras; axe finds nothing serious on the
// console's own pages (district.html, district_playback.html).  A viewer
// granted only site north sees no south camera in the picker or the camera
// list, and south's playlist through the console is refused.
//
// Environment: BASE_URL (the console), CAMERA (south's SITE.ID),
// NORTH_CAMERA, SEEK, GAP_T, SOUTH_FIRST (RFC 3339), ADMIN_USER, ADMIN_PASSWORD, VIEWER_USER,
// VIEWER_PASSWORD, ARTIFACTS, NPM_DIR, CHROMIUM.
import path from 'node:path';
import { check, launch, finish, login, watch, playsAt, openLoaded, shot, waitFor, sleep, BASE } from './lib.mjs';

const SOUTH = process.env.CAMERA;
const NORTH = process.env.NORTH_CAMERA;
const SEEK = Date.parse(process.env.SEEK);
const SYNC_MS = 1000;

// axe-core (as a11y_test.mjs, which covers the recorder's pages) on a
// console-only page: no serious or critical WCAG 2.0/2.1 A/AA finding.
const AXE = path.join(process.env.NPM_DIR, 'node_modules', 'axe-core', 'axe.min.js');
async function audit(page, name) {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, n: v.nodes.length, where: v.nodes[0].target.join(' ') }));
  });
  for (const v of found) console.log(`${name}: ${v.impact} ${v.id} x${v.n} e.g. ${v.where}`);
  const bad = found.filter((v) => ['serious', 'critical'].includes(v.impact));
  check(bad.length === 0, `${name}: no serious or critical axe finding (${bad.map((v) => v.id).join(', ') || 'none'})`);
}

// Every tile's instant against the master's (#wallclock), read in one go
// (the page writes both in the same 200 ms tick); plus each video's state.
const sample = (page) => page.evaluate(() => ({
  master: Date.parse(document.getElementById('wallclock').dataset.time),
  tiles: [...document.querySelectorAll('#players .tile')].map((t) => {
    const v = t.querySelector('video');
    return { id: t.dataset.camera, w: Date.parse(t.dataset.time), state: t.dataset.state, c: v.currentTime, paused: v.paused,
             rate: v.playbackRate, width: v.videoWidth, frames: v.getVideoPlaybackQuality().totalVideoFrames,
             stalled: v.seeking || v.readyState < 3 };
  }),
}));

// The worst |tile - master| over ms of samples every 250 ms.  A sample
// where a video waits for data or is seeking (a stall of the loaded
// 2-core machine's proxy or decoder, after which the page seeks the
// follower back into step) is printed with "~" and left out; at most a
// quarter of them may be.  One lone sample out of step whose next sample
// is back within SYNC_MS (the page's 200 ms tick seeks a follower more
// than 0.5 s off) is printed as "transient" and not counted: seen in 2 of
// 13 runs on a loaded machine, a follower 2.1-2.3 s off for one tick
// through the proxy (the media events are printed with it).
async function worstOffset(page, ms) {
  let worst = 0;
  let last = null;
  let skipped = 0;
  let pending = 0; // a lone outlier waiting for the next sample
  let transients = 0;
  const series = [];
  const end = Date.now() + ms;
  while (Date.now() < end || pending) {
    last = await sample(page);
    const stalled = last.tiles.some((t) => t.stalled);
    if (stalled) skipped++;
    const off = stalled ? 0 : Math.max(...last.tiles.map((t) => (Number.isNaN(t.w - last.master) ? Infinity : Math.abs(t.w - last.master))));
    if (pending && !stalled && off < SYNC_MS && transients === 0) {
      transients++;
      console.log(`transient: one sample ${pending} ms out of step, back in step at the next`);
    } else if (pending) {
      worst = Math.max(worst, pending);
    }
    pending = 0;
    if (off >= SYNC_MS && Date.now() < end) pending = off;
    else worst = Math.max(worst, off);
    series.push(`${Date.now() % 100000}:` + (stalled ? '~' : '') + last.tiles.map((t) => `${t.w - last.master}${t.state === 'ready' ? '' : t.state}`).join('/'));
    await sleep(250);
  }
  console.log(`offsets from the master (ms, per tile): ${series.join(' ')}`);
  if (worst >= SYNC_MS || transients) console.log((await page.evaluate(() => window.__ev.splice(0))).join('\n'));
  else await page.evaluate(() => window.__ev.splice(0));
  if (skipped > series.length / 4) worst = Infinity;
  return { worst, last };
}

async function together(page) {
  const ready = await waitFor(async () => {
    const s = await sample(page);
    return s.tiles.length === 2 && s.tiles.every((t) => t.width > 0 && !Number.isNaN(t.w) && !t.paused && t.state !== 'gap');
  }, 45000, 500);
  const s = await sample(page);
  check(ready, `sync: both tiles show a picture and play (${JSON.stringify(s.tiles)})`);
  return s;
}

async function syncPlayback(page) {
  check(await openLoaded(page, '/district_playback.html'), 'the cross-site picker loads');
  const sets = await page.locator('fieldset[data-site]').evaluateAll((ns) => ns.map((n) => n.dataset.site));
  check(JSON.stringify(sets) === '["north","south"]', `the picker groups the cameras by site: ${JSON.stringify(sets)}`);
  await page.check(`input[data-camera="${NORTH}"]`);
  await page.check(`input[data-camera="${SOUTH}"]`);
  await page.fill('#start', new Date(SEEK).toISOString());
  await page.dispatchEvent('#start', 'change');
  const footage = () => page.locator('[data-row]').evaluateAll((ns) => ns.map((n) => [n.dataset.row, n.dataset.footage]));
  check(await waitFor(async () => (await footage()).every(([, f]) => f === 'yes'), 10000),
    `the catalog's coverage says both have footage at the start: ${JSON.stringify(await footage())}`);
  check(((await page.textContent('#count')) || '').startsWith('2 of 16'), 'two cameras ticked');
  await audit(page, 'district_playback.html');
  await shot(page, 'district-picker');
  await page.click('#play-together');
  await page.waitForURL(/playback\.html/, { timeout: 10000 });
  const url = new URL(page.url());
  check(url.searchParams.get('cameras') === `${NORTH},${SOUTH}`, `the sync page opens with both cameras: ${url.search}`);
  const playlists = new Set();
  page.on('request', (rq) => {
    const m = rq.url().match(/\/cameras\/([^/]+)\/playback\.m3u8/);
    if (m) playlists.add(`${new URL(rq.url()).origin} ${decodeURIComponent(m[1])}`);
  });
  const s0 = await together(page);
  check(Math.abs(s0.master - SEEK) < 15000, `sync: near the start asked (${new Date(s0.master).toISOString()})`);
  await sleep(2000);
  let r = await worstOffset(page, 4000);
  check(r.worst < SYNC_MS, `sync: playing, both within ${SYNC_MS} ms of one clock (worst ${r.worst} ms)`);
  const moved = r.last.tiles.map((t) => t.c - s0.tiles.find((x) => x.id === t.id).c);
  check(moved.every((d) => d > 3), `sync: both videos advance (currentTime +${moved.map((d) => d.toFixed(1)).join(', +')} s)`);
  check(r.last.tiles.every((t) => t.frames > 0), `sync: both decode frames (${r.last.tiles.map((t) => t.frames).join(', ')})`);
  // seek: the timeline's keys, 10 s back
  const before = r.last.master;
  await page.focus('#timeline');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  check(await waitFor(async () => (await sample(page)).master < before - 5000, 10000), 'seek: the clock went back');
  await together(page);
  await sleep(2000);
  r = await worstOffset(page, 3000);
  check(r.worst < SYNC_MS, `seek: both within ${SYNC_MS} ms of one clock after seeking back 10 s (worst ${r.worst} ms)`);
  // pause: both stop; resume: both go on, together
  await page.click('#play');
  await sleep(1000);
  const p0 = await sample(page);
  await sleep(1500);
  const p1 = await sample(page);
  check(p1.tiles.every((t) => t.paused), 'pause: both videos paused');
  check(p1.tiles.every((t, i) => Math.abs(t.c - p0.tiles[i].c) < 0.05), 'pause: neither moves while paused');
  check(Math.abs(p1.tiles[0].w - p1.tiles[1].w) < SYNC_MS, `pause: both stopped at one instant (${p1.tiles[0].w - p1.tiles[1].w} ms apart)`);
  await page.click('#play');
  await together(page);
  await sleep(1500);
  r = await worstOffset(page, 3000);
  check(r.worst < SYNC_MS, `resume: both within ${SYNC_MS} ms of one clock (worst ${r.worst} ms)`);
  check(r.last.tiles.every((t, i) => t.c - p1.tiles[i].c > 2), 'resume: both advance again');
  // speed: 2x applies to both (the follower is nudged by 10 % at most)
  await page.click('[data-rate="2"]');
  await sleep(1500);
  const sp = await sample(page);
  check(sp.tiles.every((t) => t.rate >= 1.8 && t.rate <= 2.2), `speed: both at 2x (${sp.tiles.map((t) => t.rate).join(', ')})`);
  await page.click('[data-rate="1"]');
  check([...playlists].every((p) => p.startsWith(BASE + ' ')) && playlists.size >= 2,
    `every playlist came from the console: ${JSON.stringify([...playlists])}`);
  const labels = await page.locator('#players .tile .name').evaluateAll((ns) => ns.map((n) => n.closest('.tile').dataset.camera));
  check(labels.length === 2, 'two tiles');
  await shot(page, 'district-sync');
}

async function gapInStep(page) {
  const gapT = Date.parse(process.env.GAP_T);
  const southFirst = Date.parse(process.env.SOUTH_FIRST);
  await page.goto(`${BASE}/playback.html?cameras=${NORTH},${SOUTH}&t=${new Date(gapT).toISOString()}&zoom=2&play=1`);
  const inGap = await waitFor(async () => {
    const s = await sample(page);
    return s.tiles.length === 2 && s.master < southFirst && s.tiles[0].width > 0 && !s.tiles[0].paused &&
      s.tiles[1].state === 'gap';
  }, 30000, 250);
  const words = await page.locator(`.tile[data-camera="${SOUTH}"] .detail`).textContent();
  check(inGap && /no recording/.test(words), `gap: before south's first footage north plays and south says "${words}"`);
  await shot(page, 'district-gap');
  const g0 = await sample(page);
  check(g0.tiles[1].paused, 'gap: the south video waits (paused) while north plays');
  check(await waitFor(async () => (await sample(page)).master > southFirst + 2000, 40000, 500),
    'gap: the clock plays on into south\'s footage');
  await together(page);
  await sleep(1500);
  const r = await worstOffset(page, 2500);
  check(r.worst < SYNC_MS, `gap: south joins in step once its footage starts (worst ${r.worst} ms)`);
}

async function liveGrid(page) {
  await page.goto(`${BASE}/?layout=4`);
  const times = () => page.evaluate((ids) => ids.map((id) => {
    const v = document.querySelector(`#grid .tile[data-camera="${id}"] video`);
    return v ? v.currentTime : -1;
  }), [NORTH, SOUTH]);
  check(await waitFor(async () => (await times()).every((t) => t > 0), 30000, 500), `live: both tiles play (${await times()})`);
  const t0 = await times();
  await sleep(3000);
  const t1 = await times();
  check(t1.every((t, i) => t - t0[i] > 1.5), `live: both pictures move (${t0} -> ${t1})`);
  await shot(page, 'district-live');
}

async function northOnly(browser) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, timezoneId: 'UTC' });
  const page = await context.newPage();
  watch(page);
  check(await login(page, process.env.VIEWER_USER, process.env.VIEWER_PASSWORD), 'a viewer granted north signs in on the console');
  check(await openLoaded(page, '/district_playback.html'), 'the picker loads for the viewer');
  const boxes = await page.locator('input[data-camera]').evaluateAll((ns) => ns.map((n) => n.dataset.camera));
  const sets = await page.locator('fieldset[data-site]').evaluateAll((ns) => ns.map((n) => n.dataset.site));
  check(boxes.includes(NORTH) && !boxes.some((b) => b.startsWith('south.')) && JSON.stringify(sets) === '["north"]',
    `the viewer's picker has north's cameras only: ${JSON.stringify(boxes)}`);
  const probe = await page.evaluate(async (cam) => {
    const now = Date.now();
    const q = `start=${new Date(now - 60e3).toISOString()}&end=${new Date(now).toISOString()}`;
    const pl = await fetch(`/api/v1/cameras/${cam}/playback.m3u8?${q}`);
    const cov = await fetch(`/api/v1/sites/south/coverage?${q}`);
    return [pl.status, cov.status];
  }, SOUTH);
  check([403, 404].includes(probe[0]), `the viewer's request for south's playlist is refused (${probe[0]})`);
  check([403, 404].includes(probe[1]), `the viewer's request for south's coverage is refused (${probe[1]})`);
  await page.goto(`${BASE}/playback.html?cameras=${SOUTH}`);
  check(await waitFor(async () => (await page.locator('#cam-list [data-camera]').count()) > 0, 10000), 'the camera list loads');
  const listed = await page.locator('#cam-list [data-camera]').evaluateAll((ns) => ns.map((n) => n.dataset.camera));
  check(!listed.some((b) => b.startsWith('south.')) && (await page.locator(`.tile[data-camera="${SOUTH}"]`).count()) === 0,
    `the viewer's playback page shows no south camera: ${JSON.stringify(listed)}`);
  await context.close();
}

const browser = await launch(['--autoplay-policy=no-user-gesture-required']);
try {
  // (bypassCSP only to inject axe, as a11y_test.mjs)
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, timezoneId: 'UTC', bypassCSP: true });
  const page = await context.newPage();
  // the videos' seeks, stalls and jumps of currentTime (> 0.6 s), printed when a sync check fails
  await page.addInitScript(() => {
    window.__ev = [];
    const last = new Map();
    for (const k of ['seeking', 'seeked', 'waiting', 'playing', 'timeupdate', 'pause']) {
      document.addEventListener(k, (e) => {
        const v = e.target;
        const id = v.dataset ? v.dataset.camera : '?';
        const prev = last.get(id);
        last.set(id, v.currentTime);
        if (k === 'timeupdate' && prev !== undefined && Math.abs(v.currentTime - prev) < 0.6) return;
        window.__ev.push(`${Date.now() % 100000} ${id} ${k} ${prev === undefined ? '-' : prev.toFixed(3)}->${v.currentTime.toFixed(3)} rs${v.readyState}`);
      }, true);
    }
  });
  watch(page);
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'signed in on the console');
  check(await openLoaded(page, '/district.html'), 'the status board loads');
  const sites = await page.locator('[data-site]').evaluateAll((ns) => ns.map((n) => [n.dataset.site, n.dataset.status]));
  check(JSON.stringify(sites) === JSON.stringify([['north', 'up'], ['south', 'up']]),
    `the status board shows both sites up: ${JSON.stringify(sites)}`);
  const cams = await page.locator('#cameras [data-camera]').evaluateAll((ns) => ns.map((n) => n.dataset.camera));
  check(cams.includes(SOUTH) && cams.includes(NORTH), `the board lists ${NORTH} and ${SOUTH}: ${JSON.stringify(cams)}`);
  check(await page.locator('nav a[href="district.html"]').count() === 1, 'the header links the board on the console');
  check(await page.locator('a#to-sync[href="district_playback.html"]').count() === 1, 'the board links the cross-site picker');
  await shot(page, 'district');
  await audit(page, 'district.html');
  await page.click(`#cameras [data-camera="${SOUTH}"] a`);
  await page.waitForURL(/playback\.html/, { timeout: 10000 });
  await playsAt(page, SOUTH, SEEK, `${SOUTH} (HTTPS, pinned) through the console`);
  check(page.url().startsWith(BASE), 'the page stayed on the console');
  await playsAt(page, NORTH, SEEK, `${NORTH} (HTTP) through the console`);
  await syncPlayback(page);
  await gapInStep(page);
  await liveGrid(page);
  await context.close();
  await northOnly(browser);
} catch (e) {
  check(false, 'driver error: ' + (e.stack || e));
} finally {
  await browser.close();
}
finish('console_test');
