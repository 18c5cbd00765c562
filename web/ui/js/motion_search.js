// SPDX-License-Identifier: Apache-2.0
// motion_search.js - motion on the playback page (issue 14): "Search
// motion" (an area drawn on a camera's picture, a range, a list of hits
// with thumbnails; a hit plays from PREROLL_MS before it), motion density
// on the timeline lanes, and next/previous motion event (buttons, keys N
// and P).  It builds its own controls into the page and needs from the page
// only what `host` gives (see the constructor), so the page's own code stays
// as it was.
//
// The area: a drag on a picture while searching (pointer events on an
// overlay over each tile, so the drag draws instead of panning the digital
// zoom).  It is kept in 0..1 frame coordinates, measured against the
// picture as shown: the <video>'s box after the zoom's transform, less the
// letterbox of object-fit: contain, so a box drawn on a zoomed picture is
// the part of the frame under it.  It is redrawn from those coordinates, so
// it follows the zoom.  From the keyboard, on the focused overlay: an arrow
// places a box in the middle or moves it, Shift and an arrow sizes it,
// Delete removes it.  Without an area the whole picture of every camera
// shown is searched; with one, that camera alone.
//
// Density: for the visible view, per camera lane, one request per camera
// (GET .../motion/density, buckets = the canvas width, at most 2000),
// DENSITY_DELAY_MS after the view stops changing; answers are kept per
// (camera, view, buckets), the newest CACHE_MAX; a view reaching into the
// last two minutes is asked again after FRESH_MS (motion is still being
// written there).
//
// Next/previous: the first event start after the cursor (+ 1 s, so the one
// just jumped to is not found again), or the last before it (- 1 s), of the
// cameras shown, over 31 days at most (the route's limit; backwards the last
// hour is asked first, then a day, a week, 31 days); whole picture.
//
// For tests: the panel's list items carry data-start/-end/-camera; the
// status line data-state (idle, searching, done, empty, error); the
// overlay of the camera with an area data-region (x0,y0,x1,y1).

import { getJSON, el, iso, fmtDateTime } from './common.js';

const PREROLL_MS = 3000;
const DENSITY_DELAY_MS = 250;
const FRESH_MS = 10000;
const CACHE_MAX = 64;
const MAX_RANGE_MS = 31 * 86400e3;
const STEP_MS = 1000;
const PREV_WINDOWS_MS = [3600e3, 86400e3, 7 * 86400e3, MAX_RANGE_MS];
const KEY_STEP = 0.02; // the keyboard moves or sizes the area by this (frame fraction)
const MIN_BOX = 0.01; // a drag smaller than this (frame fraction) is a click: no area
const RANGES = [
  ['view', 'Visible timeline'],
  ['3600', 'Last hour'],
  ['86400', 'Last 24 hours'],
  ['604800', 'Last 7 days'],
  ['2592000', 'Last 30 days'],
];

function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

// The picture's rectangle on screen (client px) inside a <video> with
// object-fit: contain, after any CSS transform (the digital zoom).
function pictureRect(video) {
  const r = video.getBoundingClientRect();
  const vw = video.videoWidth || 16;
  const vh = video.videoHeight || 9;
  const k = Math.min(r.width / vw, r.height / vh);
  const w = vw * k;
  const h = vh * k;
  return { left: r.left + (r.width - w) / 2, top: r.top + (r.height - h) / 2, width: w, height: h };
}

export class MotionSearch {
  // host: {
  //   timeline,                     the Timeline (timeline.js)
  //   cameras(): [{id, name, tile, video}] shown, in order,
  //   cursor(): ms, the instant on screen,
  //   seek(ms), play(),             move every player / start playing,
  //   message(text),                a line for the user ('' clears it),
  //   toolbar, controls             where the buttons go (elements)
  // }
  constructor(host) {
    this.host = host;
    this.area = null; // {camera, box: [x0,y0,x1,y1]}
    this.open = false;
    this.cache = new Map(); // key -> {at, values}
    this.densityTimer = null;
    this.densityGen = 0;
    this.searchGen = 0;
    this.buildControls();
    new MutationObserver(() => this.attachOverlays()).observe(document.getElementById('players'), { childList: true });
    setInterval(() => this.open && this.drawAreas(), 250);
    document.addEventListener('keydown', (e) => this.key(e));
  }

  // ---- controls ----

