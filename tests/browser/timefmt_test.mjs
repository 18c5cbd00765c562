// SPDX-License-Identifier: Apache-2.0
// timefmt_test.mjs - one time format everywhere, and the phone layout
// (issue 23 items 8 and 9), run by test_browser_timefmt.py once per server
// setting (MODE = "12h": [ui] time_format unset; "24h": set to 24h).
//
// Every run: the live clock, the playback clock, the playback time field and
// the timeline's spoken time, and the access log's times are in MODE's
// format; the time field accepts "15:05" (and "3:05 PM") and playback lands
// at 15:05 of the chosen day.  With 12h also: the header's override (24-hour
// in this browser, then back to the server's), and on a 390x844 phone the
// header's menu button (hidden links until opened, Escape closes it and
// gives the focus back), the playback controls and timeline inside the
// screen without horizontal scrolling, and the long camera name cut in the
// middle with the full name in its title.
// Environment: BASE_URL, ADMIN_USER, ADMIN_PASSWORD, MODE, LONG_NAME, ARTIFACTS, NPM_DIR, CHROMIUM.
import { check, finish, launch, login, shot, waitFor, BASE } from './lib.mjs';

const MODE = process.env.MODE || '12h';
const LONG_NAME = process.env.LONG_NAME;
const ZONE = 'America/New_York'; // not the machine's zone: the UI must convert
const T12 = /^(1[0-2]|[1-9]):[0-5]\d:[0-5]\d(\.\d{3})? [AP]M$/;
const T24 = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{3})?$/;
const dateTime = (re) => new RegExp(`^\\d{4}-\\d\\d-\\d\\d ${re.source.slice(1)}`);

// Checks the texts the pages show in format f ('12h' or '24h').
async function formatShown(page, f, label) {
  const re = f === '12h' ? T12 : T24;
  const dt = dateTime(re);

  await page.goto(BASE + '/index.html');
  const clock = await waitFor(async () => {
    const t = (await page.locator('#clock').textContent()) || '';
    return re.test(t) ? t : null;
  }, 8000);
  check(clock, `${label}: the live clock shows ${f} ("${await page.locator('#clock').textContent()}")`);

  await page.goto(BASE + '/playback.html?cameras=door');
  const wall = await waitFor(async () => {
    const t = (await page.locator('#wallclock').textContent()) || '';
    return dt.test(t) ? t : null;
  }, 10000);
  check(wall, `${label}: the playback clock shows ${f} ("${await page.locator('#wallclock').textContent()}")`);
  const field = await page.inputValue('#time');
  check(re.test(field), `${label}: the playback time field shows ${f} ("${field}")`);
  const spoken = await page.locator('#timeline').getAttribute('aria-valuetext');
  check(dt.test(spoken || ''), `${label}: the timeline says the time in ${f} ("${spoken}")`);
  await page.locator('#timeline').hover();
  const tipEl = page.locator('.timeline-tip');
  await waitFor(() => tipEl.isVisible(), 3000);
  const tip = await tipEl.textContent();
  check(dt.test(tip || ''), `${label}: the timeline's tooltip is in ${f} ("${tip}")`);
  const tile = await waitFor(async () => {
    const t = (await page.locator('.tile[data-camera="door"] .tile-clock').textContent()) || '';
    return re.test(t) ? t : null;
  }, 15000);
  check(tile, `${label}: the tile's clock shows ${f} ("${tile}")`);

  await page.goto(BASE + '/access.html');
  const times = await waitFor(async () => {
    const ts = await page.locator('#log td.time').allTextContents();
    return ts.length ? ts : null;
  }, 8000);
  check(times && times.every((t) => dt.test(t)), `${label}: the access log's times are in ${f} (${times && times[0]})`);
  const from = await page.inputValue('#from');
  check(from === '' || dt.test(from), `${label}: the access log's "From" is empty or in ${f} ("${from}")`);
}

