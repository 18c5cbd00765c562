// SPDX-License-Identifier: Apache-2.0
// playback.js - the playback page: one to sixteen cameras played at the
// same wall-clock instant (a 1, 2x2, 3x3 or 4x4 grid: grid_layout.js), one
// timeline, play/pause, speed, a date picker, bookmarks (bookmarks.js).
//
// URL: playback.html?cameras=a,b&t=2026-11-22T04:00:00Z&zoom=1[&play=1]  (t
// may also be local, "2026-11-22T05:00:00"; zoom 0 = 24 h, 1 = 1 h, 2 = 5
// min; play=1 starts playing, as the live tiles' "replay" links ask).
//
// Cameras are a visible list: a click shows that camera alone, Ctrl/Shift/
// Cmd-click or a press held 500 ms adds or removes it (1..16 together).  A
// time asked for (Go, a jump, the URL) where the first camera has no footage
// says so and which recording is shown instead.  The calendar marks the days
// of the month with footage of the cameras shown.  Mark in / Mark out (keys I
// and O) choose the range Hold… and Export… take; without both marks they
// take the visible range, and the note beside them says which.  Paused, the
// frame buttons (keys , and .) step every camera one frame; each picture
// zooms on its own (zoom.js).  Motion (Search motion, the density strip on
// the timeline, next/previous event: keys N and P) is motion_search.js.
// "Bookmark" (key B) leaves a note at the instant on screen (bookmarks.js).
//
// Synchronisation: the first camera with footage at the cursor is the
// master; every 200 ms each other player's wall-clock time is compared with
// the master's: more than 0.5 s apart it seeks, 0.15..0.5 s apart it plays
// 10 % faster or slower until it has caught up.  A player with no footage at
// the master's instant pauses with "no recording" until footage resumes.
//
// For tests: #wallclock carries data-time (RFC 3339 UTC of the frame on
// screen), the timeline canvas carries its view and coverage (timeline.js).

import { listCameras, camLabel, coverage, currentUser, header, el, iso, fmtDate, fmtTime, fmtDateTime, fmtDateHM, zoneLabel, localMidnight, parseLocalDate, parseWhen, parseTime, middleName, timeFormat } from './common.js';
import { Timeline, ZOOMS } from './timeline.js';
import { RecordedPlayer, loadHls } from './player.js';
import { RenditionPlayer, needsRendition } from './rendition_player.js';
import { DigitalZoom } from './zoom.js';
import { Calendar } from './calendar.js';
import { CameraList } from './cam_list.js';
import { applyLayout, MAX_GRID } from './grid_layout.js';

// hls.js starts arriving now, beside the page's own requests (player.js)
loadHls().catch(() => {});

const MAX_CAMS = MAX_GRID;
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
  onSeek: (t, dir) => (dir < 0 ? jumpBack(t) : seek(t)),
  onView: (s, e) => viewChanged(s, e),
  thumb: (ms) => thumbUrl(ms),
});

// The timeline tooltip's picture: the first camera's keyframe at or before
// ms, where it has footage; the instant rounded to about 8 pixels of the
// view (at least 2 s) so nearby positions share one picture, which the
// browser keeps (the answer is cacheable for a day).
function thumbUrl(ms) {
  const p = players[0];
  const lane = timeline.lanes.find((l) => p && l.id === p.cam.id);
  if (!lane || !lane.runs.some((r) => r.start <= ms && ms < r.end)) return null;
  const perPx = (timeline.end - timeline.start) / Math.max(1, timeline.width());
  const step = Math.max(2000, Math.round((perPx * 8) / 1000) * 1000);
  // (not before the run: its start is in µs, the ms one under it would be outside)
  const q = Math.max(Math.floor(ms / step) * step, lane.runs.find((r) => r.start <= ms && ms < r.end).start + 1);
  return `/api/v1/cameras/${encodeURIComponent(p.cam.id)}/snapshot.jpg?time=${iso(q)}&width=160`;
}

// ---- what comes after the first picture ----