  buildControls() {
    const h = this.host;
    this.toggleBtn = el('button', { type: 'button', id: 'motion-open', 'aria-expanded': 'false', 'aria-controls': 'motion-panel',
                                    title: 'Find motion: draw an area on a picture, choose a range, search' }, 'Search motion');
    this.toggleBtn.addEventListener('click', () => this.setOpen(!this.open));
    h.toolbar.append(el('div', { class: 'group' }, this.toggleBtn));
    this.prevBtn = el('button', { type: 'button', id: 'motion-prev', 'aria-label': 'Previous motion event', title: 'Previous motion event (key P)' }, '\u25c0 Motion');
    this.nextBtn = el('button', { type: 'button', id: 'motion-next', 'aria-label': 'Next motion event', title: 'Next motion event (key N)' }, 'Motion \u25b6');
    this.prevBtn.addEventListener('click', () => this.step(-1));
    this.nextBtn.addEventListener('click', () => this.step(1));
    const clock = h.controls.querySelector('.wallclock');
    h.controls.insertBefore(el('div', { class: 'group', role: 'group', 'aria-label': 'Motion events' }, this.prevBtn, this.nextBtn), clock);

    this.rangeSel = el('select', { id: 'motion-range' }, ...RANGES.map(([v, t]) => el('option', { value: v }, t)));
    this.rangeSel.value = '86400';
    this.searchBtn = el('button', { type: 'button', id: 'motion-search', class: 'primary' }, 'Search');
    this.clearBtn = el('button', { type: 'button', id: 'motion-clear-area', hidden: true }, 'Whole picture');
    this.areaNote = el('span', { class: 'hint', id: 'motion-area' });
    this.status = el('p', { class: 'motion-status', id: 'motion-status', role: 'status', 'aria-live': 'polite', 'data-state': 'idle' });
    this.list = el('ol', { class: 'motion-hits', id: 'motion-hits', 'aria-label': 'Motion found' });
    this.searchBtn.addEventListener('click', () => this.search());
    this.clearBtn.addEventListener('click', () => this.setArea(null));
    this.panel = el('section', { class: 'motion-panel', id: 'motion-panel', hidden: true, 'aria-label': 'Search motion' },
                    el('div', { class: 'motion-form' },
                       el('label', {}, 'Range ', this.rangeSel), this.searchBtn, this.clearBtn, this.areaNote),
                    this.status, this.list);
    document.getElementById('players').before(this.panel);
    this.setArea(null);
  }

  setOpen(on) {
    this.open = on;
    this.panel.hidden = !on;
    this.toggleBtn.setAttribute('aria-expanded', on ? 'true' : 'false');
    this.toggleBtn.classList.toggle('active', on);
    document.body.classList.toggle('motion-mode', on);
    this.attachOverlays();
    if (on) this.rangeSel.focus();
  }

  setArea(area) {
    this.area = area;
    this.clearBtn.hidden = !area;
    const cam = area && this.host.cameras().find((c) => c.id === area.camera);
    this.areaNote.textContent = area
      ? `Area on ${cam ? cam.name : area.camera}: only motion there (${area.box.map((v) => v.toFixed(2)).join(', ')}).`
      : 'Drag on a picture to search one area of it; without an area, all motion of the cameras shown.';
    this.drawAreas();
  }

  // ---- drawing the area ----

  attachOverlays() {
    for (const c of this.host.cameras()) {
      let ov = c.tile.querySelector('.motion-overlay');
      if (!ov) {
        ov = el('div', { class: 'motion-overlay', 'data-camera': c.id, tabindex: 0, role: 'group',
                         'aria-label': `Search area on ${c.name}: drag, or arrow keys to place a box, Shift and arrows to size it, Delete to remove it` },
                el('div', { class: 'motion-box', hidden: true }));
        this.bindOverlay(ov, c.id);
        ov.addEventListener('keydown', (e) => this.areaKey(e, c.id));
        c.tile.append(ov);
      }
      ov.hidden = !this.open;
    }
    if (this.area && !this.host.cameras().some((c) => c.id === this.area.camera)) this.setArea(null);
    this.drawAreas();
  }

