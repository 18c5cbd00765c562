// SPDX-License-Identifier: Apache-2.0
// access.js - the admin's view of the access log (access.html): the
// disclosure record of who saw or did what (docs/design/security.md).
//
// GET /api/v1/access-log answers the newest `limit` matching entries oldest
// first; this page shows them newest first, times in the browser's zone
// (named in the column head).  The filters live in the URL (?start=&end=
// &user=&camera=&action=&limit=, times RFC 3339 UTC) so a view can be
// bookmarked, and the "Download CSV" link asks the server for the same
// entries with format=csv (what a records request is answered with).
// Every field of an entry is inserted as text.

import { getJSON, header, el, fmtDateTime, zoneLabel, parseWhen, iso, listCameras, localInput, localMidnight } from './common.js';

// The actions the server writes (nvr/core/auth.c, nvr/http/*.c,
// nvr/cli/cli_user.c), with what they mean.
const ACTIONS = [
  ['login', 'signed in'],
  ['login_failed', 'failed sign-in'],
  ['login_blocked', 'sign-in blocked (too many failures)'],
  ['logout', 'signed out'],
  ['live_view', 'live view'],
  ['playback', 'playback'],
  ['segment_download', 'recording file read'],
  ['snapshot', 'snapshot'],
  ['export_created', 'export made'],
  ['export_downloaded', 'export downloaded'],
  ['export_viewed', 'export video opened (redaction editor)'],
  ['export_redaction_requested', 'redacted copy asked for (records request)'],
  ['export_redacted', 'redacted copy made (records request)'],
  ['hold_created', 'hold placed'],
  ['hold_released', 'hold released'],
  ['bookmark_list', 'bookmarks listed or searched'],
  ['bookmark_created', 'bookmark made'],
  ['bookmark_deleted', 'bookmark deleted'],
  ['user_created', 'user added'],
  ['user_changed', 'user changed'],
  ['user_deleted', 'user deleted'],
  ['token_created', 'API token made'],
  ['token_revoked', 'API token revoked'],
  ['camera_added', 'camera added'],
  ['camera_changed', 'camera changed'],
  ['camera_removed', 'camera removed'],
  ['camera_tested', 'camera connection tested'],
  ['cameras_discovered', 'cameras searched for (WS-Discovery)'],
  ['camera_onvif_read', 'camera read over ONVIF'],
  ['access_log_read', 'access log read'],
  ['alert_ack', 'alert acknowledged'],
  ['alert_test', 'test alert sent'],
];
const ACTION_TEXT = new Map(ACTIONS);

const form = document.getElementById('filters');
const fFrom = document.getElementById('from');
const fTo = document.getElementById('to');
const fUser = document.getElementById('user-filter');
const fCamera = document.getElementById('camera-filter');
const fAction = document.getElementById('action');
const fLimit = document.getElementById('limit');
const csv = document.getElementById('csv');
const tbody = document.querySelector('#log tbody');
const message = document.getElementById('message');
const count = document.getElementById('count');


const pad = (n) => String(n).padStart(2, '0');

function fillActions(current) {
  const opts = [el('option', { value: '' }, 'any action')];
  for (const [a, text] of ACTIONS) opts.push(el('option', { value: a }, `${a} (${text})`));
  if (current && !ACTION_TEXT.has(current)) opts.push(el('option', { value: current }, current));
  fAction.replaceChildren(...opts);
  fAction.value = current || '';
}

// The query of the form's filters ("" values left out); throws on a bad time.
function query() {
  const q = new URLSearchParams();
  const from = fFrom.value ? parseWhen(fFrom.value) : NaN;
  const to = fTo.value ? parseWhen(fTo.value) : NaN;
  if (fFrom.value && Number.isNaN(from)) throw new Error('"From" is not a date and time.');
  if (fTo.value && Number.isNaN(to)) throw new Error('"To" is not a date and time.');
  if (!Number.isNaN(from) && !Number.isNaN(to) && to <= from) throw new Error('"To" must be after "From".');
  if (!Number.isNaN(from)) q.set('start', iso(from));
  if (!Number.isNaN(to)) q.set('end', iso(to));
  if (fUser.value.trim()) q.set('user', fUser.value.trim());
  if (fCamera.value.trim()) q.set('camera', fCamera.value.trim());
  if (fAction.value) q.set('action', fAction.value);
  const limit = Math.floor(Number(fLimit.value));
  if (fLimit.value && (!(limit >= 1) || limit > 100000)) throw new Error('Show between 1 and 100000 entries.');
  if (fLimit.value) q.set('limit', String(limit));
  return q;
}

