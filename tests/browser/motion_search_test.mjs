// SPDX-License-Identifier: Apache-2.0
// motion_search_test.mjs - motion on the playback page, for
// test_browser_motion_search.py.  Footage: cameras hall ("Hall") and yard
// ("Yard"), a box crossing the right half of the picture for 8 s of every
// 30 s, the first crossing from FIRST_CROSSING; two crossings have ended.
//   - Density: the timeline's data-density has, for hall, motion over every
//     event the API lists and none in the quiet seconds before the first.
//   - The area under the digital zoom: a drag from the centre of a picture
//     zoomed ×s around its centre covers 1/s of the frame it would cover
//     unzoomed (data-region).
//   - The area from the keyboard: arrows place and move it, Shift sizes it,
//     Delete removes it.
//   - Search: an area drawn on the box's path, "Last hour": the hits are
//     the API's events for that region (by start); a hit clicked lands
//     within 1 s of 3 s before the event's start (#wallclock data-time) and
//     plays through the start.  An area where nothing moves: "No motion
//     found".
//   - Next/previous: from a quiet instant "Motion ▶" goes to the next event
//     start of the cameras shown (from the API), then the key P to the
//     previous one.
// Environment: BASE_URL, ADMIN_USER, ADMIN_PASSWORD, FIRST_CROSSING,
// ARTIFACTS, NPM_DIR, CHROMIUM.
import { BASE, check, sleep, waitFor, launch, finish, login, watch, shot } from './lib.mjs';

const FIRST = Date.parse(process.env.FIRST_CROSSING);
const iso = (ms) => new Date(ms).toISOString();
const shown = async (page) => Date.parse((await page.locator('#wallclock').getAttribute('data-time')) || '');
const api = (page, path) => page.evaluate(async (u) => {
  const r = await fetch(u);
  return r.json();
}, '/api/v1' + path);

// The tile of cam stands at a decoded frame, state "ready".
async function onScreen(page, cam) {
  const tile = page.locator(`#players .tile[data-camera="${cam}"]`);
  return waitFor(async () => {
    if ((await tile.count()) === 0) return false;
    const ok = await tile.locator('video').evaluate((v) => v.readyState >= 2 && v.videoWidth > 0 && !v.seeking);
    return (await tile.getAttribute('data-state')) === 'ready' && ok;
  }, 20000);
}

// The picture's rectangle in the page (object-fit: contain, after the zoom's transform).
const pictureRect = (page, cam) => page.locator(`#players .tile[data-camera="${cam}"] video`).evaluate((v) => {
  const r = v.getBoundingClientRect();
  const k = Math.min(r.width / v.videoWidth, r.height / v.videoHeight);
  const w = v.videoWidth * k;
  const h = v.videoHeight * k;
  return { x: r.left + (r.width - w) / 2, y: r.top + (r.height - h) / 2, w, h };
});

async function drag(page, x0, y0, x1, y1) {
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  await page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, { steps: 3 });
  await page.mouse.move(x1, y1, { steps: 3 });
  await page.mouse.up();
}

const region = async (page, cam) =>
  ((await page.locator(`#players .tile[data-camera="${cam}"] .motion-overlay`).getAttribute('data-region')) || '').split(',').map(Number);
const near = (a, b, tol) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= tol);

async function density(page) {
  const tl = page.locator('#timeline');
  const doc = await waitFor(async () => {
    const d = JSON.parse((await tl.getAttribute('data-density')) || '{}');
    return d.hall && d.hall.length ? d : null;
  }, 15000);
  check(doc, `the timeline has a density strip for hall (${await tl.getAttribute('data-density')})`);
  if (!doc) return;
  const s = Date.parse(await tl.getAttribute('data-view-start'));
  const e = Date.parse(await tl.getAttribute('data-view-end'));
  const evs = (await api(page, `/cameras/hall/motion?start=${iso(s)}&end=${iso(e)}`)).events;
  check(evs.length >= 2, `the API lists hall's crossings (${evs.length})`);
  const runs = doc.hall.map(([a, b]) => [Date.parse(a), Date.parse(b)]);
  for (const ev of evs) {
    const a = Date.parse(ev.start);
    const b = Date.parse(ev.end);
    check(runs.some(([x, y]) => x < b && y > a), `density covers the event ${ev.start}..${ev.end}`);
  }
  const quiet = FIRST - 6000;
  check(!runs.some(([x, y]) => x <= quiet && quiet < y), `no density in the quiet seconds before the first crossing (${iso(quiet)})`);
  check(doc.yard && doc.yard.length > 0, 'and a strip for yard');
}

