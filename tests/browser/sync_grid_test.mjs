// SPDX-License-Identifier: Apache-2.0
// sync_grid_test.mjs - 9 and then 16 cameras in synchronised playback
// (test_browser_sync_grid.py; docs/design/playback.md "Synchronisation").
// For each count: the page opens at T playing, lays the tiles out 3x3 / 4x4,
// every tile shows a picture of its own camera (its video decodes frames
// with content, read from that camera's playlist), the wall clock moves,
// and after SETTLE_MS of play every tile's wall-clock instant stays within
// LIMIT_MS of the master's (the first camera's, #wallclock) at every sample.
// The tiles' instants and the master's are written by the page in the same
// 200 ms tick (tile data-time, #wallclock data-time), before that tick's
// correction, so a sample is what the viewer sees.  Also reported: the
// worst offset, the HTTP connections open at the server while the 16 play
// (chromium keeps at most 6 per host) and that none were refused.
// Environment: BASE_URL, ADMIN_USER, ADMIN_PASSWORD, TOKEN, CAMERAS (ids),
// T (RFC 3339), LIMIT_MS, ARTIFACTS, NPM_DIR, CHROMIUM.
import { check, waitFor, login, shot, launch, finish, sleep, watch, BASE } from './lib.mjs';

const IDS = process.env.CAMERAS.split(',');
const T = Date.parse(process.env.T);
const LIMIT_MS = Number(process.env.LIMIT_MS || 500);
const SETTLE_MS = 3000;
const SAMPLE_MS = 6000;

async function metrics() {
  const r = await fetch(`${BASE}/metrics`, { headers: { Authorization: 'Bearer ' + process.env.TOKEN } });
  const text = await r.text();
  const num = (re) => {
    const m = text.match(re);
    return m ? Number(m[1]) : NaN;
  };
  let refused = 0;
  for (const m of text.matchAll(/^nvr_http_connections_refused_total\{[^}]*\} (\d+)$/gm)) refused += Number(m[1]);
  return { open: num(/^nvr_http_connections (\d+)$/m), refused };
}

