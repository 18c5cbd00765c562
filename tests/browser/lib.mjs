// SPDX-License-Identifier: Apache-2.0
// lib.mjs - what the browser tests share: playwright-core from the build's
// npm directory, Debian's chromium, the check/report helpers, waiting, and
// signing in through the login page.
//
// Environment: BASE_URL, ARTIFACTS (screenshots), NPM_DIR (where npm ci
// installed playwright-core), CHROMIUM (default /usr/bin/chromium).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(path.join(process.env.NPM_DIR, 'package.json'));
export const { chromium } = require('playwright-core');
export const BASE = process.env.BASE_URL;
export const ART = process.env.ARTIFACTS;
fs.mkdirSync(ART, { recursive: true });

let failed = 0;
export function check(cond, msg) {
  if (!cond) {
    failed++;
    console.error('CHECK FAILED: ' + msg);
  } else {
    console.log('ok: ' + msg);
  }
  return cond;
}

// Prints the summary and exits 0 only if every check passed.
export function finish(name) {
  console.log(failed ? `${name}: ${failed} checks failed` : `${name}: all checks passed`);
  process.exit(failed ? 1 : 0);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn until it returns something truthy (that value) or the time is up
// (then fn's last answer).
export async function waitFor(fn, timeoutMs, stepMs = 200) {
  const end = Date.now() + timeoutMs;
  let v;
  while (Date.now() < end) {
    v = await fn();
    if (v) return v;
    await sleep(stepMs);
  }
  return fn();
}

// A paused playback tile has settled: its overlay says "ready" (the player
// has moved to the instant asked for) and two samples of (currentTime,
// #wallclock) 300 ms apart agree, so neither is a value from before the seek.
// Returns {c, w} (seconds, wall ms) or null when the time is up.
export async function settled(page, tile, video, timeoutMs = 10000) {
  const sample = async () => ({
    c: await video.evaluate((v) => v.currentTime),
    w: Date.parse((await page.locator('#wallclock').getAttribute('data-time')) || ''),
    ready: (await tile.getAttribute('data-state')) === 'ready',
  });
  return waitFor(async () => {
    const a = await sample();
    await sleep(300);
    const b = await sample();
    return a.ready && b.ready && a.c === b.c && a.w === b.w && !Number.isNaN(b.w) ? { c: b.c, w: b.w } : null;
  }, timeoutMs, 0);
}

// A small fingerprint of the picture a video element shows now.
export const picture = (video) => video.evaluate((v) => {
  const c = document.createElement('canvas');
  c.width = 64;
  c.height = 36;
  c.getContext('2d').drawImage(v, 0, 0, 64, 36);
  return c.toDataURL();
});

export const shot = (page, name, full = false) =>
  page.screenshot({ path: path.join(ART, name + '.png'), fullPage: full });

// Debian's chromium, headless; extra command-line flags appended.
export function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
           ...extraArgs],
  });
}

