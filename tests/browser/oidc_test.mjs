// SPDX-License-Identifier: Apache-2.0
// oidc_test.mjs - single sign-on in chromium (playwright-core) against the
// `nvr run` and oidc-provider that test_browser_oidc.py started:
//   - a page opened signed out goes to the login page, which shows the
//     button with the configured label (GET /api/v1/auth/methods);
//   - the button goes to the provider (another site: localhost), whose own
//     login and consent forms are filled in; the browser comes back to the
//     page it started from, signed in: the header names alice, and the
//     session (fetched by the page, with the SameSite=Strict cookie) says
//     admin, source oidc in the users list and on users.html (where a
//     directory account has no "New password");
//   - carol, whose groups map to no role, comes back to the login page with
//     the message saying so, and is not signed in;
//   - the password form is still there for the local accounts.
// Screenshots go to ARTIFACTS.  Exit status 0 only if every check passed.
//
// Environment: BASE_URL, TOKEN (the local admin's API token), LABEL,
// ARTIFACTS, NPM_DIR, CHROMIUM (default /usr/bin/chromium).
import { BASE, bearer, check, finish, launch, shot, waitFor } from './lib.mjs';

const LABEL = process.env.LABEL;

// From the recorder's sign-in button through the provider's forms.
async function viaProvider(page, user) {
  await page.click('#sso-button');
  await page.waitForURL((u) => u.hostname === 'localhost', { timeout: 10000 });
  await page.fill('input[name="login"]', user);
  await page.fill('input[name="password"]', 'any-password');
  await shot(page, 'provider-login-' + user);
  await page.click('button[type="submit"]');
  // the consent form (first sign-in of this user to this client)
  await waitFor(async () => (new URL(page.url())).hostname !== 'localhost'
    || (await page.locator('button[type="submit"]').count()) > 0, 10000);
  if ((new URL(page.url())).hostname === 'localhost') {
    await shot(page, 'provider-consent-' + user);
    await page.click('button[type="submit"]');
  }
  await page.waitForURL((u) => u.hostname === '127.0.0.1', { timeout: 15000 });
}

const browser = await launch();
try {
  {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => check(false, 'script error: ' + e.message));
    await page.goto(BASE + '/status.html');
    await page.waitForURL(/login\.html/, { timeout: 10000 });
    const button = page.locator('#sso-button');
    check(await waitFor(() => button.isVisible(), 5000), 'the login page shows the single sign-on button');
    check((await button.textContent()) === LABEL, 'with the configured label: ' + (await button.textContent()));
    check(await page.locator('#password').isVisible(), 'next to the password form for local accounts');
    await shot(page, 'login-with-sso');
    await viaProvider(page, 'alice');
    check(new URL(page.url()).pathname === '/status.html', 'back on the page it started from: ' + page.url());
    const who = await waitFor(async () => ((await page.locator('#user').textContent()) || '').startsWith('alice'),
      10000);
    check(who, 'the header names alice: ' + (await page.locator('#user').textContent()));
    const session = await page.evaluate(async () => (await fetch('/api/v1/session')).json());
    check(session.user && session.user.name === 'alice' && session.user.role === 'admin' && session.csrf_token,
      'the session is alice, admin, with a CSRF token: ' + JSON.stringify(session.user));
    await shot(page, 'signed-in-alice');
    const users = (await bearer('/api/v1/users', process.env.TOKEN)).doc.users;
    const alice = users.find((u) => u.name === 'alice');
    check(alice && alice.source === 'oidc' && alice.role === 'admin', 'alice is listed as an oidc account');
    await page.goto(BASE + '/users.html');
    const row = page.locator('tr[data-user="alice"]');
    check(await waitFor(() => row.isVisible(), 10000), 'users.html lists alice');
    check(((await row.locator('td.name').textContent()) || '').includes('(oidc)'), 'with her source, oidc');
    check(await row.locator('button.password').count() === 0, 'and no "New password" for a directory account');
    check(await page.locator('tr[data-user="admin"] button.password').count() === 1,
      'while the local admin keeps it');
    await shot(page, 'users-source');
    await ctx.close();
  }
  {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    await page.goto(BASE + '/login.html');
    await waitFor(() => page.locator('#sso-button').isVisible(), 5000);
    await viaProvider(page, 'carol');
    check(/login\.html\?error=oidc_no_role/.test(page.url()), 'carol comes back to the login page: ' + page.url());
    const text = await waitFor(async () => {
      const m = page.locator('#message');
      return (await m.isVisible()) && (await m.textContent());
    }, 5000);
    check(text && text.includes('none of your groups'), 'which says no group gives access: ' + text);
    const s = await page.evaluate(async () => (await fetch('/api/v1/session')).status);
    check(s === 401, 'and carol is not signed in: ' + s);
    await shot(page, 'refused-carol');
    await ctx.close();
  }
} catch (e) {
  check(false, 'exception: ' + (e.stack || e));
} finally {
  await browser.close();
}
finish('oidc_test');
