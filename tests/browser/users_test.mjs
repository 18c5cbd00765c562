// SPDX-License-Identifier: Apache-2.0
// users_test.mjs - drives Debian's chromium (playwright-core) through the
// admin pages users.html and access.html of a running `nvr run` (started by
// test_browser_users.py with cameras "lobby" and "gym", gym in group
// "south") and checks what an admin would see and what the server then does:
//   - the plain-HTTP warning shows on the sign-in page reached by a network
//     name (nvr.test, mapped to 127.0.0.1 in chromium), not on 127.0.0.1;
//   - the admin adds a viewer with a grant to one camera (a mistyped password
//     confirmation is refused on the page); the viewer, signed in in another
//     browser context, sees only that camera on the live page;
//   - the admin changes the grant to the group "south": the viewer then sees
//     only gym;
//   - an API token made on the page is shown once, works for a script
//     (fetch with Authorization: Bearer), is listed with its label (as
//     text: a label with markup does not become HTML), and is refused (401)
//     once revoked;
//   - a new password signs the viewer out; deleting the last admin is
//     refused with the server's message; the viewer is deleted;
//   - the access log page filtered by that user shows their sign-in and live
//     views newest first in the browser's zone; the action filter and the
//     time filter work; "Download CSV" downloads the same entries as CSV;
//   - both pages fit a 390 px phone without horizontal scrolling.
// Screenshots go to ARTIFACTS.  Exit status 0 only if every check passed.
//
// Environment: BASE_URL, PORT, TOKEN (the admin's API token), ADMIN_USER,
// ADMIN_PASSWORD, GYM_NAME, ARTIFACTS, NPM_DIR, CHROMIUM (default
// /usr/bin/chromium).
import fs from 'node:fs';
import path from 'node:path';
import { ART, BASE, bearer, check, sleep, waitFor, login, shot, launch, finish, openLoaded, reloaded, loadedMark, watch, localText } from './lib.mjs';


const PORT = process.env.PORT;
const GYM_NAME = process.env.GYM_NAME;
const ZONE = 'America/New_York'; // not the machine's zone: the UI must convert
const VIEWER = 'vera';
const VIEWER_PW = 'vera-pass-123';
const VIEWER_PW2 = 'vera-new-pass-456';
const LABEL = '<img src=x onerror="window.__xss=1">door system';


const apiUsers = async () => (await bearer('/api/v1/users', process.env.TOKEN)).doc.users;



async function liveTiles(page) {
  await page.goto(BASE + '/?layout=4');
  return waitFor(async () => {
    const t = await page.locator('.tile[data-camera]').evaluateAll((ns) => ns.map((n) => n.dataset.camera));
    return t.length ? t : null;
  }, 10000);
}

