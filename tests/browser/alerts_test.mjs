// SPDX-License-Identifier: Apache-2.0
// alerts_test.mjs - drives Debian's chromium (playwright-core) through the
// status board (status.html) and the alerts page (alerts.html) of a running
// `nvr run` (test_browser_alerts.py stops and restarts the camera between
// the phases; PHASE says which one this run checks):
//   ok      - the board is all green: the recorder, the disk, no alerts, the
//             camera recording; the Status and Alerts links are in the header;
//   (the recorder has two storage dirs; the second's tile is green, red with
//   the reason while its marker is gone in "down", green again in "back")
//   down    - the camera is stopped and its alert has opened: its tile and the
//             alerts tile are red and the open alert is listed; on the alerts
//             page the incident is open, Acknowledge makes it acknowledged
//             (the board then lists it as acknowledged); "Send a test alert"
//             answers per channel (syslog sent, e-mail and webhook not
//             configured); the viewer sees the board (cameras, recorder,
//             disk) but neither alerts nor the Alerts link;
//   back    - the camera recovered: the board is green again and the alerts
//             page shows the incident resolved.
// Both pages fit a 390 px phone.  Screenshots go to ARTIFACTS.
//
// Environment: BASE_URL, ADMIN_USER, ADMIN_PASSWORD, VIEWER_USER,
// VIEWER_PASSWORD, PHASE, ARTIFACTS, NPM_DIR, CHROMIUM.
import { check, waitFor, login, shot, launch, finish, openLoaded, watch } from './lib.mjs';

const PHASE = process.env.PHASE;
const browser = await launch();

const level = (page, id) => page.evaluate((i) => {
  const t = document.querySelector(`[data-tile="${i}"]`);
  return t ? t.dataset.level : null;
}, id);

async function fitsPhone(page, url, name) {
  await page.setViewportSize({ width: 390, height: 844 });
  await openLoaded(page, url);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 392, `${name} fits a 390 px phone (scrollWidth ${wide})`);
  await shot(page, `${PHASE}-${name}-phone`, true);
  await page.setViewportSize({ width: 1366, height: 768 });
}

try {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await ctx.newPage();
  const dialogs = watch(page);
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'admin signs in');
  check(await openLoaded(page, '/status.html'), 'the status board loads');

  if (PHASE === 'ok') {
    const nav = await page.locator('header nav a').allTextContents();
    check(nav.includes('Status') && nav.includes('Alerts'), `Status and Alerts in the header: ${nav}`);
    check(await waitFor(async () => (await level(page, 'camera-lobby')) === 'green', 15000), 'camera tile green');
    check((await level(page, 'recorder')) === 'green', 'recorder tile green');
    check((await level(page, 'disk')) === 'green', 'disk tile green');
    check(await waitFor(async () => (await level(page, 'dir-1')) === 'green', 10000), 'the second disk\'s tile is green');
    check((await level(page, 'alerts')) === 'green', 'alerts tile green');
    await shot(page, 'ok-status', true);
    await fitsPhone(page, '/status.html', 'status');
    await fitsPhone(page, '/alerts.html', 'alerts');
  }

  if (PHASE === 'down') {
    check(await waitFor(async () => (await level(page, 'camera-lobby')) !== 'green', 15000), 'camera tile no longer green');
    check(await waitFor(async () => (await level(page, 'alerts')) === 'red', 15000), 'alerts tile red (a critical alert is open)');
    const items = await page.locator('#open-alerts li').allTextContents();
    check(items.some((t) => t.includes('(lobby) is not recording')), `the open alert is listed: ${items}`);
    check(await waitFor(async () => (await level(page, 'dir-1')) === 'red', 15000), 'the unmounted disk\'s tile is red');
    const dirText = await page.locator('[data-tile="dir-1"] .board-text').textContent();
    check(dirText.includes('offline') && dirText.includes('.nvr-dir is missing'), `the tile says why: ${dirText}`);
    check(await waitFor(async () => (await page.locator('#open-alerts li').allTextContents()).some((t) => t.includes('is offline')), 15000),
      'the disk\'s alert is listed');
    await shot(page, 'down-status', true);

    check(await openLoaded(page, '/alerts.html'), 'the alerts page loads');
    const row = page.locator('#alerts tbody tr[data-kind="camera_offline"][data-camera="lobby"]');
    check(await waitFor(async () => (await row.count()) === 1, 5000), 'one incident for the camera');
    check((await row.getAttribute('data-state')) === 'open', 'the incident is open');
    await shot(page, 'down-alerts-open', true);
    await row.locator('button.ack').click();
    check(await waitFor(async () => (await row.getAttribute('data-state')) === 'acknowledged', 10000), 'Acknowledge: the incident is acknowledged');
    check(((await row.locator('.detail').textContent()) || '').includes('acknowledged by admin'), 'the page says who acknowledged it');
    check(await page.locator('#test').isVisible(), 'the admin has the test button');
    await page.click('#test');
    const res = page.locator('#test-result li');
    check(await waitFor(async () => (await res.count()) === 3, 15000), 'the test alert answers per channel');
    const texts = await res.allTextContents();
    check(texts.includes('syslog: sent') && texts.includes('email: not configured') && texts.includes('webhook: not configured'),
      `test alert results: ${texts}`);
    await shot(page, 'down-alerts-acknowledged', true);
    check(await openLoaded(page, '/status.html'), 'the board again');
    const items2 = await page.locator('#open-alerts li').allTextContents();
    check(items2.some((t) => t.includes('acknowledged by admin')), `the board shows it acknowledged: ${items2}`);

    // a viewer: the board without alerts, no Alerts link
    const vctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const vp = await vctx.newPage();
    watch(vp);
    check(await login(vp, process.env.VIEWER_USER, process.env.VIEWER_PASSWORD), 'the viewer signs in');
    check(await openLoaded(vp, '/status.html'), 'the viewer sees the board');
    const vnav = await vp.locator('header nav a').allTextContents();
    check(vnav.includes('Status') && !vnav.includes('Alerts'), `viewer's header: ${vnav}`);
    check((await level(vp, 'camera-lobby')) !== null && (await level(vp, 'alerts')) === null, 'viewer: camera tile, no alerts tile');
    await shot(vp, 'down-status-viewer', true);
    await vctx.close();
  }

  if (PHASE === 'back') {
    check(await waitFor(async () => (await level(page, 'camera-lobby')) === 'green', 20000), 'camera tile green again');
    check(await waitFor(async () => (await level(page, 'alerts')) === 'green', 20000), 'alerts tile green again');
    check(await waitFor(async () => (await level(page, 'dir-1')) === 'green', 10000), 'the second disk\'s tile green again');
    await shot(page, 'back-status', true);
    await page.goto(process.env.BASE_URL + '/alerts.html');
    await page.selectOption('#state', 'resolved');
    const row = page.locator('#alerts tbody tr[data-kind="camera_offline"][data-camera="lobby"]');
    check(await waitFor(async () => (await row.count()) === 1 && (await row.getAttribute('data-state')) === 'resolved', 10000),
      'the alerts page shows the incident resolved');
    await shot(page, 'back-alerts-resolved', true);
  }
  check(dialogs.length === 0, `no dialogs: ${dialogs}`);
} catch (e) {
  check(false, 'exception: ' + (e.stack || e));
} finally {
  await browser.close();
}
finish(`alerts_test (${PHASE})`);
