// SPDX-License-Identifier: Apache-2.0
// playback_steps_test.mjs - playback in few steps, for
// test_browser_playback_steps.py.  Footage: three cameras (door "Front door",
// yard "Yard", gym "Gym") over [PAST_START, PAST_END] (about three minutes
// ago) and from SECOND_START on; nothing in between.
//   - Live: every tile has "↺ 5 min"; on Front door it opens playback of that
//     camera at the click minus 5 min, playing; nothing was recorded then, so
//     the page says so and shows the next recording (PAST_START), advancing.
//   - Camera X three minutes ago in 4 actions: Playback, "Yard" in the list,
//     -1 min, -1 min; Yard alone is on screen at the page's instant - 2 min.
//     Done last, once "one minute ago" (where the page opens) is in the
//     second run and "three minutes ago" in the first (it waits for that).
//   - The list: Ctrl-click adds, a held press adds, Ctrl-click removes.
//   - A time in the hole between the runs: the notice names it and the next;
//     a step back from there shows the end of the run before, and says so.
//   - Calendar: today marked "has recordings", Escape closes it.
//   - Timeline at 24 h: the first run (~90 s, under 2 pixels) drawn >= 3 px
//     wide; the future unlike a gap; the tooltip gives the time under the
//     pointer, and over footage (5 min view) a picture of that moment.
//   - Mark in / Mark out: Hold… and Export… take the marked range, and say so.
//   - Frame step (paused): one frame on (button) and back (key ,): currentTime
//     moves by one frame interval and the picture changes, then is the same again.
//   - Digital zoom: the wheel zooms the picture around the pointer, a drag
//     moves it, a double click resets, + on the focused tile; the live
//     single view zooms too.
// Environment: BASE_URL, ADMIN_USER, ADMIN_PASSWORD, PAST_START, PAST_END,
// SECOND_START, ARTIFACTS, NPM_DIR, CHROMIUM.
import { BASE, check, sleep, waitFor, launch, finish, login, watch, shot, picture } from './lib.mjs';

const PAST = [Date.parse(process.env.PAST_START), Date.parse(process.env.PAST_END)];
const SECOND = Date.parse(process.env.SECOND_START);
const shown = async (page) => Date.parse((await page.locator('#wallclock').getAttribute('data-time')) || '');
const tiles = (page) => page.locator('#players .tile').evaluateAll((ts) => ts.map((t) => t.dataset.camera));
const pressed = (page) =>
  page.locator('#cam-list button[aria-pressed="true"]').evaluateAll((bs) => bs.map((b) => b.dataset.camera));
const iso = (ms) => new Date(ms).toISOString();

// The first tile stands still at a decoded frame, state "ready".
async function onScreen(page, cam) {
  const tile = page.locator(`#players .tile[data-camera="${cam}"]`);
  return waitFor(async () => {
    if ((await tile.count()) === 0) return false;
    const st = await tile.getAttribute('data-state');
    const ok = await tile.locator('video').evaluate((v) => v.readyState >= 2 && v.videoWidth > 0 && !v.seeking);
    return st === 'ready' && ok;
  }, 20000);
}

async function liveReplay(page) {
  await page.goto(`${BASE}/?layout=4`);
  const link = page.locator('.tile[data-camera="door"] a.replay');
  check(await waitFor(() => link.isVisible(), 10000), 'live: the Front door tile has "↺ 5 min"');
  check((await page.locator('.tile a.replay').count()) === 3, 'live: every tile has it');
  const clicked = Date.now();
  await link.click();
  await page.waitForURL(/playback\.html/, { timeout: 10000 });
  const u = new URL(page.url());
  const t = Date.parse(u.searchParams.get('t'));
  check(u.searchParams.get('cameras') === 'door', `replay: playback of door (${u.search})`);
  check(Math.abs(t - (clicked - 300e3)) < 5000, `replay: at the click minus 5 min (${iso(t)})`);
  const playingNow = await waitFor(() => page.evaluate(() => document.getElementById('play').dataset.playing === '1'), 5000);
  check(playingNow, 'replay: playing');
  // nothing was recorded five minutes ago: the notice, and the next recording
  const note = await waitFor(async () => {
    const m = page.locator('#message');
    return (await m.isVisible()) ? await m.textContent() : null;
  }, 20000);
  check(note && /No recording of Front door at/.test(note) && /showing the next recording/.test(note),
        `replay: the page says there is no footage then (${note})`);
  await onScreen(page, 'door');
  const w0 = await shown(page);
  check(Math.abs(w0 - PAST[0]) < 4000, `replay: it shows the next recording (${iso(w0)} vs ${iso(PAST[0])})`);
  await sleep(2000);
  const w1 = await shown(page);
  check(w1 - w0 > 1000, `replay: and plays it (${iso(w0)} -> ${iso(w1)})`);
  await shot(page, 'replay');
}