// Typing "text" in playback's time field, Enter: the cursor lands at 15:05:00 of today.
async function typeTime(page, text) {
  await page.goto(BASE + '/playback.html?cameras=door');
  await page.waitForSelector('.tile[data-camera="door"]');
  const want = await page.evaluate(() => {
    const d = new Date();
    const p = (n) => String(n).padStart(2, '0');
    return { date: `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`,
             t: new Date(d.getFullYear(), d.getMonth(), d.getDate(), 15, 5, 0).getTime() };
  });
  await page.fill('#date', want.date);
  await page.fill('#time', text);
  await page.press('#time', 'Enter'); // Enter means Go
  // the clock at 15:05:00, or, where nothing was recorded then (the footage
  // begins when the test does), the page saying it skipped from 15:05:00
  const landed = await waitFor(async () => {
    const t = await page.locator('#wallclock').getAttribute('data-time');
    if (t && Date.parse(t) === want.t) return t;
    const msg = (await page.locator('#message').textContent()) || '';
    return /^No recording of .* at /.test(msg) && (msg.includes(`${want.date} 3:05:00 PM:`) || msg.includes(`${want.date} 15:05:00:`))
      ? msg : null;
  }, 5000);
  check(landed, `the time field takes "${text}" and playback goes to 15:05 of ${want.date} ` +
        `(${await page.locator('#wallclock').getAttribute('data-time')}, "${await page.locator('#wallclock').textContent()}")`);
  // (a message may say there is no recording at that instant; it must not ask for a time)
  const msg = (await page.locator('#message').textContent()) || '';
  check(!/Choose a date and a time/.test(msg), `"${text}" is not refused ("${msg}")`);
}

async function phone(browser) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
                                        timezoneId: ZONE });
  const page = await ctx.newPage();
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'phone: the admin signs in');
  await page.goto(BASE + '/index.html');
  const button = page.locator('#menu-button');
  check(await waitFor(() => button.isVisible(), 5000), 'phone: the header has a menu button');
  const link = page.locator('header.top nav a[href="playback.html"]');
  await waitFor(() => page.locator('header.top nav a[href="access.html"]').count(), 5000);
  check(!(await link.isVisible()) && !(await page.locator('#signout').isVisible()),
        'phone: the header links are hidden until the menu is opened');
  check((await button.getAttribute('aria-expanded')) === 'false', 'phone: the button says it is closed');
  await button.click();
  check(await waitFor(() => link.isVisible(), 2000), 'phone: opening the menu shows the links');
  check(await page.locator('header.top nav a[href="access.html"]').isVisible() && await page.locator('#signout').isVisible(),
        'phone: and every page, and Sign out');
  check((await button.getAttribute('aria-expanded')) === 'true', 'phone: the button says it is open');
  await shot(page, `phone-menu-${MODE}`);
  await link.focus();
  await page.keyboard.press('Escape');
  check(await waitFor(async () => !(await link.isVisible()), 2000), 'phone: Escape closes the menu');
  check((await button.getAttribute('aria-expanded')) === 'false', 'phone: and the button says so');
  check(await page.evaluate(() => document.activeElement && document.activeElement.id === 'menu-button'),
        'phone: the focus is back on the menu button');

  // the long name on the live page
  const liveName = page.locator('.tile[data-camera="door"] .name');
  const liveText = await waitFor(async () => {
    const t = (await liveName.textContent()) || '';
    return t.includes('\u2026') ? t : null;
  }, 5000);
  check(liveText, `phone: the live tile shortens the long name ("${await liveName.textContent()}")`);

  await page.goto(BASE + '/playback.html?cameras=door');
  await page.waitForSelector('.tile[data-camera="door"]');
  await page.waitForTimeout(1500); // players, coverage and the layout settle
  const vw = await page.evaluate(() => ({ w: innerWidth, h: innerHeight, sw: document.documentElement.scrollWidth }));
  const inside = async (sel) => {
    const b = await page.locator(sel).boundingBox();
    return b && b.x >= 0 && b.y >= 0 && b.x + b.width <= vw.w + 0.5 && b.y + b.height <= vw.h + 0.5 ? b : null;
  };
  const play = await inside('#play');
  check(play, `phone: the play button is on the screen (${JSON.stringify(await page.locator('#play').boundingBox())})`);
  const tl = await inside('#timeline');
  check(tl, `phone: the timeline is on the screen (${JSON.stringify(await page.locator('#timeline').boundingBox())})`);
  check(await inside('button[data-rate="8"]'), 'phone: the speed buttons are on the screen');
  check(vw.sw <= vw.w, `phone: no horizontal scrolling (scrollWidth ${vw.sw}, width ${vw.w})`);
  // a page taller than the screen (as with four cameras and the list open), scrolled to the
  // top: the controls stay at the bottom of the screen
  await page.evaluate(() => {
    document.querySelector('.toolbar').style.minHeight = '1500px';
    window.scrollTo(0, 0);
  });
  await page.waitForTimeout(300);
  const tall = await page.evaluate(() => document.documentElement.scrollHeight);
  const bottom = await page.locator('#timeline').boundingBox();
  check(tall > vw.h && await inside('#play') && await inside('#timeline') && bottom.y + bottom.height > vw.h - 40,
        `phone: on a page taller than the screen (${tall} px) they stay at its bottom (timeline at ${bottom && Math.round(bottom.y)})`);
  await page.evaluate(() => {
    document.querySelector('.toolbar').style.minHeight = '';
  });
  await shot(page, `phone-playback-${MODE}`);

  const name = page.locator('.tile[data-camera="door"] .name');
  const shown = (await name.textContent()) || '';
  const title = await name.getAttribute('title');
  const cut = shown.indexOf('\u2026');
  check(cut > 0 && cut < shown.length - 1 && LONG_NAME.startsWith(shown.slice(0, cut).trimEnd()) &&
        LONG_NAME.endsWith(shown.slice(cut + 1).trimStart()),
        `phone: the long name is cut in the middle ("${shown}")`);
  check(title === LONG_NAME, `phone: its title is the full name ("${title}")`);
  const box = await name.boundingBox();
  check(box && box.x + box.width <= vw.w, 'phone: the shortened name fits its tile');
  const chooser = page.locator('#cam-list .cam[data-camera="door"]');
  const sText = (await chooser.textContent()) || '';
  check(/^Main .+\u2026.+ lot$/.test(sText) && (await chooser.getAttribute('title')) === LONG_NAME,
        `phone: the camera list cuts it in the middle too ("${sText}")`);
  await ctx.close();
}

