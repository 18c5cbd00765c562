// SPDX-License-Identifier: Apache-2.0
// redact.js - the redaction editor (redact.html), for investigators and
// admins answering a records request: an existing export's video played
// from inside its zip, boxes drawn on it (blur, pixelate, solid fill;
// "everything except this box"), keyframes that make a box follow its
// subject, whole-frame blackouts, mute ranges; the REDACTIONS.json document
// saved and loaded; "Render" asks the server for the signed redacted copy
// and follows the job to its download.  Leaving the page with changes
// neither saved nor rendered asks first (beforeunload).
//
// API (docs/ref/http-api.md): GET /api/v1/exports (the picker), GET
// /api/v1/exports/{id}/videos (each MP4 with its first frame's wall-clock
// time), GET /api/v1/exports/{id}/video?camera=ID&part=N (the MP4, Range),
// POST /api/v1/exports/{id}/redact?request=&requester= (the document as the
// body), GET /api/v1/exports/{id} (the job).  Every string from the server
// or a loaded file is inserted as text.
//
// Time: a frame's wall-clock time is its video's first_frame plus its
// presentation time (the export's MP4s keep file time proportional to wall
// time, docs/design/export.md), which is how the server places the shapes;
// the page shows times as seconds into the video and the wall clock.
//
// For tests: body[data-ready] is set once a video's metadata is loaded;
// each shape is li[data-shape=ID], each mute li[data-mute=ID]; the job is
// #job[data-status].

import { getJSON, send, header, el, fmtDateTime, fmtTime, show, showError, showNotice } from './common.js';
import { MODES, newShape, newMute, boxAt, activeAt, setBoxAt, bigEnough, toDocument, fromDocument } from './redact_doc.js';

const $ = (id) => document.getElementById(id);
const video = $('video');
const overlay = $('overlay');
const track = $('track');
const scrub = $('scrub');
const FRAME = 0.04; // s: one frame at 25 fps (the step buttons; the server works per frame)
const NEW_SECONDS = 5; // a new box or range lasts this long unless changed
const POLL_MS = 1000;

let exportId = null;
let exportInfo = null; // the EXPORT
let videos = []; // [{camera, camera_name, part, name, first_frame, end, duration, url}]
let current = null; // the video shown
let firstMs = 0; // its first frame's wall-clock time
let shapes = [];
let mutes = [];
let selected = null; // the shape being edited
let drag = null; // {x0, y0, x1, y1, moved} in 0..1 while the pointer is down
let jobTimer = null;
let dirty = false; // changes neither saved as REDACTIONS.json nor rendered: leaving the page asks first

const multiCamera = () => new Set(videos.map((v) => v.camera)).size > 1;
const nowMs = () => firstMs + video.currentTime * 1000;
const secOf = (ms) => (ms - firstMs) / 1000;
const duration = () => (Number.isFinite(video.duration) ? video.duration : current ? current.duration : 0);
const fmtSec = (s) => `${s.toFixed(2)} s`;

// The shapes and mute ranges of the video shown (those for every camera too).
const mine = (x) => !x.camera || !current || x.camera === current.camera;

// ---- drawing ----

function fitCanvas(c) {
  const r = c.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(r.width * dpr));
  const h = Math.max(1, Math.round(r.height * dpr));
  if (c.width !== w || c.height !== h) {
    c.width = w;
    c.height = h;
  }
  return { w, h, dpr };
}

