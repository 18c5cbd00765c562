// SPDX-License-Identifier: Apache-2.0
// console_test.mjs - the district console (`nvr console`) in Debian's
// chromium, for test_browser_console.py: sign in with a district account on
// the console's login page, the status board (district.html) shows both
// sites up, and the playback page of a south.* camera plays through the
// console's proxy (lib.mjs playsAt).
//
// Environment: BASE_URL (the console), CAMERA (SITE.ID), SEEK (RFC 3339),
// ADMIN_USER, ADMIN_PASSWORD, ARTIFACTS, NPM_DIR, CHROMIUM.
import { check, launch, finish, login, watch, playsAt, openLoaded, shot, BASE } from './lib.mjs';

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, timezoneId: 'UTC' });
  const page = await context.newPage();
  watch(page);
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'signed in on the console');
  check(await openLoaded(page, '/district.html'), 'the status board loads');
  const sites = await page.locator('[data-site]').evaluateAll((ns) => ns.map((n) => [n.dataset.site, n.dataset.status]));
  check(JSON.stringify(sites) === JSON.stringify([['north', 'up'], ['south', 'up']]),
    `the status board shows both sites up: ${JSON.stringify(sites)}`);
  const cams = await page.locator('#cameras [data-camera]').evaluateAll((ns) => ns.map((n) => n.dataset.camera));
  check(cams.includes(process.env.CAMERA), `the board lists ${process.env.CAMERA}: ${JSON.stringify(cams)}`);
  check(await page.locator('nav a[href="district.html"]').count() === 1, 'the header links the board on the console');
  await shot(page, 'district');
  await page.click(`#cameras [data-camera="${process.env.CAMERA}"] a`);
  await page.waitForURL(/playback\.html/, { timeout: 10000 });
  await playsAt(page, process.env.CAMERA, Date.parse(process.env.SEEK), `${process.env.CAMERA} through the console`);
  check(page.url().startsWith(BASE), 'the page stayed on the console');
} catch (e) {
  check(false, 'driver error: ' + (e.stack || e));
} finally {
  await browser.close();
}
finish('console_test');
