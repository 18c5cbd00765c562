// SPDX-License-Identifier: Apache-2.0
// redact_test.mjs - drives Debian's chromium (playwright-core) through the
// redaction editor redact.html of a running `nvr run` (started by
// test_browser_redact.py with camera "lobby" recording video and G.711, an
// investigator, and that investigator's finished 20 s export EXPORT_ID):
//   - the header links "Redact"; the Exports page's row of the export has
//     "Redact…", which opens the editor on it; the video plays from inside
//     the export (the server's video route) and the page shows its length;
//   - a box is dragged at 2 s (mode blur), the time moved to 8 s and the
//     box dragged again elsewhere: the box has two keyframes and, at 5 s,
//     the box fields show it half-way (interpolated) while the overlay draws
//     it there; a second box is drawn at 9 s, made "everything except this
//     box" and ended at 13 s; a mute range from 5 s is ended at 12 s;
//   - REDACTIONS.json is saved (DOC_PATH), loaded into a fresh page (the
//     same boxes and range are listed), then rendered with the request
//     number and requester; the job's progress is shown until done and the
//     page's link downloads the copy (ZIP_PATH), named ...-redacted.zip;
//   - the keyboard: with the overlay focused, an arrow key makes a box and
//     moves it; Escape leaves it;
//   - playback's "Redact…" opens the exports page, whose "Export, then
//     redact" makes the export and opens the editor on it when it is done;
//   - axe-core finds nothing serious on the editor with a box being edited;
//   - leaving the page with boxes neither saved nor rendered asks first;
//   - at 390x844 the page has no horizontal overflow.
// The Python side checks the pictures, the sound and the chain.
import fs from 'node:fs';
import path from 'node:path';
import { ART, BASE, check, finish, launch, login, shot, sleep, waitFor, watch } from './lib.mjs';

const EID = process.env.EXPORT_ID;
const AXE = path.join(process.env.NPM_DIR, 'node_modules', 'axe-core', 'axe.min.js');
const figures = {};

// axe-core's WCAG 2.0/2.1 A and AA rules (as a11y_test.mjs): no serious or critical finding
async function axeAudit(page, name) {
  await page.addScriptTag({ path: AXE });
  const res = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, n: v.nodes.length,
                                       where: v.nodes.slice(0, 3).map((x) => x.target.join(' ')) }));
  });
  for (const v of res) console.log(`${name}: ${v.impact} ${v.id} x${v.n} e.g. ${v.where.join(' | ')}`);
  const bad = res.filter((v) => v.impact === 'serious' || v.impact === 'critical').reduce((a, v) => a + v.n, 0);
  check(bad === 0, `${name}: no serious or critical axe finding (${bad})`);
}

// the page's video at `sec` seconds, through the scrubber (as a person drags it)
async function seekTo(page, sec) {
  await page.locator('#scrub').evaluate((n, s) => {
    n.value = String(s);
    n.dispatchEvent(new Event('input', { bubbles: true }));
  }, sec);
  await waitFor(() => page.evaluate((s) => {
    const v = document.getElementById('video');
    return Math.abs(v.currentTime - s) < 0.05 && !v.seeking && v.readyState >= 2;
  }, sec), 10000, 50);
}

// drags on the overlay from (x0, y0) to (x1, y1), in 0..1 of the picture
async function dragBox(page, b) {
  const r = await page.locator('#overlay').boundingBox();
  await page.mouse.move(r.x + b[0] * r.width, r.y + b[1] * r.height);
  await page.mouse.down();
  await page.mouse.move(r.x + ((b[0] + b[2]) / 2) * r.width, r.y + ((b[1] + b[3]) / 2) * r.height, { steps: 4 });
  await page.mouse.move(r.x + b[2] * r.width, r.y + b[3] * r.height, { steps: 4 });
  await page.mouse.up();
}

const shapeCount = (page) => page.locator('#shapes li').count();

