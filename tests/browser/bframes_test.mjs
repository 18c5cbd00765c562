// SPDX-License-Identifier: Apache-2.0
// bframes_test.mjs - footage of cameras with B-frames in Debian's chromium,
// driven by playwright-core for test_browser_bframes.py:
//   - live: the H.264 B-frame camera's tile plays (live.mp4 through MSE): its
//     currentTime advances and the picture changes;
//   - playback (hls.js): opened at SEEK, the wall clock shown is SEEK within
//     1 s, a frame is decoded, and playing, currentTime and the wall clock
//     advance together while the picture changes;
//   - the H.265 B-frame camera (open GOPs) plays back through the server's
//     H.264 rendition the same way.
// The browser runs in UTC.  Screenshots go to ARTIFACTS.  Exit status 0 only
// if every check passed.
//
// Environment: BASE_URL, CAMERA (H.264), HEVC_CAMERA, SEEK (RFC 3339, inside
// the recording), ADMIN_USER, ADMIN_PASSWORD, ARTIFACTS, NPM_DIR, CHROMIUM.
import path from 'node:path';
import { ART, BASE, check, sleep, waitFor, launch, finish, login, watch, picture, playsAt } from './lib.mjs';

const CAM = process.env.CAMERA;
const HEVC = process.env.HEVC_CAMERA;
const SEEK = Date.parse(process.env.SEEK);
const playback = (page, cam, label) => playsAt(page, cam, SEEK, label);

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, timezoneId: 'UTC' });
  const page = await context.newPage();
  watch(page);
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'signed in');

  // ---- live ----
  await page.goto(`${BASE}/?camera=${CAM}`);
  const tile = page.locator(`.tile[data-camera="${CAM}"]`);
  const video = tile.locator('video');
  const t0 = await waitFor(() => video.evaluate((v) => (v.currentTime > 0.2 && !v.paused ? v.currentTime : 0)), 20000);
  check(t0 > 0, `live: the B-frame camera's tile starts playing (currentTime ${t0})`);
  const a = await picture(video);
  await sleep(1500);
  const t1 = await video.evaluate((v) => v.currentTime);
  const b = await picture(video);
  check(t1 - t0 > 0.8, `live: currentTime advances (${t0.toFixed(2)} -> ${t1.toFixed(2)} in 1.5 s)`);
  check(a !== b, 'live: the picture changes');
  await page.screenshot({ path: path.join(ART, 'bframes-live.png') });

  // ---- playback ----
  await playback(page, CAM, 'H.264 B-frames (hls.js)');
  await playback(page, HEVC, 'H.265 B-frames, open GOPs');
} catch (e) {
  check(false, 'driver error: ' + (e.stack || e));
} finally {
  await browser.close();
}
finish('bframes_test');