async function fourActions(page) {
  await page.goto(`${BASE}/?layout=4`);
  await page.locator('.tile').first().waitFor({ timeout: 10000 });
  // 1: Playback in the header
  await page.click('header.top nav a[href="playback.html"]');
  await page.waitForURL(/playback\.html/, { timeout: 10000 });
  await page.locator('#cam-list button[data-camera="yard"]').waitFor({ timeout: 10000 });
  const t0 = Date.parse(new URL(page.url()).searchParams.get('t'));
  const want = t0 - 120e3;
  check(t0 > SECOND + 3000 && want > PAST[0] + 3000 && t0 - 60e3 < PAST[1] - 3000,
        `the page opened at ${iso(t0)} (in the second run, from ${iso(SECOND)}) and ${iso(t0 - 60e3)}, ${iso(want)} are in the first run ${iso(PAST[0])}..${iso(PAST[1])}`);
  // 2: the camera (its picture waited for: one run of six lost both jumps
  // when they were clicked while Yard was still loading; see the note)
  await page.click('#cam-list button[data-camera="yard"]');
  await onScreen(page, 'yard');
  // 3, 4: one minute back, twice (the URL's t is the page's instant asked for)
  const urlT = () => new URL(page.url()).searchParams.get('t');
  const asked = [urlT()];
  await page.click('[data-jump="-60"]');
  asked.push(urlT());
  await page.click('[data-jump="-60"]');
  asked.push(urlT());
  console.log(`the page asked for ${asked.join(' -> ')}`);
  check(await onScreen(page, 'yard'), 'four actions: Yard is on screen');
  const got = await waitFor(async () => {
    const w = await shown(page);
    return Math.abs(w - want) <= 1500 ? w : null;
  }, 10000);
  check(got, `four actions (Playback, Yard, -1 min, -1 min): the picture of ${iso(want)} (three minutes before the click), shows ${iso(await shown(page))}`);
  check(JSON.stringify(await tiles(page)) === '["yard"]', `four actions: Yard alone (${await tiles(page)})`);
  check(JSON.stringify(await pressed(page)) === '["yard"]', 'the list marks Yard pressed');
  await shot(page, 'four-actions');
}

async function list(page) {
  await page.click('#cam-list button[data-camera="door"]', { modifiers: ['Control'] });
  check(await waitFor(async () => (await tiles(page)).join() === 'yard,door', 5000), `Ctrl-click adds Front door (${await tiles(page)})`);
  const gym = page.locator('#cam-list button[data-camera="gym"]');
  const box = await gym.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await sleep(800);
  await page.mouse.up();
  check(await waitFor(async () => (await tiles(page)).join() === 'yard,door,gym', 5000), `a held press adds Gym (${await tiles(page)})`);
  check((await pressed(page)).sort().join() === 'door,gym,yard', 'all three pressed in the list');
  await page.click('#cam-list button[data-camera="door"]', { modifiers: ['Control'] });
  check(await waitFor(async () => (await tiles(page)).join() === 'yard,gym', 5000), `Ctrl-click removes Front door (${await tiles(page)})`);
  await page.click('#cam-list button[data-camera="yard"]');
  check(await waitFor(async () => (await tiles(page)).join() === 'yard', 5000), 'a plain click shows Yard alone again');
}

