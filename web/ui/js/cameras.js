// SPDX-License-Identifier: Apache-2.0
// cameras.js - the camera management page (cameras.html), for admins: the
// cameras with their status, video and NDAA audit verdict; add, edit,
// disable/enable and remove the cameras added here; "Test connection"
// before saving; "Find cameras on the network" (WS-Discovery); "Run the
// NDAA audit".
//
// Everything goes through the API (docs/ref/http-api.md): GET/POST
// /api/v1/cameras, PUT/DELETE /api/v1/cameras/{id}, POST /api/v1/camera-test,
// POST /api/v1/discover, GET/POST /api/v1/audit.  Cameras of the config
// file ("source":"file") are read-only here: the server answers 409 to
// changes.  URLs come back with the password as "***"; an edit sends a URL
// only when it changed, and the server keeps the stored password when the
// "***" stays (same user and host).  Every camera name, URL, error and
// vendor string is inserted as text.
//
// For tests: body[data-loaded] changes after every load of the list; each
// row is tr[data-camera=ID] with data-status; the audit badge is
// .audit-badge[data-verdict]; audio that cannot be recorded (audio_status
// "unsupported: NAME") shows as .badge.audio-unsupported under the video.
// The editor's Motion part sets motion, motion_source, motion_sensitivity
// and motion_mask, the mask drawn on the camera's picture (mask_editor.js:
// its snapshot when editing, the test's picture when adding).

import { getJSON, send, header, el, show, showError, showNotice } from './common.js';
import { verdictBadge } from './verdicts.js';
import { MaskEditor } from './mask_editor.js';

const $ = (id) => document.getElementById(id);
const tbody = document.querySelector('#cameras tbody');
const editor = $('editor');
const form = $('camera-form');
let cameras = [];
let audit = new Map(); // id -> {verdict, reason, maker, label}
let editing = null; // the CAMERA being edited, null when adding
const mask = new MaskEditor($('mask-area'), $('mask-list'));

function videoText(v) {
  if (!v) return '-';
  const fps = v.fps ? ` ${Math.round(v.fps * 10) / 10} fps` : '';
  return `${v.codec} ${v.width}x${v.height}${fps}`;
}

// A warning when the camera's audio cannot be recorded, else the audio as text.
function audioNote(c) {
  const a = c.audio_status;
  if (a && a.startsWith('unsupported')) {
    return el('div', {}, el('span', {
      class: 'badge audio-unsupported',
      title: `The camera sends audio as ${a.slice(a.indexOf(':') + 1).trim()}, which cannot be recorded (AAC and G.711 can). Change the camera's audio codec to record sound.`,
    }, `audio not recorded: ${a.slice(a.indexOf(':') + 1).trim()}`));
  }
  return a && a !== 'none' && a !== 'off' ? el('div', { class: 'muted' }, `audio ${a}`) : null;
}

function row(c) {
  const actions = [];
  if (c.source === 'api') {
    actions.push(el('button', { type: 'button', class: 'small edit', onclick: () => openEditor(c) }, 'Edit'));
    actions.push(el('button', { type: 'button', class: 'small toggle', onclick: () => setEnabled(c, !c.enabled) },
      c.enabled ? 'Disable' : 'Enable'));
    actions.push(el('button', { type: 'button', class: 'small danger remove', onclick: () => remove(c) }, 'Remove'));
  }
  // a camera that streams but cannot write its recordings (disk, permissions) says so too
  const why = c.write_ok === false ? c.write_error : c.status !== 'recording' ? c.last_error : null;
  const error = why ? el('div', { class: 'muted detail' }, why) : null;
  return el(
    'tr',
    { 'data-camera': c.id, 'data-status': c.status },
    el('td', { 'data-label': 'Camera' }, el('div', {}, c.name || c.id), el('div', { class: 'muted' }, c.id)),
    el('td', { class: 'status', 'data-label': 'Status' }, el('span', { class: `badge status-${c.status}` }, c.status), error),
    el('td', { 'data-label': 'Video' }, videoText(c.video), audioNote(c)),
    el('td', { 'data-label': 'Source' },
      c.source === 'file' ? el('span', { class: 'muted' }, 'declared in the config file') : 'added here',
      c.group ? el('div', { class: 'muted' }, `group ${c.group}`) : null),
    el('td', { 'data-label': 'NDAA audit' }, verdictBadge(audit.get(c.id))),
    el('td', { class: 'actions' }, el('div', { class: 'row-actions' }, ...actions)),
  );
}

