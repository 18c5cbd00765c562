// SPDX-License-Identifier: Apache-2.0
// first_run_test.mjs - the live page of a recorder with no cameras yet
// (test_browser_first_run.py), as people see it:
//   - the admin is told there are no cameras and offered "Add a camera",
//     which leads to the cameras page;
//   - a viewer is told no cameras are shared with them and whom to ask;
//   - the message is on screen (a visible box with the text), not only in
//     the DOM.
//   - a recorder with no account at all (FRESH_URL) sends the browser to
//     the sign-in page, which shows the setup form; a wrong token is refused
//     in words; the right one (SETUP_TOKEN, from the server log) makes the
//     first admin, signs them in and lands on Live offering "Add a camera".
// Environment: BASE_URL, FRESH_URL, SETUP_TOKEN, ADMIN_USER, ADMIN_PASSWORD, VIEWER_USER,
// VIEWER_PASSWORD, ARTIFACTS, NPM_DIR, CHROMIUM.
import { check, waitFor, login, shot, launch, finish, BASE } from './lib.mjs';

async function messageText(page) {
  const m = page.locator('#message');
  return waitFor(async () => ((await m.isVisible()) ? (await m.textContent()).trim() : ''), 10000);
}

async function setupFlow(browser) {
  const page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage();
  await page.goto(process.env.FRESH_URL + '/');
  const form = page.locator('#setup');
  check(await waitFor(() => form.isVisible(), 10000), 'a fresh recorder shows the setup form');
  check(!(await page.locator('#login').isVisible()), 'and not the sign-in form');
  check(/setup_token/.test(await form.textContent()), 'the form says where the setup token is');
  await shot(page, 'first-run-setup');
  await page.fill('#setup-token', 'not-the-token');
  await page.fill('#setup-user', 'setup-admin');
  await page.fill('#setup-password', 'setup-pass-123');
  await page.fill('#setup-password2', 'setup-pass-123');
  await page.click('#setup-submit');
  const msg = page.locator('#setup-message');
  const said = await waitFor(async () => ((await msg.isVisible()) ? (await msg.textContent()).trim() : ''), 10000);
  check(/setup token is not right/.test(said), `a wrong token is refused in words ("${said}")`);
  await page.fill('#setup-token', process.env.SETUP_TOKEN);
  await page.click('#setup-submit');
  await page.waitForURL((u) => !/login\.html/.test(u.toString()), { timeout: 10000 });
  const link = page.locator('#add-first-camera');
  check(await waitFor(() => link.isVisible(), 10000), 'the new admin lands on Live, offered "Add a camera"');
  await shot(page, 'first-run-after-setup');
  const again = await (await browser.newContext()).newPage();
  await again.goto(process.env.FRESH_URL + '/login.html');
  await again.waitForTimeout(1000);
  check(await again.locator('#login').isVisible() && !(await again.locator('#setup').isVisible()),
        'afterwards the sign-in page shows sign-in, not setup');
}

const browser = await launch();
try {
  await setupFlow(browser);
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