async function hole(page) {
  const t = Math.round((PAST[1] + SECOND) / 2);
  const d = new Date(t); // the browser runs in UTC (context timezoneId)
  const p2 = (n) => String(n).padStart(2, '0');
  await page.fill('#date', `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}`);
  await page.fill('#time', `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`);
  await page.press('#time', 'Enter');
  const note = await waitFor(async () => {
    const m = page.locator('#message');
    const s = (await m.isVisible()) ? await m.textContent() : '';
    return /No recording of Yard at/.test(s) ? s : null;
  }, 20000);
  check(note, `a time between the recordings: the notice (${note || (await page.locator('#message').textContent())})`);
  await onScreen(page, 'yard');
  const w = await shown(page);
  check(w >= SECOND - 3000 && w < SECOND + 15000, `and the next recording is shown (${iso(w)}, the second run began ${iso(SECOND)})`);
  // a step back from there lands in the hole: the recording before it, not
  // the same next one again (which would not move)
  await page.locator('#timeline').focus();
  await page.keyboard.press('ArrowLeft');
  const back = await waitFor(async () => {
    const v = await shown(page);
    return Math.abs(v - (PAST[1] - 1000)) <= 1500 ? v : null;
  }, 10000);
  check(back, `a step back into the hole shows the end of the recording before it (${iso(await shown(page))}, it ends ${iso(PAST[1])})`);
  const m = await waitFor(async () => {
    const v = (await page.locator('#message').textContent()) || '';
    return /showing the recording before it/.test(v) ? v : null;
  }, 5000);
  check(m, `and says so (${m || (await page.locator('#message').textContent())})`);
}

async function calendar(page) {
  await page.click('#cal-open');
  const cal = page.locator('#calendar');
  check(await waitFor(() => cal.isVisible(), 5000), 'the calendar opens');
  check((await page.getAttribute('#cal-open', 'aria-expanded')) === 'true', 'its button says expanded');
  const today = new Date().toISOString().slice(0, 10);
  const day = cal.locator(`.cal-day[data-day="${today}"]`);
  check(await waitFor(async () => /has recordings/.test((await day.getAttribute('aria-label')) || ''), 5000),
        `today is marked: ${await day.getAttribute('aria-label')}`);
  const others = await cal.locator('.cal-day.has').count();
  check(others === 1, `only today has recordings (${others} marked)`);
  await shot(page, 'calendar');
  await page.keyboard.press('Escape');
  check(await waitFor(async () => !(await cal.isVisible()), 3000), 'Escape closes it');
}

// Canvas pixel (CSS px, devicePixelRatio 1) of the timeline as [r,g,b].
const pixel = (page, x, y) =>
  page.evaluate(([x, y]) => [...document.getElementById('timeline').getContext('2d').getImageData(x, y, 1, 1).data].slice(0, 3), [x, y]);

