// SPDX-License-Identifier: Apache-2.0
// grid.js - the live page: 1, 4, 9 or 16 tiles, each a camera's live
// picture (the sub stream) with its name and status; a click on a tile
// shows that camera alone (main stream) with a link to its playback.  The
// grid's tiles share one connection (live_mux.js); the single camera, and
// the grid when the mux route is missing, use one live.mp4 each (live.js).
//
// State lives in the URL (?layout=4&page=0, or ?camera=ID) so a view can be
// bookmarked and the back button works.  Camera status is polled every 5 s;
// a picture that stops moving is marked "not live" within 2 s (watch).
// Every tile has "↺ 5 min": the camera's playback from five minutes ago,
// playing (playback.html?...&play=1).

import { listCameras, header, el, fmtTime, zoneLabel, session, middleName, camLabel } from './common.js';
import { LivePlayer, mseSupported } from './live.js';
import { LiveMux } from './live_mux.js';
import { DigitalZoom } from './zoom.js';

const grid = document.getElementById('grid');
const message = document.getElementById('message');
let cameras = [];
let tiles = new Map(); // camera id -> {tile, player, status}
let mux = null; // the grid's one connection for all its tiles (live_mux.js)
let rendered = false; // the first poll draws whatever it gets

function state() {
  const q = new URLSearchParams(location.search);
  const layout = [1, 4, 9, 16].includes(+q.get('layout')) ? +q.get('layout') : 4;
  return { layout, page: Math.max(0, +q.get('page') || 0), camera: q.get('camera') };
}

function go(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) q.set(k, v);
  history.pushState(null, '', '?' + q.toString());
  render();
}

function statusText(cam) {
  return { recording: 'live', connecting: 'connecting', offline: 'offline', disabled: 'disabled' }[cam.status] || cam.status;
}

function makeTile(cam, single) {
  const video = el('video', { muted: true, autoplay: true, playsinline: true, 'data-camera': cam.id,
                              'aria-label': `${cam.name}, live` });
  video.muted = true;
  video.poster = `/api/v1/cameras/${encodeURIComponent(cam.id)}/snapshot.jpg?width=${single ? 1280 : 480}`;
  const status = el('span', { class: 'status' });
  const detail = el('span', { class: 'detail' });
  const stale = el('span', { class: 'stale', role: 'status' });
  const name = el('span', { class: 'name' });
  const tile = el(
    'div',
    { class: 'tile', 'data-camera': cam.id, tabindex: 0, title: single ? cam.name : `${cam.name}: click to enlarge` },
    video,
    el('div', { class: 'overlay' }, name, status, detail, replayLink(cam), stale),
  );
  middleName(name, camLabel(cam), tile);
  const entry = { tile, video, status, detail, stale, cam, player: null, movedAt: Date.now(), lastTime: -1 };
  const setState = (s, text) => {
    tile.dataset.state = s;
    detail.textContent = text || '';
  };
  entry.onState = setState;
  if (single) new DigitalZoom(tile, video);
  if (!single) {
    const open = () => go({ camera: cam.id });
    tile.addEventListener('click', open);
    tile.addEventListener('keydown', (e) => e.key === 'Enter' && open());
  }
  showStatus(entry, cam);
  if (!mseSupported()) setState('unsupported', 'this browser has no Media Source Extensions');
  return entry;
}

export const REPLAY_MS = 5 * 60e3;

// playback.html at five minutes ago (the moment of the click), playing.
export function replayUrl(id, now = Date.now()) {
  const t = new Date(now - REPLAY_MS).toISOString();
  return `playback.html?cameras=${encodeURIComponent(id)}&t=${t}&zoom=2&play=1`;
}

function replayLink(cam) {
  // (the accessible name starts with the visible text: WCAG 2.5.3)
  const a = el('a', { class: 'replay', href: replayUrl(cam.id), title: 'Replay the last 5 minutes' },
               el('span', { 'aria-hidden': 'true' }, '↺ '), '5 min', el('span', { class: 'sr-only' }, ` replay of ${cam.name}`));
  // the time is the click's, not the page's; the tile's own click/Enter does not fire
  a.addEventListener('click', (e) => {
    e.stopPropagation();
    a.href = replayUrl(cam.id);
  });
  a.addEventListener('keydown', (e) => e.stopPropagation());
  return a;
}

// Tiles that play live: cameras not disabled, in a browser with MSE.
const playable = (entries) => entries.filter((e) => e.cam.status !== 'disabled' && mseSupported());

// One live.mp4 per tile: the single camera (main stream), and the fallback
// when the mux route cannot be used.
function playEach(entries, stream) {
  for (const e of playable(entries)) {
    e.player = new LivePlayer(e.video, e.cam, stream, e.onState);
    e.player.start();
  }
}

// A grid plays every tile over one connection (the mux): a browser gives a
// host six connections, and each live.mp4 holds one for ever, so with one
// per tile a 9- or 16-tile grid showed six pictures.  Every grid uses it,
// whatever its size, so that one path is the grid's and the page keeps its
// other connections for the camera list and snapshots.
function playMux(entries) {
  const list = playable(entries);
  const m = (mux = new LiveMux(list, 'sub', () => {
    if (mux !== m) return;
    mux = null;
    for (const e of list) e.player = null;
    playEach(list, 'sub');
  }));
  const players = m.players();
  for (const p of players) list.find((e) => e.cam.id === p.cam.id).player = p;
  m.start();
}

function showStatus(entry, cam) {
  entry.cam = cam;
  entry.tile.dataset.status = cam.status;
  if (entry.tile.dataset.stale === '1') return; // watch() words it
  entry.status.textContent = statusText(cam);
  entry.status.className = `status st-${cam.status}`;
}