// The form from the page's URL.
function fromUrl() {
  const q = new URLSearchParams(location.search);
  const t = (k) => (q.get(k) ? Date.parse(q.get(k)) : NaN);
  fFrom.value = Number.isNaN(t('start')) ? '' : localInput(t('start'));
  fTo.value = Number.isNaN(t('end')) ? '' : localInput(t('end'));
  fFrom.placeholder = fTo.placeholder = localInput(localMidnight(Date.now()) + 15.5 * 3600e3 + 5 * 60e3);
  fUser.value = q.get('user') || '';
  fCamera.value = q.get('camera') || '';
  fillActions(q.get('action') || '');
  fLimit.value = q.get('limit') || '500';
}

function setCsvLink(q) {
  const c = new URLSearchParams(q);
  c.set('format', 'csv');
  csv.href = `/api/v1/access-log?${c}`;
  const d = new Date();
  csv.setAttribute('download', `access-log-${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}.csv`);
}

function entryRow(e) {
  const ms = Date.parse(e.time);
  return el(
    'tr',
    { 'data-id': String(e.id), 'data-action': e.action, title: `entry ${e.id}, SHA-256 ${e.hash}` },
    el('td', { class: 'time', 'data-time': e.time, 'data-label': 'Time' }, fmtDateTime(ms)),
    el('td', { class: 'user', 'data-label': 'User' }, e.user),
    el('td', { class: 'address', 'data-label': 'Address' }, e.address),
    el('td', { class: 'action', 'data-label': 'Action', title: ACTION_TEXT.get(e.action) || '' }, e.action),
    el('td', { class: 'camera', 'data-label': 'Camera' }, e.camera),
    el('td', { class: 'detail', 'data-label': 'Detail' }, e.detail),
  );
}

async function show() {
  let q;
  try {
    q = query();
  } catch (e) {
    message.textContent = e.message;
    message.hidden = false;
    return;
  }
  message.hidden = true;
  history.replaceState(null, '', q.toString() ? `?${q}` : location.pathname);
  setCsvLink(q);
  let doc;
  try {
    doc = await getJSON(`/access-log?${q}`);
  } catch (e) {
    message.textContent = e.status === 403 ? 'Only admins read the access log.' : `Cannot read the access log: ${e.message}`;
    message.hidden = false;
    return;
  }
  const entries = doc.entries.slice().reverse(); // newest first
  tbody.replaceChildren(...entries.map(entryRow));
  const limit = Number(q.get('limit') || 1000);
  count.textContent =
    entries.length === 0
      ? 'No entry matches.'
      : `${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}, newest first` +
        (entries.length >= limit ? ` (only the newest ${limit}: narrow the filters or show more to see older ones)` : '') +
        '.';
  document.body.dataset.loaded = String(Date.now());
}

async function suggestions() {
  try {
    const [users, cams] = await Promise.all([getJSON('/users'), listCameras()]);
    document.getElementById('user-names').replaceChildren(...users.users.map((u) => el('option', { value: u.name })));
    document.getElementById('camera-ids').replaceChildren(...cams.map((c) => el('option', { value: c.id }, c.name || c.id)));
  } catch (e) {
    // suggestions only: the filters work without them
  }
}

header('access');
document.getElementById('time-head').textContent = `Time (${zoneLabel()})`;
fromUrl();
form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  show();
});
fAction.addEventListener('change', show);
document.getElementById('clear').addEventListener('click', () => {
  form.reset();
  fAction.value = '';
  fLimit.value = '500';
  show();
});
suggestions();
show();
