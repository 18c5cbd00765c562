// SPDX-License-Identifier: Apache-2.0
// console_evidence_test.mjs - the district console's evidence page
// (district_exports.html) in Debian's chromium, for
// test_browser_console_evidence.py: an investigator signs in on the
// console, finds the Evidence link in the header, ticks NORTH_CAMERA and
// SOUTH_CAMERA in the shared site picker, enters a range, reason and case,
// and makes the district export; its row goes to done and its link
// downloads the zip (saved to ZIP_PATH, checked by `nvr verify` on the
// Python side); a range over 7 days shows the server's 400 text; a hold
// placed at site north appears in the page's list and in the forwarded
// GET /api/v1/sites/north/holds, and Release ends it; axe finds nothing
// serious or critical.  A viewer sees no export or hold form and no
// Evidence link.
//
// Environment: BASE_URL (the console), NORTH_CAMERA, SOUTH_CAMERA (SITE.ID),
// INV_USER, INV_PASSWORD, VIEWER_USER, VIEWER_PASSWORD, ZIP_PATH,
// HOLD_REASON, ARTIFACTS, NPM_DIR, CHROMIUM.
import path from 'node:path';
import { check, launch, finish, login, watch, openLoaded, shot, waitFor, localText, loadedMark, reloaded } from './lib.mjs';

const NORTH = process.env.NORTH_CAMERA;
const SOUTH = process.env.SOUTH_CAMERA;
const HOLD_REASON = process.env.HOLD_REASON;

const AXE = path.join(process.env.NPM_DIR, 'node_modules', 'axe-core', 'axe.min.js');
async function audit(page, name) {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, n: v.nodes.length, where: v.nodes[0].target.join(' ') }));
  });
  for (const v of found) console.log(`${name}: ${v.impact} ${v.id} x${v.n} e.g. ${v.where}`);
  const bad = found.filter((v) => ['serious', 'critical'].includes(v.impact));
  check(bad.length === 0, `${name}: no serious or critical axe finding (${bad.map((v) => v.id).join(', ') || 'none'})`);
}

// The range fields of a form, written as the page writes times (12-hour, UTC here).
async function fillRange(page, from, to, t0, t1) {
  await page.fill(from, (await localText(page, t0)).text);
  await page.fill(to, (await localText(page, t1)).text);
}

