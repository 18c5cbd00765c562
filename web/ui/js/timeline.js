// SPDX-License-Identifier: Apache-2.0
// timeline.js - the playback timeline: a canvas with one lane per camera
// showing recorded coverage (green, never narrower than MIN_RUN_PX so a short
// run stays visible at 24 h), gaps (dark), the future (hatched: not a gap, it
// has not happened yet), hour/minute ticks in local time, the marked range
// (mark in/out, a blue band) and a cursor at the instant on screen.  Over the
// canvas a tooltip gives the time under the pointer (while dragging: the
// instant the release will seek to) and, where the page's thumb(ms) gives a
// URL (footage there), a small picture of that moment: the URL is asked for
// 120 ms after the pointer stops on it, so a sweep across the timeline does
// not ask for every pixel; the page rounds the instant so nearby positions
// share one (cached) picture.
//
// The view is a window [start, end) in ms: 24 h, 1 h or 5 min wide (zoom
// buttons, or the wheel around the pointer).  A click or a drag seeks: while
// dragging the cursor follows the pointer and onSeek is called on release.
// Dragging the tick strip (the lower band) pans instead.
//
// For the keyboard and screen readers the canvas is a slider (role=slider,
// in the Tab order, aria-valuetext the cursor's local date and time):
// Left/Right step 5 s, with Shift 1 min, PageUp/PageDown a tenth of the view,
// Home/End the view's ends; each press seeks (onSeek(t, direction): -1 for a
// step back, so the page can keep a step back from landing after a gap).
//
// For tests and tools the element carries data-view-start/-end (RFC 3339)
// and the runs drawn are in data-coverage (JSON, per camera), the marks in
// data-mark-in/-out, and timeToX() maps an instant to a canvas pixel.
//
// Motion density (setDensity, fetched by motion_search.js): per camera, a
// row of buckets over a time range, each 0..1 (the part of it with motion),
// drawn as an amber strip along the bottom of the lane, opacity by density;
// the buckets with motion are in data-density (JSON, per camera: runs).
// Other modules draw on it through addLayer(fn): fn(ctx, height) after the
// marks, before the cursor (bookmarks.js).  Past 4 lanes each is narrower
// (14 px) so 16 cameras' lanes stay on screen.

import { fmtTime, fmtHM, iso, fmtDate, localMidnight } from './common.js';

export const ZOOMS = [24 * 3600e3, 3600e3, 300e3];
const COL_RUN = '#2e9d4f';
const COL_GAP = '#3a3f47';
const COL_CURSOR = '#ffcc00';
const COL_FUTURE = '#1f242b';
const COL_HATCH = '#2d333b';
const COL_MARK = 'rgba(47, 129, 247, 0.28)';
const COL_MARK_EDGE = '#58a6ff';
const DENSITY_H = 6;
export const MIN_RUN_PX = 3;
const TICKS = [300e3, 600e3, 900e3, 1800e3, 3600e3, 2 * 3600e3, 3 * 3600e3, 6 * 3600e3, 60e3, 30e3, 15e3, 10e3, 5e3, 1e3];

export class Timeline {
  constructor(canvas, { onSeek, onView, thumb }) {
    this.canvas = canvas;
    this.thumb = thumb || null;
    this.thumbTimer = null;
    this.ctx = canvas.getContext('2d');
    this.onSeek = onSeek;
    this.onView = onView;
    this.lanes = []; // [{id, name, runs:[{start,end}]}]
    this.start = 0;
    this.end = ZOOMS[0];
    this.cursor = null;
    this.marks = { in: null, out: null };
    this.density = {}; // camera id -> {start, end, values: [0..1]}
    this.drag = null;
    this.layers = [];
    this.laneH = 22;
    this.tickH = 22;
    new ResizeObserver(() => this.draw()).observe(canvas);
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', () => (this.drag = null));
    canvas.addEventListener('pointerleave', () => this.tip(null));
    this.tipEl = document.createElement('div');
    this.tipEl.className = 'timeline-tip';
    this.tipEl.setAttribute('aria-hidden', 'true');
    this.tipEl.hidden = true;
    this.tipText = document.createElement('span');
    this.tipImg = document.createElement('img');
    this.tipImg.alt = '';
    this.tipImg.hidden = true;
    this.tipImg.addEventListener('load', () => {
      this.tipImg.hidden = false;
      this.placeTip();
    });
    this.tipImg.addEventListener('error', () => (this.tipImg.hidden = true));
    this.tipEl.append(this.tipImg, this.tipText);
    canvas.after(this.tipEl);
    canvas.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    canvas.setAttribute('role', 'slider');
    canvas.setAttribute('tabindex', '0');
    canvas.setAttribute('aria-label', 'Timeline: the instant on screen');
    canvas.addEventListener('keydown', (e) => this.key(e));
  }

