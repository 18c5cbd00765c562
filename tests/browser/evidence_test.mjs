// SPDX-License-Identifier: Apache-2.0
// evidence_test.mjs - drives Debian's chromium (playwright-core) through the
// evidence pages holds.html and exports.html of a running `nvr run`
// (started by test_browser_evidence.py with cameras "lobby" and "gym", an
// investigator granted only lobby and a viewer) and checks what an
// investigator would see and what the server then has:
//   - the investigator's header links Holds and Exports; the playback page
//     shows "Hold…" and "Export…" carrying the cameras shown and the
//     visible range, and they open the pages with the form prefilled;
//   - only lobby is offered; a hold is placed with a case number containing
//     markup (shown as text), listed with its range in the browser's zone,
//     present in GET /api/v1/holds; a camera the user may not see is refused
//     with the server's message shown; Release asks first, the hold leaves
//     the active list, "Show released" shows it released by the investigator;
//   - the temporary hold of an export in progress (EXPORT_HOLD, an `nvr
//     export` kept stopped by the Python side) is marked "export in
//     progress" without a Release button; releasing it anyway answers 409;
//   - an export of 10 s of lobby with the original segment files is
//     requested on the page, the list follows it to "done", the Download
//     link downloads the zip (saved to ZIP_PATH for the Python side to
//     verify); the page shows the server's key fingerprint, the same as
//     GET /api/v1/signing-key;
//   - a viewer has no Holds/Exports links, no "Hold…"/"Export…" on playback,
//     and the pages say the role may not use them;
//   - both pages fit a 390 px phone without horizontal scrolling.
// Screenshots and figures.json go to ARTIFACTS.  Exit status 0 only if
// every check passed.
//
// Environment: BASE_URL, TOKEN (the admin's API token), INV_USER,
// INV_PASSWORD, VIEWER_USER, VIEWER_PASSWORD, CASE, ZIP_PATH, EXPORT_HOLD, ARTIFACTS,
// NPM_DIR, CHROMIUM (default /usr/bin/chromium).
import fs from 'node:fs';
import path from 'node:path';
import { ART, BASE, check, sleep, waitFor, login, shot, launch, finish, reloaded, loadedMark, watch, localText } from './lib.mjs';


const CASE = process.env.CASE;
const INV = process.env.INV_USER;
const ZONE = 'America/New_York'; // not the machine's zone: the UI must convert


async function admin(p) {
  const r = await fetch(BASE + p, { headers: { Authorization: 'Bearer ' + process.env.TOKEN } });
  return r.json();
}