async function zoomedArea(page) {
  const tile = page.locator('#players .tile[data-camera="hall"]');
  const p0 = await pictureRect(page, 'hall');
  const cx = p0.x + p0.w / 2;
  const cy = p0.y + p0.h / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.wheel(0, -100);
  const s = await waitFor(async () => {
    const z = +(await tile.getAttribute('data-zoom'));
    return z > 1.1 ? z : null;
  }, 3000);
  check(s, `the wheel zooms the picture under the search overlay (×${await tile.getAttribute('data-zoom')})`);
  await sleep(300);
  await drag(page, cx, cy, cx + 80, cy + 50);
  const got = await region(page, 'hall');
  const want = [0.5, 0.5, 0.5 + 80 / (s * p0.w), 0.5 + 50 / (s * p0.h)];
  check(near(got, want, 0.01), `an area drawn on the zoomed picture is that part of the frame (${got} vs ${want.map((v) => v.toFixed(4))})`);
  await tile.dblclick();
  check(await waitFor(async () => +(await tile.getAttribute('data-zoom')) === 1, 3000), 'a double click resets the zoom');
}

// The area from the keyboard: an arrow places a box in the middle and moves it, Shift sizes it, Delete removes it.
async function keyboardArea(page) {
  const ov = page.locator('#players .tile[data-camera="hall"] .motion-overlay');
  await ov.focus();
  await page.keyboard.press('ArrowRight');
  check(near(await region(page, 'hall'), [0.4, 0.4, 0.6, 0.6], 1e-6), `an arrow places a box in the middle (${await region(page, 'hall')})`);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Shift+ArrowDown');
  check(near(await region(page, 'hall'), [0.42, 0.4, 0.62, 0.62], 1e-6), `arrows move it, Shift sizes it (${await region(page, 'hall')})`);
  await page.keyboard.press('Delete');
  check((await ov.getAttribute('data-region')) === null, 'Delete removes it');
}