const browser = await launch(['--autoplay-policy=no-user-gesture-required']);
try {
  const page = await (await browser.newContext({ viewport: { width: 1600, height: 1000 } })).newPage();
  watch(page);
  const playlists = new Set();
  page.on('request', (rq) => {
    const m = rq.url().match(/\/cameras\/([^/]+)\/playback\.m3u8/);
    if (m) playlists.add(decodeURIComponent(m[1]));
  });
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'the admin signs in');
  for (const n of [9, 16]) {
    const ids = IDS.slice(0, n);
    playlists.clear();
    const before = await metrics();
    await page.goto(`${BASE}/playback.html?cameras=${ids.join(',')}&t=${new Date(T).toISOString()}&zoom=2&play=1`);
    check(await waitFor(async () => (await page.locator('#players .tile[data-camera]').count()) === n, 15000),
          `${n} cameras: ${n} tiles`);
    const cols = await page.locator('#players').getAttribute('data-cols');
    const grid = await page.locator('#players').evaluate((b) => getComputedStyle(b).gridTemplateColumns.split(' ').length);
    check(cols === (n === 9 ? '3' : '4') && grid === Number(cols), `${n} cameras: a ${cols}x${cols} grid (${grid} columns drawn)`);
    // every tile has a picture (16 hls.js players on a loaded 2-core machine: give them a while)
    const ready = () => page.evaluate(() => [...document.querySelectorAll('#players .tile')].map((t) => {
      const v = t.querySelector('video');
      return v.readyState >= 2 && v.videoWidth > 0 && !!t.dataset.time && t.dataset.state !== 'error';
    }));
    const allReady = await waitFor(async () => (await ready()).every(Boolean), 60000, 500);
    check(allReady, `${n} cameras: every tile shows a picture (${(await ready()).filter(Boolean).length}/${n})`);
    // the wall clock moves
    const w0 = Date.parse(await page.locator('#wallclock').getAttribute('data-time'));
    await sleep(SETTLE_MS);
    const w1 = Date.parse(await page.locator('#wallclock').getAttribute('data-time'));
    check(w1 - w0 > 1000, `${n} cameras: playing (the master moved ${w1 - w0} ms in ${SETTLE_MS} ms)`);
    check(Math.abs(w0 - T) < 15000, `${n} cameras: near the instant asked (${new Date(w0).toISOString()} for ${new Date(T).toISOString()})`);
    // samples: every tile's instant against the master's, written in one tick
    let worst = 0;
    let worstId = '';
    const all = [];
    let open = 0;
    const end = Date.now() + SAMPLE_MS;
    while (Date.now() < end) {
      const s = await page.evaluate(() => ({
        master: Date.parse(document.getElementById('wallclock').dataset.time),
        tiles: [...document.querySelectorAll('#players .tile')].map((t) => [t.dataset.camera, Date.parse(t.dataset.time), t.dataset.state]),
      }));
      for (const [id, w, st] of s.tiles) {
        const d = st === 'gap' || Number.isNaN(w - s.master) ? Infinity : Math.abs(w - s.master);
        all.push(d);
        if (d > worst) {
          worst = d;
          worstId = `${id} (${st})`;
        }
      }
      if (n === 16) open = Math.max(open, (await metrics()).open);
      await sleep(250);
    }
    all.sort((a, b) => a - b);
    const p95 = all[Math.floor(all.length * 0.95)];
    console.log(`figure: ${n} cameras: offset from the master over ${all.length} tile samples: ` +
                `median ${all[Math.floor(all.length / 2)]} ms, p95 ${p95} ms, worst ${worst} ms (${worstId})`);
    check(worst <= LIMIT_MS, `${n} cameras: every tile within ${LIMIT_MS} ms of the master after ${SETTLE_MS / 1000} s of play ` +
          `(worst ${worst} ms: ${worstId})`);
    // each tile's picture is its own camera's: read from its playlist, and a real picture (not flat)
    check(ids.every((id) => playlists.has(id)), `${n} cameras: each tile loaded its own camera's playlist ` +
          `(missing: ${ids.filter((id) => !playlists.has(id)).join(',') || 'none'})`);
    const flat = await page.evaluate(() => [...document.querySelectorAll('#players .tile')].filter((t) => {
      const v = t.querySelector('video');
      const c = document.createElement('canvas');
      c.width = 32;
      c.height = 18;
      const g = c.getContext('2d');
      g.drawImage(v, 0, 0, 32, 18);
      const d = g.getImageData(0, 0, 32, 18).data;
      let lo = 255;
      let hi = 0;
      for (let i = 0; i < d.length; i += 4) {
        const y = (d[i] + d[i + 1] + d[i + 2]) / 3;
        lo = Math.min(lo, y);
        hi = Math.max(hi, y);
      }
      return hi - lo < 20;
    }).map((t) => t.dataset.camera));
    check(flat.length === 0, `${n} cameras: every tile's picture has content (flat: ${flat.join(',') || 'none'})`);
    for (const id of ids) {
      const box = await page.locator(`.tile[data-camera="${id}"] video`).boundingBox();
      if (!check(box && box.width > 150 && box.height > 80, `${n} cameras: ${id} on screen (${box ? `${Math.round(box.width)}x${Math.round(box.height)}` : 'none'})`)) break;
    }
    const after = await metrics();
    if (n === 16) console.log(`figure: 16 cameras: at most ${open} HTTP connections open at the server while playing`);
    check(after.refused === before.refused, `${n} cameras: no connection refused by the server's limits (${after.refused - before.refused})`);
    await shot(page, `sync-grid-${n}`);
  }
} catch (e) {
  check(false, `the browser script failed: ${e.stack || e}`);
} finally {
  await browser.close();
}
finish('sync_grid_test');
