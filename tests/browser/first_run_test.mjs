// SPDX-License-Identifier: Apache-2.0
// first_run_test.mjs - the live page of a recorder with no cameras yet
// (test_browser_first_run.py), as people see it:
//   - the admin is told there are no cameras and offered "Add a camera",
//     which leads to the cameras page;
//   - a viewer is told no cameras are shared with them and whom to ask;
//   - the message is on screen (a visible box with the text), not only in
//     the DOM.
// Environment: BASE_URL, ADMIN_USER, ADMIN_PASSWORD, VIEWER_USER,
// VIEWER_PASSWORD, ARTIFACTS, NPM_DIR, CHROMIUM.
import { check, waitFor, login, shot, launch, finish, BASE } from './lib.mjs';

async function messageText(page) {
  const m = page.locator('#message');
  return waitFor(async () => ((await m.isVisible()) ? (await m.textContent()).trim() : ''), 10000);
}

const browser = await launch();
try {
  const admin = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage();
  check(await login(admin, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'the admin signs in');
  const link = admin.locator('#add-first-camera');
  check(await waitFor(() => link.isVisible(), 10000), 'the admin is offered "Add a camera" on the empty live page');
  const text = await messageText(admin);
  check(/No cameras yet/.test(text), `the admin reads why the page is empty ("${text}")`);
  const box = await admin.locator('#message').boundingBox();
  check(box && box.width > 100 && box.height > 10, 'the message has a box on screen');
  await shot(admin, 'first-run-admin');
  await link.click();
  await admin.waitForURL(/cameras\.html/, { timeout: 10000 });
  check(admin.url().endsWith('/cameras.html'), 'the link opens the cameras page');

  const viewer = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  check(await login(viewer, process.env.VIEWER_USER, process.env.VIEWER_PASSWORD), 'the viewer signs in');
  const vt = await waitFor(async () => {
    const t = await messageText(viewer);
    return /shared with you/.test(t) ? t : '';
  }, 10000);
  check(/No cameras are shared with you yet/.test(vt) && /administrator/.test(vt),
        `the viewer is told no camera is shared with them and whom to ask ("${vt}")`);
  check((await viewer.locator('#add-first-camera').count()) === 0, 'the viewer is not offered to add a camera');
  await shot(viewer, 'first-run-viewer-390');
} catch (e) {
  check(false, `the browser script failed: ${e.stack || e}`);
} finally {
  await browser.close();
}
finish('first_run_test');