async function loadAudit() {
  try {
    const doc = await getJSON('/audit');
    audit = new Map(doc.cameras.map((a) => [a.id, a]));
    const s = doc.summary || {};
    $('audit-note').textContent = doc.running
      ? 'The NDAA audit is probing the cameras...'
      : `NDAA audit: ${s.covered || 0} covered, ${s.likely_covered_white_label || 0} likely covered (white label), ` +
        `${s.other || 0} other, ${s.unknown || 0} unknown. Hover a badge for the evidence, or see the full report on the Audit page. ${doc.notice || ''}`;
    return doc.running;
  } catch (e) {
    audit = new Map(); // 503 before the first report: no badges
    $('audit-note').textContent = '';
    return false;
  }
}

async function load() {
  try {
    cameras = (await getJSON('/cameras')).cameras;
  } catch (e) {
    showError(e.status === 403 ? 'Only admins manage cameras.' : `Cannot read the cameras: ${e.message}`);
    return;
  }
  const probing = await loadAudit();
  tbody.replaceChildren(...cameras.map(row));
  document.body.dataset.loaded = String(Date.now());
  if (probing) setTimeout(load, 2000);
}

function openEditor(c) {
  editing = c;
  $('editor-title').textContent = c ? `Edit ${c.name || c.id}` : 'Add a camera';
  $('f-id').value = c ? c.id : '';
  $('f-id').readOnly = !!c;
  $('f-name').value = c ? c.name || '' : '';
  $('f-url').value = c ? c.url || '' : '';
  $('f-sub').value = c ? c.sub_url || '' : '';
  $('f-transport').value = c ? c.transport || 'auto' : 'auto';
  $('f-segment').value = c ? String(c.segment_seconds) : '';
  $('f-retain').value = c ? String(c.retain_days) : '';
  $('f-group').value = c ? c.group || '' : '';
  $('f-audio').checked = c ? !!c.audio : false;
  $('f-motion').checked = c ? c.motion !== false : true;
  $('f-motion-source').value = c && c.motion_source ? c.motion_source : 'detect';
  $('f-sensitivity').value = c && c.motion_sensitivity ? String(c.motion_sensitivity) : '';
  mask.set(c ? c.motion_mask : '', c ? `/api/v1/cameras/${encodeURIComponent(c.id)}/snapshot.jpg` : null);
  show($('form-error'), '');
  $('test-result').hidden = true;
  $('test-result').replaceChildren();
  $('onvif-result').hidden = true;
  $('onvif-box').hidden = !!c;
  for (const id of ['o-address', 'o-user', 'o-password']) $(id).value = '';
  editor.showModal();
}

// The body for POST (everything given) or PUT (only what changed).
function formBody() {
  const text = (id) => $(id).value.trim();
  const num = (id) => (text(id) === '' ? undefined : Number(text(id)));
  const b = {
    name: text('f-name') || undefined,
    url: text('f-url'),
    sub_url: text('f-sub') || undefined,
    transport: $('f-transport').value,
    segment_seconds: num('f-segment'),
    retain_days: num('f-retain'),
    group: text('f-group') || undefined,
    audio: $('f-audio').checked,
    motion: $('f-motion').checked,
    motion_source: $('f-motion-source').value,
    motion_sensitivity: num('f-sensitivity'),
    motion_mask: mask.value() || undefined,
  };
  if (!editing) return { id: text('f-id'), ...b };
  const changed = {};
  for (const [k, v] of Object.entries(b)) {
    const was = editing[k] === null ? undefined : editing[k];
    if (v !== was && !(v === undefined && (was === '' || was === undefined))) changed[k] = v === undefined ? null : v;
  }
  return changed;
}