  // Keyboard: see the header.
  key(e) {
    const base = this.cursor ?? (this.start + this.end) / 2;
    const steps = {
      ArrowLeft: e.shiftKey ? -60e3 : -5e3, ArrowRight: e.shiftKey ? 60e3 : 5e3,
      ArrowDown: e.shiftKey ? -60e3 : -5e3, ArrowUp: e.shiftKey ? 60e3 : 5e3,
      PageDown: -(this.end - this.start) / 10, PageUp: (this.end - this.start) / 10,
    };
    let t;
    if (e.key in steps) t = base + steps[e.key];
    else if (e.key === 'Home') t = this.start;
    else if (e.key === 'End') t = this.end - 1;
    else return;
    e.preventDefault();
    t = Math.round(t);
    this.cursor = t;
    this.draw();
    if (this.onSeek) this.onSeek(t, t < base ? -1 : 1);
  }

  // The slider's ARIA values: the view is its range, the cursor its value.
  aria() {
    const c = this.canvas;
    c.setAttribute('aria-valuemin', String(Math.round(this.start)));
    c.setAttribute('aria-valuemax', String(Math.round(this.end)));
    if (this.cursor !== null) {
      c.setAttribute('aria-valuenow', String(Math.round(this.cursor)));
      c.setAttribute('aria-valuetext', `${fmtDate(this.cursor)} ${fmtTime(this.cursor)}`);
    }
  }

  setView(start, end, notify = true) {
    this.start = start;
    this.end = end;
    this.canvas.dataset.viewStart = iso(start);
    this.canvas.dataset.viewEnd = iso(end);
    this.draw();
    if (notify && this.onView) this.onView(start, end);
  }

  setLanes(lanes) {
    this.lanes = lanes;
    this.laneH = lanes.length > 4 ? 14 : 22;
    const doc = {};
    for (const l of lanes) doc[l.id] = l.runs.map((r) => [iso(r.start), iso(r.end)]);
    this.canvas.dataset.coverage = JSON.stringify(doc);
    this.draw();
  }

  // Motion density per camera: {id: {start, end, values}} (ms; values 0..1).
  setDensity(doc) {
    this.density = doc;
    const out = {};
    for (const [id, d] of Object.entries(doc)) {
      const w = (d.end - d.start) / d.values.length;
      const runs = [];
      d.values.forEach((v, i) => {
        if (v <= 0) return;
        const a = d.start + i * w;
        const last = runs[runs.length - 1];
        if (last && Math.abs(last[1] - a) < 1) last[1] = a + w;
        else runs.push([a, a + w]);
      });
      out[id] = runs.map(([a, b]) => [iso(Math.floor(a)), iso(Math.ceil(b))]);
    }
    this.canvas.dataset.density = JSON.stringify(out);
    this.draw();
  }

  // fn(ctx, height) draws over the lanes at every redraw (see the header).
  addLayer(fn) {
    this.layers.push(fn);
    this.draw();
  }

  // The marked range (either end may be null); drawn as a band.
  setMarks(inMs, outMs) {
    this.marks = { in: inMs, out: outMs };
    const d = this.canvas.dataset;
    if (inMs === null) delete d.markIn;
    else d.markIn = iso(inMs);
    if (outMs === null) delete d.markOut;
    else d.markOut = iso(outMs);
    this.draw();
  }

  // The tooltip at pointer event e showing instant ms (null hides it).
  tip(e, ms) {
    const t = this.tipEl;
    clearTimeout(this.thumbTimer);
    if (!e || ms === undefined) {
      t.hidden = true;
      return;
    }
    this.tipText.textContent = `${fmtDate(ms)} ${fmtTime(ms)}`;
    t.dataset.time = iso(Math.round(ms));
    t.hidden = false;
    this.tipX = e.clientX;
    const url = this.thumb ? this.thumb(ms) : null;
    if (!url) {
      this.tipImg.hidden = true;
      this.tipImg.removeAttribute('src');
      delete t.dataset.thumb;
    } else if (url !== t.dataset.thumb) {
      this.tipImg.hidden = true;
      this.thumbTimer = setTimeout(() => {
        t.dataset.thumb = url;
        this.tipImg.src = url;
      }, 120);
    }
    this.placeTip();
  }