// Bookmarks (bookmarks.js) and motion search, its density strip and
// next/previous event (motion_search.js) are imported once the cameras'
// tiles are on screen, not with the page: on a slow school link the
// browser asks for at most six files at a time, each at least a round
// trip, so every module the first picture waits for costs (issue 23 item 7,
// test_browser_slow_link).  Until they come, B and the Bookmark button do
// nothing and there is no motion strip.
let bookmarks = null;
let motion = null;
let extrasAsked = false;
// (the page's own URL loses ?bookmark= once it shows its cameras: updateUrl)
const openedAt = new URLSearchParams(location.search).get('bookmark');
function loadExtras() {
  if (extrasAsked) return;
  extrasAsked = true;
  import('./bookmarks.js').then(({ Bookmarks }) => {
    bookmarks = new Bookmarks({
      timeline,
      cameras: () => players.map((p) => p.cam.id),
      cursor: () => cursor,
      seek: (t) => seek(t),
      panel: $('bookmarks'),
      dialog: $('bookmark-dialog'),
      current: openedAt,
    });
    bookmarks.refresh();
  }, () => setMessage('Bookmarks could not be loaded: reload the page.'));
  import('./motion_search.js').then(({ MotionSearch }) => {
    motion = new MotionSearch({
      timeline,
      cameras: () => players.map((p) => ({ id: p.cam.id, name: p.cam.name, tile: p.tile, video: p.player.video })),
      cursor: () => cursor,
      seek: (t) => seek(t),
      play: () => setPlaying(true),
      message: (text) => setMessage(text),
      toolbar: document.querySelector('.toolbar'),
      controls: document.querySelector('.controls'),
    });
    motion.refresh();
  }, () => setMessage('Motion search could not be loaded: reload the page.'));
}

function params() {
  const q = new URLSearchParams(location.search);
  const ids = (q.get('cameras') || q.get('camera') || '').split(',').filter(Boolean);
  return { ids, t: parseWhen(q.get('t')), zoom: [0, 1, 2].includes(+q.get('zoom')) ? +q.get('zoom') : 0, play: q.get('play') === '1' };
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
  delete message.dataset.kind;
}

// ---- cameras ----

let camList = null; // cam_list.js, once the cameras are known

// Adds or removes one camera beside the others (1..MAX_CAMS stay).
function toggleCamera(id) {
  const ids = players.map((p) => p.cam.id);
  if (ids.includes(id)) {
    if (ids.length === 1) return;
    setMessage('');
    setCameras(ids.filter((x) => x !== id));
  } else if (ids.length >= MAX_CAMS) {
    setMessage(`At most ${MAX_CAMS} cameras play together.`);
  } else {
    setMessage('');
    setCameras([...ids, id]);
  }
}

