// SPDX-License-Identifier: Apache-2.0
// liveness_test.mjs - a live tile never calls a frozen picture live
// (test_browser_liveness.py): the camera process is frozen (SIGSTOP: the
// connection stays open, no frame comes) while the page watches, then
// thawed.  Checks what a person sees:
//   - while frames come, the pill says "live" and the picture is bright;
//   - within 3 s of the last frame the tile dims, the pill says "not live",
//     and a line says why and since when;
//   - when frames come again the tile is live again by itself.
// Environment: BASE_URL, ADMIN_USER, ADMIN_PASSWORD, CAMERA, CAMERA_PID,
// ARTIFACTS, NPM_DIR, CHROMIUM.
import { check, waitFor, login, shot, launch, finish, sleep, BASE } from './lib.mjs';

const CAM = process.env.CAMERA;
const PID = +process.env.CAMERA_PID;
const browser = await launch();
try {
  const page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage();
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'the admin signs in');
  await page.goto(`${BASE}/?layout=4`);
  const tile = page.locator(`.tile[data-camera="${CAM}"]`);
  const video = tile.locator('video');
  check(await waitFor(() => video.evaluate((v) => v.currentTime > 1 && !v.paused), 30000), 'the tile plays');
  await sleep(1000);
  const pill = tile.locator('.status');
  check((await tile.getAttribute('data-stale')) !== '1' && (await pill.textContent()) === 'live',
        `a moving picture is "live" (pill "${await pill.textContent()}")`);

  process.kill(PID, 'SIGSTOP');
  const t0 = Date.now();
  const went = await waitFor(async () => (await tile.getAttribute('data-stale')) === '1', 8000, 100);
  const took = (Date.now() - t0) / 1000;
  console.log(`figure: frozen picture marked "not live" after ${took.toFixed(1)} s`);
  check(went && took <= 4, `a frozen picture is marked within 4 s (${took.toFixed(1)} s)`);
  check((await pill.textContent()) === 'not live', `the pill says "not live" ("${await pill.textContent()}")`);
  const why = await tile.locator('.stale').textContent();
  check(/last picture \d{1,2}:\d\d:\d\d( [AP]M)?/.test(why), `the tile says why and since when ("${why}")`);
  const opacity = await video.evaluate((v) => +getComputedStyle(v).opacity);
  check(opacity < 0.5, `the frozen picture is dimmed (opacity ${opacity})`);
  await shot(page, 'liveness-frozen');
  // the server notices the silent camera too: the words follow its status
  const said = await waitFor(async () => {
    const t = await tile.locator('.stale').textContent();
    return /reconnecting|offline/.test(t) ? t : '';
  }, 20000);
  check(!!said, `the reason follows the server's status of the camera ("${said || why}")`);

  process.kill(PID, 'SIGCONT');
  const back = await waitFor(async () => (await tile.getAttribute('data-stale')) !== '1' &&
                                          (await pill.textContent()) === 'live', 60000, 250);
  check(back, 'when frames come again the tile is live again by itself');
  await shot(page, 'liveness-back');
} catch (e) {
  check(false, `the browser script failed: ${e.stack || e}`);
} finally {
  try { process.kill(PID, 'SIGCONT'); } catch { /* gone */ }
  await browser.close();
}
finish('liveness_test');