  // Above the canvas, centred on the pointer, inside the canvas's width.
  placeTip() {
    const t = this.tipEl;
    if (t.hidden) return;
    const r = this.canvas.getBoundingClientRect();
    const x = Math.max(0, Math.min(r.width - t.offsetWidth, this.tipX - r.left - t.offsetWidth / 2));
    t.style.left = `${this.canvas.offsetLeft + x}px`;
    t.style.top = `${this.canvas.offsetTop - t.offsetHeight - 4}px`;
  }

  setCursor(ms) {
    if (this.drag && this.drag.seeking) return; // the pointer has it
    this.cursor = ms;
    this.draw();
  }

  width() {
    return this.canvas.clientWidth;
  }

  timeToX(ms) {
    return ((ms - this.start) / (this.end - this.start)) * this.width();
  }

  xToTime(x) {
    return this.start + (x / this.width()) * (this.end - this.start);
  }

  // zoom to width w (ms) keeping the instant `at` where it is on screen
  zoomTo(w, at = this.cursor ?? (this.start + this.end) / 2) {
    const f = (at - this.start) / (this.end - this.start);
    const ff = f >= 0 && f <= 1 ? f : 0.5;
    const s = at - ff * w;
    this.setView(Math.round(s), Math.round(s + w));
  }

  down(e) {
    const r = this.canvas.getBoundingClientRect();
    const y = e.clientY - r.top;
    this.canvas.setPointerCapture(e.pointerId);
    const pan = y > this.lanes.length * this.laneH + 4;
    this.drag = { x0: e.clientX - r.left, s0: this.start, e0: this.end, seeking: !pan, moved: false };
    if (!pan) {
      this.cursor = this.xToTime(e.clientX - r.left);
      this.draw();
    }
  }

  move(e) {
    const r = this.canvas.getBoundingClientRect();
    const x = e.clientX - r.left;
    this.tip(e, this.xToTime(Math.max(0, Math.min(this.width(), x))));
    if (!this.drag) return;
    if (Math.abs(x - this.drag.x0) > 3) this.drag.moved = true;
    if (this.drag.seeking) {
      this.cursor = this.xToTime(Math.max(0, Math.min(this.width(), x)));
      this.draw();
    } else if (this.drag.moved) {
      const dt = ((x - this.drag.x0) / this.width()) * (this.drag.e0 - this.drag.s0);
      this.start = this.drag.s0 - dt;
      this.end = this.drag.e0 - dt;
      this.draw();
    }
  }

  up(e) {
    const d = this.drag;
    this.drag = null;
    if (!d) return;
    if (d.seeking) {
      const r = this.canvas.getBoundingClientRect();
      const x = Math.max(0, Math.min(this.width() - 1, e.clientX - r.left));
      const t = Math.round(this.xToTime(x));
      this.cursor = t;
      this.draw();
      this.onSeek(t);
    } else if (d.moved) {
      this.setView(Math.round(this.start), Math.round(this.end));
    } else {
      const r = this.canvas.getBoundingClientRect();
      this.onSeek(Math.round(this.xToTime(e.clientX - r.left)));
    }
  }

  wheel(e) {
    e.preventDefault();
    const r = this.canvas.getBoundingClientRect();
    const at = this.xToTime(e.clientX - r.left);
    const w = this.end - this.start;
    const nw = Math.max(ZOOMS[2] / 2, Math.min(ZOOMS[0], w * (e.deltaY > 0 ? 1.5 : 1 / 1.5)));
    const s = at - ((at - this.start) / w) * nw;
    this.setView(Math.round(s), Math.round(s + nw));
  }

