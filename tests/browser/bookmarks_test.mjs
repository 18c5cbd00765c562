// SPDX-License-Identifier: Apache-2.0
// bookmarks_test.mjs - bookmarks on the playback page
// (test_browser_bookmarks.py; docs/guide/web-ui.md "Bookmarks"): the key B
// opens the note dialog at the instant on screen, Save makes the bookmark;
// it is drawn on the timeline (the pixels under its marker are its colour)
// and listed; the search box finds it and hides it for other words; "Copy
// link" copies playback.html?cameras=&t=&bookmark= and that link opens the
// page at the bookmark's instant (within 1 s) with its entry outlined; a
// viewer sees the admin's bookmark without a Delete button and deletes
// their own; the author deletes theirs.
// Environment: BASE_URL, ADMIN_USER, ADMIN_PASSWORD, VIEWER, VIEWER_PASSWORD,
// T (RFC 3339, inside the footage of both cameras), ARTIFACTS, NPM_DIR, CHROMIUM.
import { check, waitFor, login, shot, launch, finish, sleep, watch, BASE } from './lib.mjs';

const T = Date.parse(process.env.T);
const NOTE = 'Red backpack left by the door';

const shown = async (page) => Date.parse((await page.locator('#wallclock').getAttribute('data-time')) || '');

// Waits until the first tile has a picture at ms (within 1 s); the instant shown, or null.
async function landsAt(page, ms) {
  return waitFor(async () => {
    const ok = await page.locator('#players .tile video').first().evaluate((v) => v.readyState >= 2 && v.videoWidth > 0 && !v.seeking);
    const t = await shown(page);
    return ok && Math.abs(t - ms) <= 1000 ? t : null;
  }, 30000, 250);
}

