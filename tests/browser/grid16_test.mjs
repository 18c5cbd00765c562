// SPDX-License-Identifier: Apache-2.0
// grid16_test.mjs - a 16-tile live grid plays all 16 tiles
// (test_browser_grid16.py).  What a person sees: every tile's picture is on
// screen (a box of non-zero size) and moving (its video's currentTime
// advances), and no tile is dimmed "not live".  With one endless live.mp4
// per tile chromium's six connections per host froze tiles 7-16 (issue 23
// item 2); the grid now reads one GET /api/v1/live/mux for all its tiles, and
// falls back to one live.mp4 per tile where the route is missing.
// Environment: BASE_URL, ADMIN_USER, ADMIN_PASSWORD, CAMERAS (ids),
// ARTIFACTS, NPM_DIR, CHROMIUM.
import { check, waitFor, login, shot, launch, finish, sleep, watch, BASE } from './lib.mjs';

const IDS = process.env.CAMERAS.split(',');
const browser = await launch();
try {
  const page = await (await browser.newContext({ viewport: { width: 1600, height: 900 } })).newPage();
  watch(page);
  const urls = [];
  page.on('request', (rq) => /\/live\.mp4|\/live\/mux/.test(rq.url()) && urls.push(rq.url()));
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'the admin signs in');
  urls.length = 0; // the page the sign-in lands on had its own
  await page.goto(`${BASE}/?layout=16`);
  check(await waitFor(async () => (await page.locator('.tile[data-camera] video').count()) === IDS.length, 15000),
        `the grid has ${IDS.length} camera tiles`);
  const times = () => page.evaluate((ids) => ids.map((id) => {
    const v = document.querySelector(`.tile[data-camera="${id}"] video`);
    return v ? v.currentTime : -1;
  }), IDS);
  // every tile starts (give the last a while: 16 cameras on a loaded 2-core machine)
  const started = await waitFor(async () => (await times()).every((t) => t > 0.2), 45000, 500);
  const t0 = await times();
  console.log('currentTime at start: ' + t0.map((t) => t.toFixed(1)).join(' '));
  check(started, `every tile starts playing (${t0.filter((t) => t > 0.2).length}/${IDS.length})`);
  await sleep(4000);
  const t1 = await times();
  const moved = IDS.filter((_, i) => t1[i] - t0[i] > 2);
  console.log(`figure: tiles advancing ${moved.length}/${IDS.length} (currentTime +${IDS.map((_, i) =>
    (t1[i] - t0[i]).toFixed(1)).join(' +')} in 4 s)`);
  check(moved.length === IDS.length, `every tile's picture moves: ${moved.length}/${IDS.length} advanced > 2 s in 4 s ` +
        `(frozen: ${IDS.filter((id) => !moved.includes(id)).join(',') || 'none'})`);
  for (const id of IDS) {
    const v = page.locator(`.tile[data-camera="${id}"] video`);
    const box = await v.boundingBox();
    if (!check(box && box.width > 100 && box.height > 50 && (await v.isVisible()),
               `${id} is on screen (${box ? `${Math.round(box.width)}x${Math.round(box.height)}` : 'no box'})`)) break;
  }
  const stale = await page.locator('.tile[data-stale="1"]').count();
  check(stale === 0, `no tile is marked "not live" (${stale})`);
  const mux = urls.filter((u) => u.includes('/live/mux'));
  console.log(`requests: ${mux.length} mux, ${urls.length - mux.length} live.mp4`);
  check(mux.length === 1 && urls.length === 1, `the grid reads one connection for its tiles (${urls.length} live requests)`);
  await shot(page, 'grid16-1600x900');

  // a server without the mux route (404 "no such route"): the grid falls back to one live.mp4 per tile
  const old = await (await browser.newContext({ viewport: { width: 1600, height: 900 } })).newPage();
  watch(old);
  await old.route('**/api/v1/live/mux*', (route) => route.fulfill({
    status: 404, contentType: 'application/json', body: '{"error":"no such route"}' }));
  const oldUrls = [];
  old.on('request', (rq) => rq.url().includes('/live.mp4') && oldUrls.push(rq.url()));
  check(await login(old, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'the admin signs in (second page)');
  await old.goto(`${BASE}/?layout=4`);
  const first = old.locator(`.tile[data-camera="${IDS[0]}"] video`);
  check(await waitFor(() => first.evaluate((v) => v.currentTime > 0.5 && !v.paused), 30000),
        'without the mux route a tile still plays (its own live.mp4)');
  check(oldUrls.some((u) => u.includes(`/cameras/${IDS[0]}/live.mp4`)), `the fallback asks live.mp4 (${oldUrls.length} requests)`);
} catch (e) {
  check(false, `the browser script failed: ${e.stack || e}`);
} finally {
  await browser.close();
}
finish('grid16_test');