function drawOverlay() {
  const { w, h, dpr } = fitCanvas(overlay);
  const g = overlay.getContext('2d');
  g.clearRect(0, 0, w, h);
  const t = nowMs();
  const px = (b) => [b[0] * w, b[1] * h, (b[2] - b[0]) * w, (b[3] - b[1]) * h];
  const active = shapes.filter((s) => mine(s) && activeAt(s, t));
  // inverted shapes: everything but their boxes
  const inverted = active.filter((s) => s.invert);
  if (inverted.length) {
    g.save();
    g.fillStyle = 'rgba(0, 0, 0, 0.55)';
    g.beginPath();
    g.rect(0, 0, w, h);
    for (const s of inverted) {
      const [x, y, bw, bh] = px(boxAt(s, t));
      g.rect(x + bw, y, -bw, bh); // the other winding: a hole
    }
    g.fill('evenodd');
    g.restore();
  }
  for (const s of active) {
    const [x, y, bw, bh] = px(boxAt(s, t));
    if (!s.invert) {
      g.fillStyle = s.mode === 'fill' ? 'rgba(0, 0, 0, 0.85)' : s.mode === 'pixelate' ? 'rgba(120, 60, 200, 0.45)'
        : 'rgba(47, 129, 247, 0.4)';
      g.fillRect(x, y, bw, bh);
    }
    g.lineWidth = (s === selected ? 3 : 1.5) * dpr;
    g.strokeStyle = s === selected ? '#ffd33d' : '#ffffff';
    g.setLineDash(s.invert ? [6 * dpr, 4 * dpr] : []);
    g.strokeRect(x, y, bw, bh);
    g.setLineDash([]);
    g.fillStyle = '#fff';
    g.font = `${12 * dpr}px system-ui, sans-serif`;
    g.fillText(`#${s.id} ${s.mode}${s.invert ? ' (all but)' : ''}`, x + 3 * dpr, y + 14 * dpr);
  }
  if (selected && mine(selected) && !activeAt(selected, t)) {
    // the selected box outside its range: its outline, to place a keyframe
    const [x, y, bw, bh] = px(boxAt(selected, t));
    g.setLineDash([3 * dpr, 3 * dpr]);
    g.strokeStyle = '#ffd33d';
    g.lineWidth = 1.5 * dpr;
    g.strokeRect(x, y, bw, bh);
    g.setLineDash([]);
  }
  if (drag && drag.moved) {
    g.strokeStyle = '#ffd33d';
    g.lineWidth = 2 * dpr;
    g.strokeRect(...px([Math.min(drag.x0, drag.x1), Math.min(drag.y0, drag.y1), Math.max(drag.x0, drag.x1),
                        Math.max(drag.y0, drag.y1)]));
  }
}

// The strip under the scrubber: each box's and mute range's time, the playhead.
function drawTrack() {
  const { w, h, dpr } = fitCanvas(track);
  const g = track.getContext('2d');
  g.clearRect(0, 0, w, h);
  const d = duration();
  if (!d) return;
  const xs = (ms) => Math.max(0, Math.min(w, (secOf(ms) / d) * w));
  const list = shapes.filter(mine);
  const rows = list.length + 1;
  const rh = Math.max(3 * dpr, Math.min(8 * dpr, (h - 2) / rows));
  list.forEach((s, i) => {
    g.fillStyle = s === selected ? '#ffd33d' : s.mode === 'fill' ? '#8b949e' : '#2f81f7';
    g.fillRect(xs(s.start), i * rh + 1, Math.max(2, xs(s.end) - xs(s.start)), rh - 1);
    g.fillStyle = '#fff';
    for (const k of s.keyframes) g.fillRect(xs(k.t) - dpr, i * rh + 1, 2 * dpr, rh - 1);
  });
  g.fillStyle = '#d29922';
  for (const m of mutes.filter(mine)) g.fillRect(xs(m.start), h - rh, Math.max(2, xs(m.end) - xs(m.start)), rh);
  g.fillStyle = '#f85149';
  g.fillRect((video.currentTime / d) * w - dpr, 0, 2 * dpr, h);
}

function redraw() {
  drawOverlay();
  drawTrack();
  const t = nowMs();
  $('clock').textContent = `${fmtSec(video.currentTime)} / ${fmtSec(duration())} \u00b7 ${fmtDateTime(t, true)}`;
  if (document.activeElement !== scrub) scrub.value = String(video.currentTime);
  $('play').textContent = video.paused ? '\u25b6' : '\u23f8';
  $('play').setAttribute('aria-label', video.paused ? 'Play' : 'Pause');
  if (selected) fillBoxFields();
}

// ---- the lists ----

function shapeText(s) {
  const kind = s.mode === 'fill' && !s.invert && s.keyframes.length === 1 && s.keyframes[0].box.join() === '0,0,1,1'
    ? 'blackout' : `${s.mode}${s.invert ? ', everything except the box' : ''}`;
  const kf = s.keyframes.length > 1 ? `, ${s.keyframes.length} keyframes` : '';
  const cam = multiCamera() && s.camera ? ` (${s.camera})` : '';
  return `#${s.id} ${kind}${kf}: ${fmtSec(secOf(s.start))} \u2013 ${fmtSec(secOf(s.end))}${cam}`;
}

