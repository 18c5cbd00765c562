// SPDX-License-Identifier: Apache-2.0
// district_exports.js - the district console's evidence page
// (district_exports.html, served by `nvr console` only), for investigators
// and admins: a district export of cameras of any sites the person may see
// (the picker of site_picker.js, shared with district_playback.js), the
// person's district exports (an admin's: all) with their state and
// progress, refreshed every 2 s while one runs, a download link when done
// and the error when failed; and each site's evidence holds (list, place,
// release).  A viewer sees a note instead: every route here is the
// investigator's (docs/ref/http-api.md "Console").
//
// The browser talks only to the console: POST/GET /api/v1/exports[/{id}
// [/download]] (district exports) and GET/POST/DELETE
// /api/v1/sites/SITE/holds[/{id}] (forwarded to the site's recorder, with
// the site's own camera ids in bodies and answers).  The server checks
// every field and grant; its {"error"} text is shown as it is.  Every name,
// case, reason and error is inserted as text.
//
// For tests: body[data-loaded] changes after every load of a list; an
// export's row is tr[data-export=ID][data-status], its link a.download; a
// hold's row tr[data-hold=ID][data-active].

import { getJSON, send, header, currentUser, el, iso, fmtDateTime, localInput, parseWhen, show, showError, showNotice, zoneLabel }
  from './common.js';
import { renderPicker, tickedCameras } from './site_picker.js';

const $ = (id) => document.getElementById(id);
const POLL_MS = 2000;
const DEFAULT_MS = 15 * 60e3;
let cameras = [];
let pollTimer = null;

const when = (t) => (t ? el('span', { title: t }, fmtDateTime(Date.parse(t))) : el('span', { class: 'muted' }, '-'));

function loaded() {
  document.body.dataset.loaded = String(Date.now());
}

// The range of a form's two fields as RFC 3339, or {error}.
function readRange(fFrom, fTo) {
  const start = parseWhen(fFrom.value);
  const end = parseWhen(fTo.value);
  if (Number.isNaN(start) || Number.isNaN(end)) {
    return { error: `Enter the start and the end as a date and a time (such as ${localInput(Date.now() - 600e3)}).` };
  }
  if (end <= start) return { error: 'The end must be after the start.' };
  return { start: iso(start), end: iso(end) };
}

function fillRange(fFrom, fTo) {
  const now = Date.now();
  fFrom.value = localInput(now - DEFAULT_MS);
  fTo.value = localInput(now);
}

// --- district exports ---------------------------------------------------

function exportState(x) {
  if (x.status === 'done') {
    const link = el('a', { class: 'download', href: x.download, download: x.download_name }, `Download (${sizeText(x.size)})`);
    return el('span', {}, el('span', { class: 'badge' }, 'done'), ' ', link);
  }
  if (x.status === 'failed') {
    return el('span', {}, el('span', { class: 'badge failed' }, 'failed'), ' ', el('span', { class: 'export-error' }, x.error || ''));
  }
  const pct = Math.round((x.progress || 0) * 100);
  const sites = (x.sites || []).map((s) => `${s.site} ${s.status}`).join(', ');
  return el('span', { class: 'progress-cell' },
    el('progress', { max: '100', value: String(pct), 'aria-label': `Progress of the export made ${fmtDateTime(Date.parse(x.created))}` }),
    ` ${x.status} ${pct} %`, sites ? el('span', { class: 'muted' }, ` (${sites})`) : null);
}

function sizeText(n) {
  if (!n) return '0 B';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  const i = Math.min(units.length - 1, Math.floor(Math.log(n) / Math.log(1024)));
  return `${(n / 1024 ** i).toFixed(i ? 1 : 0)} ${units[i]}`;
}

function exportRow(x) {
  return el('tr', { 'data-export': x.id, 'data-status': x.status },
    el('td', {}, when(x.created)), el('td', {}, x.cameras.join(', ')), el('td', {}, when(x.start)), el('td', {}, when(x.end)),
    el('td', {}, x.case || ''), el('td', {}, x.reason || ''), el('td', {}, x.requester || ''), el('td', {}, exportState(x)));
}

async function loadExports() {
  clearTimeout(pollTimer);
  let doc;
  try {
    doc = await getJSON('/exports');
  } catch (e) {
    showError(`Cannot read the district exports: ${e.message}`);
    return;
  }
  $('exports').querySelector('tbody').replaceChildren(...doc.exports.map(exportRow));
  $('exports-count').textContent = doc.exports.length ? `${doc.exports.length} district export${doc.exports.length === 1 ? '' : 's'}` : 'No district exports yet.';
  if (doc.exports.some((x) => x.status === 'running')) pollTimer = setTimeout(loadExports, POLL_MS);
  loaded();
}

function countChanged() {
  const n = tickedCameras($('sites')).length;
  $('count').textContent = `${n} camera${n === 1 ? '' : 's'}`;
}

async function makeExport(e) {
  e.preventDefault();
  show($('form-error'), '');
  const ids = tickedCameras($('sites'));
  if (!ids.length) return show($('form-error'), 'Choose at least one camera.');
  const r = readRange($('f-from'), $('f-to'));
  if (r.error) return show($('form-error'), r.error);
  const body = { cameras: ids, start: r.start, end: r.end, reason: $('f-reason').value.trim() };
  const kase = $('f-case').value.trim();
  if (kase) body.case = kase;
  $('make-export').disabled = true;
  try {
    await send('POST', '/exports', body);
    showNotice('Export requested: each site exports its part; the list below shows the progress.');
  } catch (err) {
    show($('form-error'), err.message);
  } finally {
    $('make-export').disabled = false;
  }
  await loadExports();
}

