// SPDX-License-Identifier: Apache-2.0
// totp_test.mjs - drives Debian's chromium (playwright-core) through the
// second factor of a running `nvr run` (started by test_browser_totp.py with
// totp_required = admin, an admin "boss" and a viewer "vera", both without
// TOTP).  Every code is computed here (RFC 6238 with node:crypto) from the
// key the page shows.  It checks:
//   - boss signs in and is sent to account.html (the policy), and any other
//     page sends him back there; he sets up an authenticator: the key and
//     the otpauth:// link are shown, the first code turns it on, and 10
//     recovery codes are shown once;
//   - signing in again asks for the code on the login page's second step; a
//     wrong code shows the server's error; the right one signs in;
//   - "Use a recovery code" signs in with one of the saved codes;
//   - vera (a viewer, not required) enrols voluntarily from the Account link;
//     boss resets her second factor on users.html, and she then signs in with
//     the password alone;
//   - boss turns his off with the password, and is sent back to enrolment;
//   - account.html fits a 390 px phone.
// Screenshots go to ARTIFACTS.  Exit status 0 only if every check passed.
//
// Environment: BASE_URL, ARTIFACTS, NPM_DIR, CHROMIUM, BOSS_PASSWORD,
// VERA_PASSWORD.
import crypto from 'node:crypto';
import { BASE, check, sleep, waitFor, shot, launch, finish, openLoaded, watch } from './lib.mjs';

const BOSS_PW = process.env.BOSS_PASSWORD;
const VERA_PW = process.env.VERA_PASSWORD;