function renderLists() {
  $('shapes').replaceChildren(...shapes.map((s) => el('li', { 'data-shape': String(s.id), class: s === selected ? 'selected' : '' },
    el('span', { class: 'shape-text' }, shapeText(s)),
    el('button', { type: 'button', class: 'small edit', onclick: () => select(s, true) }, s === selected ? 'Editing' : 'Edit'),
    el('button', { type: 'button', class: 'small', onclick: () => seek(secOf(s.start)) }, 'Go to'),
  )));
  $('mutes').replaceChildren(...mutes.map((m) => {
    const start = el('input', { type: 'number', step: '0.04', min: '0', class: 'm-start', value: secOf(m.start).toFixed(2),
                                'aria-label': `Mute #${m.id} from (s)` });
    const end = el('input', { type: 'number', step: '0.04', min: '0', class: 'm-end', value: secOf(m.end).toFixed(2),
                              'aria-label': `Mute #${m.id} to (s)` });
    const apply = () => {
      const a = Number(start.value);
      const b = Number(end.value);
      if (!Number.isFinite(a) || !Number.isFinite(b) || b <= a) return show($('render-error'), `Mute #${m.id}: the end must be after the start.`);
      show($('render-error'), '');
      m.start = firstMs + a * 1000;
      m.end = firstMs + b * 1000;
      dirty = true;
      redraw();
    };
    start.addEventListener('change', apply);
    end.addEventListener('change', apply);
    return el('li', { 'data-mute': String(m.id) },
      el('span', {}, `Mute #${m.id}`), el('label', {}, 'from ', start), el('label', {}, 'to ', end),
      el('button', { type: 'button', class: 'small', onclick: () => {
        m.end = nowMs();
        if (m.end <= m.start) m.end = m.start + FRAME * 1000;
        dirty = true;
        renderLists();
        redraw();
      } }, 'To here'),
      el('button', { type: 'button', class: 'small danger', onclick: () => {
        mutes = mutes.filter((x) => x !== m);
        dirty = true;
        renderLists();
        redraw();
      } }, 'Delete'));
  }));
}

function select(s, focus = false) {
  selected = s;
  $('shape-edit').hidden = !s;
  if (s) {
    $('shape-title').textContent = `Box #${s.id}`;
    $('s-mode').value = s.mode;
    $('s-invert').checked = s.invert;
    $('s-start').value = secOf(s.start).toFixed(2);
    $('s-end').value = secOf(s.end).toFixed(2);
    fillBoxFields();
    renderKeyframes();
    if (focus) $('s-mode').focus();
  }
  renderLists();
  drawOverlay();
  drawTrack();
}

function fillBoxFields() {
  const b = boxAt(selected, nowMs());
  ['b-x0', 'b-y0', 'b-x1', 'b-y1'].forEach((id, i) => {
    if (document.activeElement !== $(id)) $(id).value = b[i].toFixed(3);
  });
}

function renderKeyframes() {
  const s = selected;
  $('keyframes').replaceChildren(...s.keyframes.map((k, i) => el('li', { 'data-kf': String(i) },
    el('span', {}, `${fmtSec(secOf(k.t))}: [${k.box.map((v) => v.toFixed(3)).join(', ')}]`),
    el('button', { type: 'button', class: 'small', onclick: () => seek(secOf(k.t)) }, 'Go to'),
    s.keyframes.length > 1
      ? el('button', { type: 'button', class: 'small danger', onclick: () => {
        s.keyframes.splice(i, 1);
        changed();
      } }, 'Delete')
      : null)));
}

function changed() {
  dirty = true;
  if (selected) {
    $('s-start').value = secOf(selected.start).toFixed(2);
    $('s-end').value = secOf(selected.end).toFixed(2);
    renderKeyframes();
  }
  renderLists();
  redraw();
}

// ---- editing ----

function addShape(box, mode, invert = false) {
  const t = nowMs();
  const end = Math.min(firstMs + duration() * 1000, t + NEW_SECONDS * 1000);
  const s = newShape(t, end > t ? end : t + FRAME * 1000, box, mode, invert);
  if (multiCamera()) s.camera = current.camera;
  shapes.push(s);
  dirty = true;
  select(s);
  return s;
}

function setBox(box) {
  if (!selected) return;
  setBoxAt(selected, nowMs(), box);
  changed();
}

function pointAt(ev) {
  const r = overlay.getBoundingClientRect();
  return [Math.min(1, Math.max(0, (ev.clientX - r.left) / r.width)), Math.min(1, Math.max(0, (ev.clientY - r.top) / r.height))];
}

overlay.addEventListener('pointerdown', (ev) => {
  if (!current || ev.button !== 0) return;
  const [x, y] = pointAt(ev);
  drag = { x0: x, y0: y, x1: x, y1: y, moved: false };
  overlay.setPointerCapture(ev.pointerId);
  video.pause();
  ev.preventDefault();
});

