// SPDX-License-Identifier: Apache-2.0
// cameras_test.mjs - the camera management page (cameras.html) in Debian's
// chromium against `nvr run` (started by test_browser_cameras.py with one
// config-file camera "lobby" and an audit report naming it covered), as an
// admin would use it:
//   - the file camera is listed read-only ("declared in the config file")
//     with its NDAA audit badge (covered, with the evidence as its title);
//   - "Add a camera": "Read from camera" asks a (fake) ONVIF device and fills
//     in its name and stream URL; the form's Test connection reports the stream (h264,
//     size, frame rate) and shows the camera's picture; Save adds it, the
//     list shows it recording, and the API has segments for it;
//   - Edit keeps the stored password when the URL still shows "***"; its
//     Motion part shows the camera's picture, a box dragged on it and one
//     added from the keyboard (Enter, then an arrow) become motion_mask,
//     and the sensitivity is saved;
//   - Disable shows it disabled; Remove (confirmed) takes it off the list
//     and the API;
//   - a camera name with markup is shown as text;
//   - the audit page (audit.html) shows the report: lobby covered with its
//     maker and evidence, the summary, the notice; "Download the report"
//     saves the JSON, "Spreadsheet (CSV)" the CSV; "Run the audit now" probes and the page follows it
//     (lobby, which answers nothing identifying, stays covered with a note);
//   - both pages fit a 390 px phone.
// Environment (with lib.mjs's): TOKEN (the admin's API token), ADMIN_USER,
// ADMIN_PASSWORD, CAMERA_URL (an RTSP URL of the test camera, with
// credentials).
import fs from 'node:fs';
import { BASE, check, finish, launch, login, openLoaded, shot, waitFor, bearer, watch } from './lib.mjs';