async function timeline(page) {
  await page.click('[data-zoom="0"]');
  const tl = page.locator('#timeline');
  // the cursor off the footage: End (the view's last instant; nothing is
  // recorded after it, so the picture does not move the cursor back)
  await tl.focus();
  await page.keyboard.press('End');
  await waitFor(async () => Date.parse(await tl.getAttribute('data-view-end')) - +(await tl.getAttribute('aria-valuenow')) < 1000, 3000);
  await waitFor(async () => ((await tl.getAttribute('data-coverage')) || '').includes('yard'), 5000);
  const view = async () => [Date.parse(await tl.getAttribute('data-view-start')), Date.parse(await tl.getAttribute('data-view-end'))];
  const [s, e] = await view();
  const w = await tl.evaluate((c) => c.clientWidth);
  const x = (ms) => ((ms - s) / (e - s)) * w;
  const runPx = x(PAST[1]) - x(PAST[0]);
  const y = 10; // the lane
  // the run's three whole pixels from floor(x(start)); the cursor (2 px wide,
  // yellow) may stand on one of them: those are skipped, the rest must be green
  const cx = +(await tl.getAttribute('aria-valuenow'));
  const cursorX = x(cx);
  const x0 = Math.floor(x(PAST[0]));
  const seen = [];
  for (let px = x0; px < x0 + 3; px++) {
    if (Math.abs(px - Math.round(cursorX)) <= 1) continue;
    seen.push((await pixel(page, px, y)).join());
  }
  check(seen.length && seen.every((c) => c === '46,157,79'),
        `the first run (${runPx.toFixed(2)} px at 24 h) is drawn 3 whole px wide: ${seen.join(' | ')} (cursor at ${cursorX.toFixed(1)}, run from ${x0})`);
  // a gap pixel left of the first run: 30 px left, or just left of it when
  // the run starts near the view's start (the 24 h view is the calendar day:
  // shortly after midnight x(PAST[0]) - 30 is off the canvas, which reads black)
  const GAP = '58,63,71';
  let gx = Math.round(x(PAST[0]) - 30);
  if (gx < 0) gx = Math.floor(x(PAST[0])) - 2;
  if (gx >= 0) {
    const gap = (await pixel(page, gx, y)).join();
    check(gap === GAP, `a gap is the gap colour (${gap} at x ${gx})`);
  } else {
    console.log(`skipped: the first run starts ${x(PAST[0]).toFixed(1)} px into the view: no gap pixel left of it`);
  }
  // the future: a few pixels right of now (not at the cursor, which stands at the view's end)
  const fx = Math.round(x(Date.now())) + 5;
  if (fx < w - 4) {
    const fut = await pixel(page, fx, y);
    check(fut.join() !== GAP && fut.join() !== '46,157,79', `the future is neither gap nor footage (${fut})`);
  } else {
    console.log('(the day ends within a few pixels of now: the future is not checked)');
  }
  // tooltip
  let box = await tl.boundingBox();
  const hx = Math.round(w * 0.25);
  await page.mouse.move(box.x + hx, box.y + y);
  const tip = page.locator('.timeline-tip');
  check(await waitFor(() => tip.isVisible(), 3000), 'hovering the timeline shows a tooltip');
  const tt = Date.parse(await tip.getAttribute('data-time'));
  const per = (e - s) / w;
  check(Math.abs(tt - (s + hx * per)) <= 2 * per, `the tooltip gives the time under the pointer (${iso(tt)}, ${await tip.textContent()})`);
  check(await tip.locator('img').isHidden(), 'no picture where there is no footage (06:00)');
  await page.mouse.move(box.x + hx, box.y - 200);
  check(await waitFor(async () => !(await tip.isVisible()), 3000), 'and goes when the pointer leaves');
  // 5 min: the tooltip over footage has a picture of that moment (the first camera's keyframe)
  const at = PAST[1] - 20000;
  await goTo(page, at);
  await page.click('[data-zoom="2"]');
  const [s5, e5] = await view();
  check(at > s5 && at < e5, `the 5 min view holds ${iso(at)} (${iso(s5)} .. ${iso(e5)})`);
  const hx5 = ((at - s5) / (e5 - s5)) * w;
  const t0 = Date.now();
  await tl.scrollIntoViewIfNeeded(); // (Go and the zoom button may have scrolled it away)
  box = await tl.boundingBox();
  await page.mouse.move(box.x + hx5, box.y + y);
  const img = tip.locator('img');
  const ok = await waitFor(async () => (await img.isVisible()) && (await img.evaluate((i) => i.complete && i.naturalWidth)), 5000, 20);
  const ms = Date.now() - t0;
  const src = (await img.getAttribute('src')) || '';
  const q = Date.parse(new URL(src, BASE).searchParams.get('time'));
  check(ok === 160, `hovering footage shows its picture (${ok} px wide, ${ms} ms after the pointer stopped)`);
  check(/\/cameras\/yard\/snapshot\.jpg/.test(src) && q <= at + 1000 && q > at - 3000, `of that moment: ${src.replace(BASE, '')} for ${iso(at)}`);
  // two pixels (about 0.5 s at 5 min) towards the middle of the 2 s the picture
  // stands for, so the move never crosses into the next one
  await page.mouse.move(box.x + hx5 + (at % 2000 < 1000 ? 2 : -2), box.y + y);
  await sleep(300);
  const src2 = await img.getAttribute('src');
  check(src2 === src, `two pixels on: the same (cached) picture, not a new request (${src.replace(BASE, '')}, then ${String(src2).replace(BASE, '')}; the tooltip says ${await tip.getAttribute('data-time')})`);
  await shot(page, 'timeline-thumb');
  await page.mouse.move(box.x + hx5, box.y - 200);
  await shot(page, 'timeline');
}

// Go to wall ms t with the date and time fields (the browser runs in UTC).
async function goTo(page, t) {
  const d = new Date(t);
  const p2 = (n) => String(n).padStart(2, '0');
  await page.fill('#date', `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}`);
  await page.fill('#time', `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`);
  await page.press('#time', 'Enter');
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  return waitFor(async () => Math.abs((await shown(page)) - t) <= 1000, 10000);
}

