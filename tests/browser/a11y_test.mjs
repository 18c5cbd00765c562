// SPDX-License-Identifier: Apache-2.0
// a11y_test.mjs - axe-core (npm, pinned in web/package-lock.json) on every
// page of the UI, signed in as an admin (and the sign-in page signed out;
// Live and Playback again on a 390x844 phone with the header menu open),
// with the WCAG 2.0/2.1 A and AA rules.  Prints every finding; fails on any
// finding of impact "serious" or "critical" (issue 23 item 6).  Then what
// axe cannot see: the first Tab reaches "Skip to content", Live and Playback
// have a heading, videos are named, toggles say their state (aria-pressed),
// and the playback timeline is a keyboard slider (arrows 5 s, Shift 1 min).  The
// contexts bypass the pages' Content-Security-Policy only to inject axe.
// Environment: BASE_URL, ADMIN_USER, ADMIN_PASSWORD, ARTIFACTS, NPM_DIR, CHROMIUM.
import path from 'node:path';
import { check, finish, launch, login, sleep, waitFor, BASE } from './lib.mjs';

const AXE = path.join(process.env.NPM_DIR, 'node_modules', 'axe-core', 'axe.min.js');
const PAGES = ['index.html', 'playback.html', 'cameras.html', 'users.html', 'access.html', 'exports.html',
               'holds.html', 'audit.html', 'alerts.html', 'status.html'];

async function audit(page, name) {
  await page.addScriptTag({ path: AXE });
  const res = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, n: v.nodes.length,
                                       where: v.nodes.slice(0, 3).map((x) => x.target.join(' ')) }));
  });
  let bad = 0;
  for (const v of res) {
    const serious = v.impact === 'serious' || v.impact === 'critical';
    if (serious) bad += v.n;
    console.log(`${name}: ${v.impact} ${v.id} x${v.n} (${v.help}) e.g. ${v.where.join(' | ')}`);
  }
  check(bad === 0, `${name}: no serious or critical axe finding (${bad})`);
  return bad;
}

const browser = await launch();
let total = 0;
try {
  const anon = await (await browser.newContext({ viewport: { width: 1366, height: 768 }, bypassCSP: true })).newPage();
  await anon.goto(BASE + '/login.html');
  await anon.waitForTimeout(500);
  total += await audit(anon, 'login.html');
  const page = await (await browser.newContext({ viewport: { width: 1366, height: 768 }, bypassCSP: true })).newPage();
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'the admin signs in');
  for (const p of PAGES) {
    await page.goto(BASE + '/' + p);
    await page.waitForTimeout(1500); // the page's data and players are drawn
    total += await audit(page, p);
  }
  // a phone: the header folded into its menu (open), and playback's controls docked at the bottom
  const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
                                                  bypassCSP: true })).newPage();
  check(await login(phone, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'the admin signs in on a phone');
  for (const p of ['index.html', 'playback.html']) {
    await phone.goto(BASE + '/' + p);
    await phone.waitForTimeout(1500);
    await phone.click('#menu-button');
    total += await audit(phone, `${p} (390x844, menu open)`);
  }
  console.log(`serious or critical findings on ${PAGES.length + 3} pages: ${total}`);

  await page.goto(BASE + '/index.html');
  await page.waitForTimeout(1500);
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement.textContent === 'Skip to content'),
        'the first Tab stop is "Skip to content"');
  check((await page.locator('h1').count()) === 1, 'Live has a heading');
  const liveName = await page.locator('.tile video').first().getAttribute('aria-label');
  check(/Front door/.test(liveName || ''), `a live video is named ("${liveName}")`);
  const pressed = await page.$$eval('button[data-layout]', (bs) => bs.map((b) => b.getAttribute('aria-pressed')));
  check(pressed.filter((v) => v === 'true').length === 1 && pressed.every((v) => v === 'true' || v === 'false'),
        `the layout buttons say which one is on (${pressed.join(',')})`);

  await page.goto(BASE + '/playback.html');
  await page.waitForTimeout(2000);
  check((await page.locator('h1').count()) === 1, 'Playback has a heading');
  const recName = await page.locator('#players video').first().getAttribute('aria-label');
  check(/Front door/.test(recName || ''), `a recorded video is named ("${recName}")`);
  const tl = page.locator('#timeline');
  check((await tl.getAttribute('role')) === 'slider' && (await tl.getAttribute('tabindex')) === '0',
        'the timeline is a focusable slider');
  // pause and let the player settle: the cursor follows the picture while it loads
  await waitFor(async () => {
    const a = await tl.getAttribute('aria-valuenow');
    await sleep(700);
    return a !== null && a === (await tl.getAttribute('aria-valuenow'));
  }, 15000, 0);
  await tl.focus();
  // each key's value is read in the same task as the key: afterwards the
  // cursor follows the picture, which may move on to the next footage when
  // the step landed before the first recording
  const press = (key, shiftKey = false) => tl.evaluate((c, [k, sh]) => {
    c.dispatchEvent(new KeyboardEvent('keydown', { key: k, shiftKey: sh, bubbles: true, cancelable: true }));
    return +c.getAttribute('aria-valuenow');
  }, [key, shiftKey]);
  const now0 = +(await tl.getAttribute('aria-valuenow'));
  const now1 = await press('ArrowRight');
  const now2 = await press('ArrowLeft', true);
  check(now1 - now0 === 5000 && now1 - now2 === 60000,
        `arrows move it 5 s, Shift 1 min (${now1 - now0}, ${now1 - now2}; at ${new Date(now0).toISOString()}, coverage ${await tl.getAttribute('data-coverage')})`);
  const vt = await tl.getAttribute('aria-valuetext');
  check(/^\d{4}-\d\d-\d\d \d{1,2}:\d\d:\d\d( [AP]M)?$/.test(vt || ''), `it says the time in words a reader can speak ("${vt}")`);
  const rates = await page.$$eval('[data-rate]', (bs) => bs.map((b) => b.getAttribute('aria-pressed')));
  check(rates.join(',') === 'true,false,false,false', `the speed buttons say which one is on (${rates.join(',')})`);
} catch (e) {
  check(false, `the browser script failed: ${e.stack || e}`);
} finally {
  await browser.close();
}
finish('a11y_test');
