// SPDX-License-Identifier: Apache-2.0
// exports.js - the exports page (exports.html), for investigators and
// admins: a form to request an export, the list of exports (the user's own;
// an admin's: all) newest first with status, a progress bar refreshed every
// second while any is queued or running, the cameras by name and id, a
// Download link (named as the server suggests) when done and the error when
// failed, a "Redact…" link to the redaction editor (redact.html; "Review…"
// for a redacted copy), and the server's signing key to compare fingerprints.
//
// API (docs/ref/http-api.md): POST/GET /api/v1/exports, GET
// /api/v1/exports/{id}/download, GET /api/v1/signing-key, GET
// /api/v1/cameras.  The server checks every field; its {"error"} message is
// shown as it is.  Every string from the server or the user is inserted as
// text.
//
// The form is prefilled from ?cameras=a,b&start=ISO&end=ISO (the playback
// page's "Export…" link); with &redact=1 (its "Redact…" link) the page
// follows the export it requests and opens the redaction editor on it when
// it is done.  For tests: body[data-loaded] changes after every
// load of the list; each row is tr[data-export=ID][data-status=...].

import { getJSON, send, header, el, fmtDateTime, show, showError, showNotice } from './common.js';
import { readRange, startForm } from './evidence.js';

const $ = (id) => document.getElementById(id);
const tbody = document.querySelector('#exports tbody');
const formError = $('form-error');
const POLL_MS = 1000;
let pollTimer = null;
const redactAfter = new URLSearchParams(location.search).get('redact') === '1';


const when = (t) => (t ? el('span', { title: t }, fmtDateTime(Date.parse(t))) : el('span', { class: 'muted' }, '-'));

function size(n) {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(n / 1e3))} kB`;
}

function status(x) {
  if (x.status === 'done') return el('span', { class: 'badge done' }, `done, ${size(x.size || 0)}`);
  if (x.status === 'failed') return el('span', { class: 'badge failed' }, 'failed: ', el('span', { class: 'error' }, x.error || 'unknown error'));
  const pct = Math.round((x.progress || 0) * 100);
  const bar = el('progress', { max: '100', value: String(pct), 'aria-label': 'Progress' });
  return el('span', { class: 'progress-cell' }, bar, ` ${x.status} ${pct} %`);
}

// "Main lobby (lobby), gym": the names the server lists beside the ids
// (camera_names, same order), the id alone where the name is the id.
function cameraList(x) {
  const names = x.camera_names || [];
  return (x.cameras || []).map((id, i) => (names[i] && names[i] !== id ? `${names[i]} (${id})` : id)).join(', ');
}

function row(x) {
  // the file name the server suggests: cameras' names and ids, and the start
  const link = x.status === 'done' && x.download
    ? el('a', { class: 'button download', href: x.download, download: x.download_name || `export-${x.id}.zip` }, 'Download')
    : null;
  // the redaction editor: an original to redact, a redacted copy to review
  const redact = x.status === 'done'
    ? el('a', { class: 'button redact', href: `redact.html?export=${encodeURIComponent(x.id)}` }, x.redacted_from ? 'Review\u2026' : 'Redact\u2026')
    : null;
  return el(
    'tr',
    { 'data-export': x.id, 'data-status': x.status },
    el('td', { class: 'created', 'data-label': 'Requested' }, when(x.created)),
    el('td', { class: 'time start', 'data-label': 'From' }, when(x.start)),
    el('td', { class: 'time end', 'data-label': 'To' }, when(x.end)),
    el('td', { class: 'cameras', 'data-label': 'Cameras' }, cameraList(x)),
    el('td', { class: 'case', 'data-label': 'Case / reason' }, [x.case, x.reason].filter(Boolean).join(' / ')),
    el('td', { class: 'operator', 'data-label': 'By' }, x.operator || ''),
    el('td', { class: 'status', 'data-label': 'Status' }, status(x)),
    el('td', { class: 'actions' }, el('span', { class: 'row-actions' }, link, redact)),
  );
}

async function load() {
  let doc;
  try {
    doc = await getJSON('/exports');
  } catch (e) {
    showError(e.status === 403 ? 'Only investigators and admins make exports.' : `Cannot read the exports: ${e.message}`);
    return;
  }
  const list = doc.exports; // newest first
  tbody.replaceChildren(...list.map(row));
  const n = list.length;
  $('count').textContent = n ? `${n} export${n === 1 ? '' : 's'}` : 'No exports yet.';
  document.body.dataset.loaded = String(Date.now());
  clearTimeout(pollTimer);
  if (list.some((x) => x.status === 'queued' || x.status === 'running')) pollTimer = setTimeout(load, POLL_MS);
}

// From playback's "Redact…": the editor on the export once it is done.
async function openWhenDone(id) {
  try {
    const x = await getJSON(`/exports/${encodeURIComponent(id)}`);
    if (x.status === 'done') location.assign(`redact.html?export=${encodeURIComponent(id)}`);
    else if (x.status === 'failed') showError(`The export failed: ${x.error || 'unknown error'}`);
    else setTimeout(() => openWhenDone(id), POLL_MS);
  } catch (e) {
    showError(`Cannot follow the export: ${e.message}`);
  }
}

async function loadKey() {
  try {
    const k = await getJSON('/signing-key');
    $('key-alg').textContent = k.algorithm;
    $('key-fpr').textContent = k.fingerprint;
    $('key-pem').textContent = k.public_key;
  } catch (e) {
    $('key-fpr').textContent = `unavailable: ${e.message}`;
  }
}

$('export-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const r = readRange($('f-cameras'), $('f-from'), $('f-to'));
  if (r.error) return show(formError, r.error);
  const body = { ...r.body, native: $('f-native').checked };
  if ($('f-burn').checked) body.burn_time = true;
  const reason = $('f-reason').value.trim();
  const kase = $('f-case').value.trim();
  if (reason) body.reason = reason;
  if (kase) body.case = kase;
  show(formError, '');
  $('create').disabled = true;
  try {
    const x = await send('POST', '/exports', body);
    if (redactAfter) {
      showNotice('Export requested: the redaction editor opens when it is done.');
      openWhenDone(x.id);
    } else showNotice('Export requested: it runs in the background; this list shows its progress.');
  } catch (e) {
    show(formError, `The server refused the export: ${e.message}`);
  } finally {
    $('create').disabled = false;
  }
  await load();
});

header('exports');
loadKey();
if (redactAfter) {
  $('create').textContent = 'Export, then redact';
  showNotice('To redact footage, export it first: check the range, then "Export, then redact" opens the redaction editor on the export when it is done.');
}
(async () => {
  if (await startForm(600e3)) await load();
})();