const browser = await launch();
try {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  const page = await ctx.newPage();
  watch(page);
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'the admin signs in');
  await page.goto(`${BASE}/playback.html?cameras=door,yard&t=${new Date(T).toISOString()}&zoom=2`);
  const at = await landsAt(page, T);
  check(at, `the page shows the instant asked (${new Date(T).toISOString()})`);
  check(await waitFor(async () => (await page.locator('#bookmark-list li').count()) > 0, 10000), 'the bookmarks panel is filled');
  check((await page.locator('#bookmarks').getAttribute('data-count')) === '0', 'no bookmarks yet');

  // B: the dialog at the instant on screen, for the first camera
  await page.locator('body').click({ position: { x: 5, y: 5 } }).catch(() => {});
  const cursorAtPress = await shown(page);
  await page.keyboard.press('b');
  const dialog = page.locator('#bookmark-dialog');
  check(await waitFor(() => dialog.evaluate((d) => d.open), 3000), 'the key B opens the bookmark dialog');
  check(((await dialog.locator('.bm-where').textContent()) || '').startsWith('door'), 'the dialog names the first camera');
  await page.fill('#bookmark-note', 'x'.repeat(10));
  await page.keyboard.press('Escape');
  check(await waitFor(async () => !(await dialog.evaluate((d) => d.open)), 3000), 'Escape closes it without saving');
  check(await waitFor(async () => (await page.locator('#bookmarks').getAttribute('data-count')) === '0', 2000), 'nothing saved');
  await page.click('#bookmark');
  check(await waitFor(() => dialog.evaluate((d) => d.open), 3000), 'the Bookmark button opens the dialog');
  check(await dialog.evaluate((d) => d.contains(document.activeElement) && document.activeElement.id === 'bookmark-note'),
        'the note has the focus');
  await page.keyboard.type(NOTE + ' b, i o'); // keys of the page typed into the note do nothing else
  await page.fill('#bookmark-note', NOTE);
  await page.click('#bookmark-save');
  const item = page.locator('#bookmark-list li[data-id]');
  check(await waitFor(async () => (await item.count()) === 1, 10000), 'the bookmark is listed');
  const id = Number(await item.getAttribute('data-id'));
  const bt = Date.parse(await item.getAttribute('data-time'));
  check((await item.locator('.bm-note').textContent()) === NOTE && (await item.getAttribute('data-camera')) === 'door',
        'the entry has the note and the first camera');
  check(Math.abs(bt - cursorAtPress) < 1500, `the bookmark is at the instant on screen (${bt - cursorAtPress} ms)`);
  check(await page.locator('#markin, [data-mark-in]').count() === 0, 'the keys typed in the note set no mark');

  // the timeline: the marker is listed and drawn (its colour under it, in door's lane)
  const canvas = page.locator('#timeline');
  check(await waitFor(async () => JSON.parse((await canvas.getAttribute('data-bookmarks')) || '[]').some((b) => b.id === id), 5000),
        'the timeline draws the bookmark');
  const px = await canvas.evaluate((c, ms) => {
    const s = Date.parse(c.dataset.viewStart);
    const e = Date.parse(c.dataset.viewEnd);
    const x = ((ms - s) / (e - s)) * c.clientWidth;
    const dpr = window.devicePixelRatio || 1;
    const d = c.getContext('2d').getImageData(Math.round((x + 2) * dpr), Math.round(5 * dpr), 1, 1).data;
    return [d[0], d[1], d[2]];
  }, bt);
  check(px[0] > 200 && px[1] > 90 && px[1] < 150 && px[2] > 150, `the marker's pixels are pink (${px})`);
  await shot(page, 'bookmark-timeline');

  // search
  await page.fill('#bookmark-search', 'BACKPACK');
  check(await waitFor(async () => (await page.locator('#bookmark-list li[data-id]').count()) === 1 &&
                      (await page.locator('#bookmark-search').inputValue()) === 'BACKPACK', 5000), 'a search finds it');
  await page.fill('#bookmark-search', 'zebra');
  check(await waitFor(async () => (await page.locator('#bookmark-list li[data-id]').count()) === 0, 5000), 'another word hides it');
  await page.fill('#bookmark-search', '');
  check(await waitFor(async () => (await page.locator('#bookmark-list li[data-id]').count()) === 1, 5000), 'an empty search lists it');

  // copy link, and the link opens at the instant
  await page.locator('#bookmark-list li[data-id] .bm-copy').click();
  const link = await waitFor(async () => {
    const t = await page.evaluate(() => navigator.clipboard.readText()).catch(() => '');
    return t.includes('bookmark=') ? t : null;
  }, 5000);
  check(link, `Copy link puts the link on the clipboard (${link})`);
  const u = new URL(link || 'http://x/');
  check(u.pathname.endsWith('/playback.html') && u.searchParams.get('cameras') === 'door' &&
        Number(u.searchParams.get('bookmark')) === id && Math.abs(Date.parse(u.searchParams.get('t')) - bt) < 1,
        `the link names the camera, the instant and the bookmark (${link})`);
  const other = await ctx.newPage();
  watch(other);
  await other.goto(link);
  const landed = await landsAt(other, bt);
  check(landed, `the link opens playback at the bookmark's instant within 1 s (${landed ? landed - bt : 'never'} ms)`);
  check(await waitFor(async () => (await other.locator('#bookmark-list li[data-current="1"]').getAttribute('data-id').catch(() => null)) === String(id), 10000),
        'the bookmark opened is outlined in the list');
  await shot(other, 'bookmark-link');
  await other.close();

  // a viewer: sees the admin's bookmark, may not delete it, deletes their own
  const vctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const vp = await vctx.newPage();
  watch(vp);
  check(await login(vp, process.env.VIEWER, process.env.VIEWER_PASSWORD), 'the viewer signs in');
  await vp.goto(`${BASE}/playback.html?cameras=door&t=${new Date(T + 3000).toISOString()}&zoom=2`);
  check(await landsAt(vp, T + 3000), 'the viewer plays door');
  check(await waitFor(async () => (await vp.locator(`#bookmark-list li[data-id="${id}"]`).count()) === 1, 10000),
        "the viewer sees the admin's bookmark");
  check(await vp.locator(`#bookmark-list li[data-id="${id}"] .bm-delete`).count() === 0, "no Delete on another's bookmark");
  await vp.click('#bookmark');
  await vp.fill('#bookmark-note', 'viewer note');
  await vp.click('#bookmark-save');
  const mine = vp.locator('#bookmark-list li[data-id]', { hasText: 'viewer note' });
  check(await waitFor(async () => (await mine.count()) === 1, 10000), "the viewer's bookmark is listed");
  await mine.locator('.bm-delete').click();
  check(await waitFor(async () => (await mine.count()) === 0, 10000), 'the viewer deletes their own');
  await vctx.close();

  // the author deletes it
  await page.locator(`#bookmark-list li[data-id="${id}"] .bm-delete`).click();
  check(await waitFor(async () => (await page.locator('#bookmark-list li[data-id]').count()) === 0, 10000), 'the admin deletes it');
  check(await waitFor(async () => JSON.parse((await canvas.getAttribute('data-bookmarks')) || '[]').length === 0, 5000),
        'and its marker is gone');
  await sleep(100);
} catch (e) {
  check(false, `the browser script failed: ${e.stack || e}`);
} finally {
  await browser.close();
}
finish('bookmarks_test');