const browser = await launch();
try {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, timezoneId: ZONE });
  const page = await ctx.newPage();
  check(await login(page, process.env.ADMIN_USER, process.env.ADMIN_PASSWORD), 'the admin signs in');
  await formatShown(page, MODE, `server ${MODE}`);
  await shot(page, `access-${MODE}`);
  await typeTime(page, '15:05');
  if (MODE === '12h') await typeTime(page, '3:05 PM');
  else await typeTime(page, '15:05:00');

  // the header's override: this browser's choice over the server's
  const other = MODE === '12h' ? '24h' : '12h';
  await page.goto(BASE + '/index.html');
  const pick = page.locator('#time-format');
  check(await waitFor(() => pick.isVisible(), 5000), 'the header offers the time format');
  check((await pick.inputValue()) === '' && /Default \(/.test(await pick.locator('option').first().textContent()),
        `it starts at the server's default ("${await pick.locator('option').first().textContent()}")`);
  await Promise.all([page.waitForEvent('load'), pick.selectOption(other)]);
  await formatShown(page, other, `override ${other}`);
  await shot(page, `access-override-${other}`);
  await page.goto(BASE + '/index.html');
  await Promise.all([page.waitForEvent('load'), page.locator('#time-format').selectOption('')]);
  await formatShown(page, MODE, `back to the server's ${MODE}`);
  await ctx.close();

  if (MODE === '12h') await phone(browser);
} catch (e) {
  check(false, `the run threw: ${e.stack || e}`);
} finally {
  await browser.close();
}
finish(`timefmt_test (${MODE})`);