// --- a site's holds -----------------------------------------------------

const site = () => $('h-site').value;
const sitePath = () => `/sites/${encodeURIComponent(site())}/holds`;

function holdRow(h) {
  let state;
  let action = null;
  if (!h.active) {
    state = el('span', { class: 'muted released' }, 'released ', when(h.released), h.released_by ? ` by ${h.released_by}` : '');
  } else if (h.export) {
    state = el('span', { class: 'badge export-hold' }, 'export in progress');
  } else {
    state = el('span', { class: 'badge active-hold' }, 'active');
    action = el('button', { type: 'button', class: 'small danger release', 'aria-label': `Release hold ${h.id}`,
                            onclick: () => release(h) }, 'Release');
  }
  return el('tr', { 'data-hold': String(h.id), 'data-active': String(!!h.active) },
    el('td', {}, String(h.id)), el('td', {}, h.cameras.join(', ')), el('td', {}, when(h.start)), el('td', {}, when(h.end)),
    el('td', {}, h.case || ''), el('td', {}, h.reason || ''), el('td', {}, h.created_by || ''), el('td', {}, state),
    el('td', {}, action));
}

let holdsGen = 0;
async function loadHolds() {
  const gen = ++holdsGen;
  const tbody = $('holds').querySelector('tbody');
  if (!site()) {
    tbody.replaceChildren();
    return;
  }
  let doc;
  try {
    doc = await getJSON(`${sitePath()}${$('show-released').checked ? '?all=true' : ''}`);
  } catch (e) {
    if (gen !== holdsGen) return;
    tbody.replaceChildren();
    $('holds-count').textContent = '';
    showError(`Cannot read the holds of site ${site()}: ${e.message}`);
    loaded();
    return;
  }
  if (gen !== holdsGen) return;
  tbody.replaceChildren(...doc.holds.map(holdRow));
  $('holds-count').textContent = doc.holds.length ? `${doc.holds.length} hold${doc.holds.length === 1 ? '' : 's'} at site ${site()}` : `No holds at site ${site()}.`;
  loaded();
}

// The hold form's cameras: the chosen site's, by the site's own id.
function siteCameras() {
  const s = site();
  const list = cameras.filter((c) => c.site === s);
  $('h-cameras').replaceChildren(...list.map((c) => {
    const box = el('input', { type: 'checkbox', name: 'hold-camera', value: c.camera, 'data-camera': c.id });
    return el('label', { class: 'grant' }, box, `${c.name || c.camera} (${c.camera})`);
  }));
}

async function placeHold(e) {
  e.preventDefault();
  show($('hold-error'), '');
  const ids = [...$('h-cameras').querySelectorAll('input:checked')].map((b) => b.value);
  if (!ids.length) return show($('hold-error'), 'Choose at least one camera.');
  const r = readRange($('h-from'), $('h-to'));
  if (r.error) return show($('hold-error'), r.error);
  const body = { cameras: ids, start: r.start, end: r.end, reason: $('h-reason').value.trim() };
  const kase = $('h-case').value.trim();
  if (kase) body.case = kase;
  try {
    const h = await send('POST', sitePath(), body);
    showNotice(`Hold ${h.id} placed at site ${site()}.`);
  } catch (err) {
    show($('hold-error'), err.message);
  }
  await loadHolds();
}

async function release(h) {
  if (!window.confirm(`Release hold ${h.id} at site ${site()}? Retention may then delete its footage.`)) return;
  try {
    await send('DELETE', `${sitePath()}/${encodeURIComponent(h.id)}`);
    showNotice(`Hold ${h.id} released.`);
  } catch (err) {
    showError(err.message);
  }
  await loadHolds();
}

// --- start ----------------------------------------------------------------

async function start(user) {
  if (!['investigator', 'admin'].includes(user.role)) {
    $('no-role').hidden = false;
    loaded();
    return;
  }
  $('investigator').hidden = false;
  $('zone-note').textContent = `Times are in ${zoneLabel()}.`;
  fillRange($('f-from'), $('f-to'));
  fillRange($('h-from'), $('h-to'));
  let sites;
  try {
    [cameras, sites] = await Promise.all([getJSON('/cameras').then((d) => d.cameras.filter((c) => c.site)),
                                          getJSON('/sites').then((d) => d.sites)]);
  } catch (e) {
    showError(`Cannot read the district's cameras: ${e.message}`);
    return;
  }
  renderPicker($('sites'), cameras, [], countChanged);
  if (!cameras.length) showError('No cameras are shared with you: ask a district administrator for access.');
  $('h-site').replaceChildren(...sites.map((s) => el('option', { value: s.name }, s.name)));
  siteCameras();
  await Promise.all([loadExports(), loadHolds()]);
}

$('export-form').addEventListener('submit', makeExport);
$('hold-form').addEventListener('submit', placeHold);
$('h-site').addEventListener('change', () => {
  siteCameras();
  loadHolds();
});
$('show-released').addEventListener('change', loadHolds);

header('district-exports');
currentUser().then(start).catch((e) => showError(e.message));
