// SPDX-License-Identifier: Apache-2.0
// bookmarks.js - bookmarks on the playback page (docs/guide/web-ui.md,
// "Bookmarks"; the API in docs/ref/http-api.md): a note left at an instant
// of a camera's footage.
//
// - "Bookmark" (key B) opens a small dialog for a note at the instant on
//   screen, of the first camera shown; Save posts it (the server refuses an
//   instant without footage and says so in the dialog).
// - The bookmarks of the cameras shown are drawn on the timeline (a pink
//   flag and line in their camera's lane, through the timeline's layer
//   hook) and listed in a panel with a search box (the server searches the
//   notes; typing waits 300 ms before asking).  A click on an entry's time
//   plays from that instant; "Copy link" copies
//   playback.html?cameras=ID&t=TIME&bookmark=ID, which opens the page at
//   that instant with the entry outlined; the author (or an admin) may
//   delete one.
// - The list is read when the cameras change, after a search, and after a
//   bookmark is made or deleted (each listing is in the access log, so not
//   on every pan of the timeline).
//
// For tests: the timeline canvas carries data-bookmarks (JSON [{id, camera,
// time}] of the markers drawn), each list entry data-id and data-time, and
// the panel data-count.

import { currentUser, getJSON, send, el, iso, fmtDate, fmtTime } from './common.js';

const COL_FLAG = '#f778ba';
const NOTE_MAX = 500; // bytes of UTF-8 (the server's bound)
const LIST_LIMIT = 500;

