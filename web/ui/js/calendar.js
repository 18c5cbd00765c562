// SPDX-License-Identifier: Apache-2.0
// calendar.js - the playback page's month calendar: the days with footage
// of the cameras shown in bold ("has recordings" for screen readers), the
// month before and after, a click on a day hands it to the page.
//
// The footage comes from the page (runs(start, end): one recordings request
// per camera for the month, at most 31 days as the API allows); the dialog
// closes on Escape, on a click outside it and on a choice, and gives the
// focus back to its button.  For tests: .cal-day[data-day] and .has.

import { el, fmtDate, localMidnight } from './common.js';

export class Calendar {
  // box: the dialog element; button: the one that opens it; at() -> the
  // page's instant (its month opens, its day is marked); runs(startMs,
  // endMs) -> Promise of [{start, end}]; pick(dayMs, runs) on a choice;
  // onError(message).
  constructor(box, button, { at, runs, pick, onError }) {
    this.at = at;
    this.box = box;
    this.button = button;
    this.runs = runs;
    this.pick = pick;
    this.onError = onError || (() => {});
    this.month = null; // local midnight of the month's first day
    this.current = null; // the page's day, marked aria-current
    button.addEventListener('click', () => (box.hidden ? this.open(this.at()) : this.close()));
    document.addEventListener('keydown', (e) => e.key === 'Escape' && this.close());
    document.addEventListener('pointerdown', (e) => {
      if (!box.hidden && !box.contains(e.target) && e.target !== button) this.close();
    });
  }

  open(atMs) {
    const c = new Date(atMs);
    this.current = localMidnight(atMs);
    this.month = new Date(c.getFullYear(), c.getMonth(), 1).getTime();
    this.box.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    this.draw().then(() => {
      const cur = this.box.querySelector('[aria-current="date"]') || this.box.querySelector('.cal-day');
      if (cur) cur.focus();
    });
  }

  close() {
    if (this.box.hidden) return;
    this.box.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    this.button.focus();
  }

  move(n) {
    const f = new Date(this.month);
    this.month = new Date(f.getFullYear(), f.getMonth() + n, 1).getTime();
    this.draw();
  }

  async draw() {
    const first = new Date(this.month);
    const next = new Date(first.getFullYear(), first.getMonth() + 1, 1).getTime();
    const days = [];
    for (let d = 1; ; d++) {
      const t = new Date(first.getFullYear(), first.getMonth(), d).getTime();
      if (t >= next) break;
      days.push(t);
    }
    let runs = [];
    try {
      const end = Math.min(next, Date.now() + 60e3);
      if (end > this.month) runs = await this.runs(this.month, end);
    } catch (e) {
      this.onError(`Cannot read the recordings: ${e.message}`);
    }
    const dayEnd = (t) => new Date(new Date(t).getFullYear(), new Date(t).getMonth(), new Date(t).getDate() + 1).getTime();
    const title = first.toLocaleDateString(undefined, { month: 'long', year: 'numeric' });
    const prev = el('button', { type: 'button', 'aria-label': 'Previous month' }, '‹');
    const nextB = el('button', { type: 'button', 'aria-label': 'Next month' }, '›');
    prev.addEventListener('click', () => this.move(-1));
    nextB.addEventListener('click', () => this.move(1));
    const head = el('div', { class: 'cal-head' }, prev, el('span', { class: 'cal-title' }, title), nextB);
    const grid = el('div', { class: 'cal-days', role: 'group', 'aria-label': title });
    const lead = (first.getDay() + 6) % 7; // weeks start on Monday
    for (const n of ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su']) grid.append(el('span', { class: 'cal-wd', 'aria-hidden': 'true' }, n));
    for (let i = 0; i < lead; i++) grid.append(el('span', { class: 'cal-pad' }));
    for (const t of days) {
      const rec = runs.some((r) => r.start < dayEnd(t) && r.end > t);
      const b = el('button', { type: 'button', class: rec ? 'cal-day has' : 'cal-day', 'data-day': fmtDate(t),
                               'aria-label': `${fmtDate(t)}${rec ? ', has recordings' : ', no recordings'}` },
                   String(new Date(t).getDate()));
      if (this.current === t) b.setAttribute('aria-current', 'date');
      b.addEventListener('click', () => {
        this.close();
        this.pick(t, runs);
      });
      grid.append(b);
    }
    this.box.replaceChildren(head, grid, el('p', { class: 'hint' }, 'Days in bold have recordings.'));
    this.box.dataset.month = fmtDate(this.month).slice(0, 7);
  }
}
