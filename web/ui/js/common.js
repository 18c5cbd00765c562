// SPDX-License-Identifier: Apache-2.0
// common.js - what every page of the UI shares: the API client, time
// formatting in the browser's local zone, and the page header.
//
// The API speaks RFC 3339 UTC (docs/ref/http-api.md); the UI keeps times as
// milliseconds since the epoch and shows them in the browser's zone, which it
// always names (zoneLabel), so a screenshot of the UI is never ambiguous.
//
// One time format everywhere: every time of day the UI shows goes through
// fmtTime (fmtHM, fmtDateTime), and every time typed goes through parseTime
// (parseWhen): "3:05 PM" with 12h, "15:05" with 24h.  The format is this
// browser's choice (the header's Time menu, localStorage TIME_FORMAT_KEY),
// else the server's ([ui] time_format, given by GET /session and remembered
// in localStorage so the next page knows it at once), else 12h.  Until the
// session has answered, getJSON holds back every other answer, so nothing
// read from the API is shown in a format about to change.

export const API = '/api/v1';
export const CSRF_KEY = 'nvr-csrf';

// Not signed in (or the session ended): to the sign-in page, then back here.
export function toLogin() {
  const next = location.pathname + location.search;
  location.replace('login.html?next=' + encodeURIComponent(next));
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// GET a JSON document; throws ApiError with the server's {"error"} message.
// The request leaves at once; its answer is handed over only once the page's
// session request (if one is on its way) has answered, so the time format is
// known before anything read here is drawn (no extra round trip).
export async function getJSON(path, options = {}) {
  const session = path === '/session' ? null : sessionPending;
  const resp = await fetch(API + path, { cache: 'no-store', ...options });
  let doc = null;
  try {
    doc = await resp.json();
  } catch (e) {
    doc = null;
  }
  if (session) await session.catch(() => {});
  if (resp.status === 401) toLogin();
  if (!resp.ok) throw new ApiError(resp.status, (doc && doc.error) || resp.statusText);
  return doc;
}

// The error of a failed streamed answer (live.mp4, playback.mp4): an
// ApiError with the server's {"error"} message, else "HTTP <status>".
export async function answerError(resp) {
  const doc = await resp.json().catch(() => null);
  return new ApiError(resp.status, (doc && doc.error) || `HTTP ${resp.status}`);
}

// The signed-in user ({name, role, cameras}) and a fresh CSRF token; the
// server's UI settings ({time_format}) are kept for the formatters.
let sessionPending = null;
let onConsole = false; // the session came from `nvr console` (the district console)
export function session() {
  const p = getJSON('/session').then((doc) => {
    sessionStorage.setItem(CSRF_KEY, doc.csrf_token);
    onConsole = doc.console === true;
    // the policy wants a second factor this account lacks: the server
    // answers 403 everywhere but enrolment, so go there
    const t = doc.totp || {};
    if (t.required && !t.enabled && !location.pathname.endsWith('/account.html')) {
      location.replace('account.html?enrol=1');
    }
    const f = doc.ui && doc.ui.time_format;
    if (TIME_FORMATS.includes(f)) {
      serverFormat = f;
      try {
        localStorage.setItem(SERVER_TIME_FORMAT_KEY, f);
      } catch (e) {
        // storage refused: this page still has it (serverFormat)
      }
    }
    return doc.user;
  });
  sessionPending = p;
  return p;
}

// The signed-in user as the page's one /session request (header()) answered
// it; asks for it only when the page has not.
export function currentUser() {
  return sessionPending || session();
}

// A state-changing request (POST/PUT/DELETE) with the session's CSRF token.
export async function send(method, path, body) {
  const headers = { 'X-CSRF-Token': sessionStorage.getItem(CSRF_KEY) || '' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const resp = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const doc = await resp.json().catch(() => null);
  if (resp.status === 401) toLogin();
  if (!resp.ok) throw new ApiError(resp.status, (doc && doc.error) || resp.statusText);
  return doc;
}

// A camera's name as shown: on the district console (whose cameras carry
// their site) with the site after it, so two sites' "Gym" differ.
export function camLabel(cam) {
  return cam.site ? `${cam.name || cam.id} · ${cam.site}` : cam.name;
}

export async function listCameras() {
  return (await getJSON('/cameras')).cameras;
}

// Coverage of one camera: [{start, end}] in ms, merged runs.
export async function coverage(camera, startMs, endMs) {
  const q = `start=${iso(startMs)}&end=${iso(endMs)}`;
  const doc = await getJSON(`/cameras/${encodeURIComponent(camera)}/recordings?${q}`);
  return doc.runs.map((r) => ({ start: Date.parse(r.start), end: Date.parse(r.end) }));
}

export function playlistUrl(camera, startMs, endMs) {
  return `${API}/cameras/${encodeURIComponent(camera)}/playback.m3u8?start=${iso(startMs)}&end=${iso(endMs)}`;
}

export function iso(ms) {
  return new Date(ms).toISOString(); // UTC, "Z"
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// ---- the time format ----

export const TIME_FORMATS = ['12h', '24h'];
export const TIME_FORMAT_KEY = 'nvr-time-format'; // this browser's choice; unset: the server's
const SERVER_TIME_FORMAT_KEY = 'nvr-time-format-server'; // [ui] time_format, as last seen
let serverFormat = null; // [ui] time_format from this page's session answer

function stored(key) {
  try {
    const v = localStorage.getItem(key);
    return TIME_FORMATS.includes(v) ? v : null;
  } catch (e) {
    return null; // storage refused (a locked-down browser): the default
  }
}

// '12h' or '24h': this browser's choice, else the server's, else 12h.
export function timeFormat() {
  return stored(TIME_FORMAT_KEY) || serverTimeFormat();
}

export function serverTimeFormat() {
  return serverFormat || stored(SERVER_TIME_FORMAT_KEY) || '12h';
}

// Sets this browser's choice ('12h', '24h', or '' for the server's).
export function setTimeFormat(f) {
  try {
    if (TIME_FORMATS.includes(f)) localStorage.setItem(TIME_FORMAT_KEY, f);
    else localStorage.removeItem(TIME_FORMAT_KEY);
  } catch (e) {
    // storage refused (a locked-down browser): the choice cannot be kept
  }
}

// h:mm[:ss[.mmm]] in the chosen format: "3:05:09 PM" (12h) or "15:05:09" (24h).
function clockText(d, seconds, withMs) {
  let s = `:${pad(d.getMinutes())}`;
  if (seconds) s += `:${pad(d.getSeconds())}`;
  if (withMs) s += `.${pad(d.getMilliseconds(), 3)}`;
  if (timeFormat() === '24h') return `${pad(d.getHours())}${s}`;
  const h = d.getHours() % 12 || 12;
  return `${h}${s} ${d.getHours() < 12 ? 'AM' : 'PM'}`;
}

// "3:05:09 PM" or "15:05:09" in the browser's zone (with ".250" when ms is asked for).
export function fmtTime(ms, withMs = false) {
  return clockText(new Date(ms), true, withMs);
}

// "3:05 PM" or "15:05": hours and minutes only (timeline ticks, ranges).
export function fmtHM(ms) {
  return clockText(new Date(ms), false, false);
}

// "2026-11-22" in the browser's zone.
export function fmtDate(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function fmtDateTime(ms, withMs = false) {
  return `${fmtDate(ms)} ${fmtTime(ms, withMs)}`;
}

// "2026-11-22 3:05 PM": a range's ends, without seconds.
export function fmtDateHM(ms) {
  return `${fmtDate(ms)} ${fmtHM(ms)}`;
}

// The text of a date-and-time field (what parseWhen reads back): fmtDateTime.
export function localInput(ms) {
  return fmtDateTime(ms);
}

// A time of day typed by a person, in either format whatever the setting:
// "15:05", "15:05:30", "3:05 PM", "3:05:30pm", "3 pm", "12:00 AM" (midnight);
// an optional fraction of a second ("15:05:30.250").  Returns {h, m, s, ms}
// or null.
export function parseTime(text) {
  const m = /^\s*(\d{1,2})(?::(\d\d)(?::(\d\d)(?:\.(\d{1,3})\d*)?)?)?\s*(?:([AaPp])\.?\s*[Mm]?\.?)?\s*$/.exec(text || '');
  if (!m || (m[2] === undefined && !m[5])) return null; // a bare "15" is no time
  let h = +m[1];
  const min = +(m[2] || 0);
  const sec = +(m[3] || 0);
  if (m[5]) {
    if (h < 1 || h > 12) return null;
    h = (h % 12) + (/[Pp]/.test(m[5]) ? 12 : 0);
  }
  if (h > 23 || min > 59 || sec > 59) return null;
  return { h, m: min, s: sec, ms: m[4] ? Math.round(Number('0.' + m[4]) * 1000) : 0 };
}

// The zone's name and its abbreviation at that instant: "Europe/Paris (CET)".
export function zoneLabel(ms = Date.now()) {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
  const part = new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' })
    .formatToParts(new Date(ms))
    .find((p) => p.type === 'timeZoneName');
  return part && part.value !== tz ? `${tz} (${part.value})` : tz;
}

// Local midnight of the day containing ms, and of "YYYY-MM-DD".
export function localMidnight(ms) {
  const d = new Date(ms);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

export function parseLocalDate(s) {
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(s || '');
  return m ? new Date(+m[1], +m[2] - 1, +m[3]).getTime() : NaN;
}

// Parses "YYYY-MM-DD TIME" (or "YYYY-MM-DDTTIME") as local time, TIME in
// either format (parseTime: "15:05:30", "3:05:30 PM"), or any RFC 3339 time.
export function parseWhen(s) {
  if (!s) return NaN;
  s = s.trim();
  if (/^\d{4}-\d\d-\d\dT.*([zZ]|[+-]\d\d:?\d\d)$/.test(s)) return Date.parse(s);
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:T|\s+)(.+)$/.exec(s);
  const t = m && parseTime(m[4]);
  if (!t) return NaN;
  return new Date(+m[1], +m[2] - 1, +m[3], t.h, t.m, t.s, t.ms).getTime();
}

// Sets a message element's text and hides it when there is none.
export function show(node, text) {
  node.textContent = text || '';
  node.hidden = !text;
}

// The page's two banners, #message (errors) and #notice (what was done):
// showing one hides the other.
export function showError(text) {
  show(document.getElementById('notice'), '');
  show(document.getElementById('message'), text);
}

export function showNotice(text) {
  show(document.getElementById('message'), '');
  show(document.getElementById('notice'), text);
}

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

// Fills the page's <header> with the navigation, the zone, the time format,
// and who is signed in (with a sign-out button).  Names are inserted as text
// only.  On a phone (app.css, <= 600 px) all but the brand fold into a menu
// behind one button: aria-expanded says whether it is open, Escape closes it
// and gives the focus back to the button.
export function header(active) {
  const h = document.querySelector('header.top');
  const link = (href, text, id) => el('a', { href, class: active === id ? 'active' : '' }, text);
  const who = el('span', { class: 'user', id: 'user' });
  const out = el('button', { type: 'button', id: 'signout', class: 'signout' }, 'Sign out');
  out.addEventListener('click', async () => {
    try {
      await send('DELETE', '/session');
    } finally {
      sessionStorage.removeItem(CSRF_KEY);
      location.replace('login.html');
    }
  });
  const nav = el('nav', { 'aria-label': 'Pages' }, link('./', 'Live', 'live'), link('playback.html', 'Playback', 'playback'));
  const menu = el('div', { class: 'menu', id: 'menu' },
    nav,
    el('span', { class: 'zone', id: 'zone', title: 'All times are in this time zone' }, zoneLabel()),
    timeFormatPicker(),
    who,
    out,
  );
  const button = el('button', { type: 'button', id: 'menu-button', class: 'menu-button', 'aria-expanded': 'false',
                                'aria-controls': 'menu' }, el('span', { 'aria-hidden': 'true' }, '\u2630 '), 'Menu');
  const setOpen = (open) => {
    h.classList.toggle('open', open);
    button.setAttribute('aria-expanded', open ? 'true' : 'false');
  };
  button.addEventListener('click', () => setOpen(!h.classList.contains('open')));
  h.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || !h.classList.contains('open')) return;
    setOpen(false);
    button.focus();
  });
  h.replaceChildren(
    el('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    el('span', { class: 'brand' }, 'NVR'),
    button,
    menu,
  );
  plainHttpWarning();
  session()
    .then((u) => {
      who.textContent = `${u.name} (${u.role})`;
      // the pages a role may use (the server checks again on every route)
      // (on the console, the recorder's holds and exports pages give way
      // to its evidence page, whose /api/v1/exports are district exports)
      for (const [href, text, id, roles] of NAV_PAGES) {
        if (onConsole && RECORDER_ONLY.includes(id)) continue;
        if (roles.includes(u.role)) nav.append(link(href, text, id));
      }
      if (onConsole) {
        nav.append(link('district.html', 'District', 'district'));
        nav.append(link('district_playback.html', 'Several sites', 'district-playback'));
        if (u.role !== 'viewer') nav.append(link('district_exports.html', 'Evidence', 'district-exports'));
      }
      // the server's default may have changed since this browser last saw it
      document.getElementById('time-format-default').textContent = `Default (${serverTimeFormat()})`;
    })
    .catch(() => {});
}

// The header's time format menu: the server's default or this browser's
// choice; a change reloads the page, so everything shown follows it (the
// playback page keeps its cameras and instant in its URL).
function timeFormatPicker() {
  const pick = el('select', { id: 'time-format', class: 'time-format' },
    el('option', { value: '', id: 'time-format-default' }, `Default (${serverTimeFormat()})`),
    el('option', { value: '12h' }, '12-hour (3:05 PM)'),
    el('option', { value: '24h' }, '24-hour (15:05)'),
  );
  pick.value = stored(TIME_FORMAT_KEY) || '';
  pick.addEventListener('change', () => {
    setTimeFormat(pick.value);
    location.reload();
  });
  return el('label', { class: 'time-format-label' }, 'Time ', pick);
}

// A name shortened in the middle to fit its element ("Main entr…ance door"):
// the start and the end of a camera name tell cameras apart better than the
// start alone.  The full name stays in the title (shown on hover; the tile's
// video names its camera in full for screen readers); refits when the width
// of box (node's container) changes.
export function middleName(node, full, box) {
  node.title = full;
  node.dataset.full = full;
  fitMiddle(node);
  // one observer per node, however often its name changes (it reads data-full)
  if (box && !fitted.has(node) && typeof ResizeObserver === 'function') {
    fitted.add(node);
    let w = -1;
    new ResizeObserver(() => {
      if (box.clientWidth === w) return; // only its width matters (no loop)
      w = box.clientWidth;
      fitMiddle(node);
    }).observe(box);
  }
  return node;
}

const fitted = new WeakSet();

function fitMiddle(node) {
  const full = node.dataset.full;
  const fits = () => node.scrollWidth <= node.clientWidth;
  node.textContent = full;
  if (fits() || full.length < 4) return;
  // binary search on how many characters to keep around the ellipsis
  let lo = 2;
  let hi = full.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    node.textContent = middleCut(full, mid);
    if (fits()) lo = mid;
    else hi = mid - 1;
  }
  node.textContent = middleCut(full, lo);
}

// full cut to keep characters around one "…".
export function middleCut(full, keep) {
  if (full.length <= keep) return full;
  const head = Math.ceil(keep / 2);
  return `${full.slice(0, head).trimEnd()}\u2026${full.slice(full.length - (keep - head)).trimStart()}`;
}

// Pages beyond live and playback, and the roles that see their link.
const NAV_PAGES = [
  ['status.html', 'Status', 'status', ['viewer', 'investigator', 'admin']],
  ['alerts.html', 'Alerts', 'alerts', ['investigator', 'admin']],
  ['holds.html', 'Holds', 'holds', ['investigator', 'admin']],
  ['exports.html', 'Exports', 'exports', ['investigator', 'admin']],
  ['redact.html', 'Redact', 'redact', ['investigator', 'admin']],
  ['cameras.html', 'Cameras', 'cameras', ['admin']],
  ['audit.html', 'Audit', 'audit', ['admin']],
  ['users.html', 'Users', 'users', ['admin']],
  ['access.html', 'Access log', 'access', ['admin']],
  ['account.html', 'Account', 'account', ['viewer', 'investigator', 'admin']],
];

// Pages of a recorder's own routes the console does not have.
const RECORDER_ONLY = ['holds', 'exports'];

// Over plain HTTP from another machine, passwords and footage cross the
// network in clear text: say so on every page (docs/design/security.md).
export function plainHttpWarning() {
  if (location.protocol !== 'http:' || isLoopback(location.hostname)) return;
  if (document.getElementById('plain-http')) return;
  const note = el('p', { class: 'warning', id: 'plain-http', role: 'alert' },
    'This connection is not encrypted (plain HTTP): passwords and video can be read on the network. ' +
    'Ask the administrator to set tls_cert and tls_key.');
  document.body.prepend(note);
}

export function isLoopback(host) {
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\./.test(host);
}
