// SPDX-License-Identifier: Apache-2.0
// playback.js - the playback page: one to four cameras played at the same
// wall-clock instant, one timeline, play/pause, speed, a date picker.
//
// URL: playback.html?cameras=a,b&t=2026-11-22T04:00:00Z&zoom=1  (t may also
// be local, "2026-11-22T05:00:00"; zoom 0 = 24 h, 1 = 1 h, 2 = 5 min).
//
// Synchronisation: the first camera with footage at the cursor is the
// master; every 200 ms each other player's wall-clock time is compared with
// the master's: more than 0.5 s apart it seeks, 0.15..0.5 s apart it plays
// 10 % faster or slower until it has caught up.  A player with no footage at
// the master's instant pauses with "no recording" until footage resumes.
//
// For tests: #wallclock carries data-time (RFC 3339 UTC of the frame on
// screen), the timeline canvas carries its view and coverage (timeline.js).

import { listCameras, coverage, header, el, iso, fmtDate, fmtTime, fmtDateTime, zoneLabel, localMidnight, parseLocalDate, parseWhen } from './common.js';
import { Timeline, ZOOMS } from './timeline.js';
import { RecordedPlayer, loadHls } from './player.js';
import { RenditionPlayer, needsRendition } from './rendition_player.js';

// hls.js starts arriving now, beside the page's own requests (player.js)
loadHls().catch(() => {});

const MAX_CAMS = 4;
const SYNC_SEEK_MS = 500;
const SYNC_NUDGE_MS = 150;
const MAX_PLAYLIST_MS = 24 * 3600e3;

const $ = (id) => document.getElementById(id);
const message = $('message');
let all = [];
let players = []; // [{cam, player, tile, status}]
let cursor = Date.now() - 60e3;
let playing = false;
let rate = 1;
let zoom = 0;
let lastEndReload = 0;

const timeline = new Timeline($('timeline'), {
  onSeek: (t) => seek(t),
  onView: (s, e) => viewChanged(s, e),
});

function params() {
  const q = new URLSearchParams(location.search);
  const ids = (q.get('cameras') || q.get('camera') || '').split(',').filter(Boolean);
  return { ids, t: parseWhen(q.get('t')), zoom: [0, 1, 2].includes(+q.get('zoom')) ? +q.get('zoom') : 0 };
}

function updateUrl() {
  const q = new URLSearchParams();
  q.set('cameras', players.map((p) => p.cam.id).join(','));
  q.set('t', iso(Math.round(cursor)));
  q.set('zoom', zoom);
  history.replaceState(null, '', '?' + q.toString());
}

function setMessage(text) {
  message.hidden = !text;
  message.textContent = text || '';
}

// ---- cameras ----

function buildChooser(selected) {
  const list = $('cam-list');
  list.replaceChildren();
  for (const cam of all) {
    const box = el('input', { type: 'checkbox', value: cam.id, checked: selected.includes(cam.id) });
    box.addEventListener('change', () => {
      const ids = [...list.querySelectorAll('input:checked')].map((b) => b.value);
      if (ids.length > MAX_CAMS) {
        box.checked = false;
        setMessage(`At most ${MAX_CAMS} cameras play together.`);
        return;
      }
      if (!ids.length) {
        box.checked = true;
        return;
      }
      setMessage('');
      setCameras(ids);
    });
    list.append(el('label', {}, box, ' ', cam.name));
  }
}

function setCameras(ids) {
  for (const p of players) p.player.destroy();
  players = [];
  const box = $('players');
  box.replaceChildren();
  box.dataset.count = ids.length;
  for (const id of ids) {
    const cam = all.find((c) => c.id === id);
    if (!cam) continue;
    const video = el('video', { muted: true, playsinline: true, 'data-camera': id, 'aria-label': `${cam.name}, recorded` });
    video.muted = true;
    const status = el('span', { class: 'detail' });
    const clock = el('span', { class: 'tile-clock' });
    const tile = el('div', { class: 'tile', 'data-camera': id }, video, el('div', { class: 'overlay' }, el('span', { class: 'name' }, cam.name), clock, status));
    const p = { cam, tile, status, clock, player: null };
    // a codec this browser cannot decode (H.265): the server's H.264 rendition
    const Player = needsRendition(cam) ? RenditionPlayer : RecordedPlayer;
    p.player = new Player(video, id, (state, text) => {
      tile.dataset.state = state;
      status.textContent = text;
    });
    p.player.setRate(rate);
    players.push(p);
    box.append(tile);
  }
  $('cams-summary').textContent = players.map((p) => p.cam.name).join(', ') || 'Cameras';
  document.title = `${players.map((p) => p.cam.name).join(', ')} - playback - NVR`;
  refreshCoverage();
  seek(cursor);
}

// ---- view and coverage ----