// Honest liveness: a picture that has not moved for STALE_MS is not called
// live.  The tile dims, its pill says "not live", and a line says why (in
// the server's words when it knows: the camera's status and last error) and
// since when; a picture that plays but lags says how far behind it is.
const STALE_MS = 2000;
let reachable = true; // the last poll reached the recorder

function staleReason(cam) {
  if (!reachable) return 'the recorder cannot be reached';
  if (cam.status === 'offline') return cam.last_error ? `camera offline: ${cam.last_error}` : 'camera offline';
  if (cam.status === 'connecting') return 'the camera is reconnecting';
  return 'no new picture: the connection is slow or stalled';
}

function watch() {
  const now = Date.now();
  for (const e of tiles.values()) {
    if (!e.player) continue;
    const t = e.video.currentTime;
    if (t !== e.lastTime) {
      e.lastTime = t;
      e.movedAt = now;
      e.hadPicture = e.hadPicture || t > 0;
    }
    const isStale = now - e.movedAt >= STALE_MS;
    e.tile.dataset.stale = isStale ? '1' : '';
    if (isStale) {
      e.status.textContent = 'not live';
      e.status.className = 'status st-stale';
      e.stale.textContent = e.hadPicture ? `${staleReason(e.cam)} · last picture ${fmtTime(e.movedAt)}`
                                         : staleReason(e.cam);
    } else {
      showStatus(e, e.cam);
      const b = e.video.buffered;
      const lag = b.length ? b.end(b.length - 1) - t : 0;
      e.stale.textContent = lag > 1.5 ? `${lag.toFixed(1)} s behind` : '';
    }
  }
}

function clear() {
  if (mux) mux.stop();
  mux = null;
  for (const t of tiles.values()) if (t.player) t.player.stop();
  tiles = new Map();
  grid.replaceChildren();
}

function render() {
  const s = state();
  clear();
  document.body.classList.toggle('single', !!s.camera);
  for (const b of document.querySelectorAll('button[data-layout]')) {
    const on = +b.dataset.layout === s.layout && !s.camera;
    b.classList.toggle('active', on);
    b.setAttribute('aria-pressed', on ? 'true' : 'false');
  }
  message.hidden = true;
  if (!cameras.length) {
    message.hidden = false;
    message.textContent = 'No cameras yet.';
    // an admin is offered the next step; anyone else is told who can help
    session().then((u) => {
      if (cameras.length) return;
      if (u && u.role === 'admin') {
        message.replaceChildren('No cameras yet. ', el('a', { href: 'cameras.html', id: 'add-first-camera' }, 'Add a camera'),
          ' to start recording.');
      } else {
        message.textContent = 'No cameras are shared with you yet: ask an administrator for access.';
      }
    }).catch(() => {});
    return;
  }
  let shown;
  let layout = s.layout;
  if (s.camera) {
    const cam = cameras.find((c) => c.id === s.camera);
    if (!cam) {
      message.hidden = false;
      message.textContent = `No camera "${s.camera}".`;
      return;
    }
    shown = [cam];
    layout = 1;
    document.getElementById('to-playback').href = `playback.html?cameras=${encodeURIComponent(cam.id)}`;
    document.title = `${cam.name} - live - NVR`;
  } else {
    const pages = Math.max(1, Math.ceil(cameras.length / layout));
    const page = Math.min(s.page, pages - 1);
    shown = cameras.slice(page * layout, page * layout + layout);
    document.getElementById('page-label').textContent = `${page + 1} / ${pages}`;
    document.getElementById('prev').disabled = page === 0;
    document.getElementById('next').disabled = page >= pages - 1;
    document.getElementById('pager').hidden = pages === 1;
    document.title = 'Live - NVR';
  }
  grid.dataset.layout = layout;
  const entries = [];
  for (const cam of shown) {
    const entry = makeTile(cam, !!s.camera);
    tiles.set(cam.id, entry);
    grid.append(entry.tile);
    entries.push(entry);
  }
  if (s.camera) playEach(entries, 'main');
  else playMux(entries);
  for (let i = shown.length; i < layout && layout > 1; i++) grid.append(el('div', { class: 'tile empty' }));
}

async function poll() {
  try {
    const fresh = await listCameras();
    const ids = (l) => l.map((c) => c.id).join();
    if (!rendered || ids(fresh) !== ids(cameras)) {
      rendered = true; // the first answer is drawn even when it is empty
      cameras = fresh;
      render();
    } else {
      cameras = fresh;
      for (const c of fresh) if (tiles.has(c.id)) showStatus(tiles.get(c.id), c);
    }
    reachable = true;
  } catch (e) {
    reachable = false;
    message.hidden = false;
    message.textContent = `Cannot reach the NVR: ${e.message}`;
  }
}

function tick() {
  const now = Date.now();
  document.getElementById('clock').textContent = fmtTime(now);
  document.getElementById('zone').textContent = zoneLabel(now);
}

header('live');
for (const b of document.querySelectorAll('[data-layout]')) b.addEventListener('click', () => go({ layout: b.dataset.layout }));
document.getElementById('prev').addEventListener('click', () => go({ layout: state().layout, page: state().page - 1 }));
document.getElementById('next').addEventListener('click', () => go({ layout: state().layout, page: state().page + 1 }));
document.getElementById('back').addEventListener('click', () => go({}));
window.addEventListener('popstate', render);
tick();
setInterval(tick, 1000);
setInterval(watch, 500);
poll().then(() => {
  setInterval(poll, 5000);
});