export class Bookmarks {
  // timeline: timeline.js; cameras(): the ids shown, first first; cursor():
  // the instant on screen (ms); seek(ms): play from there; panel: the
  // section holding the list; dialog: the note dialog; current: the id of
  // the bookmark the page was opened at (?bookmark=), outlined, or null.
  constructor({ timeline, cameras, cursor, seek, panel, dialog, current = null }) {
    this.timeline = timeline;
    this.cameras = cameras;
    this.cursor = cursor;
    this.seek = seek;
    this.panel = panel;
    this.dialog = dialog;
    this.items = [];
    this.user = null;
    this.gen = 0;
    this.current = Number(current) || null;
    this.list = panel.querySelector('.bm-list');
    this.search = panel.querySelector('input[type="search"]');
    this.status = panel.querySelector('.bm-status');
    this.note = dialog.querySelector('textarea');
    this.where = dialog.querySelector('.bm-where');
    this.error = dialog.querySelector('.message');
    this.pending = null; // {camera, time} of the dialog
    timeline.addLayer((g) => this.draw(g));
    let typing = null;
    this.search.addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(() => this.refresh(), 300);
    });
    dialog.querySelector('form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.save();
    });
    dialog.querySelector('.bm-cancel').addEventListener('click', () => dialog.close());
    currentUser()
      .then((u) => (this.user = u))
      .catch(() => {});
  }

  // The dialog for a note at the instant on screen, of the first camera.
  open() {
    const ids = this.cameras();
    if (!ids.length || this.dialog.open) return;
    const t = Math.round(this.cursor());
    this.pending = { camera: ids[0], time: t };
    this.where.textContent = `${ids[0]}, ${fmtDate(t)} ${fmtTime(t, true)}`;
    this.note.value = '';
    this.error.hidden = true;
    this.dialog.showModal();
    this.note.focus();
  }

  async save() {
    const note = this.note.value.trim();
    const bytes = new TextEncoder().encode(note).length;
    let msg = null;
    if (!note) msg = 'Write a note.';
    else if (bytes > NOTE_MAX) msg = `The note is ${bytes} bytes; at most ${NOTE_MAX}.`;
    if (!msg) {
      try {
        const b = await send('POST', '/bookmarks', { camera: this.pending.camera, time: iso(this.pending.time), note });
        this.current = b.id;
        this.dialog.close();
        await this.refresh();
        return;
      } catch (e) {
        msg = `Not saved: ${e.message}`;
      }
    }
    this.error.textContent = msg;
    this.error.hidden = false;
  }

  // Reads the list again (the cameras shown, the search text).
  async refresh() {
    const gen = ++this.gen;
    const ids = this.cameras();
    if (!ids.length) return;
    const q = new URLSearchParams({ cameras: ids.join(','), limit: String(LIST_LIMIT) });
    const text = this.search.value.trim();
    if (text) q.set('q', text);
    try {
      const doc = await getJSON('/bookmarks?' + q.toString());
      if (gen !== this.gen) return;
      this.items = doc.bookmarks.map((b) => ({ ...b, ms: Date.parse(b.time) }));
      this.status.textContent = doc.truncated ? `The first ${LIST_LIMIT}: search to narrow.` : '';
    } catch (e) {
      if (gen !== this.gen) return;
      this.items = [];
      this.status.textContent = `Cannot read the bookmarks: ${e.message}`;
    }
    this.show();
    this.timeline.draw();
  }

  show() {
    const rows = this.items.map((b) => this.row(b));
    this.list.replaceChildren(...rows);
    this.panel.dataset.count = String(this.items.length);
    if (!rows.length) this.list.append(el('li', { class: 'bm-empty' }, this.search.value.trim() ? 'No bookmark matches.' : 'No bookmarks of these cameras.'));
    const cur = this.list.querySelector('[data-current="1"]');
    if (cur) cur.scrollIntoView({ block: 'nearest' });
  }

  link(b) {
    const q = new URLSearchParams({ cameras: b.camera, t: b.time, bookmark: String(b.id) });
    return new URL('playback.html?' + q.toString(), location.href).href;
  }

  row(b) {
    const when = el('a', { href: this.link(b), class: 'bm-when', title: 'Play from this instant' }, `${fmtDate(b.ms)} ${fmtTime(b.ms)}`);
    when.addEventListener('click', (e) => {
      if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return; // a new tab: the link itself
      e.preventDefault();
      this.current = b.id;
      this.show();
      this.seek(b.ms);
    });
    const copy = el('button', { type: 'button', class: 'bm-copy', title: 'Copy a link that opens playback at this instant' }, 'Copy link');
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(this.link(b));
        copy.textContent = 'Copied';
      } catch (e) {
        copy.textContent = 'Copy failed: use the time\u2019s link';
      }
      setTimeout(() => (copy.textContent = 'Copy link'), 2000);
    });
    const li = el('li', { 'data-id': String(b.id), 'data-time': b.time, 'data-camera': b.camera, 'data-current': b.id === this.current ? '1' : null },
                  when, el('span', { class: 'bm-cam' }, b.camera), el('span', { class: 'bm-note' }, b.note),
                  el('span', { class: 'bm-who' }, b.author), copy);
    const u = this.user;
    if (u && (u.name === b.author || u.role === 'admin')) {
      const del = el('button', { type: 'button', class: 'bm-delete', 'aria-label': `Delete the bookmark "${b.note.slice(0, 40)}"` }, 'Delete');
      del.addEventListener('click', async () => {
        try {
          await send('DELETE', `/bookmarks/${b.id}`);
          await this.refresh();
        } catch (e) {
          this.status.textContent = `Not deleted: ${e.message}`;
        }
      });
      li.append(del);
    }
    return li;
  }

  // The timeline layer: a flag at each bookmark in its camera's lane.
  draw(g) {
    const tl = this.timeline;
    const drawn = [];
    const w = tl.width();
    for (const b of this.items) {
      const lane = tl.lanes.findIndex((l) => l.id === b.camera);
      if (lane < 0 || b.ms < tl.start || b.ms > tl.end) continue;
      const x = Math.round(tl.timeToX(b.ms)) + 0.5;
      if (x < 0 || x > w) continue;
      const y = lane * tl.laneH + 2;
      const lh = tl.laneH - 4;
      g.strokeStyle = COL_FLAG;
      g.lineWidth = 1;
      g.beginPath();
      g.moveTo(x, y);
      g.lineTo(x, y + lh);
      g.stroke();
      g.fillStyle = COL_FLAG;
      g.beginPath();
      g.moveTo(x, y);
      g.lineTo(x + 7, y + 3.5);
      g.lineTo(x, y + 7);
      g.closePath();
      g.fill();
      drawn.push({ id: b.id, camera: b.camera, time: b.time });
    }
    tl.canvas.dataset.bookmarks = JSON.stringify(drawn);
  }
}