async function setField(page, sel, value) {
  await page.fill(sel, String(value));
  await page.locator(sel).dispatchEvent('change');
}

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 1000 }, acceptDownloads: true, bypassCSP: true });
  const page = await context.newPage();
  watch(page);
  let leaveAsked = 0; // beforeunload prompts (watch() accepts them)
  page.on('dialog', (d) => {
    if (d.type() === 'beforeunload') leaveAsked++;
  });
  check(await login(page, process.env.INV_USER, process.env.INV_PASSWORD), 'the investigator signs in');
  check(await waitFor(() => page.locator('header.top nav a[href="redact.html"]').count(), 5000), 'the header links "Redact"');

  // ---- from the Exports page ----
  await page.goto(BASE + '/exports.html');
  const link = page.locator(`tr[data-export="${EID}"] a.redact`);
  check(await waitFor(() => link.count(), 10000), 'the export\'s row has "Redact…"');
  await link.click();
  await page.waitForURL(/redact\.html\?export=/, { timeout: 10000 });
  check(await waitFor(() => page.evaluate(() => !!document.body.dataset.ready), 15000), 'the editor loads the export\'s video');
  const dur = await page.evaluate(() => document.getElementById('video').duration);
  check(dur > 19 && dur < 21.5, `the video is the 20 s export (${dur} s)`);
  check((await page.locator('#export-info').textContent()).includes('Main lobby (lobby)'), 'the page names the camera');
  await page.click('#play');
  const played = await waitFor(() => page.evaluate(() => document.getElementById('video').currentTime > 0.5), 10000);
  check(played, 'the video plays');
  await page.click('#play');
  await shot(page, 'redact-opened');

  // ---- a tracked box: dragged at 2 s, dragged again at 8 s ----
  await page.selectOption('#mode', 'blur');
  await seekTo(page, 2);
  await dragBox(page, [0.05, 0.10, 0.30, 0.45]);
  check((await shapeCount(page)) === 1 && (await page.locator('#shape-edit').isVisible()), 'dragging draws a box and selects it');
  await seekTo(page, 8);
  await dragBox(page, [0.60, 0.45, 0.90, 0.85]);
  check((await page.locator('#keyframes li').count()) === 2 && (await shapeCount(page)) === 1,
        'dragging the selected box at another moment adds a keyframe');
  await setField(page, '#s-end', '8.00');
  await seekTo(page, 5);
  const mid = await Promise.all(['#b-x0', '#b-y0', '#b-x1', '#b-y1'].map((s) => page.inputValue(s).then(Number)));
  const want = [0.325, 0.275, 0.60, 0.65];
  check(mid.every((v, i) => Math.abs(v - want[i]) < 0.02), `at 5 s the box is half-way (${mid})`);
  await shot(page, 'redact-tracked');
  await page.click('#s-done');

  // ---- everything except this box ----
  await page.click('#new-box');
  await seekTo(page, 9);
  await dragBox(page, [0.40, 0.30, 0.65, 0.70]);
  check((await shapeCount(page)) === 2, 'a second box');
  await page.check('#s-invert');
  await setField(page, '#s-end', '13.00');
  check(/everything except the box/.test(await page.locator('#shapes li.selected').textContent()),
        `it is listed as "everything except the box" (${await page.locator('#shapes li.selected').textContent()})`);
  await seekTo(page, 10);
  await shot(page, 'redact-invert');
  await page.click('#s-done');

  // ---- a mute range ----
  await seekTo(page, 5);
  await page.click('#mute-add');
  const mEnd = page.locator('#mutes li .m-end');
  await mEnd.fill('12.00');
  await mEnd.dispatchEvent('change');
  check((await page.locator('#mutes li').count()) === 1, 'a mute range is listed');
  await page.locator('#shapes li').first().locator('button.edit').click();
  await axeAudit(page, 'redact.html (a box being edited, a mute range)');

  // ---- save, and load into a fresh page ----
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 10000 }), page.click('#save-doc')]);
  await dl.saveAs(process.env.DOC_PATH);
  const saved = JSON.parse(fs.readFileSync(process.env.DOC_PATH, 'utf8'));
  check(saved.shapes.length === 2 && saved.mute.length === 1, `REDACTIONS.json is saved (${dl.suggestedFilename()})`);
  await page.reload();
  await waitFor(() => page.evaluate(() => !!document.body.dataset.ready), 15000);
  check((await shapeCount(page)) === 0, 'a fresh page has no boxes');
  await page.setInputFiles('#load-doc', process.env.DOC_PATH);
  check(await waitFor(async () => (await shapeCount(page)) === 2, 5000), 'loading the document lists its two boxes');
  check((await page.locator('#mutes li').count()) === 1, 'and its mute range');
  check(/Loaded/.test(await page.locator('#notice').textContent()), 'the page says it loaded the file');
  // a broken document is refused, naming the field, and changes nothing
  const bad = path.join(ART, 'bad-redactions.json');
  fs.writeFileSync(bad, JSON.stringify({ shapes: [{ ...saved.shapes[0], mode: 'smudge' }] }));
  await page.setInputFiles('#load-doc', bad);
  check(await waitFor(async () => /shapes\[0\]\.mode/.test(await page.locator('#message').textContent()), 5000),
        `a bad document is refused naming the field ("${await page.locator('#message').textContent()}")`);
  check((await shapeCount(page)) === 2, 'and the boxes stay');

  // ---- render ----
  await page.fill('#r-number', process.env.REQUEST);
  await page.fill('#r-requester', process.env.REQUESTER);
  const t0 = Date.now();
  await page.click('#render');
  const seen = new Set();
  const st = await waitFor(async () => {
    const s = await page.locator('#job').getAttribute('data-status');
    seen.add(s);
    if (await page.locator('#job progress').count()) seen.add('bar');
    return s === 'done' || s === 'failed' ? s : null;
  }, 240000, 100);
  figures.render_seconds = (Date.now() - t0) / 1000;
  check(st === 'done', `the render reaches done on the page (${st}; seen ${[...seen].join(', ')}; ${figures.render_seconds} s)`);
  if (st === 'failed') console.log('error: ' + (await page.locator('#job').textContent()));
  await shot(page, 'redact-rendered', true);
  const [zdl] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), page.click('#download')]);
  await zdl.saveAs(process.env.ZIP_PATH);
  check(/-redacted\.zip$/.test(zdl.suggestedFilename()), `the copy downloads as ${zdl.suggestedFilename()}`);

  // the copy opens for review, without Render
  await page.click('#job a[href^="redact.html"]');
  check(await waitFor(() => page.evaluate(() => !!document.body.dataset.ready), 15000), 'the copy opens for review');
  check(!(await page.locator('#render-form').isVisible()), 'without Render');

  // ---- the keyboard ----
  await page.goto(`${BASE}/redact.html?export=${EID}`);
  await waitFor(() => page.evaluate(() => !!document.body.dataset.ready), 15000);
  await page.locator('#overlay').focus();
  await page.keyboard.press('ArrowRight');
  check((await shapeCount(page)) === 1, 'an arrow key on the focused video makes a box');
  const before = Number(await page.inputValue('#b-x0'));
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  const after = Number(await page.inputValue('#b-x0'));
  check(Math.abs(after - before - 0.02) < 0.002, `and arrow keys move it (${before} -> ${after})`);
  await page.keyboard.press('Escape');
  check(!(await page.locator('#shape-edit').isVisible()), 'Escape leaves it');

  // ---- from playback: "Redact…" exports the range, then opens the editor on it ----
  await page.goto(BASE + '/playback.html?cameras=lobby');
  check(await waitFor(() => page.locator('#redact-link').isVisible(), 10000), 'playback shows "Redact…" to an investigator');
  await waitFor(async () => /cameras=lobby/.test((await page.getAttribute('#redact-link', 'href')) || ''), 10000);
  await page.click('#redact-link');
  await page.waitForURL(/exports\.html\?.*redact=1/, { timeout: 10000 });
  await waitFor(() => page.evaluate(() => !!document.body.dataset.loaded), 10000);
  check((await page.locator('#create').textContent()) === 'Export, then redact', 'the exports page offers "Export, then redact"');
  await page.click('#create');
  await page.waitForURL(/redact\.html\?export=/, { timeout: 120000 }).catch(() => {});
  const nid = new URL(page.url()).searchParams.get('export');
  check(nid && nid !== EID && await waitFor(() => page.evaluate(() => !!document.body.dataset.ready), 15000),
        `the editor opens on the new export when it is done (${page.url()})`);

  // ---- a phone ----
  // the box just made by keyboard is neither saved nor rendered: leaving asks first
  await page.locator('#overlay').focus();
  await page.keyboard.press('ArrowLeft');
  await page.setViewportSize({ width: 390, height: 844 });
  const asked = leaveAsked;
  await page.reload();
  check(leaveAsked === asked + 1, `leaving with unsaved boxes asks first (${leaveAsked - asked} prompt)`);
  await waitFor(() => page.evaluate(() => !!document.body.dataset.ready), 15000);
  await sleep(300);
  const m = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
  check(m.sw <= m.cw, `redact.html at 390x844: no horizontal overflow (scrollWidth ${m.sw}, width ${m.cw})`);
  await shot(page, 'redact-390x844', true);
  // with a box being edited and a mute range: the widest the page gets
  await page.locator('#overlay').focus();
  await page.keyboard.press('ArrowDown');
  await page.click('#mute-add');
  const m2 = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
  check((await page.locator('#shape-edit').isVisible()) && m2.sw <= m2.cw,
        `editing a box at 390x844: no horizontal overflow (scrollWidth ${m2.sw}, width ${m2.cw})`);
  await shot(page, 'redact-390x844-editing', true);
  await context.close();
} catch (e) {
  check(false, 'exception: ' + (e.stack || e));
} finally {
  await browser.close();
}
fs.writeFileSync(path.join(ART, 'figures.json'), JSON.stringify(figures, null, 2));
console.log('figures: ' + JSON.stringify(figures));
finish('redact_test');
