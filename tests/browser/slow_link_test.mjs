// SPDX-License-Identifier: Apache-2.0
// slow_link_test.mjs - the playback page on a slow school link (issue 23 item 7),
// as Chromium's own network emulation sees it: 500 kbit/s each way and 400 ms
// round trips, an empty cache.  It times, from the navigation's start,
//   - the load event (the page, its style sheet and every module, hls.js too),
//   - a player tile on screen (#players video),
//   - its first picture (the video has a frame: hls.js, the playlist and a
//     fragment have come),
// for the recorder under test (BASE_URL) and, side by side, for the same UI
// served as before (BEFORE_URL: the files copied as they are in web/ui, no
// versioned URLs, no preloads, no compressed copies); then a second visit of
// BASE_URL with the cache kept.  Prints the figures; fails when the cold
// playback page of BASE_URL takes more than 3 s (the bound).
// Environment: BASE_URL, BEFORE_URL, ADMIN_USER, ADMIN_PASSWORD, ARTIFACTS, NPM_DIR, CHROMIUM.
import { check, finish, launch, shot } from './lib.mjs';

const KBIT = 500;
const RTT_MS = 400;
const LIMIT_MS = 3000;

async function signIn(context, base) {
  const page = await context.newPage();
  await page.goto(base + '/login.html');
  await page.fill('#user', process.env.ADMIN_USER);
  await page.fill('#password', process.env.ADMIN_PASSWORD);
  await page.click('#submit');
  await page.waitForURL((u) => !u.pathname.endsWith('login.html'), { timeout: 15000 });
  await page.close();
}

// One visit of playback.html on the emulated link: {load, tile, bytes, requests}.
async function visit(context, base, clearCache) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  if (clearCache) await cdp.send('Network.clearBrowserCache');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: RTT_MS, downloadThroughput: (KBIT * 1000) / 8, uploadThroughput: (KBIT * 1000) / 8,
  });
  let t0 = Date.now();
  // the UI's own files (not the API's answers nor footage): bytes and requests
  const urls = new Map();
  const waterfall = new Map(); // requestId -> {url, sent, done} in ms since t0 (every request)
  let bytes = 0;
  let requests = 0;
  cdp.on('Network.requestWillBeSent', (e) => {
    urls.set(e.requestId, e.request.url);
    waterfall.set(e.requestId, { url: e.request.url, sent: Date.now() - t0, done: null });
  });
  cdp.on('Network.loadingFinished', (e) => {
    const w = waterfall.get(e.requestId);
    if (w) w.done = Date.now() - t0;
    if (/\/api\//.test(urls.get(e.requestId) || '/api/')) return;
    bytes += e.encodedDataLength;
    requests += 1;
  });
  t0 = Date.now();
  await page.goto(base + '/playback.html', { waitUntil: 'load', timeout: 60000 });
  const load = Date.now() - t0;
  await page.locator('#players video').first().waitFor({ state: 'attached', timeout: 60000 });
  const tile = Date.now() - t0;
  await page.waitForFunction(() => [...document.querySelectorAll('#players video')].some((v) => v.readyState >= 2),
                             null, { timeout: 60000, polling: 50 });
  const picture = Date.now() - t0;
  return { page, load, tile, picture, bytes, requests, waterfall: [...waterfall.values()] };
}

// The requests of a visit up to its player tile, in order: when each was
// asked and done (ms from the navigation's start), to show what held it up.
function printWaterfall(v) {
  for (const w of v.waterfall.filter((x) => x.sent <= v.tile).sort((a, b) => a.sent - b.sent)) {
    const path = new URL(w.url).pathname.replace(/\/s\/[0-9a-f]{16}\//, '/s/ID/');
    console.log(`  ${String(w.sent).padStart(5)} -> ${w.done === null ? '  ...' : String(w.done).padStart(5)} ms  ${path}`);
  }
}

const sec = (ms) => `${(ms / 1000).toFixed(2)} s`;
const fmt = (v) => `load ${sec(v.load)}, player tile ${sec(v.tile)}, first picture ${sec(v.picture)}, ` +
  `UI files ${Math.round(v.bytes / 1024)} KiB in ${v.requests} requests`;

const browser = await launch();
try {
  const before = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await signIn(before, process.env.BEFORE_URL);
  const b = await visit(before, process.env.BEFORE_URL, true);
  console.log(`before (files as in web/ui): ${fmt(b)}`);
  await before.close();

  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await signIn(ctx, process.env.BASE_URL);
  const a = await visit(ctx, process.env.BASE_URL, true);
  console.log(`after, empty cache:          ${fmt(a)}`);
  if (a.load > LIMIT_MS || a.tile > LIMIT_MS) printWaterfall(a);
  await shot(a.page, 'slow-link-playback');
  await a.page.close();
  const w = await visit(ctx, process.env.BASE_URL, false);
  console.log(`after, second visit:         ${fmt(w)}`);
  await ctx.close();

  console.log(`(${KBIT} kbit/s each way, ${RTT_MS} ms round trip, Chromium network emulation)`);
  check(a.load <= LIMIT_MS && a.tile <= LIMIT_MS,
        `the playback page loads within ${LIMIT_MS / 1000} s at ${KBIT} kbit/s / ${RTT_MS} ms (${fmt(a)})`);
  check(a.bytes < b.bytes / 2, `the UI's files take less than half the bytes (${a.bytes} vs ${b.bytes})`);
  check(w.picture < a.picture, `a second visit is faster (${w.picture} vs ${a.picture} ms to the first picture)`);
} catch (e) {
  check(false, `the browser script failed: ${e.stack || e}`);
} finally {
  await browser.close();
}
finish('slow_link_test');