overlay.addEventListener('pointermove', (ev) => {
  if (!drag) return;
  [drag.x1, drag.y1] = pointAt(ev);
  const r = overlay.getBoundingClientRect();
  if (Math.abs(drag.x1 - drag.x0) * r.width > 4 || Math.abs(drag.y1 - drag.y0) * r.height > 4) drag.moved = true;
  drawOverlay();
});

overlay.addEventListener('pointerup', (ev) => {
  if (!drag) return;
  const d = drag;
  drag = null;
  [d.x1, d.y1] = pointAt(ev);
  const box = [d.x0, d.y0, d.x1, d.y1];
  const t = nowMs();
  if (!d.moved || !bigEnough([Math.min(d.x0, d.x1), Math.min(d.y0, d.y1), Math.max(d.x0, d.x1), Math.max(d.y0, d.y1)])) {
    // a click: select the box under it (the topmost), or none
    const hit = shapes.filter((s) => mine(s) && activeAt(s, t)).reverse().find((s) => {
      const b = boxAt(s, t);
      return d.x0 >= b[0] && d.x0 <= b[2] && d.y0 >= b[1] && d.y0 <= b[3];
    });
    select(hit || null);
    return;
  }
  if (selected) setBox(box);
  else addShape(box, $('mode').value);
});

overlay.addEventListener('pointercancel', () => {
  drag = null;
  drawOverlay();
});

// keyboard: arrows move the selected box at this moment, Shift+arrows resize it
overlay.addEventListener('keydown', (ev) => {
  const dirs = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  if (ev.key === 'Escape') {
    select(null);
    return;
  }
  if (!dirs[ev.key]) return;
  ev.preventDefault();
  if (!selected) {
    // a first box in the middle, to move from there
    addShape([0.4, 0.4, 0.6, 0.6], $('mode').value);
    return;
  }
  const step = ev.altKey ? 0.002 : 0.01;
  const [dx, dy] = dirs[ev.key].map((v) => v * step);
  const b = boxAt(selected, nowMs()).slice();
  if (ev.shiftKey) {
    b[2] = Math.max(b[0] + 0.01, b[2] + dx);
    b[3] = Math.max(b[1] + 0.01, b[3] + dy);
  } else {
    const w = b[2] - b[0];
    const h = b[3] - b[1];
    b[0] = Math.min(1 - w, Math.max(0, b[0] + dx));
    b[1] = Math.min(1 - h, Math.max(0, b[1] + dy));
    b[2] = b[0] + w;
    b[3] = b[1] + h;
  }
  setBox(b);
});

$('new-box').addEventListener('click', () => {
  select(null);
  showNotice('Drag on the video to draw the new box (or focus the video and press an arrow key).');
  overlay.focus();
});

$('blackout').addEventListener('click', () => {
  addShape([0, 0, 1, 1], 'fill');
  $('s-end').focus();
});

$('s-mode').addEventListener('change', () => {
  if (!selected) return;
  selected.mode = MODES.includes($('s-mode').value) ? $('s-mode').value : 'blur';
  changed();
});
$('s-invert').addEventListener('change', () => {
  if (!selected) return;
  selected.invert = $('s-invert').checked;
  changed();
});

function setRange(which, sec) {
  if (!selected || !Number.isFinite(sec)) return;
  const ms = firstMs + sec * 1000;
  const other = which === 'start' ? selected.end : selected.start;
  if ((which === 'start' && ms >= other) || (which === 'end' && ms <= other)) {
    show($('render-error'), `Box #${selected.id}: the end must be after the start.`);
    changed();
    return;
  }
  show($('render-error'), '');
  selected[which] = ms;
  changed();
}
$('s-start').addEventListener('change', () => setRange('start', Number($('s-start').value)));
$('s-end').addEventListener('change', () => setRange('end', Number($('s-end').value)));
$('s-start-here').addEventListener('click', () => setRange('start', video.currentTime));
$('s-end-here').addEventListener('click', () => setRange('end', video.currentTime));
$('b-set').addEventListener('click', () => {
  const b = ['b-x0', 'b-y0', 'b-x1', 'b-y1'].map((id) => Number($(id).value));
  if (b.some((v) => !Number.isFinite(v)) || b[2] <= b[0] || b[3] <= b[1]) {
    show($('render-error'), 'The box needs Left < Right and Top < Bottom, each from 0 to 1.');
    return;
  }
  show($('render-error'), '');
  setBox(b);
});
$('s-delete').addEventListener('click', () => {
  shapes = shapes.filter((s) => s !== selected);
  dirty = true;
  select(null);
  $('new-box').focus();
});
$('s-done').addEventListener('click', () => {
  select(null);
  overlay.focus();
});