async function investigator(browser) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, timezoneId: 'UTC', bypassCSP: true,
                                             acceptDownloads: true });
  const page = await context.newPage();
  watch(page);
  check(await login(page, process.env.INV_USER, process.env.INV_PASSWORD), 'the investigator signs in on the console');
  check(await waitFor(() => page.locator('header a[href="district_exports.html"]').count(), 5000),
    'the header links the evidence page');
  await page.click('header a[href="district_exports.html"]');
  await page.waitForURL(/district_exports\.html/, { timeout: 10000 });
  check(await waitFor(() => page.evaluate(() => !!document.body.dataset.loaded), 10000), 'the evidence page loads');
  check(await page.isVisible('#export-form') && await page.isVisible('#hold-form'), 'the investigator sees both forms');
  const sets = await page.locator('#sites fieldset[data-site]').evaluateAll((ns) => ns.map((n) => n.dataset.site));
  check(sets.includes('north') && sets.includes('south'), `the picker has one fieldset per site (${sets})`);
  await audit(page, 'district_exports.html');

  // a range the server refuses: its 400 text on the page
  const now = Date.now();
  await page.check(`#sites input[data-camera="${NORTH}"]`);
  await fillRange(page, '#f-from', '#f-to', now - 9 * 86400e3, now - 60e3);
  await page.fill('#f-reason', 'too long');
  await page.click('#make-export');
  check(await waitFor(async () => !(await page.isHidden('#form-error')), 10000), 'a range over 7 days is refused');
  const refusal = await page.textContent('#form-error');
  check(/7 days|range|end/i.test(refusal), `the server's error is shown: "${refusal}"`);

  // the export of one camera of each site
  await page.check(`#sites input[data-camera="${SOUTH}"]`);
  check(((await page.textContent('#count')) || '').startsWith('2 cameras'), 'two cameras ticked');
  const t1 = Math.floor((Date.now() - 5e3) / 1000) * 1000;
  await fillRange(page, '#f-from', '#f-to', t1 - 8e3, t1);
  await page.fill('#f-case', '2026-88');
  await page.fill('#f-reason', 'fight between the lobby and the gym');
  await page.click('#make-export');
  check(await waitFor(() => page.locator('#exports tr[data-export]').count(), 10000), 'the export is listed');
  check(await page.isHidden('#form-error'), 'and the form shows no error');
  const row = page.locator('#exports tr[data-export]').first();
  const listed = await row.textContent();
  check(listed.includes(NORTH) && listed.includes(SOUTH) && listed.includes('2026-88'), `its row names both cameras and the case: ${listed}`);
  const state = () => row.getAttribute('data-status');
  const done = await waitFor(async () => ['done', 'failed'].includes(await state()), 120000, 500);
  await shot(page, 'evidence-export');
  check(done && (await state()) === 'done', `the export is done (${await state()}: ${await row.textContent()})`);
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), row.locator('a.download').click()]);
  check(/^district-export_[0-9a-f]+\.zip$/.test(dl.suggestedFilename()), `the link downloads ${dl.suggestedFilename()}`);
  await dl.saveAs(process.env.ZIP_PATH);
  check(!(await dl.failure()), 'the download completes');

  // a hold at site north, placed on the page
  await page.selectOption('#h-site', 'north');
  await page.check(`#h-cameras input[data-camera="${NORTH}"]`);
  await fillRange(page, '#h-from', '#h-to', t1 - 60e3, t1);
  await page.fill('#h-case', '2026-88');
  await page.fill('#h-reason', HOLD_REASON);
  let mark = await loadedMark(page);
  await page.click('#create-hold');
  check(await reloaded(page, mark), 'the holds list reloads');
  const holdRow = page.locator('#holds tr[data-hold]', { hasText: HOLD_REASON });
  check(await holdRow.count() === 1, 'the hold is in the page\'s list of north\'s holds');
  const forwarded = await page.evaluate(() => fetch('/api/v1/sites/north/holds').then((r) => r.json()));
  const mine = forwarded.holds.filter((h) => h.reason === HOLD_REASON);
  check(mine.length === 1 && mine[0].cameras.join() === NORTH.split('.')[1] && mine[0].created_by === process.env.INV_USER,
    `and in north's forwarded holds list, by the site's own camera id: ${JSON.stringify(mine)}`);
  await shot(page, 'evidence-hold', true);
  await audit(page, 'district_exports.html with an export and a hold listed');
  mark = await loadedMark(page);
  await holdRow.locator('button.release').click();
  check(await reloaded(page, mark), 'the list reloads after Release');
  check(await page.locator('#holds tr[data-hold]', { hasText: HOLD_REASON }).count() === 0, 'the released hold leaves the active list');
  await page.check('#show-released');
  check(await waitFor(() => page.locator('#holds tr[data-hold][data-active="false"]', { hasText: HOLD_REASON }).count(), 10000),
    'and shows as released with "Show released"');
  await context.close();
}

async function viewer(browser) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, timezoneId: 'UTC' });
  const page = await context.newPage();
  watch(page);
  check(await login(page, process.env.VIEWER_USER, process.env.VIEWER_PASSWORD), 'the viewer signs in on the console');
  check(await openLoaded(page, '/district_exports.html'), 'the evidence page loads for the viewer');
  check(await page.isVisible('#no-role'), 'the viewer is told exports need the investigator role');
  check(!(await page.isVisible('#export-form')) && !(await page.isVisible('#hold-form')),
    'the viewer sees no export or hold form');
  check(await page.locator('header a[href="district_exports.html"]').count() === 0, 'nor an Evidence link');
  await shot(page, 'evidence-viewer');
  await context.close();
}

const browser = await launch();
try {
  await investigator(browser);
  await viewer(browser);
} finally {
  await browser.close();
}
finish('console_evidence_test');