// How the UI writes the instant ms in the browser's zone with the default
// time format ([ui] time_format unset: 12-hour), worked out here rather than
// by the UI's own code: {date: "2026-11-22", hms: "3:05:09", ampm: "PM",
// text: "2026-11-22 3:05:09 PM"}.
export const localText = (page, ms) => page.evaluate((t) => {
  const d = new Date(t);
  const p = (n) => String(n).padStart(2, '0');
  const date = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  const hms = `${d.getHours() % 12 || 12}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  const ampm = d.getHours() < 12 ? 'AM' : 'PM';
  return { date, hms, ampm, text: `${date} ${hms} ${ampm}` };
}, ms);

// Signs in through the login page; true when the header shows the user.
export async function login(page, user, password) {
  await page.goto(BASE + '/');
  await page.waitForURL(/login\.html/, { timeout: 10000 });
  await page.fill('#user', user);
  await page.fill('#password', password);
  await page.click('#submit');
  await page.waitForURL((u) => !u.pathname.endsWith('login.html'), { timeout: 10000 });
  return waitFor(async () => ((await page.locator('#user').textContent()) || '').startsWith(user), 5000);
}

// Opens a page that sets body[data-loaded] once its data is shown.
export async function openLoaded(page, url) {
  await page.goto(BASE + url);
  return waitFor(() => page.evaluate(() => !!document.body.dataset.loaded), 10000);
}

// body[data-loaded] now, and waiting for it to change (the page reloaded
// its data after an action).
export const loadedMark = (page) => page.evaluate(() => document.body.dataset.loaded);
export async function reloaded(page, before) {
  return waitFor(() => page.evaluate((b) => document.body.dataset.loaded !== b, before), 10000);
}

// A script's request with a bearer token: {status, doc} (doc null if not JSON).
export async function bearer(p, token, options = {}) {
  const r = await fetch(BASE + p, { ...options, headers: { Authorization: 'Bearer ' + token, ...(options.headers || {}) } });
  let doc = null;
  try {
    doc = await r.json();
  } catch (e) {
    doc = null;
  }
  return { status: r.status, doc };
}

// Watches a page: a script error fails the test, the browser's console
// errors are logged, and every dialog is accepted, its text kept in the
// returned list.
export function watch(page) {
  const dialogs = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.accept();
  });
  page.on('pageerror', (e) => check(false, 'page error: ' + e.message));
  page.on('console', (m) => m.type() === 'error' && console.log('browser console: ' + m.text()));
  return dialogs;
}

// Opens the playback page of cam at seek (ms since the epoch) and checks it
// there: the wall clock shown is seek within 1 s, a frame is decoded, and
// playing, currentTime and the wall clock advance together while the
// picture changes.  A screenshot goes to ARTIFACTS.
export async function playsAt(page, cam, SEEK, label) {
  await page.goto(`${BASE}/playback.html?cameras=${cam}&t=${new Date(SEEK).toISOString()}&zoom=2`);
  const tile = page.locator(`.tile[data-camera="${cam}"]`);
  const video = tile.locator('video');
  const clock = page.locator('#wallclock');
  const shown = async () => Date.parse((await clock.getAttribute('data-time')) || '');
  const at = await waitFor(async () => {
    const ok = await video.evaluate((v) => v.readyState >= 2 && v.videoWidth > 0 && !v.seeking);
    const t = await shown();
    return ok && Math.abs(t - SEEK) <= 1000 ? t : null;
  }, 30000);
  check(at, `${label}: opened at ${new Date(SEEK).toISOString()}, shows ${await clock.getAttribute('data-time')} (within 1 s)`);
  // before the player has moved to SEEK the clock shows the cursor and
  // currentTime may still be 0: take the pair once both have settled
  const s0 = await settled(page, tile, video);
  check(s0, `${label}: the paused tile settles at the instant (state ${await tile.getAttribute('data-state')})`);
  const c0 = s0 ? s0.c : await video.evaluate((v) => v.currentTime);
  const w0 = s0 ? s0.w : await shown();
  const p0 = await picture(video);
  await page.click('#play');
  await sleep(3000);
  const c1 = await video.evaluate((v) => v.currentTime);
  const w1 = await shown();
  const p1 = await picture(video);
  await page.click('#play'); // pause
  check(c1 - c0 > 1.5, `${label}: currentTime advances while playing (${c0.toFixed(2)} -> ${c1.toFixed(2)} in 3 s)`);
  check(Math.abs((w1 - w0) / 1000 - (c1 - c0)) < 0.6,
        `${label}: the wall clock follows it (${((w1 - w0) / 1000).toFixed(2)} s vs ${(c1 - c0).toFixed(2)} s)`);
  check(p0 !== p1, `${label}: the picture changes while playing`);
  const q = await video.evaluate((v) => {
    const k = v.getVideoPlaybackQuality();
    return { shown: k.totalVideoFrames, dropped: k.droppedVideoFrames };
  });
  console.log(`${label}: ${q.shown} frames decoded, ${q.dropped} dropped by the player`);
  check(q.shown > 0 && (await video.evaluate((v) => v.videoWidth)) > 0, `${label}: frames decoded, a picture of width > 0`);
  await page.screenshot({ path: path.join(ART, `playback-${cam}.png`) });
}