// The timeline's keyboard: n presses of key (5 s each); waits for the picture.
async function step(page, key, n) {
  const before = await shown(page);
  await page.locator('#timeline').focus();
  for (let i = 0; i < n; i++) await page.keyboard.press(key);
  const want = before + (key === 'ArrowRight' ? 1 : -1) * n * 5000;
  return waitFor(async () => Math.abs((await shown(page)) - want) <= 1000, 10000);
}

const markAttr = async (page, which) => {
  const v = await page.getAttribute('#timeline', `data-mark-${which}`);
  return v === null ? null : Date.parse(v);
};

async function marks(page) {
  const link = page.locator('#hold-link');
  const note = () => page.locator('#range-note').textContent();
  check(await waitFor(() => link.isVisible(), 10000), 'an admin sees Hold…');
  check(/visible range/.test(await note()), `without marks it says the visible range (${await note()})`);
  check(await goTo(page, SECOND + 10000), 'went to the second run + 10 s');
  const inAt = await shown(page);
  await page.keyboard.press('i');
  check(await step(page, 'ArrowRight', 2), 'the timeline keys moved 10 s on');
  const outAt = await shown(page);
  await page.click('#mark-out');
  const mi = await markAttr(page, 'in');
  const mo = await markAttr(page, 'out');
  check(mi !== null && Math.abs(mi - inAt) <= 300, `key I marks in at the instant on screen (${mi && iso(mi)} vs ${iso(inAt)})`);
  check(mo !== null && Math.abs(mo - outAt) <= 300, `Mark out at the instant on screen (${mo && iso(mo)} vs ${iso(outAt)})`);
  await waitFor(async () => /marked range/.test(await note()), 3000);
  const q = new URL(await link.getAttribute('href'), BASE).searchParams;
  check(Date.parse(q.get('start')) === mi && Date.parse(q.get('end')) === mo,
        `Hold… takes the marked range (${q.get('start')} .. ${q.get('end')})`);
  check(/marked range/.test(await note()), `and says so (${await note()})`);
  check(q.get('cameras') === 'yard', `for the cameras shown (${q.get('cameras')})`);
  const ex = new URL(await page.getAttribute('#export-link', 'href'), BASE).searchParams;
  check(ex.get('start') === q.get('start') && ex.get('end') === q.get('end'), 'Export… takes the same range');
  await shot(page, 'marks');
  // a mark out before the mark in drops the in mark (no empty or reversed range)
  check(await step(page, 'ArrowLeft', 3), 'the timeline keys moved 15 s back');
  await page.click('#mark-out');
  check((await markAttr(page, 'in')) === null && (await markAttr(page, 'out')) !== null,
        'a mark out before the mark in drops the mark in');
  await waitFor(async () => /visible range/.test(await note()), 3000);
  check(/visible range/.test(await note()), `one mark: the visible range again (${await note()})`);
  await page.click('#mark-clear');
  check((await markAttr(page, 'out')) === null && (await page.locator('#mark-clear').isHidden()), 'Clear marks removes them');
}

async function frameStep(page) {
  check(await goTo(page, SECOND + 12000), 'went to the second run + 12 s (paused)');
  const video = page.locator('#players .tile[data-camera="yard"] video');
  await onScreen(page, 'yard');
  await sleep(300);
  const c0 = await video.evaluate((v) => v.currentTime);
  const w0 = await shown(page);
  const p0 = await picture(video);
  await page.click('#frame-next');
  const c1 = await waitFor(async () => {
    const c = await video.evaluate((v) => (v.seeking ? null : v.currentTime));
    return c !== null && c > c0 + 0.01 ? c : null;
  }, 5000);
  await sleep(300);
  const p1 = await picture(video);
  check(c1 && Math.abs(c1 - c0 - 0.04) < 0.011, `one frame on: currentTime ${c0.toFixed(3)} -> ${c1 && c1.toFixed(3)} (25 fps: 0.040)`);
  check(p1 !== p0, 'and the picture changed');
  check(await page.evaluate(() => document.getElementById('play').dataset.playing !== '1'), 'still paused');
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.keyboard.press(',');
  const c2 = await waitFor(async () => {
    const c = await video.evaluate((v) => (v.seeking ? null : v.currentTime));
    return c !== null && c < c1 - 0.01 ? c : null;
  }, 5000);
  await sleep(300);
  const p2 = await picture(video);
  const w2 = await shown(page);
  check(c2 !== null && Math.abs(c2 - c0) < 0.002, `one frame back (key ,): currentTime ${c2 && c2.toFixed(3)} (was ${c0.toFixed(3)})`);
  check(p2 === p0, 'and the first picture again');
  check(Math.abs(w2 - w0) <= 5, `the clock is back at ${iso(w0)} (${iso(w2)})`);
}