function testResult(doc) {
  const box = $('test-result');
  if (!doc.ok) {
    box.replaceChildren(el('p', { class: 'warning-inline', 'data-ok': 'false' },
      `Connection failed (${doc.failure}): ${doc.error}`));
  } else {
    const v = doc.video;
    const lines = [
      `${v.codec} ${v.width}x${v.height}, ${v.fps} fps, ${v.bitrate_kbps} kbit/s, ${v.keyframes} keyframes in 3 s`,
      `audio: ${doc.audio ? doc.audio.codec : 'none'}; connected over ${doc.transport} in ${doc.connect_ms} ms`,
    ];
    box.replaceChildren(
      el('p', { class: 'note', 'data-ok': 'true', 'data-codec': v.codec }, 'Connected: ', lines[0]),
      el('p', { class: 'muted' }, lines[1]),
      doc.snapshot ? el('img', { class: 'test-snapshot', src: doc.snapshot, alt: 'What the camera sees' }) : null,
    );
    if (doc.snapshot) mask.set(mask.value(), doc.snapshot); // the mask is drawn on this picture
  }
  box.hidden = false;
}

// A stream URI as the camera gave it, with the credentials put in.
function withCredentials(uri, user, password) {
  if (!uri || !user) return uri || '';
  const cred = encodeURIComponent(user) + (password ? ':' + encodeURIComponent(password) : '') + '@';
  return uri.replace(/^(rtsps?:\/\/)(?:[^@/]*@)?/, `$1${cred}`);
}

$('onvif-read').addEventListener('click', async () => {
  const box = $('onvif-result');
  const address = $('o-address').value.trim();
  const user = $('o-user').value;
  const password = $('o-password').value;
  if (!address) return show($('form-error'), 'Give the camera\'s address to read it over ONVIF.');
  show($('form-error'), '');
  $('onvif-read').disabled = true;
  box.hidden = false;
  box.replaceChildren(el('p', { class: 'muted' }, 'Asking the camera...'));
  try {
    const d = await send('POST', '/onvif', { address, user, password });
    if (!d.ok) {
      box.replaceChildren(el('p', { class: 'warning-inline', 'data-ok': 'false' }, `The camera did not answer over ONVIF (${d.failure}): ${d.error}`));
      return;
    }
    const facts = [d.manufacturer, d.model, d.firmware && `firmware ${d.firmware}`, d.mac && `MAC ${d.mac}`,
      d.clock_offset_ms !== null && `clock ${d.clock_offset_ms >= 0 ? '+' : ''}${(d.clock_offset_ms / 1000).toFixed(1)} s`]
      .filter(Boolean).join(', ');
    box.replaceChildren(el('p', { class: 'note', 'data-ok': 'true' }, facts || 'The camera answered.'));
    if (!$('f-name').value && (d.manufacturer || d.model)) $('f-name').value = [d.manufacturer, d.model].filter(Boolean).join(' ');
    if (d.main_uri) $('f-url').value = withCredentials(d.main_uri, user, password);
    if (d.sub_uri) $('f-sub').value = withCredentials(d.sub_uri, user, password);
  } catch (e) {
    box.hidden = true;
    show($('form-error'), `The server refused the request: ${e.message}`);
  } finally {
    $('onvif-read').disabled = false;
  }
});