  bindOverlay(ov, id) {
    let drag = null;
    const frame = (e) => {
      const cam = this.host.cameras().find((c) => c.id === id);
      const r = pictureRect(cam.video);
      return [Math.max(0, Math.min(1, (e.clientX - r.left) / r.width)), Math.max(0, Math.min(1, (e.clientY - r.top) / r.height))];
    };
    ov.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      e.stopPropagation();
      e.preventDefault();
      ov.setPointerCapture(e.pointerId);
      drag = { a: frame(e) };
    });
    ov.addEventListener('pointermove', (e) => {
      if (!drag) return;
      e.stopPropagation();
      const b = frame(e);
      this.showBox(id, [Math.min(drag.a[0], b[0]), Math.min(drag.a[1], b[1]), Math.max(drag.a[0], b[0]), Math.max(drag.a[1], b[1])]);
    });
    const end = (e) => {
      if (!drag) return;
      e.stopPropagation();
      const a = drag.a;
      const b = frame(e);
      drag = null;
      const box = [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1])];
      if (box[2] - box[0] < MIN_BOX || box[3] - box[1] < MIN_BOX) this.setArea(null);
      else this.setArea({ camera: id, box: box.map((v) => Math.round(v * 1e4) / 1e4) });
    };
    ov.addEventListener('pointerup', end);
    ov.addEventListener('pointercancel', () => {
      drag = null;
      this.drawAreas();
    });
  }

  // The keyboard: an arrow places a box in the middle (none yet) or moves it
  // KEY_STEP; with Shift it moves the lower right corner; Delete removes it.
  areaKey(e, id) {
    const d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key];
    if (e.key === 'Delete' || e.key === 'Backspace') {
      this.setArea(null);
    } else if (d) {
      const own = this.area && this.area.camera === id;
      let b = own ? [...this.area.box] : [0.4, 0.4, 0.6, 0.6];
      if (own && e.shiftKey) {
        b[2] = Math.max(b[0] + KEY_STEP, Math.min(1, b[2] + d[0] * KEY_STEP));
        b[3] = Math.max(b[1] + KEY_STEP, Math.min(1, b[3] + d[1] * KEY_STEP));
      } else if (own) {
        const dx = Math.max(-b[0], Math.min(1 - b[2], d[0] * KEY_STEP));
        const dy = Math.max(-b[1], Math.min(1 - b[3], d[1] * KEY_STEP));
        b = [b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy];
      }
      this.setArea({ camera: id, box: b.map((v) => Math.round(v * 1e4) / 1e4) });
    } else {
      return;
    }
    e.preventDefault();
    e.stopPropagation();
  }

  // The box of camera id at frame coordinates box (null hides it).
  showBox(id, box) {
    const cam = this.host.cameras().find((c) => c.id === id);
    if (!cam) return;
    const ov = cam.tile.querySelector('.motion-overlay');
    if (!ov) return;
    const el2 = ov.querySelector('.motion-box');
    if (!box) {
      el2.hidden = true;
      delete ov.dataset.region;
      return;
    }
    const r = pictureRect(cam.video);
    const o = ov.getBoundingClientRect();
    el2.hidden = false;
    el2.style.left = `${r.left - o.left + box[0] * r.width}px`;
    el2.style.top = `${r.top - o.top + box[1] * r.height}px`;
    el2.style.width = `${(box[2] - box[0]) * r.width}px`;
    el2.style.height = `${(box[3] - box[1]) * r.height}px`;
    ov.dataset.region = box.join(',');
  }

  drawAreas() {
    for (const c of this.host.cameras()) this.showBox(c.id, this.area && this.area.camera === c.id ? this.area.box : null);
  }

  // ---- search ----

  range() {
    const v = this.rangeSel.value;
    const tl = this.host.timeline;
    if (v === 'view') return [Math.round(tl.start), Math.round(Math.min(tl.end, Date.now() + 60e3))];
    const end = Date.now() + 60e3;
    return [end - +v * 1000, end];
  }

  setStatus(state, text) {
    this.status.dataset.state = state;
    this.status.textContent = text;
  }

  async search() {
    const gen = ++this.searchGen;
    const cams = this.host.cameras();
    if (!cams.length) return;
    const ids = this.area ? [this.area.camera] : cams.map((c) => c.id);
    const [s, e] = this.range();
    const q = new URLSearchParams({ cameras: ids.join(','), start: iso(s), end: iso(e), limit: '200' });
    if (this.area) q.set('region', this.area.box.join(','));
    this.setStatus('searching', 'Searching…');
    this.list.replaceChildren();
    let doc;
    try {
      doc = await getJSON(`/motion?${q}`);
    } catch (err) {
      if (gen === this.searchGen) this.setStatus('error', `The search failed: ${err.message}`);
      return;
    }
    if (gen !== this.searchGen) return;
    const where = this.area ? 'in that area' : `on ${ids.length === 1 ? 'this camera' : 'these cameras'}`;
    if (!doc.events.length) {
      this.setStatus('empty', `No motion found ${where} from ${fmtDateTime(s)} to ${fmtDateTime(e)}.`);
      return;
    }
    const n = doc.events.length;
    this.setStatus('done', `${n}${doc.truncated ? '+' : ''} motion event${n === 1 ? '' : 's'} ${where}${doc.truncated ? ' (the first ' + n + '; narrow the range for the rest)' : ''}. Choose one to play it.`);
    for (const ev of doc.events) this.list.append(this.hitItem(ev, cams));
  }

  hitItem(ev, cams) {
    const start = Date.parse(ev.start);
    const end = Date.parse(ev.end);
    const cam = cams.find((c) => c.id === ev.camera);
    const name = cam ? cam.name : ev.camera;
    // the picture 1 s in: the first keyframe with the motion (an event starts half way between two)
    const at = Math.min(start + 1000, end);
    const img = el('img', { alt: '', loading: 'lazy', width: 160, height: 90,
                            src: `/api/v1/cameras/${encodeURIComponent(ev.camera)}/snapshot.jpg?time=${iso(at)}&width=160` });
    img.addEventListener('error', () => img.classList.add('missing'));
    const btn = el('button', { type: 'button', class: 'motion-hit', 'aria-label': `${name}, ${fmtDateTime(start)}, ${duration(end - start)}: play from 3 s before` },
                   img, el('span', { class: 'when' }, fmtDateTime(start)), el('span', { class: 'dur' }, duration(end - start)),
                   el('span', { class: 'cam' }, name));
    btn.addEventListener('click', () => {
      for (const b of this.list.querySelectorAll('.motion-hit[aria-current]')) b.removeAttribute('aria-current');
      btn.setAttribute('aria-current', 'true');
      this.host.seek(start - PREROLL_MS);
      this.host.play();
    });
    return el('li', { 'data-start': ev.start, 'data-end': ev.end, 'data-camera': ev.camera }, btn);
  }

  // ---- next / previous event ----

  key(e) {
    if (['INPUT', 'SELECT', 'TEXTAREA'].includes(e.target.tagName) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'n' || e.key === 'N') this.step(1);
    else if (e.key === 'p' || e.key === 'P') this.step(-1);
  }

  async step(dir) {
    const cams = this.host.cameras();
    if (!cams.length) return;
    const ids = cams.map((c) => c.id).join(',');
    const t = this.host.cursor();
    const now = Date.now() + 60e3;
    let found = null;
    try {
      if (dir > 0) {
        const from = Math.round(t + STEP_MS);
        if (from < now) {
          const q = new URLSearchParams({ cameras: ids, start: iso(from), end: iso(Math.min(now, from + MAX_RANGE_MS)), limit: '64' });
          const doc = await getJSON(`/motion?${q}`);
          found = doc.events.map((x) => Date.parse(x.start)).find((s) => s >= from) ?? null;
        }
      } else {
        // the last start before t: in the last hour, else day, week, 31 days (the first
        // window with one), paging forward through a window while it is truncated
        const to = Math.round(t - STEP_MS);
        for (const w of PREV_WINDOWS_MS) {
          let from = to - w;
          for (let pages = 0; pages < 50; pages++) {
            const q = new URLSearchParams({ cameras: ids, start: iso(from), end: iso(to), limit: '1000' });
            const doc = await getJSON(`/motion?${q}`);
            const starts = doc.events.map((x) => Date.parse(x.start)).filter((s) => s < to);
            if (starts.length) found = Math.max(found ?? -Infinity, ...starts);
            const last = doc.events.length ? Date.parse(doc.events[doc.events.length - 1].start) : from;
            if (!doc.truncated || last <= from) break;
            from = last;
          }
          if (found !== null) break;
        }
      }
    } catch (err) {
      this.flash(`Cannot find motion: ${err.message}`);
      return;
    }
    if (found === null) {
      this.flash(dir > 0 ? 'No motion after this instant.' : 'No motion before this instant.');
      return;
    }
    this.flash('');
    this.host.seek(found);
  }

  flash(text) {
    this.host.message(text);
  }

  // ---- density ----

  // The lanes or the view changed: the density of the view, a moment later.
  refresh() {
    clearTimeout(this.densityTimer);
    this.densityTimer = setTimeout(() => this.fetchDensity(), DENSITY_DELAY_MS);
  }

  async fetchDensity() {
    const gen = ++this.densityGen;
    const tl = this.host.timeline;
    const s = Math.round(tl.start);
    const e = Math.round(tl.end);
    const buckets = Math.max(1, Math.min(2000, Math.round(tl.width()) || 500));
    const fresh = e > Date.now() - 120e3;
    const doc = {};
    await Promise.all(this.host.cameras().map(async (c) => {
      const key = `${c.id}|${s}|${e}|${buckets}`;
      const hit = this.cache.get(key);
      if (hit && (!fresh || Date.now() - hit.at < FRESH_MS)) {
        doc[c.id] = { start: s, end: e, values: hit.values };
        return;
      }
      try {
        const q = new URLSearchParams({ start: iso(s), end: iso(e), buckets: String(buckets) });
        const d = await getJSON(`/cameras/${encodeURIComponent(c.id)}/motion/density?${q}`);
        this.cache.delete(key);
        this.cache.set(key, { at: Date.now(), values: d.motion });
        while (this.cache.size > CACHE_MAX) this.cache.delete(this.cache.keys().next().value);
        doc[c.id] = { start: s, end: e, values: d.motion };
      } catch {
        // no strip for this camera: the timeline still works
      }
    }));
    if (gen === this.densityGen) tl.setDensity(doc);
  }
}