$('mute-add').addEventListener('click', () => {
  const t = nowMs();
  const m = newMute(t, Math.min(firstMs + duration() * 1000, t + NEW_SECONDS * 1000));
  if (m.end <= m.start) m.end = m.start + FRAME * 1000;
  if (multiCamera()) m.camera = current.camera;
  mutes.push(m);
  dirty = true;
  renderLists();
  redraw();
  const input = document.querySelector(`li[data-mute="${m.id}"] .m-end`);
  if (input) input.focus();
});
$('mute-all').addEventListener('click', () => {
  const m = newMute(firstMs, firstMs + Math.ceil(duration() * 1000) + 1000);
  if (multiCamera()) m.camera = current.camera;
  mutes.push(m);
  dirty = true;
  renderLists();
  redraw();
});

// ---- the document ----

$('save-doc').addEventListener('click', () => {
  const text = JSON.stringify(toDocument(shapes, mutes), null, 1) + '\n';
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = el('a', { href: url, download: `redactions-${exportId}.json` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  dirty = false;
});

$('load-doc').addEventListener('change', async () => {
  const f = $('load-doc').files[0];
  if (!f) return;
  try {
    if (f.size > 4 << 20) throw new Error('larger than 4 MiB');
    const doc = fromDocument(await f.text());
    shapes = doc.shapes;
    mutes = doc.mutes;
    select(null);
    showNotice(`Loaded ${f.name}: ${shapes.length} box${shapes.length === 1 ? '' : 'es'}, ${mutes.length} mute range${mutes.length === 1 ? '' : 's'}.`);
  } catch (e) {
    showError(`Cannot load ${f.name}: ${e.message}`);
  } finally {
    $('load-doc').value = '';
  }
});

// ---- render ----

function jobView(x) {
  const box = $('job');
  box.dataset.status = x.status;
  box.dataset.export = x.id;
  if (x.status === 'done') {
    box.replaceChildren(
      el('span', { class: 'badge done' }, 'done'), ' ',
      el('a', { class: 'button download', id: 'download', href: x.download, download: x.download_name || `export-${x.id}-redacted.zip` },
        'Download the redacted copy'), ' ',
      el('a', { href: `redact.html?export=${encodeURIComponent(x.id)}` }, 'Review it'));
    return;
  }
  if (x.status === 'failed') {
    box.replaceChildren(el('span', { class: 'badge failed' }, 'failed: ', el('span', { class: 'error' }, x.error || 'unknown error')));
    return;
  }
  const pct = Math.round((x.progress || 0) * 100);
  box.replaceChildren(el('span', { class: 'progress-cell' },
    el('progress', { max: '100', value: String(pct), 'aria-label': 'Render progress' }), ` ${x.status} ${pct} %`));
}

async function follow(id) {
  clearTimeout(jobTimer);
  try {
    const x = await getJSON(`/exports/${encodeURIComponent(id)}`);
    jobView(x);
    if (x.status === 'queued' || x.status === 'running') jobTimer = setTimeout(() => follow(id), POLL_MS);
    else $('render').disabled = false;
  } catch (e) {
    show($('render-error'), `Cannot read the job: ${e.message}`);
    $('render').disabled = false;
  }
}

$('render-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (!shapes.length && !mutes.length) return show($('render-error'), 'Draw at least one box or add a mute range first.');
  const q = new URLSearchParams();
  const number = $('r-number').value.trim();
  const requester = $('r-requester').value.trim();
  if (number) q.set('request', number);
  if (requester) q.set('requester', requester);
  show($('render-error'), '');
  $('render').disabled = true;
  try {
    const x = await send('POST', `/exports/${encodeURIComponent(exportId)}/redact?${q}`, toDocument(shapes, mutes));
    dirty = false;
    showNotice('Rendering: the copy is made in the background (also listed on the Exports page).');
    jobView(x);
    follow(x.id);
  } catch (e) {
    show($('render-error'), `The server refused the redaction: ${e.message}`);
    $('render').disabled = false;
  }
});

// ---- the video ----

function seek(sec) {
  video.currentTime = Math.max(0, Math.min(duration(), sec));
  redraw();
}

$('play').addEventListener('click', () => (video.paused ? video.play().catch(() => {}) : video.pause()));
$('back-1s').addEventListener('click', () => seek(video.currentTime - 1));
$('fwd-1s').addEventListener('click', () => seek(video.currentTime + 1));
$('back-frame').addEventListener('click', () => seek(video.currentTime - FRAME));
$('fwd-frame').addEventListener('click', () => seek(video.currentTime + FRAME));
scrub.addEventListener('input', () => seek(Number(scrub.value)));

let raf = 0;
function tick() {
  redraw();
  raf = video.paused ? 0 : requestAnimationFrame(tick);
}
video.addEventListener('play', () => {
  if (!raf) raf = requestAnimationFrame(tick);
});
for (const e of ['pause', 'seeked', 'timeupdate']) video.addEventListener(e, redraw);
video.addEventListener('loadedmetadata', () => {
  scrub.max = String(duration());
  document.body.dataset.ready = String(Date.now());
  redraw();
});
video.addEventListener('error', () => showError('This browser cannot play the export\u2019s video (its codec?).'));
window.addEventListener('resize', redraw);
window.addEventListener('beforeunload', (ev) => {
  if (!dirty) return;
  ev.preventDefault();
  ev.returnValue = ''; // the browser asks whether to leave (drawn boxes not saved nor rendered)
});

function showVideo(v) {
  current = v;
  firstMs = Date.parse(v.first_frame);
  delete document.body.dataset.ready;
  video.src = v.url;
  video.load();
  $('stage').setAttribute('aria-label', `${v.camera_name || v.camera} (${v.camera})`);
  renderLists();
}

$('video-pick').addEventListener('change', () => showVideo(videos[Number($('video-pick').value)]));

async function openExport(id) {
  let doc;
  try {
    [exportInfo, doc] = await Promise.all([getJSON(`/exports/${encodeURIComponent(id)}`), getJSON(`/exports/${encodeURIComponent(id)}/videos`)]);
  } catch (e) {
    showError(e.status === 403 ? 'Only investigators and admins redact exports.'
      : e.status === 409 ? 'This export is not finished yet: open it again when the Exports page says it is done.'
        : `Cannot open the export: ${e.message}`);
    return;
  }
  exportId = id;
  videos = doc.videos;
  if (!videos.length) return showError('This export holds no video.');
  const cams = (exportInfo.camera_names || []).map((n, i) => (n && n !== exportInfo.cameras[i] ? `${n} (${exportInfo.cameras[i]})` : exportInfo.cameras[i]));
  const range = exportInfo.start ? `${fmtDateTime(Date.parse(exportInfo.start))} \u2013 ${fmtTime(Date.parse(exportInfo.end))}` : '';
  $('export-info').textContent = [cams.join(', '), range, [exportInfo.case, exportInfo.reason].filter(Boolean).join(' / ')]
    .filter(Boolean).join(' \u00b7 ');
  if (doc.redacted_from) {
    $('render-form').hidden = true;
    showNotice('This is a redacted copy: review it here (play it through every redacted range); to change it, edit the original export and render again.');
    $('export-info').append(' \u00b7 ', el('a', { href: `redact.html?export=${encodeURIComponent(doc.redacted_from)}` }, 'the original'));
  }
  $('video-pick').replaceChildren(...videos.map((v, i) => el('option', { value: String(i) },
    `${v.camera_name || v.camera} (${v.camera})${v.part > 1 ? ` part ${v.part}` : ''}`)));
  $('video-label').hidden = videos.length < 2;
  $('editor').hidden = false;
  showVideo(videos[0]);
}

async function picker() {
  let list;
  try {
    list = (await getJSON('/exports')).exports.filter((x) => x.status === 'done');
  } catch (e) {
    showError(e.status === 403 ? 'Only investigators and admins redact exports.' : `Cannot read the exports: ${e.message}`);
    return;
  }
  if (!list.length) {
    showError('No finished export yet: make one on the Exports page first.');
    return;
  }
  $('pick-export').replaceChildren(...list.map((x) => el('option', { value: x.id },
    `${x.redacted_from ? '[redacted copy] ' : ''}${x.start ? fmtDateTime(Date.parse(x.start)) : x.id} \u00b7 ${(x.cameras || []).join(', ')}${x.case ? ` \u00b7 ${x.case}` : ''}`)));
  $('pick').hidden = false;
  $('pick').addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.search = `?export=${encodeURIComponent($('pick-export').value)}`;
  });
}

header('redact');
const id = new URLSearchParams(location.search).get('export');
if (id) openExport(id);
else picker();