$('test').addEventListener('click', async () => {
  const url = $('f-url').value.trim();
  if (!url) return show($('form-error'), 'Give the main stream URL first.');
  if (/:\*\*\*@/.test(url)) {
    return show($('form-error'), 'The stored password is not shown: type it into the URL to test the connection.');
  }
  show($('form-error'), '');
  $('test').disabled = true;
  $('test-result').hidden = false;
  $('test-result').replaceChildren(el('p', { class: 'muted' }, 'Connecting (up to 8 s)...'));
  try {
    testResult(await send('POST', '/camera-test', { url, transport: $('f-transport').value }));
  } catch (e) {
    $('test-result').hidden = true;
    show($('form-error'), `The server refused the test: ${e.message}`);
  } finally {
    $('test').disabled = false;
  }
});

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const body = formBody();
  $('save').disabled = true;
  try {
    if (editing) {
      await send('PUT', `/cameras/${encodeURIComponent(editing.id)}`, body);
      showNotice(`Camera ${editing.id} changed.`);
    } else {
      const c = await send('POST', '/cameras', body);
      showNotice(`Camera ${c.id} added: it starts recording now.`);
    }
    editor.close();
  } catch (e) {
    show($('form-error'), `The server refused it: ${e.message}`);
  } finally {
    $('save').disabled = false;
  }
  await load();
});
$('cancel').addEventListener('click', () => editor.close());
$('add').addEventListener('click', () => openEditor(null));

async function setEnabled(c, enabled) {
  try {
    await send('PUT', `/cameras/${encodeURIComponent(c.id)}`, { enabled });
    showNotice(`Camera ${c.id} ${enabled ? 'enabled' : 'disabled'}.`);
  } catch (e) {
    showError(`Cannot change ${c.id}: ${e.message}`);
  }
  await load();
}

async function remove(c) {
  if (!confirm(`Remove camera ${c.name || c.id}? It stops recording; its footage stays until retention deletes it.`)) return;
  try {
    await send('DELETE', `/cameras/${encodeURIComponent(c.id)}`);
    showNotice(`Camera ${c.id} removed.`);
  } catch (e) {
    showError(`Cannot remove ${c.id}: ${e.message}`);
  }
  await load();
}

// WS-Discovery: the cameras that answer on the local network; "Use" opens
// the form with the name and an RTSP URL on that host to complete.
$('find').addEventListener('click', async () => {
  $('find').disabled = true;
  $('found').hidden = false;
  $('found-count').textContent = 'Asking the local network (3 s)...';
  try {
    const doc = await send('POST', '/discover');
    const devs = doc.devices || [];
    $('found-count').textContent = devs.length ? `${devs.length} answered.` : 'No camera answered.';
    document.querySelector('#found-list tbody').replaceChildren(...devs.map((d) => {
      let host = '';
      try {
        host = new URL(d.xaddrs[0]).hostname;
      } catch (e) {
        host = (d.from || '').split(':')[0];
      }
      const use = el('button', { type: 'button', class: 'small', onclick: () => {
        openEditor(null);
        $('f-name').value = d.name || '';
        $('f-url').value = `rtsp://${host}:554/`;
        try {
          $('o-address').value = new URL(d.xaddrs[0]).host; // then "Read from camera" fills the stream URLs
        } catch (e) {
          $('o-address').value = host;
        }
      } }, 'Use');
      return el('tr', { 'data-host': host },
        el('td', { 'data-label': 'Name' }, d.name || '-'),
        el('td', { 'data-label': 'Model' }, d.hardware || '-'),
        el('td', { 'data-label': 'Address' }, (d.xaddrs || []).join(' ') || d.from || ''),
        el('td', { class: 'actions' }, use));
    }));
  } catch (e) {
    $('found-count').textContent = `Cannot search: ${e.message}`;
  } finally {
    $('find').disabled = false;
  }
});

$('probe').addEventListener('click', async () => {
  try {
    await send('POST', '/audit');
    showNotice('The NDAA audit is probing every camera (read-only, each camera\'s own address).');
  } catch (e) {
    showError(e.status === 409 ? 'An audit is already running.' : `Cannot start the audit: ${e.message}`);
  }
  await load();
});

header('cameras');
load();
setInterval(() => {
  if (!editor.open) load();
}, 5000);
