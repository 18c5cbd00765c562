// SPDX-License-Identifier: Apache-2.0
// archive_test.mjs - footage that lives only in the archive tier (an S3
// bucket) plays in Debian's chromium like local footage, for
// test_browser_archive.py: the playback page opened at SEEK shows that
// instant and plays (lib.mjs playsAt).
//
// Environment: BASE_URL, CAMERA, SEEK (RFC 3339, inside archived footage),
// ADMIN_USER, ADMIN_PASSWORD, ARTIFACTS, NPM_DIR, CHROMIUM.
import { check, launch, finish, login, watch, playsAt } from './lib.mjs';

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, timezoneId: 'UTC' });
  const page = await context.newPage();
  watch(page);
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'signed in');
  await playsAt(page, process.env.CAMERA, Date.parse(process.env.SEEK), 'archived footage (hls.js)');
} catch (e) {
  check(false, 'driver error: ' + (e.stack || e));
} finally {
  await browser.close();
}
finish('archive_test');