function setCameras(ids) {
  for (const p of players) p.player.destroy();
  players = [];
  const box = $('players');
  box.replaceChildren();
  applyLayout(box, ids.length);
  for (const id of ids) {
    const cam = all.find((c) => c.id === id);
    if (!cam) continue;
    const video = el('video', { muted: true, playsinline: true, 'data-camera': id, 'aria-label': `${cam.name}, recorded` });
    video.muted = true;
    const status = el('span', { class: 'detail' });
    const clock = el('span', { class: 'tile-clock' });
    const name = el('span', { class: 'name' });
    const tile = el('div', { class: 'tile', 'data-camera': id, tabindex: 0, role: 'group',
                             'aria-label': `${cam.name}: wheel, pinch or + and − to zoom, drag to move, 0 to reset` },
                    video, el('div', { class: 'overlay' }, name, clock, status));
    middleName(name, camLabel(cam), tile);
    new DigitalZoom(tile, video);
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
  if (camList) camList.mark(players.map((p) => p.cam.id));
  document.title = `${players.map((p) => p.cam.name).join(', ')} - playback - NVR`;
  refreshCoverage();
  if (bookmarks) bookmarks.refresh();
  seek(cursor, true);
  if (playing) setPlaying(true);
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
  $('view-label').textContent = `${fmtDateHM(s)} – ${fmtDateHM(e)}`;
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
      players.map(async (p) => ({ id: p.cam.id, name: camLabel(p.cam), runs: await coverage(p.cam.id, s, e) })),
    );
    if (gen === coverageGen) timeline.setLanes(lanes);
    if (gen === coverageGen && motion) motion.refresh();
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

// The instant last asked for (Go, a jump, the timeline, the URL): the first
// picture shown after it is compared with it (noticeAsked).
let asked = null;

// note: words to show once the picture is there (a jump back that landed
// before a gap, jumpBack).
function seek(t, ask = true, note = null) {
  cursor = t;
  if (ask) asked = { t, at: Date.now(), note };
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

// Once the first camera stands somewhere after a time was asked for: if it is
// not that time (no footage there: the player skipped to the next
// recording) or nothing is there at all, say so in words.
function noticeAsked(master) {
  if (!asked || !players.length) return;
  const first = players[0];
  const st = first.tile.dataset.state;
  const when = `${fmtDate(asked.t)} ${fmtTime(asked.t)}`;
  if (st === 'empty') {
    setMessage(`No recording of ${first.cam.name} at ${when} or after it.`);
    asked = null;
  } else if (master && master.p === first && st !== 'loading') {
    if (Math.abs(master.w - asked.t) > 2000) {
      setMessage(`No recording of ${first.cam.name} at ${when}: showing the next recording, from ${fmtTime(master.w)}.`);
      message.dataset.kind = 'no-footage';
    } else if (asked.note) {
      setMessage(asked.note);
      message.dataset.kind = 'no-footage';
    } else if (message.dataset.kind === 'no-footage') {
      setMessage('');
    }
    asked = null;
  } else if (Date.now() - asked.at > 15000) {
    asked = null;
  }
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
  noticeAsked(master);
  if (!master) return;
  // a play() the browser dropped (hls.js reattaching its media, a load
  // interrupting it) leaves the first player paused while the page plays
  const mv = master.p.player.video;
  if (playing && mv.paused && !mv.ended && mv.readyState >= 2) master.p.player.play();
  if (playing && master.p.player.video.ended) {
    // the end of the loaded playlist: look for what was recorded since (every 5 s at most)
    if (Date.now() - lastEndReload > 5000) {
      lastEndReload = Date.now();
      seek(master.w + 200, false);
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

// ---- frame step (paused): every camera one frame on or back ----

function frameStep(dir) {
  if (!players.length) return;
  if (playing) setPlaying(false);
  const v0 = players[0].cam.video;
  const fps = v0 && v0.fps > 1 ? v0.fps : 25;
  for (const p of players) {
    if (!p.player.loaded()) continue;
    const v = p.player.video;
    v.currentTime = Math.max(0, v.currentTime + dir / fps);
  }
}

// ---- marks: the range Hold… and Export… take ----

let markIn = null;
let markOut = null;

function setMark(which, t) {
  t = Math.round(t);
  if (which === 'in') {
    markIn = t;
    if (markOut !== null && markOut <= t) markOut = null;
  } else {
    markOut = t;
    if (markIn !== null && markIn >= t) markIn = null;
  }
  showMarks();
}

function showMarks() {
  timeline.setMarks(markIn, markOut);
  $('mark-clear').hidden = markIn === null && markOut === null;
  $('mark-in').setAttribute('aria-pressed', markIn === null ? 'false' : 'true');
  $('mark-out').setAttribute('aria-pressed', markOut === null ? 'false' : 'true');
  if (!$('evidence-links').hidden) evidenceLinks();
}

// Both marks: that range; otherwise the visible range (up to now).
function evidenceRange() {
  if (markIn !== null && markOut !== null) return { start: markIn, end: markOut, marked: true };
  return { start: Math.round(timeline.start), end: Math.round(Math.min(timeline.end, Date.now())), marked: false };
}

// ---- calendar: the days of a month with footage of the cameras shown ----

new Calendar($('calendar'), $('cal-open'), {
  at: () => cursor,
  runs: async (s, e) => (await Promise.all(players.map((p) => coverage(p.cam.id, s, e)))).flat(),
  // the day's first footage, or its start
  pick: (t, runs) => {
    setDay(t);
    const r = runs.filter((x) => x.end > t).sort((a, c) => a.start - c.start)[0];
    seek(r && r.start < t + ZOOMS[0] ? Math.max(t, r.start) : t);
  },
  onError: (m) => setMessage(m),
});

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
  b.addEventListener('click', () => jumpBack(Math.round(cursor + +b.dataset.jump * 1000)));
}

// A jump back that lands where the first camera has no footage goes to the
// end of the recording before it (the next recording would be where it came
// from, and pressing again would not move).
function jumpBack(t) {
  const lane = timeline.lanes[0];
  const runs = lane ? lane.runs : [];
  if (!runs.length || runs.some((r) => r.start <= t && t < r.end)) {
    seek(t);
    return;
  }
  const prev = runs.filter((r) => r.end <= t).sort((a, b) => b.end - a.end)[0];
  if (!prev) {
    seek(t);
    return;
  }
  const to = Math.max(prev.start, prev.end - 1000);
  const when = `${fmtDate(t)} ${fmtTime(t)}`;
  seek(to, true, `No recording of ${players[0].cam.name} at ${when}: showing the recording before it, up to ${fmtTime(prev.end)}.`);
}
$('go').addEventListener('click', () => {
  const d = parseLocalDate($('date').value);
  const tm = parseTime($('time').value);
  if (Number.isNaN(d) || !tm) {
    setMessage(`Choose a date and a time (such as ${timeFormat() === '24h' ? '15:05 or 15:05:30' : '3:05 PM or 3:05:30 PM'}).`);
    return;
  }
  setMessage('');
  const day = new Date(d);
  seek(new Date(day.getFullYear(), day.getMonth(), day.getDate(), tm.h, tm.m, tm.s).getTime());
});
document.addEventListener('keydown', (e) => {
  if (['INPUT', 'TEXTAREA'].includes(e.target.tagName) || e.target.closest('dialog') || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === ' ' && e.target.tagName !== 'BUTTON') {
    e.preventDefault();
    setPlaying(!playing);
  } else if (e.key === ',' || e.key === '.') {
    frameStep(e.key === '.' ? 1 : -1);
  } else if (e.key === 'i' || e.key === 'I') {
    setMark('in', cursor);
  } else if (e.key === 'o' || e.key === 'O') {
    setMark('out', cursor);
  } else if (e.key === 'b' || e.key === 'B') {
    e.preventDefault();
    if (bookmarks) bookmarks.open();
  }
});
$('bookmark').addEventListener('click', () => bookmarks && bookmarks.open());
$('frame-back').addEventListener('click', () => frameStep(-1));
$('frame-next').addEventListener('click', () => frameStep(1));
$('mark-in').addEventListener('click', () => setMark('in', cursor));
$('mark-out').addEventListener('click', () => setMark('out', cursor));
$('mark-clear').addEventListener('click', () => {
  markIn = markOut = null;
  showMarks();
});
setInterval(tick, 200);

// "Hold…", "Export…" and "Redact…" (investigators and admins): holds.html/
// exports.html with the cameras shown and the visible range (up to now);
// "Redact…" exports it and then opens the redaction editor on the export.
function evidenceLinks() {
  const q = new URLSearchParams();
  const r = evidenceRange();
  q.set('cameras', players.map((p) => p.cam.id).join(','));
  q.set('start', iso(r.start));
  q.set('end', iso(r.end));
  $('hold-link').href = 'holds.html?' + q.toString();
  $('export-link').href = 'exports.html?' + q.toString();
  q.set('redact', '1');
  $('redact-link').href = 'exports.html?' + q.toString();
  const span = `${fmtDateTime(r.start)} – ${fmtDateTime(r.end)}`;
  const note = r.marked ? `the marked range, ${span}` : `the visible range, ${span} (Mark in/out to choose)`;
  $('range-note').textContent = `Takes ${note}`;
  $('hold-link').title = `Hold the footage of these cameras: ${note}`;
  $('export-link').title = `Export these cameras: ${note}`;
  $('redact-link').title = `Export these cameras, then redact the export: ${note}`;
}
currentUser()
  .then((u) => {
    if (!['investigator', 'admin'].includes(u.role)) return;
    $('evidence-links').hidden = false;
    evidenceLinks();
    setInterval(evidenceLinks, 500);
    for (const a of [$('hold-link'), $('export-link'), $('redact-link')]) a.addEventListener('pointerdown', evidenceLinks);
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
  $('time').placeholder = timeFormat() === '24h' ? '15:05:30' : '3:05:30 PM';
  zoom = p.zoom;
  if (zoom === 0) timeline.setView(localMidnight(cursor), localMidnight(cursor) + ZOOMS[0], false);
  else timeline.setView(Math.round(cursor - ZOOMS[zoom] / 2), Math.round(cursor + ZOOMS[zoom] / 2), false);
  viewChanged(timeline.start, timeline.end);
  camList = new CameraList($('cam-list'), $('cam-filter'), all, {
    show: (id) => (players.length !== 1 || players[0].cam.id !== id) && setCameras([id]),
    toggle: (id) => toggleCamera(id),
  });
  if (p.play) playing = true;
  setCameras(ids);
  loadExtras();
})();
