// SPDX-License-Identifier: Apache-2.0
// ldap_test.mjs - directory sign-in in a real browser (test_browser_ldap.py
// sets the scene: slapd on loopback with alice in nvr-viewers, granted cam1,
// and eve in nvr-admins; nvr with [ldap] and cameras cam1, cam2, cam3).
//
// Proves: a directory user signs in through the ordinary login page and
// lands on the live page showing only the cameras her groups grant, with no
// admin links; a wrong directory password shows the login page's error; a
// directory admin sees every camera and, on users.html, the accounts made by
// the directory marked "(ldap)" with no "New password" button, and a note
// in their Change dialog that the directory sets their role and cameras.
import { BASE, check, finish, launch, login, openLoaded, shot, waitFor, watch } from './lib.mjs';

const ALICE_PW = process.env.ALICE_PASSWORD;
const EVE_PW = process.env.EVE_PASSWORD;

async function liveTiles(page) {
  await page.goto(BASE + '/?layout=4');
  return waitFor(async () => {
    const t = await page.locator('.tile[data-camera]').evaluateAll((ns) => ns.map((n) => n.dataset.camera));
    return t.length ? t.sort() : null;
  }, 10000);
}

const browser = await launch();
try {
  // a wrong directory password: the login page says so and stays
  const bad = await (await browser.newContext()).newPage();
  watch(bad);
  await bad.goto(BASE + '/login.html');
  await bad.fill('#user', 'alice');
  await bad.fill('#password', 'not-alices-password');
  await bad.click('#submit');
  const err = await waitFor(async () => ((await bad.locator('#message').textContent()) || '').trim(), 10000);
  check(/wrong user name or password/i.test(err || ''), `a wrong directory password is refused on the page: "${err}"`);
  check(bad.url().endsWith('login.html'), 'and the page stays the sign-in page');

  // alice: a viewer granted cam1 by her directory group
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await ctx.newPage();
  watch(page);
  check(await login(page, 'alice', ALICE_PW), 'alice signs in through the login page with her directory password');
  check(!page.url().includes('login.html'), `she lands on the live page (${page.url()})`);
  const tiles = await liveTiles(page);
  check(JSON.stringify(tiles) === '["cam1"]', `her live page lists only cam1: ${JSON.stringify(tiles)}`);
  check((await page.locator('header.top nav a[href="users.html"]').count()) === 0, 'a directory viewer has no Users link');
  await shot(page, 'ldap-viewer-live');

  // eve: a directory admin sees everything, and the users page marks directory accounts
  const actx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const ap = await actx.newPage();
  watch(ap);
  check(await login(ap, 'eve', EVE_PW), 'eve (nvr-admins) signs in');
  const all = await liveTiles(ap);
  check(JSON.stringify(all) === '["cam1","cam2","cam3"]', `a directory admin sees every camera: ${JSON.stringify(all)}`);
  check(await openLoaded(ap, '/users.html'), 'eve opens the users page');
  const aliceRow = ap.locator('tr[data-user="alice"]');
  const name = ((await aliceRow.locator('td.name').textContent()) || '').trim();
  check(name === 'alice (ldap)', `alice's row says where her account lives: "${name}"`);
  check((await aliceRow.locator('td.role').textContent()) === 'viewer', 'with the role her groups gave');
  check((await aliceRow.locator('button.password').count()) === 0, 'and no "New password" button (the directory has it)');
  await aliceRow.locator('button.edit').click();
  const hint = ((await ap.locator('#directory-hint').textContent()) || '').trim();
  check(await ap.locator('#directory-hint').isVisible() && hint.includes('through the directory (ldap)'),
        `changing alice says her directory sets her role and cameras: "${hint}"`);
  await shot(ap, 'ldap-change-dialog');
  await ap.click('#user-cancel');
  const adminRow = ap.locator('tr[data-user="admin"]');
  await adminRow.locator('button.edit').click();
  check(!(await ap.locator('#directory-hint').isVisible()), 'a local account has no such note');
  await ap.click('#user-cancel');
  check((await adminRow.locator('button.password').count()) === 1, 'the local admin keeps the "New password" button');
  await shot(ap, 'ldap-users', true);
} finally {
  await browser.close();
}
finish('ldap_test');