const TOKEN = process.env.TOKEN;
const NAME = 'Gym <b>east</b> & door';
const api = (p) => bearer(p, TOKEN);
const rowOf = (page, id) => page.locator(`tr[data-camera="${id}"]`);

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
  const page = await context.newPage();
  watch(page); // (accepts the Remove confirmation)
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'the admin signs in');
  check(await waitFor(() => page.locator('nav a[href="cameras.html"]').count(), 5000), 'the header links to Cameras');
  check(await openLoaded(page, '/cameras.html'), 'the cameras page loads');

  // ---- the config-file camera, read-only, with its audit badge ----
  const lobby = rowOf(page, 'lobby');
  check(/declared in the config file/.test(await lobby.textContent()), 'the file camera says it is declared in the config file');
  check((await lobby.locator('button').count()) === 0, 'the file camera has no edit buttons');
  const badge = lobby.locator('.audit-badge');
  check(await waitFor(async () => (await badge.count()) && (await badge.getAttribute('data-verdict')) === 'covered', 10000),
        'the audit badge says covered');
  check(/HIKVISION|Hikvision/i.test((await badge.getAttribute('title')) || ''), 'the badge carries the evidence');
  await shot(page, 'cameras-list');

  // ---- add: fill in from the camera over ONVIF, test the connection, save ----
  await page.click('#add');
  await page.fill('#o-address', process.env.ONVIF_ADDRESS);
  await page.fill('#o-user', 'admin');
  await page.fill('#o-password', process.env.ONVIF_PASSWORD);
  await page.click('#onvif-read');
  const read = await waitFor(() => page.locator('#onvif-result [data-ok="true"]').count(), 20000);
  const facts = read ? await page.locator('#onvif-result').textContent() : '';
  check(read && /HIKVISION/.test(facts) && /DS-2CD2143G2-I/.test(facts) && /44:47:cc:12:34:56/.test(facts),
        `Read from camera shows maker, model, MAC ("${facts}")`);
  const filled = await page.inputValue('#f-url');
  check(filled === `rtsp://admin:${encodeURIComponent(process.env.ONVIF_PASSWORD)}@127.0.0.1:554/Streaming/Channels/101`,
        `it fills the main stream URL with the credentials (${filled.replace(/:[^:@]*@/, ':***@')})`);
  check(/HIKVISION/.test(await page.inputValue('#f-name')), 'and the name');
  await shot(page, 'camera-onvif');
  await page.fill('#f-id', 'gym');
  await page.fill('#f-name', NAME);
  await page.fill('#f-url', process.env.CAMERA_URL);
  await page.fill('#f-segment', '2');
  await page.selectOption('#f-transport', 'tcp');
  await page.click('#test');
  const ok = await waitFor(() => page.locator('#test-result [data-ok="true"]').count(), 15000);
  check(ok, 'Test connection reports a working stream');
  const res = ok ? await page.locator('#test-result').textContent() : '';
  check(/h264 640x360/.test(res) && /fps/.test(res) && /kbit\/s/.test(res), `it shows codec, size, rate ("${res}")`);
  check(await waitFor(() => page.locator('#test-result img.test-snapshot').evaluate((i) => i.complete && i.naturalWidth === 320), 5000),
        'it shows the camera picture (320 px wide)');
  await shot(page, 'camera-test');
  await page.click('#save');
  check(await waitFor(() => rowOf(page, 'gym').count(), 10000), 'the new camera is listed');
  check(await waitFor(async () => (await rowOf(page, 'gym').getAttribute('data-status')) === 'recording', 30000),
        'the list shows it recording');
  const cell = await rowOf(page, 'gym').locator('td').first().textContent();
  check(cell.includes(NAME) && (await page.locator('tr[data-camera="gym"] b').count()) === 0, 'its name (with markup) shows as text');
  const segs = await waitFor(async () => {
    const r = await api('/api/v1/cameras/gym');
    return r.status === 200 && r.doc.stats.segments >= 1 ? r.doc : null;
  }, 20000);
  check(segs && segs.source === 'api', `the API has the camera with segments (${segs && segs.stats.segments})`);
  await shot(page, 'camera-added');

  // ---- edit: the URL still shows *** and the stored password is kept ----
  await rowOf(page, 'gym').locator('button.edit').click();
  check(/:\*\*\*@/.test(await page.inputValue('#f-url')), 'the edit form shows the password as ***');
  await page.fill('#f-name', 'Gym east');
  // the motion mask, drawn on the camera's picture
  check(await waitFor(() => page.locator('#mask-area img.mask-picture').evaluate((i) => i.complete && i.naturalWidth > 0), 10000),
        'the mask editor shows the camera\'s picture');
  await page.locator('#mask-area').scrollIntoViewIfNeeded();
  const area = await page.locator('#mask-area').boundingBox();
  await page.mouse.move(area.x + area.width * 0.1, area.y + area.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(area.x + area.width * 0.3, area.y + area.height * 0.5, { steps: 5 });
  await page.mouse.up();
  await page.focus('#mask-area');
  await page.keyboard.press('Enter');
  await page.keyboard.press('ArrowRight');
  await page.fill('#f-sensitivity', '7');
  check((await page.locator('#mask-area .mask-box').count()) === 2, 'two boxes are drawn over the picture');
  await shot(page, 'camera-mask');
  await page.click('#save');
  const saved = await waitFor(async () => {
    const r = await api('/api/v1/cameras/gym');
    return r.doc.motion_mask ? r.doc : null;
  }, 10000);
  const boxes = saved ? saved.motion_mask.split(';').map((b) => b.split(',').map(Number)) : [];
  const near = (b, want) => b.length === 4 && b.every((v, i) => Math.abs(v - want[i]) <= 0.02);
  check(boxes.length === 2 && near(boxes[0], [0.1, 0.2, 0.3, 0.5]) && near(boxes[1], [0.42, 0.4, 0.62, 0.6]),
        `motion_mask is the boxes drawn (${saved && saved.motion_mask})`);
  check(saved && saved.motion_sensitivity === 7, `the sensitivity is saved (${saved && saved.motion_sensitivity})`);
  check(await waitFor(async () => /Gym east/.test(await rowOf(page, 'gym').textContent()), 10000), 'the edit is listed');
  const before = (await api('/api/v1/cameras/gym')).doc.stats.segments;
  const after = await waitFor(async () => {
    const r = await api('/api/v1/cameras/gym');
    return r.doc.status === 'recording' && r.doc.stats.segments > 0 && r.doc.last_error === null ? r.doc : null;
  }, 30000);
  check(after, `it still records (authenticates) after the edit (${before} -> ${after && after.stats.segments} segments)`);

  // ---- disable, then remove ----
  await rowOf(page, 'gym').locator('button.toggle').click();
  check(await waitFor(async () => (await rowOf(page, 'gym').getAttribute('data-status')) === 'disabled', 15000),
        'Disable shows it disabled');
  await rowOf(page, 'gym').locator('button.remove').click();
  check(await waitFor(async () => (await rowOf(page, 'gym').count()) === 0, 10000), 'Remove takes it off the list');
  check((await api('/api/v1/cameras/gym')).status === 404, 'and the API no longer knows it');

  // ---- the audit page: the report, its download, a probe ----
  // (the report drops the removed camera within 2 s; the page then shows the same set as the API)
  check(await waitFor(async () => !(await api('/api/v1/audit')).doc.cameras.some((c) => c.id === 'gym'), 10000),
        'the report no longer lists the removed camera');
  await page.click('header.top nav a[href="audit.html"]');
  check(await waitFor(() => page.evaluate(() => document.body.dataset.loaded), 10000), 'the header\'s Audit link opens the report');
  const report = (await api('/api/v1/audit')).doc;
  const arow = rowOf(page, 'lobby');
  check((await arow.locator('.audit-badge').getAttribute('data-verdict')) === 'covered', 'the report shows lobby covered');
  check(/Hikvision/i.test(await arow.textContent()), 'with the maker');
  await arow.locator('details.evidence summary').click();
  const ev = await arow.locator('details.evidence').textContent();
  check(/onvif_manufacturer/.test(ev) && /HIKVISION/.test(ev) && /DS-2CD2143G2-I/.test(ev) && /covered/.test(ev),
        `the evidence lists each signal and what it matched ("${ev.slice(0, 160)}")`);
  check((await page.locator('#report tbody tr[data-camera]').count()) === report.cameras.length,
        `one row per camera of the report (${report.cameras.length})`);
  check((await page.locator('#summary li[data-verdict="covered"]').getAttribute('data-count')) === String(report.summary.covered),
        `the summary counts as the report (${report.summary.covered} covered)`);
  check(/not legal advice/i.test(await page.locator('#disclaimer').textContent()), 'the report\'s notice is shown');
  await shot(page, 'audit-report');
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 20000 }), page.click('#download')]);
  const file = JSON.parse(fs.readFileSync(await dl.path(), 'utf8'));
  check(/^ndaa-audit-\d{4}-\d{2}-\d{2}\.json$/.test(dl.suggestedFilename()) &&
        file.cameras.some((c) => c.id === 'lobby' && c.verdict === 'covered'),
        `"Download the report" saves the JSON report (${dl.suggestedFilename()})`);
  const [dlc] = await Promise.all([page.waitForEvent('download', { timeout: 20000 }), page.click('#download-csv')]);
  const rows = fs.readFileSync(await dlc.path(), 'utf8').split('\r\n');
  check(/^ndaa-audit-\d{4}-\d{2}-\d{2}\.csv$/.test(dlc.suggestedFilename()) &&
        rows[0].startsWith('camera,name,verdict,') && rows.some((l) => l.startsWith('"lobby","Main lobby","covered"')),
        `"Spreadsheet (CSV)" saves the report as CSV (${dlc.suggestedFilename()}, ${rows.length - 2} cameras)`);
  // the containment rules for the network person (GET /api/v1/audit/containment, issue 22)
  await page.fill('#allow', '10.0.5.20');
  const [dln] = await Promise.all([page.waitForEvent('download', { timeout: 20000 }), page.click('#rules-nft')]);
  const nft = fs.readFileSync(await dln.path(), 'utf8');
  check(/^nvr-containment-\d{4}-\d{2}-\d{2}\.nft$/.test(dln.suggestedFilename()) &&
        /table inet nvr_containment/.test(nft) && /10\.0\.5\.20/.test(nft) && /camera lobby /.test(nft),
        `"nftables rules" saves the containment rules with the allowed host (${dln.suggestedFilename()})`);
  const clicked = Date.now();
  await page.click('#probe');
  const probed = await waitFor(async () => {
    const r = (await api('/api/v1/audit')).doc;
    return !r.running && r.probe_finished && Date.parse(r.probe_finished) >= clicked - 1000 ? r : null;
  }, 90000);
  check(probed, 'Run the audit now probes the cameras');
  check(await waitFor(async () => (await page.evaluate(() => document.body.dataset.running)) === 'false' &&
                      /Last probe finished/.test(await page.locator('#state').textContent()), 10000),
        'the page follows the probe to its end');
  // the test camera has no ONVIF and no MAC: this probe identified nothing, so
  // the earlier identification stays, with a note of the failed probe
  const lobbyNow = probed && probed.cameras.find((c) => c.id === 'lobby');
  const note = lobbyNow && lobbyNow.evidence.find((e) => e.signal === 'last_probe');
  check(lobbyNow && lobbyNow.verdict === 'covered' && note && /nothing identified/.test(note.value),
        `a probe that identifies nothing keeps lobby covered, with a note (${note && note.value})`);
  check(await waitFor(async () => (await arow.locator('.audit-badge').getAttribute('data-verdict')) === 'covered' &&
                      /last_probe/.test(await arow.locator('details.evidence').textContent()) &&
                      /no answer identified it/.test(await arow.locator('.last-probe').textContent()), 5000),
        'the page shows it covered, the failed probe under the probe time and among the evidence');
  check(/audit finished/.test(await page.locator('#notice').textContent()), 'the page says the audit finished');
  await shot(page, 'audit-probed');

  // ---- a phone ----
  await page.setViewportSize({ width: 390, height: 844 });
  for (const url of ['/cameras.html', '/audit.html']) {
    await openLoaded(page, url);
    const m = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
    check(m.sw <= m.cw, `${url} at 390x844: no horizontal overflow (${m.sw} <= ${m.cw})`);
    await shot(page, `${url.slice(1, -5)}-390x844`, true);
  }
} catch (e) {
  check(false, 'exception: ' + (e.stack || e));
} finally {
  await browser.close();
}
finish('cameras_test');
