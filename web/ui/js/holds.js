// SPDX-License-Identifier: Apache-2.0
// holds.js - the evidence holds page (holds.html), for investigators and
// admins: the holds they may see (active ones, or with "Show released" the
// released ones too), a form to place a hold, and Release with a
// confirmation.
//
// Everything goes through the API (docs/ref/http-api.md): GET /api/v1/holds
// [?all=true], POST /api/v1/holds, DELETE /api/v1/holds/{id}; the camera
// choices come from GET /api/v1/cameras.  The server checks every field and
// this page shows its {"error"} message as it is.  The temporary hold an
// export takes while it runs ("export": true) is marked "export in
// progress" and has no Release button (the server would answer 409).
// Every camera name, case, reason and user name is inserted as text.
//
// The form is prefilled from ?cameras=a,b&start=ISO&end=ISO (the playback
// page's "Hold…" link).  For tests: body[data-loaded] changes after every
// load of the list; each row is tr[data-hold=ID].

import { getJSON, send, header, el, fmtDateTime, show, showError, showNotice } from './common.js';
import { cameraLabel, readRange, startForm } from './evidence.js';

const $ = (id) => document.getElementById(id);
const tbody = document.querySelector('#holds tbody');
const formError = $('form-error');
const showReleased = $('show-released');
let cameras = [];


const when = (t) => (t ? el('span', { title: t }, fmtDateTime(Date.parse(t))) : el('span', { class: 'muted' }, '-'));

function row(h) {
  let state;
  let action = null;
  if (!h.active) {
    state = el('span', { class: 'muted released' }, 'released ', when(h.released), h.released_by ? ` by ${h.released_by}` : '');
  } else if (h.export) {
    state = el('span', { class: 'badge export-hold' }, 'export in progress');
  } else {
    state = el('span', { class: 'badge active-hold' }, 'active');
    action = el('button', { type: 'button', class: 'small danger release', onclick: () => release(h) }, 'Release');
  }
  return el(
    'tr',
    { 'data-hold': String(h.id), class: h.active ? 'active' : 'released' },
    el('td', { class: 'id', 'data-label': '#' }, String(h.id)),
    el('td', { class: 'cameras', 'data-label': 'Cameras' },
      el('ul', {}, ...h.cameras.map((c) => el('li', { 'data-camera': c }, cameraLabel(cameras, c))))),
    el('td', { class: 'time start', 'data-label': 'From' }, when(h.start)),
    el('td', { class: 'time end', 'data-label': 'To' }, when(h.end)),
    el('td', { class: 'case', 'data-label': 'Case' }, h.case || ''),
    el('td', { class: 'reason detail', 'data-label': 'Reason' }, h.reason || ''),
    el('td', { class: 'created', 'data-label': 'Created' }, when(h.created), ` by ${h.created_by || '?'}`),
    el('td', { class: 'state', 'data-label': 'State' }, state),
    el('td', { class: 'actions' }, action),
  );
}

async function load() {
  let doc;
  try {
    doc = await getJSON('/holds' + (showReleased.checked ? '?all=true' : ''));
  } catch (e) {
    showError(e.status === 403 ? 'Only investigators and admins see holds.' : `Cannot read the holds: ${e.message}`);
    return;
  }
  const holds = doc.holds.slice().sort((a, b) => b.id - a.id);
  tbody.replaceChildren(...holds.map(row));
  $('list-title').textContent = showReleased.checked ? 'All holds' : 'Active holds';
  const n = holds.length;
  $('count').textContent = n ? `${n} hold${n === 1 ? '' : 's'}` : showReleased.checked ? 'No holds.' : 'No active holds.';
  document.body.dataset.loaded = String(Date.now());
}

async function release(h) {
  const what = `hold #${h.id}${h.case ? ` (case ${h.case})` : ''}`;
  if (!confirm(`Release ${what}? Its footage can then be deleted by retention.`)) return;
  try {
    await send('DELETE', `/holds/${h.id}`);
    showNotice(`Released ${what}.`);
  } catch (e) {
    showError(`Cannot release ${what}: ${e.message}`);
  }
  await load();
}

$('hold-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const r = readRange($('f-cameras'), $('f-from'), $('f-to'));
  if (r.error) return show(formError, r.error);
  const reason = $('f-reason').value.trim();
  if (!reason) return show(formError, 'Give a reason.');
  const body = { ...r.body, reason };
  const kase = $('f-case').value.trim();
  if (kase) body.case = kase;
  show(formError, '');
  $('create').disabled = true;
  try {
    const h = await send('POST', '/holds', body);
    showNotice(`Hold #${h.id} placed.`);
    $('f-reason').value = '';
    $('f-case').value = '';
  } catch (e) {
    show(formError, `The server refused the hold: ${e.message}`);
  } finally {
    $('create').disabled = false;
  }
  await load();
});

showReleased.addEventListener('change', load);

header('holds');
(async () => {
  const list = await startForm(3600e3);
  if (!list) return;
  cameras = list;
  await load();
})();