async function search(page) {
  const p = await pictureRect(page, 'hall');
  const fx = (v) => p.x + v * p.w;
  const fy = (v) => p.y + v * p.h;
  await drag(page, fx(0.5), fy(0.35), fx(0.7), fy(0.65));
  const box = await region(page, 'hall');
  check(near(box, [0.5, 0.35, 0.7, 0.65], 0.01), `the area drawn on the box's path (${box})`);
  await page.selectOption('#motion-range', '3600');
  const asked = Date.now();
  await page.click('#motion-search');
  const status = page.locator('#motion-status');
  const st = await waitFor(async () => {
    const v = await status.getAttribute('data-state');
    return ['done', 'empty', 'error'].includes(v) ? v : null;
  }, 15000);
  check(st === 'done', `the search found motion (${st}: ${await status.textContent()})`);
  const items = await page.locator('#motion-hits li').evaluateAll((ls) => ls.map((l) => ({ start: l.dataset.start, camera: l.dataset.camera })));
  const want = (await api(page, `/cameras/hall/motion?start=${iso(asked - 3600e3)}&end=${iso(Date.now() + 60e3)}&region=${box.join(',')}`)).events;
  const starts = new Set(want.map((e) => e.start));
  check(items.length >= 2 && items.every((i) => i.camera === 'hall' && starts.has(i.start)),
        `the hits are the API's events for that area (${JSON.stringify(items)} vs ${want.map((e) => e.start)})`);
  check((await page.locator('#motion-hits li img').count()) === items.length, 'each hit has a thumbnail');
  await shot(page, 'hits');
  if (!items.length) return;
  // the first hit, by keyboard: focus and Enter
  const start = Date.parse(items[0].start);
  await page.locator('#motion-hits li button').first().focus();
  await page.keyboard.press('Enter');
  const landed = await waitFor(async () => {
    const w = await shown(page);
    return Math.abs(w - (start - 3000)) <= 1000 ? w : null;
  }, 15000, 100);
  check(landed, `a hit lands within 1 s of 3 s before the event (${iso(start - 3000)}; shows ${iso(await shown(page))})`);
  check(await page.evaluate(() => document.getElementById('play').dataset.playing === '1'), 'and plays');
  const through = await waitFor(async () => (await shown(page)) >= start + 500, 15000);
  check(through, `it plays through the event's start (${iso(start)}; shows ${iso(await shown(page))})`);
  await shot(page, 'hit-played');
  // nothing moves top left (the picture measured again: the hits above it moved it down)
  const q = await pictureRect(page, 'hall');
  await drag(page, q.x + 0.02 * q.w, q.y + 0.02 * q.h, q.x + 0.3 * q.w, q.y + 0.3 * q.h);
  const tl = await region(page, 'hall');
  check(near(tl, [0.02, 0.02, 0.3, 0.3], 0.01), `an area top left (${tl})`);
  await page.click('#motion-search');
  const empty = await waitFor(async () => ((await status.getAttribute('data-state')) === 'empty' ? await status.textContent() : null), 15000);
  check(empty && /No motion found in that area/.test(empty), `an area where nothing moves: ${empty || (await status.textContent())}`);
}

async function nextPrev(page) {
  const quiet = FIRST + 12000; // after the first crossing, before the second
  await page.goto(`${BASE}/playback.html?cameras=hall,yard&t=${iso(quiet)}&zoom=1`);
  await onScreen(page, 'hall');
  check(await page.evaluate(() => document.getElementById('play').dataset.playing !== '1'), 'paused');
  const evs = (await api(page, `/motion?cameras=hall,yard&start=${iso(FIRST - 60e3)}&end=${iso(Date.now() + 60e3)}`)).events;
  const starts = evs.map((e) => Date.parse(e.start));
  const c0 = await shown(page);
  const next = starts.filter((s) => s >= c0 + 1000).sort((a, b) => a - b)[0];
  await page.click('#motion-next');
  const w1 = await waitFor(async () => {
    const w = await shown(page);
    return next && Math.abs(w - next) <= 1000 ? w : null;
  }, 15000);
  check(w1, `"Motion ▶" from ${iso(c0)}: the next event start ${next && iso(next)} (shows ${iso(await shown(page))})`);
  await sleep(500);
  const c1 = await shown(page);
  const prev = starts.filter((s) => s < c1 - 1000).sort((a, b) => b - a)[0];
  await page.locator('#timeline').focus();
  await page.keyboard.press('p');
  const w2 = await waitFor(async () => {
    const w = await shown(page);
    return prev && Math.abs(w - prev) <= 1000 ? w : null;
  }, 15000);
  check(w2 && prev < FIRST + 8000, `key P from ${iso(c1)}: the previous event start ${prev && iso(prev)} (shows ${iso(await shown(page))})`);
}

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, timezoneId: 'UTC' });
  const page = await context.newPage();
  watch(page);
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'signed in');
  await page.goto(`${BASE}/playback.html?cameras=hall,yard&t=${iso(FIRST + 12000)}&zoom=1`);
  check(await onScreen(page, 'hall'), 'hall on screen');
  await density(page);
  await page.click('#motion-open');
  check(await page.locator('#motion-panel').isVisible(), 'Search motion opens its panel');
  check(await page.locator('#players .tile[data-camera="hall"] .motion-overlay').isVisible(), 'and an overlay to draw on');
  await zoomedArea(page);
  await keyboardArea(page);
  await search(page);
  await nextPrev(page);
} catch (e) {
  check(false, 'driver error: ' + (e.stack || e));
} finally {
  await browser.close();
}
finish('motion_search_test');