async function loaded(page) {
  return waitFor(() => page.evaluate(() => !!document.body.dataset.loaded), 10000);
}
// ms -> "YYYY-MM-DDTHH:MM[:SS]" in the page's zone: typed into the From/To
// fields, which take a 24-hour time whatever the format shown
const localValue = (page, ms) => page.evaluate((t) => {
  const d = new Date(t);
  const p = (n) => String(n).padStart(2, '0');
  const s = d.getSeconds() ? `:${p(d.getSeconds())}` : '';
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}${s}`;
}, ms);
// the page's text of an instant (the default 12-hour format), as lists and the form's fields show it
const shownLocal = async (page, t) => (await localText(page, typeof t === 'string' ? Date.parse(t) : t)).text;

const browser = await launch();
const figures = {};
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, timezoneId: ZONE, acceptDownloads: true });
  const page = await context.newPage();
  const dialogs = watch(page);
  check(await login(page, INV, process.env.INV_PASSWORD), 'the investigator signs in');
  await waitFor(() => page.locator('header.top nav a[href="exports.html"]').count(), 5000);
  check((await page.locator('header.top nav a[href="holds.html"]').count()) === 1 &&
        (await page.locator('header.top nav a[href="exports.html"]').count()) === 1, 'the header links Holds and Exports');

  // ---- from playback: "Hold…" with the cameras and the visible range ----
  await page.goto(BASE + '/playback.html?cameras=lobby&zoom=2');
  check(await waitFor(() => page.locator('#hold-link').isVisible(), 10000), 'playback shows "Hold…" to an investigator');
  check(await page.locator('#export-link').isVisible(), 'and "Export…"');
  const href = await waitFor(async () => {
    const h = await page.getAttribute('#hold-link', 'href');
    return h && /cameras=lobby/.test(h) ? h : null;
  }, 10000);
  let hq = new URL(href || 'x:', BASE).searchParams;
  let hs = Date.parse(hq.get('start'));
  let he = Date.parse(hq.get('end'));
  check(hq.get('cameras') === 'lobby' && he - hs > 60e3 && he - hs <= 5 * 60e3 + 1000 && he <= Date.now() + 1000,
        `the link carries lobby and the visible 5-min range up to now (${href})`);
  await shot(page, 'playback-links');
  await page.click('#hold-link');
  await page.waitForURL(/holds\.html/, { timeout: 10000 });
  // the link is brought up to date as time passes: the range is the one it had when clicked
  hq = new URL(page.url()).searchParams;
  hs = Date.parse(hq.get('start'));
  he = Date.parse(hq.get('end'));
  check(await loaded(page), 'holds.html loads from the link');
  check((await page.locator('header.top nav a.active[href="holds.html"]').count()) === 1, 'the header marks "Holds" as the page');
  const offered = await page.locator('#f-cameras input').evaluateAll((ns) => ns.map((n) => n.value));
  check(JSON.stringify(offered) === '["lobby"]', `only the granted camera is offered (${JSON.stringify(offered)})`);
  check(await page.locator('#f-cameras input[value="lobby"]').isChecked(), 'lobby is ticked from the link');
  const from0 = await page.inputValue('#f-from');
  const to0 = await page.inputValue('#f-to');
  check(from0 === (await shownLocal(page, hs)) && to0 === (await shownLocal(page, he)),
        `the range is prefilled in ${ZONE} (${from0} .. ${to0})`);
  check((await page.locator('#zone-note').textContent()).includes(ZONE), 'the form names the zone');

  // a hold on the last 2 minutes
  const now = Date.now();
  const hStart = Math.floor((now - 120e3) / 1000) * 1000;
  const hEnd = Math.floor(now / 1000) * 1000;
  await page.fill('#f-from', await localValue(page, hStart));
  await page.fill('#f-to', await localValue(page, hEnd));
  await page.fill('#f-case', CASE);
  await page.fill('#f-reason', 'fight in the lobby');
  let mark = await loadedMark(page);
  await page.click('#create');
  await reloaded(page, mark);
  const ownHolds = async () => (await admin('/api/v1/holds')).holds.filter((h) => !h.export);
  const holds = (await ownHolds()).filter((h) => h.case === CASE);
  check(holds.length === 1 && JSON.stringify(holds[0].cameras) === '["lobby"]' && holds[0].created_by === INV &&
        Date.parse(holds[0].start) === hStart && Date.parse(holds[0].end) === hEnd && holds[0].reason === 'fight in the lobby',
        `the server has the hold as entered: ${JSON.stringify(holds[0])}`);
  const hid = holds.length ? holds[0].id : 0;
  figures.hold_id = hid;
  const hrow = page.locator(`tr[data-hold="${hid}"]`);
  check((await hrow.count()) === 1, 'the hold is listed');
  check((await hrow.locator('td.case').textContent()) === CASE && (await page.locator('#holds b').count()) === 0,
        `the case number with markup is text ("${await hrow.locator('td.case').textContent()}")`);
  check((await hrow.locator('td.start').textContent()) === (await shownLocal(page, hStart)) &&
        (await hrow.locator('td.end').textContent()) === (await shownLocal(page, hEnd)),
        `the range is shown in ${ZONE} (${await hrow.locator('td.start').textContent()} .. ${await hrow.locator('td.end').textContent()})`);
  check(/by ivy/.test(await hrow.locator('td.created').textContent()), 'with who made it');
  check((await hrow.locator('td.cameras li').allTextContents()).join('|') === 'Main lobby (lobby)', 'and its camera by name');
  check(/Hold #\d+ placed/.test(await page.locator('#notice').textContent()), 'the page confirms the hold');
  await shot(page, 'holds-created', true);

  // a camera this user may not see: the server's refusal is shown
  await page.evaluate(() => {
    const box = document.querySelector('#f-cameras input[value="lobby"]');
    box.value = 'gym';
  });
  await page.fill('#f-reason', 'not mine');
  mark = await loadedMark(page);
  await page.click('#create');
  await reloaded(page, mark);
  const ferr = await page.locator('#form-error').textContent();
  check(await page.locator('#form-error').isVisible() && /refused/.test(ferr) && /camera/.test(ferr),
        `the server's refusal is shown ("${ferr}")`);
  check((await ownHolds()).length === 1, 'and no hold is made');

  // the temporary hold of the export in progress
  const xrow = page.locator(`tr[data-hold="${process.env.EXPORT_HOLD}"]`);
  check((await xrow.count()) === 1 && (await xrow.locator('td.state').textContent()) === 'export in progress' &&
        (await xrow.locator('button.release').count()) === 0,
        `the export's temporary hold #${process.env.EXPORT_HOLD} shows "export in progress" without Release`);
  check(/export .* in progress/.test(await xrow.locator('td.reason').textContent()), 'with the reason the export gave it');
  const forced = await page.evaluate(async (id) => {
    const r = await fetch(`/api/v1/holds/${id}`, { method: 'DELETE', headers: { 'X-CSRF-Token': sessionStorage.getItem('nvr-csrf') } });
    return r.status;
  }, process.env.EXPORT_HOLD);
  check(forced === 409, `releasing it anyway is refused (${forced})`);
  await shot(page, 'holds-export-in-progress', true);
  await shot(page, 'holds-refused');

  // release
  await page.reload();
  await loaded(page);
  mark = await loadedMark(page);
  await page.locator(`tr[data-hold="${hid}"] button.release`).click();
  await reloaded(page, mark);
  check(dialogs.some((d) => d.includes(`Release hold #${hid}`)), `Release asks first ("${dialogs[dialogs.length - 1]}")`);
  check((await page.locator(`tr[data-hold="${hid}"]`).count()) === 0, 'the released hold leaves the active list');
  const after = await admin(`/api/v1/holds/${hid}`);
  check(after.active === false && after.released_by === INV, `the server has it released by ${INV}: ${JSON.stringify(after)}`);
  mark = await loadedMark(page);
  await page.check('#show-released');
  await reloaded(page, mark);
  const rrow = page.locator(`tr[data-hold="${hid}"]`);
  check((await rrow.count()) === 1 && /released .* by ivy/.test(await rrow.locator('td.state').textContent()) &&
        (await rrow.locator('button.release').count()) === 0,
        `"Show released" lists it released, without Release ("${(await rrow.count()) ? await rrow.locator('td.state').textContent() : ''}")`);
  await shot(page, 'holds-released', true);

  // ---- exports ----
  await page.goto(BASE + '/playback.html?cameras=lobby&zoom=2');
  await waitFor(() => page.locator('#export-link').isVisible(), 10000);
  await waitFor(async () => /cameras=lobby/.test((await page.getAttribute('#export-link', 'href')) || ''), 10000);
  await page.click('#export-link');
  await page.waitForURL(/exports\.html/, { timeout: 10000 });
  check(await loaded(page), 'exports.html loads from the link');
  check(await page.locator('#f-cameras input[value="lobby"]').isChecked(), 'lobby is ticked from the link');
  const fpr = await waitFor(async () => {
    const t = await page.locator('#key-fpr').textContent();
    return /^sha256:[0-9a-f]{64}$/.test(t) ? t : null;
  }, 5000);
  const key = await page.evaluate(async () => (await fetch('/api/v1/signing-key')).json());
  check(fpr && fpr === key.fingerprint && key.algorithm === 'ed25519' && /BEGIN PUBLIC KEY/.test(key.public_key),
        `the page shows the server's key fingerprint (${fpr})`);
  check((await page.locator('#key-pem').textContent()) === key.public_key, 'and its public key');
  check(/nvr verify export\.zip/.test(await page.locator('#verify').textContent()) &&
        /nvr version --key/.test(await page.locator('#verify').textContent()), 'the page says how to verify');
  figures.fingerprint = fpr;

  const eEnd = Math.floor((Date.now() - 5e3) / 1000) * 1000;
  const eStart = eEnd - 10e3;
  await page.fill('#f-from', await localValue(page, eStart));
  await page.fill('#f-to', await localValue(page, eEnd));
  await page.fill('#f-case', CASE);
  await page.fill('#f-reason', 'for the police');
  await page.check('#f-native');
  mark = await loadedMark(page);
  const t0 = Date.now();
  await page.click('#create');
  await reloaded(page, mark);
  const row = page.locator('#exports tbody tr').first();
  const eid = await row.getAttribute('data-export');
  const seen = new Set();
  const done = await waitFor(async () => {
    const st = await row.getAttribute('data-status');
    seen.add(st);
    if (st !== 'done' && st !== 'failed' && (await row.locator('progress').count())) seen.add('bar');
    return st === 'done' || st === 'failed' ? st : null;
  }, 60000, 50);
  figures.export_ui_seconds = (Date.now() - t0) / 1000;
  check(done === 'done', `the export reaches done on the page (${done}; seen ${[...seen].join(', ')}; ${figures.export_ui_seconds} s)`);
  if (done === 'failed') console.log('error: ' + (await row.locator('.error').textContent()));
  const api = await admin(`/api/v1/exports/${eid}`);
  check(api.status === 'done' && api.operator === INV && Date.parse(api.start) === eStart && Date.parse(api.end) === eEnd,
        `the server's export is the one requested: ${JSON.stringify(api)}`);
  check(/done, \d/.test(await row.locator('td.status').textContent()), `done with its size (${await row.locator('td.status').textContent()})`);
  const camText = await row.locator('td.cameras').textContent();
  check(camText === 'Main lobby (lobby)' && JSON.stringify(api.camera_names) === '["Main lobby"]',
        `the list names the camera (${camText}; camera_names ${JSON.stringify(api.camera_names)})`);
  await shot(page, 'exports-done', true);
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 20000 }), row.locator('a.download').click()]);
  await download.saveAs(process.env.ZIP_PATH);
  const zsize = fs.statSync(process.env.ZIP_PATH).size;
  figures.zip_bytes = zsize;
  // named after the camera (name and id) and the start, as the server offers it
  const wantName = `export_main-lobby_lobby_${new Date(eStart).toISOString().slice(0, 19).replace('T', '_').replace(/:/g, '')}Z.zip`;
  check(api.download_name === wantName, `the export's download name ${api.download_name} (want ${wantName})`);
  check(zsize === api.size && download.suggestedFilename() === wantName,
        `the Download link downloads the zip (${download.suggestedFilename()}, ${zsize} bytes; server says ${api.size})`);

  // a failing request shows the server's message: a range with no footage
  await page.fill('#f-from', await localValue(page, Date.now() - 3 * 86400e3));
  await page.fill('#f-to', await localValue(page, Date.now() - 3 * 86400e3 + 10e3));
  mark = await loadedMark(page);
  await page.click('#create');
  await reloaded(page, mark);
  const eerr = await page.locator('#form-error').textContent();
  check(/no recordings/.test(eerr), `a range without footage shows the server's answer ("${eerr}")`);

  // ---- phones ----
  await page.setViewportSize({ width: 390, height: 844 });
  for (const name of ['holds', 'exports']) {
    await page.goto(`${BASE}/${name}.html`);
    await loaded(page);
    const m = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
    check(m.sw <= m.cw, `${name}.html at 390x844: no horizontal overflow (scrollWidth ${m.sw}, width ${m.cw})`);
    await shot(page, `${name}-390x844`, true);
  }
  await context.close();

  // ---- a viewer ----
  const vctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, timezoneId: ZONE });
  const vp = await vctx.newPage();
  check(await login(vp, process.env.VIEWER_USER, process.env.VIEWER_PASSWORD), 'the viewer signs in');
  await waitFor(() => vp.locator('header.top nav a').count().then((n) => n >= 2), 5000);
  await sleep(500);
  check((await vp.locator('header.top nav a[href="holds.html"]').count()) === 0 &&
        (await vp.locator('header.top nav a[href="exports.html"]').count()) === 0, 'a viewer has no Holds or Exports link');
  await vp.goto(BASE + '/playback.html?cameras=lobby');
  await waitFor(() => vp.locator('.tile[data-camera="lobby"]').count(), 10000);
  await sleep(1000);
  check(!(await vp.locator('#hold-link').isVisible()) && !(await vp.locator('#export-link').isVisible()),
        'nor "Hold…"/"Export…" on playback');
  await vp.goto(BASE + '/holds.html');
  check(await waitFor(async () => /Only investigators/.test((await vp.locator('#message').textContent()) || ''), 5000),
        'holds.html tells a viewer it is not for them');
  await shot(vp, 'viewer-holds');
  await vctx.close();
} catch (e) {
  check(false, 'exception: ' + (e.stack || e));
} finally {
  await browser.close();
}
fs.writeFileSync(path.join(ART, 'figures.json'), JSON.stringify(figures, null, 2));
console.log('figures: ' + JSON.stringify(figures));
finish('evidence_test');