function base32(s) {
  const a = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let v = 0;
  const out = [];
  for (const ch of s.replace(/[\s=]/g, '').toUpperCase()) {
    v = (v << 5) | a.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((v >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function hotp(key, counter) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = crypto.createHmac('sha1', key).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

// The current 30 s step, once at least `need` seconds of it are left.
async function roomyStep(need = 10) {
  while (30 - (Date.now() / 1000) % 30 < need) await sleep(500);
  return Math.floor(Date.now() / 30000);
}

// Types name and password on the login page; stops at whatever comes next.
async function password(page, name, pw) {
  await page.goto(BASE + '/login.html');
  await page.fill('#user', name);
  await page.fill('#password', pw);
  await page.click('#submit');
}

const signedInAs = (page, name) =>
  waitFor(async () => ((await page.locator('#user').textContent().catch(() => '')) || '').startsWith(name), 10000);

// Enrols on account.html: returns {key, codes, step}.
async function enrol(page, label) {
  await page.click('#totp-begin');
  await page.locator('#totp-enrol').waitFor({ state: 'visible', timeout: 10000 });
  const secret = await page.locator('#totp-secret').getAttribute('data-secret');
  const shown = await page.locator('#totp-secret').textContent();
  const uri = await page.locator('#totp-uri').textContent();
  check(/^[A-Z2-7]{32}$/.test(secret) && shown.replace(/ /g, '') === secret, `${label}: the key is shown (${shown})`);
  check(uri.startsWith('otpauth://totp/NVR:') && uri.includes('secret=' + secret), `${label}: the link (${uri})`);
  await shot(page, `${label}-enrol`);
  const key = base32(secret);
  const step = await roomyStep();
  await page.fill('#totp-code', hotp(key, step));
  await page.click('#totp-confirm');
  await page.locator('#totp-codes').waitFor({ state: 'visible', timeout: 10000 });
  const codes = await page.locator('#totp-code-list li').allTextContents();
  check(codes.length === 10 && codes.every((c) => /^[a-z2-7]{5}-[a-z2-7]{5}$/.test(c)),
        `${label}: 10 recovery codes shown once (${codes.length})`);
  await shot(page, `${label}-recovery-codes`);
  await page.click('#totp-done');
  await waitFor(() => page.locator('#totp-on').isVisible(), 10000);
  return { key, codes, step };
}

const browser = await launch();
try {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await ctx.newPage();
  watch(page);

  // ---- the policy sends an admin without TOTP to enrolment ----
  await password(page, 'boss', BOSS_PW);
  await page.waitForURL(/account\.html/, { timeout: 10000 });
  // account.js shows the notice once GET /api/v1/account/totp has answered,
  // which may be after the page's load event: wait for it.
  check(await waitFor(() => page.locator('#totp-required').isVisible(), 10000),
        'boss lands on account.html, told a second factor is required');
  await page.goto(BASE + '/users.html');
  await page.waitForURL(/account\.html/, { timeout: 10000 });
  check(true, 'another page sends him back to enrolment');
  await openLoaded(page, '/account.html');
  const boss = await enrol(page, 'boss');
  check(!(await page.locator('#totp-required').isVisible()), 'the requirement notice is gone');
  check(/Recovery codes left: 10/.test(await page.locator('#totp-left').textContent()), '10 recovery codes left');
  await openLoaded(page, '/users.html');
  check((await page.locator('tr[data-user="boss"] td.totp').textContent()) === 'on', 'users.html: boss has a second factor');

  // ---- the second step of signing in: a wrong code, then the right one ----
  await page.click('#signout');
  await page.waitForURL(/login\.html/, { timeout: 10000 });
  await password(page, 'boss', BOSS_PW);
  await page.locator('#second').waitFor({ state: 'visible', timeout: 10000 });
  check(!(await page.locator('#login').isVisible()), 'after the password the page asks for the code');
  await shot(page, 'login-second-step');
  const wrong = String((Number(hotp(boss.key, boss.step + 1)) + 500000) % 1000000).padStart(6, '0');
  await page.fill('#code', wrong);
  await page.click('#second-submit');
  check(await waitFor(() => page.locator('#second-message').isVisible(), 10000), 'a wrong code shows an error');
  const err = await page.locator('#second-message').textContent();
  check(/wrong/.test(err), `the server's message (${err})`);
  await page.fill('#code', hotp(boss.key, boss.step + 1)); // the next step: the enrolment used this one
  await page.click('#second-submit');
  await page.waitForURL((u) => !u.pathname.endsWith('login.html'), { timeout: 10000 });
  check(await signedInAs(page, 'boss'), 'the right code signs boss in');

  // ---- a recovery code ----
  await page.click('#signout');
  await page.waitForURL(/login\.html/, { timeout: 10000 });
  await password(page, 'boss', BOSS_PW);
  await page.locator('#second').waitFor({ state: 'visible', timeout: 10000 });
  await page.click('#use-recovery');
  check(await page.locator('#recovery').isVisible() && !(await page.locator('#code').isVisible()),
        '"Use a recovery code" swaps the field');
  await page.fill('#recovery', boss.codes[3]);
  await page.click('#second-submit');
  await page.waitForURL((u) => !u.pathname.endsWith('login.html'), { timeout: 10000 });
  check(await signedInAs(page, 'boss'), 'a recovery code signs boss in');
  await openLoaded(page, '/account.html');
  check(/Recovery codes left: 9/.test(await page.locator('#totp-left').textContent()), '9 recovery codes left');

  // ---- a viewer enrols by choice; the admin resets her ----
  const vctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const vp = await vctx.newPage();
  watch(vp);
  await password(vp, 'vera', VERA_PW);
  check(await signedInAs(vp, 'vera'), 'vera (not required) signs in with the password');
  await vp.click('nav a[href="account.html"]');
  await vp.waitForURL(/account\.html/, { timeout: 10000 });
  await waitFor(() => vp.locator('#totp-off').isVisible(), 10000);
  await enrol(vp, 'vera');
  await openLoaded(page, '/users.html');
  check((await page.locator('tr[data-user="vera"] td.totp').textContent()) === 'on', 'users.html: vera has one now');
  await page.click('tr[data-user="vera"] button.totp-reset');
  check(await waitFor(async () => (await page.locator('tr[data-user="vera"] td.totp').textContent()) === 'off', 10000),
        'boss resets vera\'s second factor on users.html');
  await password(vp, 'vera', VERA_PW);
  check(await signedInAs(vp, 'vera'), 'after the reset vera signs in with the password alone');
  await vctx.close();

  // ---- turning it off (with the password), and the policy applies again ----
  await openLoaded(page, '/account.html');
  await page.fill('#totp-proof', 'not-the-password');
  await page.click('#totp-disable');
  check(await waitFor(() => page.locator('#message').isVisible(), 10000), 'a wrong password does not turn it off');
  await page.fill('#totp-proof', BOSS_PW);
  await page.click('#totp-disable');
  check(await waitFor(() => page.locator('#totp-off').isVisible(), 10000), 'the password turns it off');
  await page.goto(BASE + '/');
  await page.waitForURL(/account\.html/, { timeout: 10000 });
  check(true, 'without TOTP the admin is sent back to enrolment');

  // ---- phones ----
  await page.setViewportSize({ width: 390, height: 844 });
  await openLoaded(page, '/account.html');
  const m = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
  check(m.sw <= m.cw, `account.html at 390x844: no horizontal overflow (${m.sw} > ${m.cw}?)`);
  await shot(page, 'account-390x844', true);
} catch (e) {
  check(false, 'exception: ' + (e.stack || e));
} finally {
  await browser.close();
}
finish('totp_test');