function viewChanged(s, e) {
  const w = e - s;
  zoom = ZOOMS.reduce((best, z, i) => (Math.abs(Math.log(z / w)) < Math.abs(Math.log(ZOOMS[best] / w)) ? i : best), 0);
  for (const b of document.querySelectorAll('[data-zoom]')) {
    const on = +b.dataset.zoom === zoom && Math.abs(w - ZOOMS[zoom]) < 1000;
    b.classList.toggle('active', on);
    b.setAttribute('aria-pressed', on ? 'true' : 'false');
  }
  $('view-label').textContent = `${fmtDateTime(s).slice(0, 16)} – ${fmtDateTime(e).slice(0, 16)}`;
  $('date').value = fmtDate(cursor >= s && cursor < e ? cursor : s);
  refreshCoverage();
  updateUrl();
}

let coverageGen = 0;
async function refreshCoverage() {
  const gen = ++coverageGen;
  // ask for a little more than the view so panning shows footage at once
  const pad = (timeline.end - timeline.start) / 2;
  const s = timeline.start - pad;
  const e = timeline.end + pad;
  try {
    const lanes = await Promise.all(
      players.map(async (p) => ({ id: p.cam.id, name: p.cam.name, runs: await coverage(p.cam.id, s, e) })),
    );
    if (gen === coverageGen) timeline.setLanes(lanes);
  } catch (err) {
    if (gen === coverageGen) setMessage(`Cannot read the recordings: ${err.message}`);
  }
}

function setDay(dayStart) {
  zoom = 0;
  timeline.setView(dayStart, dayStart + ZOOMS[0]);
}

function setZoom(z) {
  zoom = z;
  if (z === 0) {
    setDay(localMidnight(cursor));
  } else {
    const w = ZOOMS[z];
    const s = cursor - w / 2;
    timeline.setView(Math.round(s), Math.round(s + w));
  }
}

// ---- playing ----

// The range of playlist to load around t: the view, at most 24 h.
function playlistRange(t) {
  let s = timeline.start;
  let e = timeline.end;
  if (t < s || t >= e || e - s > MAX_PLAYLIST_MS) {
    s = t - MAX_PLAYLIST_MS / 2;
    e = t + MAX_PLAYLIST_MS / 2;
  }
  // a little room so a seek near the edge stays in this playlist
  return [Math.round(s - 60e3), Math.round(Math.min(e + 60e3, Date.now() + 60e3))];
}

function seek(t) {
  cursor = t;
  timeline.setCursor(t);
  if (t < timeline.start || t >= timeline.end) {
    const w = timeline.end - timeline.start;
    if (zoom === 0) setDay(localMidnight(t));
    else timeline.setView(Math.round(t - w / 2), Math.round(t + w / 2));
  }
  for (const p of players) seekOne(p, t);
  showClock(t);
  updateUrl();
}

function seekOne(p, t) {
  const pl = p.player;
  if (pl.covers(t) && pl.hls && pl.seekWall(t)) return; // (or pending while the playlist loads)
  // outside the loaded playlist (or footage recorded since it was loaded)
  const [s, e] = playlistRange(t);
  pl.load(s, e, t);
  if (playing) pl.play();
}

function setPlaying(on) {
  playing = on;
  $('play').innerHTML = on ? '&#10074;&#10074;' : '&#9654;';
  $('play').setAttribute('aria-label', on ? 'Pause' : 'Play');
  $('play').dataset.playing = on ? '1' : '0';
  for (const p of players) {
    if (on) p.player.play();
    else p.player.pause();
  }
}

function setRate(r) {
  rate = r;
  for (const b of document.querySelectorAll('[data-rate]')) {
    b.classList.toggle('active', +b.dataset.rate === r);
    b.setAttribute('aria-pressed', +b.dataset.rate === r ? 'true' : 'false');
  }
  for (const p of players) p.player.setRate(r);
}

function showClock(t) {
  const c = $('wallclock');
  if (t === null || t === undefined || Number.isNaN(t)) {
    c.textContent = '--';
    delete c.dataset.time;
    return;
  }
  c.textContent = fmtDateTime(t, true);
  c.dataset.time = iso(Math.round(t));
  $('wallzone').textContent = zoneLabel(t);
}

// Every 200 ms: the master's instant moves the cursor, the others follow.
function tick() {
  const live = players.filter((p) => p.player.loaded() && !['empty', 'error'].includes(p.tile.dataset.state));
  let master = null;
  for (const p of live) {
    const w = p.player.wallTime();
    if (w !== null && !p.player.video.seeking) {
      master = { p, w };
      break;
    }
  }
  if (!master) return;
  if (playing && master.p.player.video.ended) {
    // the end of the loaded playlist: look for what was recorded since (every 5 s at most)
    if (Date.now() - lastEndReload > 5000) {
      lastEndReload = Date.now();
      seek(master.w + 200);
    }
    return;
  }
  const moved = Math.abs(master.w - cursor) > 1;
  cursor = master.w;
  timeline.setCursor(cursor);
  showClock(cursor);
  for (const p of players) {
    const w = p.player.wallTime();
    p.clock.textContent = w === null ? '' : fmtTime(w);
    if (w !== null) p.tile.dataset.time = iso(Math.round(w));
    if (p === master.p || !p.player.loaded() || p.player.video.seeking) continue;
    const m = p.player.mediaTime(cursor);
    if (!m || m.inGap) {
      if (!p.player.video.paused) p.player.video.pause();
      p.tile.dataset.state = 'gap';
      p.status.textContent = 'no recording at this time';
      continue;
    }
    if (p.tile.dataset.state === 'gap') {
      p.tile.dataset.state = 'ready';
      p.status.textContent = '';
    }
    const diff = w - cursor;
    if (Math.abs(diff) > SYNC_SEEK_MS) {
      p.player.video.currentTime = m.t;
    } else if (playing) {
      p.player.video.playbackRate = Math.abs(diff) > SYNC_NUDGE_MS ? rate * (diff > 0 ? 0.9 : 1.1) : rate;
    }
    if (playing && p.player.video.paused) p.player.play();
  }
  if (playing && moved && cursor > timeline.end) {
    const w = timeline.end - timeline.start;
    timeline.setView(Math.round(cursor - w * 0.1), Math.round(cursor + w * 0.9));
  }
}