async function zoom(page) {
  const tile = page.locator('#players .tile[data-camera="yard"]');
  const video = tile.locator('video');
  const box = await tile.boundingBox();
  const z = async () => +(await tile.getAttribute('data-zoom'));
  const vbox = () => video.evaluate((v) => { const r = v.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; });
  check((await z()) === 1, 'the picture starts unzoomed');
  // zoom three steps around a point right of centre
  const px = box.x + box.width * 0.75;
  const py = box.y + box.height * 0.5;
  await page.mouse.move(px, py);
  for (let i = 0; i < 3; i++) await page.mouse.wheel(0, -100);
  await waitFor(async () => (await z()) > 1.9, 3000);
  const s = await z();
  const [l, , w] = await vbox();
  check(Math.abs(s - 1.95) < 0.02, `the wheel zooms (×${s})`);
  check(Math.abs(w / box.width - s) < 0.01, `the picture is ${s}× the tile (${w.toFixed(0)} px for ${box.width.toFixed(0)})`);
  // the point under the pointer stays under it: (px - left) / width is what it was
  const frac = (px - l) / w;
  check(Math.abs(frac - 0.75) < 0.01, `around the pointer (${frac.toFixed(3)} of the picture under it, was 0.750)`);
  check(await tile.locator('.zoom-badge').isVisible(), `a badge says so (${await tile.locator('.zoom-badge').textContent()})`);
  // drag 100 px to the right: the picture follows
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 100, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  const [l2] = await vbox();
  check(Math.abs(l2 - l - 100) < 2, `a drag moves the picture (left ${l.toFixed(0)} -> ${l2.toFixed(0)})`);
  // it never leaves empty space: drag far right, the left edge stops at the tile's
  await page.mouse.move(box.x + 10, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width - 10, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  const [l3] = await vbox();
  check(Math.abs(l3 - box.x) < 1, `the picture never uncovers the tile (left ${l3.toFixed(1)} vs tile ${box.x.toFixed(1)})`);
  await shot(page, 'zoom');
  await tile.dblclick();
  check(await waitFor(async () => (await z()) === 1, 3000), 'a double click resets');
  await tile.focus();
  await page.keyboard.press('+');
  check(Math.abs((await z()) - 1.25) < 0.01, `+ on the focused tile zooms (×${await z()})`);
  await page.keyboard.press('0');
  check((await z()) === 1, '0 resets');
  // live, one camera large
  await page.goto(`${BASE}/?camera=door`);
  const lt = page.locator('.tile[data-camera="door"]');
  await lt.waitFor({ timeout: 10000 });
  const lb = await lt.boundingBox();
  await page.mouse.move(lb.x + lb.width / 2, lb.y + lb.height / 2);
  await page.mouse.wheel(0, -100);
  check(await waitFor(async () => +(await lt.getAttribute('data-zoom')) > 1.2, 3000), `live, one camera: the wheel zooms (×${await lt.getAttribute('data-zoom')})`);
}

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, timezoneId: 'UTC' });
  const page = await context.newPage();
  watch(page);
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'signed in');
  await liveReplay(page);
  await page.goto(`${BASE}/playback.html?cameras=yard&t=${iso(SECOND + 3000)}&zoom=1`);
  await onScreen(page, 'yard');
  await list(page);
  await hole(page);
  await calendar(page);
  await timeline(page);
  await marks(page);
  await frameStep(page);
  await zoom(page);
  // now (page open) - 1 min in the second run and - 3 min in the first
  const from = Math.max(SECOND + 64e3, PAST[0] + 184e3);
  const until = PAST[1] + 116e3;
  console.log(`waiting ${Math.max(0, (from - Date.now()) / 1000).toFixed(0)} s for the instant the four actions need`);
  while (Date.now() < from) await sleep(500);
  check(Date.now() < until, `in time for the four actions (${iso(Date.now())} before ${iso(until)}: a machine this slow leaves none)`);
  await fourActions(page);
} catch (e) {
  check(false, 'driver error: ' + (e.stack || e));
} finally {
  await browser.close();
}
finish('playback_steps_test');