  draw() {
    const c = this.canvas;
    this.aria();
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth;
    const h = this.lanes.length * this.laneH + this.tickH + 4;
    c.style.height = h + 'px';
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    const g = this.ctx;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    g.font = '11px system-ui, sans-serif';
    g.textBaseline = 'middle';
    const nowX = Math.max(0, Math.min(w, this.timeToX(Date.now())));
    this.lanes.forEach((lane, i) => {
      const y = i * this.laneH + 2;
      g.fillStyle = COL_GAP;
      g.fillRect(0, y, nowX, this.laneH - 4);
      this.future(g, nowX, y, w - nowX, this.laneH - 4);
      g.fillStyle = COL_RUN;
      for (const run of lane.runs) {
        if (run.end < this.start || run.start > this.end) continue;
        // whole pixels: a short run is MIN_RUN_PX of solid colour, not a blur
        const x0 = Math.floor(Math.max(0, this.timeToX(run.start)));
        const x1 = Math.ceil(Math.min(w, this.timeToX(run.end)));
        const wide = Math.max(MIN_RUN_PX, x1 - x0);
        g.fillRect(Math.min(x0, w - wide), y, wide, this.laneH - 4);
      }
      this.drawDensity(g, this.density[lane.id], y + this.laneH - 4 - DENSITY_H, w);
      if (this.lanes.length > 1) {
        g.fillStyle = 'rgba(255,255,255,0.85)';
        g.fillText(lane.name, 4, y + (this.laneH - 4) / 2);
      }
    });
    // ticks in local time
    const ty = this.lanes.length * this.laneH + 4;
    const span = this.end - this.start;
    // room for a label (at least 60 px): "12:45 PM" is wider than "12:45", "12:45:30 PM" wider still
    const widest = new Date(2000, 0, 1, 12, 45, 30).getTime();
    const room = (fmt) => Math.max(60, Math.ceil(g.measureText(fmt(widest)).width) + 12);
    const roomHM = room(fmtHM);
    const roomHMS = room(fmtTime);
    const step = TICKS.filter((t) => (t / span) * w >= (t >= 60e3 ? roomHM : roomHMS)).sort((a, b) => a - b)[0] || 6 * 3600e3;
    const off = new Date(this.start).getTimezoneOffset() * -60e3;
    let t = Math.ceil((this.start + off) / step) * step - off;
    g.fillStyle = '#c9d1d9';
    g.strokeStyle = '#6e7681';
    for (; t <= this.end; t += step) {
      const x = Math.round(this.timeToX(t)) + 0.5;
      g.beginPath();
      g.moveTo(x, ty);
      g.lineTo(x, ty + 5);
      g.stroke();
      // midnight is labelled with its date (MM-DD)
      const label = t === localMidnight(t) ? fmtDate(t).slice(5) : step >= 60e3 ? fmtHM(t) : fmtTime(t);
      g.fillText(label, x + 3, ty + 12);
    }
    this.drawMarks(g, h);
    for (const f of this.layers) f(g, h);
    if (this.cursor !== null && this.cursor >= this.start && this.cursor <= this.end) {
      const x = Math.round(this.timeToX(this.cursor)) + 0.5;
      g.strokeStyle = COL_CURSOR;
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(x, 0);
      g.lineTo(x, h);
      g.stroke();
      g.lineWidth = 1;
    }
  }

  // A lane's motion density: a strip DENSITY_H high at y, a bucket at least 2 px wide.
  drawDensity(g, d, y, w) {
    if (!d) return;
    const bw = (d.end - d.start) / d.values.length;
    d.values.forEach((v, i) => {
      if (v <= 0) return;
      const a = d.start + i * bw;
      if (a + bw < this.start || a > this.end) return;
      const x0 = Math.floor(this.timeToX(a));
      const x1 = Math.max(x0 + 2, Math.ceil(this.timeToX(a + bw)));
      if (x1 < 0 || x0 > w) return;
      g.fillStyle = `rgba(255, 176, 32, ${(0.35 + 0.65 * v).toFixed(2)})`;
      g.fillRect(x0, y, x1 - x0, DENSITY_H);
    });
  }

  // The future: a hatch on a darker ground, so it is not read as a gap.
  future(g, x, y, wd, ht) {
    if (wd <= 0) return;
    g.fillStyle = COL_FUTURE;
    g.fillRect(x, y, wd, ht);
    g.save();
    g.beginPath();
    g.rect(x, y, wd, ht);
    g.clip();
    g.strokeStyle = COL_HATCH;
    g.lineWidth = 2;
    for (let hx = x - ht; hx < x + wd; hx += 8) {
      g.beginPath();
      g.moveTo(hx, y + ht);
      g.lineTo(hx + ht, y);
      g.stroke();
    }
    g.restore();
    g.lineWidth = 1;
  }

  // The marked range: a band between the marks, an edge at each mark set.
  drawMarks(g, h) {
    const { in: a, out: b } = this.marks;
    if (a === null && b === null) return;
    const w = this.width();
    const xa = a === null ? null : this.timeToX(a);
    const xb = b === null ? null : this.timeToX(b);
    if (xa !== null && xb !== null && xb > 0 && xa < w) {
      g.fillStyle = COL_MARK;
      g.fillRect(Math.max(0, xa), 0, Math.min(w, xb) - Math.max(0, xa), h);
    }
    g.strokeStyle = COL_MARK_EDGE;
    g.lineWidth = 2;
    for (const x of [xa, xb]) {
      if (x === null || x < 0 || x > w) continue;
      g.beginPath();
      g.moveTo(Math.round(x) + 0.5, 0);
      g.lineTo(Math.round(x) + 0.5, h);
      g.stroke();
    }
    g.lineWidth = 1;
  }
}