// ---- start ----

header('playback');
$('play').addEventListener('click', () => setPlaying(!playing));
for (const b of document.querySelectorAll('[data-rate]')) b.addEventListener('click', () => setRate(+b.dataset.rate));
for (const b of document.querySelectorAll('[data-zoom]')) b.addEventListener('click', () => setZoom(+b.dataset.zoom));
$('earlier').addEventListener('click', () => {
  const w = timeline.end - timeline.start;
  timeline.setView(timeline.start - w / 2, timeline.end - w / 2);
});
$('later').addEventListener('click', () => {
  const w = timeline.end - timeline.start;
  timeline.setView(timeline.start + w / 2, timeline.end + w / 2);
});
$('now').addEventListener('click', () => seek(Date.now() - 10e3));
$('date').addEventListener('change', () => {
  const d = parseLocalDate($('date').value);
  if (!Number.isNaN(d)) setDay(d);
});
// Enter in the date or time field means Go
for (const id of ['date', 'time']) {
  $(id).addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      $('go').click();
    }
  });
}
// -15/-5/-1 min: from the picture on screen (the first thing asked after an incident)
for (const b of document.querySelectorAll('[data-jump]')) {
  b.addEventListener('click', () => seek(Math.round(cursor + +b.dataset.jump * 1000)));
}
$('go').addEventListener('click', () => {
  const d = parseLocalDate($('date').value);
  const tm = /^(\d\d):(\d\d)(?::(\d\d))?$/.exec($('time').value);
  if (Number.isNaN(d) || !tm) {
    setMessage('Choose a date and a time.');
    return;
  }
  setMessage('');
  const day = new Date(d);
  seek(new Date(day.getFullYear(), day.getMonth(), day.getDate(), +tm[1], +tm[2], +(tm[3] || 0)).getTime());
});
document.addEventListener('keydown', (e) => {
  if (e.target.tagName === 'INPUT') return;
  if (e.key === ' ') {
    e.preventDefault();
    setPlaying(!playing);
  }
});
setInterval(tick, 200);

// "Hold…" and "Export…" (investigators and admins): holds.html/exports.html
// with the cameras shown and the visible range (up to now).
import { getJSON } from './common.js'; // (hoisted; kept here with its only use)
function evidenceLinks() {
  const q = new URLSearchParams();
  q.set('cameras', players.map((p) => p.cam.id).join(','));
  q.set('start', iso(Math.round(timeline.start)));
  q.set('end', iso(Math.round(Math.min(timeline.end, Date.now()))));
  $('hold-link').href = 'holds.html?' + q.toString();
  $('export-link').href = 'exports.html?' + q.toString();
}
getJSON('/session')
  .then((s) => {
    if (!['investigator', 'admin'].includes(s.user.role)) return;
    $('evidence-links').hidden = false;
    evidenceLinks();
    setInterval(evidenceLinks, 500);
    for (const a of [$('hold-link'), $('export-link')]) a.addEventListener('pointerdown', evidenceLinks);
  })
  .catch(() => {});
setInterval(() => {
  if (timeline.end > Date.now() - 120e3) refreshCoverage();
}, 10000);

(async () => {
  const p = params();
  try {
    all = await listCameras();
  } catch (e) {
    setMessage(`Cannot reach the NVR: ${e.message}`);
    return;
  }
  if (!all.length) {
    setMessage('No cameras are configured.');
    return;
  }
  let ids = p.ids.filter((id) => all.some((c) => c.id === id)).slice(0, MAX_CAMS);
  if (p.ids.length && !ids.length) setMessage(`No camera "${p.ids.join(', ')}".`);
  if (!ids.length) ids = [all[0].id];
  if (!Number.isNaN(p.t)) cursor = p.t;
  $('time').value = fmtTime(cursor);
  zoom = p.zoom;
  if (zoom === 0) timeline.setView(localMidnight(cursor), localMidnight(cursor) + ZOOMS[0], false);
  else timeline.setView(Math.round(cursor - ZOOMS[zoom] / 2), Math.round(cursor + ZOOMS[zoom] / 2), false);
  viewChanged(timeline.start, timeline.end);
  buildChooser(ids);
  setCameras(ids);
})();