const browser = await launch(['--host-resolver-rules=MAP nvr.test 127.0.0.1']);
const figures = {};
try {
  // ---- the plain-HTTP warning: by a network name yes, on loopback no ----
  {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, timezoneId: ZONE });
    const p = await ctx.newPage();
    await p.goto(`http://nvr.test:${PORT}/login.html`);
    const shown = await waitFor(() => p.locator('#plain-http').isVisible(), 5000);
    check(shown, 'over plain HTTP by a network name (nvr.test) the sign-in page warns');
    const text = shown ? await p.locator('#plain-http').textContent() : '';
    check(/not encrypted/.test(text) && /tls_cert/.test(text), `the warning says why and what to do ("${text}")`);
    await shot(p, 'plain-http-warning');
    await p.goto(`http://127.0.0.1:${PORT}/login.html`);
    await p.waitForLoadState('load');
    await sleep(500);
    check((await p.locator('#user').count()) === 1 && (await p.locator('#plain-http').count()) === 0,
          'on 127.0.0.1 the sign-in page shows no warning');
    await ctx.close();
  }

  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, timezoneId: ZONE, acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  const page = await context.newPage();
  const dialogs = watch(page);
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'the admin signs in');

  // ---- the users page ----
  check(await openLoaded(page, '/users.html'), 'users.html loads');
  check(await page.locator('header.top nav a.active[href="users.html"]').count() === 1, 'the header marks "Users" as the page');
  const adminRow = page.locator('tr[data-user="admin"]');
  check((await adminRow.locator('td.role').textContent()) === 'admin', 'the admin is listed with its role');
  const adminTokens = await adminRow.locator('.tokens li .token-label').allTextContents();
  check(adminTokens.includes('cli'), `the admin's CLI-made API token is listed by label (${JSON.stringify(adminTokens)})`);
  check(/\d{4}-\d\d-\d\d \d{1,2}:\d\d:\d\d( [AP]M)?/.test(await adminRow.locator('td.created').textContent()), 'the creation time is shown');

  // a person of the district catalog (a row the script made): marked, and not editable here
  const catRow = page.locator('tr[data-user="dora"]');
  check((await catRow.locator('td.name').textContent()).includes('(catalog)'), 'a catalog account is marked (catalog)');
  check((await catRow.locator('button.edit, button.password, button.delete').count()) === 0,
    'a catalog account has no Change, New password or Delete');
  check((await catRow.locator('button.token').count()) === 1, 'a catalog account keeps New API token');

  // add a viewer granted lobby
  await page.click('#add');
  check(await page.locator('#user-dialog').isVisible(), 'Add a user opens the form');
  await page.fill('#f-name', VIEWER);
  await page.selectOption('#f-role', 'viewer');
  await page.fill('#f-password', VIEWER_PW);
  await page.fill('#f-password2', VIEWER_PW + 'x');
  const gymLabel = await page.locator('#g-cameras label.grant', { has: page.locator('input[value="gym"]') }).textContent();
  check(gymLabel === `${GYM_NAME} (gym)`, `a camera name with markup is shown as text in the grants ("${gymLabel}")`);
  check((await page.locator('#user-dialog b').count()) === 0, 'and never becomes HTML');
  check(await page.locator('#g-groups input[value="group:south"]').count() === 1, 'the group "south" is offered as a grant');
  check(await page.locator('#g-all').count() === 1, '"All cameras" is offered as a grant');
  await page.check('#g-cameras input[value="lobby"]');
  await page.click('#user-save');
  check(await waitFor(async () => /differ/.test((await page.locator('#user-error').textContent()) || ''), 3000),
        'a mistyped confirmation is refused on the page');
  check(!(await apiUsers()).some((u) => u.name === VIEWER), 'and nothing is created');
  await page.fill('#f-password2', VIEWER_PW);
  await shot(page, 'users-add');
  let mark = await loadedMark(page);
  await page.click('#user-save');
  await reloaded(page, mark);
  const vrow = page.locator(`tr[data-user="${VIEWER}"]`);
  check(await waitFor(() => vrow.count(), 5000), 'the new user is listed');
  check(!(await page.locator('#user-dialog').isVisible()), 'the form closes');
  check((await vrow.locator('td.cameras li').allTextContents()).join('|') === 'Main lobby (lobby)',
        `the list shows the grant (${await vrow.locator('td.cameras').textContent()})`);
  let vdoc = (await apiUsers()).find((u) => u.name === VIEWER);
  check(vdoc && vdoc.role === 'viewer' && JSON.stringify(vdoc.cameras) === '["lobby"]',
        `the server has the viewer with lobby: ${JSON.stringify(vdoc)}`);
  await shot(page, 'users-list');

  // the viewer, in another browser, sees only lobby
  const vctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, timezoneId: ZONE });
  const vp = await vctx.newPage();
  // a request with the viewer's session cookie (not from the page: the live
  // page itself goes to the sign-in page when the session ends)
  const vstatus = async (p) => (await vctx.request.get(BASE + p)).status();
  check(await login(vp, VIEWER, VIEWER_PW), 'the new viewer signs in');
  let tiles = await liveTiles(vp);
  check(JSON.stringify(tiles) === '["lobby"]', `the viewer's live page lists only lobby: ${JSON.stringify(tiles)}`);
  check(await waitFor(() => vp.locator('.tile[data-camera="lobby"] video').evaluate((v) => v.currentTime > 0.2), 20000),
        'and plays it');
  await shot(vp, 'viewer-lobby');
  check((await vp.locator('header.top nav a[href="users.html"]').count()) === 0, 'a viewer has no Users link');
  const vUsers = await vstatus('/api/v1/users');
  check(vUsers === 403, `a viewer cannot list users (${vUsers})`);

  // change the grant to the group south (gym)
  await vrow.locator('button.edit').click();
  check(await page.locator('#user-dialog').isVisible() && !(await page.locator('#f-name').isVisible()),
        'Change opens the form without name and password');
  check(await page.locator('#g-cameras input[value="lobby"]').isChecked(), 'the current grant is ticked');
  await page.uncheck('#g-cameras input[value="lobby"]');
  await page.check('#g-groups input[value="group:south"]');
  mark = await loadedMark(page);
  await page.click('#user-save');
  await reloaded(page, mark);
  check((await vrow.locator('td.cameras li').allTextContents()).join('|') === 'group south',
        `the list shows the new grant (${await vrow.locator('td.cameras').textContent()})`);
  vdoc = (await apiUsers()).find((u) => u.name === VIEWER);
  check(vdoc && JSON.stringify(vdoc.cameras) === '["group:south"]', `the server has the new grant: ${JSON.stringify(vdoc && vdoc.cameras)}`);
  tiles = await liveTiles(vp);
  check(JSON.stringify(tiles) === '["gym"]', `the viewer's live page now lists only gym: ${JSON.stringify(tiles)}`);
  const tileName = await vp.locator('.tile[data-camera="gym"] .name').textContent();
  check(tileName === GYM_NAME, `the camera's name is text on the live page ("${tileName}")`);
  check(await waitFor(() => vp.locator('.tile[data-camera="gym"] video').evaluate((v) => v.currentTime > 0.2), 20000),
        'and plays gym');
  const lobbyNow = await vstatus('/api/v1/cameras/lobby');
  check(lobbyNow === 404, `lobby is no longer the viewer's (${lobbyNow})`);
  await shot(vp, 'viewer-gym');

  // an API token: shown once, works, listed by label, revoked
  await vrow.locator('button.token').click();
  check(await page.locator('#token-dialog').isVisible(), 'New API token opens its form');
  await page.fill('#t-label', LABEL);
  await page.click('#token-make');
  check(await waitFor(() => page.locator('#token-result').isVisible(), 5000), 'the token is shown');
  const token = await page.inputValue('#token-value');
  check(/^[A-Za-z0-9_-]{40,}$/.test(token), `it looks like a token (${token.length} characters)`);
  const warn = await page.locator('#token-warning').textContent();
  check(/only this once/.test(warn) && /Bearer/.test(warn), 'with the warning that it is shown once');
  await page.click('#token-copy');
  const copied = await waitFor(async () => (await page.locator('#token-copied').textContent()) || '', 3000);
  const clip = await page.evaluate(() => navigator.clipboard.readText().catch(() => ''));
  check(copied === 'Copied.' && clip === token, `Copy puts the token on the clipboard ("${copied}")`);
  await shot(page, 'users-token-once');
  await page.click('#token-done');
  check(!(await page.locator('#token-dialog').isVisible()) && (await page.inputValue('#token-value')) === '',
        'Done closes the box and forgets the token');
  await waitFor(() => vrow.locator('.tokens li').count(), 5000);
  const labels = await vrow.locator('.tokens li .token-label').allTextContents();
  check(JSON.stringify(labels) === JSON.stringify([LABEL]), `the token is listed by its label, as text: ${JSON.stringify(labels)}`);
  check((await page.locator('#users img').count()) === 0 && !(await page.evaluate(() => window.__xss)),
        'a label with markup is never HTML');
  const held = await page.evaluate((t) => document.documentElement.outerHTML.includes(t) || document.body.innerText.includes(t) ||
    [...document.querySelectorAll('input')].some((i) => i.value.includes(t)), token);
  check(!held, 'the page no longer holds the token anywhere');
  let r = await bearer('/api/v1/cameras', token);
  check(r.status === 200 && JSON.stringify(r.doc.cameras.map((c) => c.id)) === '["gym"]',
        `the token works for a script, with the user's cameras (${r.status} ${JSON.stringify(r.doc && r.doc.cameras && r.doc.cameras.map((c) => c.id))})`);
  mark = await loadedMark(page);
  await vrow.locator('.tokens li button.revoke').click();
  await reloaded(page, mark);
  check(dialogs.length > 0 && /Revoke/.test(dialogs[dialogs.length - 1]), 'revoking asks first');
  check((await vrow.locator('.tokens li').count()) === 0, 'the revoked token leaves the list');
  r = await bearer('/api/v1/cameras', token);
  check(r.status === 401, `the revoked token is refused (${r.status})`);

  // a new password signs the viewer out everywhere
  check((await vstatus('/api/v1/cameras')) === 200, 'the viewer is signed in');
  await vrow.locator('button.password').click();
  const note = await page.locator('#password-note').textContent();
  check(note.includes(`signs ${VIEWER} out everywhere`), `the password form says it signs the user out ("${note}")`);
  await page.fill('#p-password', VIEWER_PW2);
  await page.fill('#p-password2', VIEWER_PW2 + '!');
  await page.click('#password-save');
  check(await waitFor(async () => /differ/.test((await page.locator('#password-error').textContent()) || ''), 3000),
        'a mistyped confirmation is refused');
  await page.fill('#p-password2', VIEWER_PW2);
  await shot(page, 'users-password');
  mark = await loadedMark(page);
  await page.click('#password-save');
  await reloaded(page, mark);
  check(/signed out everywhere/.test(await page.locator('#notice').textContent()), 'the page confirms the new password');
  const after = await vstatus('/api/v1/cameras');
  check(after === 401, `the viewer's session ended with the new password (${after})`);
  check(await login(vp, VIEWER, VIEWER_PW2), 'the viewer signs in with the new password');

  // the last admin cannot be deleted: the server's answer is shown
  await adminRow.locator('button.delete').click();
  check(await waitFor(async () => /last admin/.test((await page.locator('#message').textContent()) || ''), 5000),
        `deleting the last admin shows the server's refusal ("${await page.locator('#message').textContent()}")`);
  check((await apiUsers()).some((u) => u.name === 'admin'), 'and the admin is still there');
  await shot(page, 'users-last-admin');

  // delete the viewer
  mark = await loadedMark(page);
  await vrow.locator('button.delete').click();
  await reloaded(page, mark);
  check(dialogs.some((d) => d.includes(`Delete the user ${VIEWER}`)), 'deleting asks first');
  check((await page.locator(`tr[data-user="${VIEWER}"]`).count()) === 0, 'the deleted user leaves the list');
  check(!(await apiUsers()).some((u) => u.name === VIEWER), 'and the server');
  const gone = await vstatus('/api/v1/cameras');
  check(gone === 401, `the deleted user's session is gone (${gone})`);
  await vctx.close();

  // ---- the access log page ----
  check(await openLoaded(page, '/access.html'), 'access.html loads');
  check((await page.locator('#time-head').textContent()).includes(ZONE), 'the time column names the zone');
  check(/nvr verify --log/.test(await page.locator('#chain-note').textContent()) &&
        /hash-chained/.test(await page.locator('#chain-note').textContent()), 'the page says the log is hash-chained and how to check it');
  const options = await page.locator('#action option').evaluateAll((os) => os.map((o) => o.value));
  for (const a of ['login', 'login_failed', 'live_view', 'playback', 'snapshot', 'export_created', 'user_created', 'token_revoked'])
    check(options.includes(a), `the action filter offers ${a}`);
  await page.fill('#user-filter', VIEWER);
  mark = await loadedMark(page);
  await page.click('#apply');
  await reloaded(page, mark);
  const rows = await page.locator('#log tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    id: +tr.dataset.id,
    time: tr.querySelector('.time').dataset.time,
    shown: tr.querySelector('.time').textContent,
    user: tr.querySelector('.user').textContent,
    action: tr.querySelector('.action').textContent,
    camera: tr.querySelector('.camera').textContent,
    address: tr.querySelector('.address').textContent,
  })));
  figures.viewer_entries = rows.length;
  console.log('entries of ' + VIEWER + ': ' + JSON.stringify(rows.map((e) => `${e.id} ${e.action} ${e.camera}`)));
  check(rows.length > 0 && rows.every((e) => e.user === VIEWER), `only ${VIEWER}'s entries (${rows.length})`);
  const acts = new Set(rows.map((e) => e.action));
  check(acts.has('login') && acts.has('live_view'), `their sign-ins and live views are there (${[...acts].join(', ')})`);
  check(rows.some((e) => e.action === 'live_view' && e.camera === 'lobby') && rows.some((e) => e.action === 'live_view' && e.camera === 'gym'),
        'with the camera of each live view');
  check(rows.every((e) => e.address === '127.0.0.1'), 'with the address');
  check(rows.every((e, i) => i === 0 || rows[i - 1].id > e.id), 'newest first');
  check(new URL(page.url()).searchParams.get('user') === VIEWER, 'the filter is in the address bar');
  // times in the browser's zone, not UTC
  const fmt = (await localText(page, Date.parse(rows[0].time))).text;
  const utc = rows[0].time.slice(0, 19).replace('T', ' ');
  check(rows[0].shown === fmt && fmt !== utc, `the time is local (${rows[0].shown} ${ZONE}; UTC ${utc})`);
  await shot(page, 'access-user', true);

  // the action filter
  mark = await loadedMark(page);
  await page.selectOption('#action', 'live_view');
  await reloaded(page, mark);
  const lv = await page.locator('#log tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.action));
  check(lv.length > 0 && lv.every((a) => a === 'live_view') && lv.length < rows.length,
        `filtered by action: ${lv.length} live views of ${rows.length} entries`);
  const href = await page.getAttribute('#csv', 'href');
  const hq = new URL(href, BASE).searchParams;
  check(hq.get('user') === VIEWER && hq.get('action') === 'live_view' && hq.get('format') === 'csv',
        `the CSV link carries the same filters (${href})`);
  // the time filter: from an hour ahead nothing matches
  await page.evaluate(() => {
    const d = new Date(Date.now() + 3600e3);
    const p = (n) => String(n).padStart(2, '0');
    document.getElementById('from').value = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:00`;
  });
  mark = await loadedMark(page);
  await page.click('#apply');
  await reloaded(page, mark);
  check((await page.locator('#log tbody tr').count()) === 0 && /No entry/.test(await page.locator('#count').textContent()),
        'from an hour ahead, nothing matches');
  const startQ = new URL(page.url()).searchParams.get('start') || '';
  check(/Z$/.test(startQ) && Math.abs(Date.parse(startQ) - Date.now() - 3600e3) < 120e3,
        `the local "From" is sent as UTC (${startQ})`);

  // the CSV of the user's entries
  await page.fill('#from', '');
  await page.selectOption('#action', '');
  await waitFor(async () => (await page.locator('#log tbody tr').count()) === rows.length, 5000);
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10000 }), page.click('#csv')]);
  const csvPath = path.join(ART, 'access-log.csv');
  await download.saveAs(csvPath);
  const csv = fs.readFileSync(csvPath, 'utf8');
  const lines = csv.trim().split(/\r?\n/);
  check(lines[0] === 'id,time,user,address,action,camera,detail,hash', `the download is the CSV (${lines[0]})`);
  check(download.suggestedFilename().endsWith('.csv'), `named ${download.suggestedFilename()}`);
  check(lines.length - 1 === rows.length && lines.slice(1).every((l) => l.includes(`,"${VIEWER}",`)),
        `with the same ${rows.length} entries of ${VIEWER} (${lines.length - 1} lines)`);
  check(lines.some((l) => l.includes('"login"')) && lines.some((l) => l.includes('"live_view"')), 'including the sign-in and the live views');
  figures.csv_bytes = csv.length;

  // ---- phones: no horizontal overflow ----
  await page.setViewportSize({ width: 390, height: 844 });
  for (const name of ['users', 'access']) {
    await openLoaded(page, `/${name}.html`);
    const m = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
    check(m.sw <= m.cw, `${name}.html at 390x844: no horizontal overflow (scrollWidth ${m.sw}, width ${m.cw})`);
    await shot(page, `${name}-390x844`, true);
  }
  await page.setViewportSize({ width: 1366, height: 768 });
  await openLoaded(page, '/access.html');
  figures.access_entries_total = await page.locator('#log tbody tr').count();
  await shot(page, 'access-all');
} catch (e) {
  check(false, 'exception: ' + (e.stack || e));
} finally {
  await browser.close();
}
fs.writeFileSync(path.join(ART, 'figures.json'), JSON.stringify(figures, null, 2));
console.log('figures: ' + JSON.stringify(figures));
finish('users_test');
