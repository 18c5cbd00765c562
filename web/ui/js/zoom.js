// SPDX-License-Identifier: Apache-2.0
// zoom.js - digital zoom and pan of one video inside its tile: the wheel
// (around the pointer), a pinch (two pointers), a drag to pan when zoomed,
// a double click or the key 0 to reset, + and - on the focused tile.  The
// picture is only scaled and moved (CSS transform on the <video>): nothing
// is asked of the server, and what was recorded is unchanged.
//
// Invariants: the scale is 1..MAX; the picture always covers the tile (pan is
// clamped), so zooming never shows empty space beside the picture.  The
// tile carries data-zoom (the scale, 2 decimals) for tests and a "×2.0"
// badge while zoomed.

const MAX = 8;
const STEP = 1.25;

export class DigitalZoom {
  // tile: the element that clips (position: relative; overflow: hidden);
  // video: the element scaled inside it.
  constructor(tile, video) {
    this.tile = tile;
    this.video = video;
    this.s = 1;
    this.x = 0; // translation in tile px (top-left origin)
    this.y = 0;
    this.pointers = new Map();
    this.pan = null;
    this.pinch = null;
    this.badge = document.createElement('span');
    this.badge.className = 'zoom-badge';
    this.badge.hidden = true;
    tile.append(this.badge);
    video.style.transformOrigin = '0 0';
    tile.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    tile.addEventListener('pointerdown', (e) => this.down(e));
    tile.addEventListener('pointermove', (e) => this.move(e));
    for (const ev of ['pointerup', 'pointercancel']) tile.addEventListener(ev, (e) => this.up(e));
    tile.addEventListener('dblclick', () => this.reset());
    tile.addEventListener('keydown', (e) => this.key(e));
    this.apply();
  }

  // Scale to s keeping the tile point (px, py) where it is.
  zoomAt(s, px, py) {
    const ns = Math.max(1, Math.min(MAX, s));
    const k = ns / this.s;
    this.x = px - (px - this.x) * k;
    this.y = py - (py - this.y) * k;
    this.s = ns;
    this.apply();
  }

  reset() {
    this.s = 1;
    this.x = 0;
    this.y = 0;
    this.apply();
  }

  apply() {
    const w = this.tile.clientWidth;
    const h = this.tile.clientHeight;
    // clamp: the scaled picture covers the tile
    this.x = Math.min(0, Math.max(w - w * this.s, this.x));
    this.y = Math.min(0, Math.max(h - h * this.s, this.y));
    this.video.style.transform = this.s === 1 ? '' : `translate(${this.x}px, ${this.y}px) scale(${this.s})`;
    this.tile.dataset.zoom = this.s.toFixed(2);
    this.tile.classList.toggle('zoomed', this.s > 1);
    this.badge.hidden = this.s === 1;
    this.badge.textContent = `×${this.s.toFixed(1)}`;
  }

  local(e) {
    const r = this.tile.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  wheel(e) {
    e.preventDefault();
    const [px, py] = this.local(e);
    this.zoomAt(e.deltaY < 0 ? this.s * STEP : this.s / STEP, px, py);
  }

  down(e) {
    if (e.button !== 0 && e.pointerType === 'mouse') return;
    this.pointers.set(e.pointerId, this.local(e));
    if (this.pointers.size === 2) {
      const [a, b] = [...this.pointers.values()];
      this.pinch = { d: Math.hypot(a[0] - b[0], a[1] - b[1]) || 1, s: this.s };
      this.pan = null;
    } else if (this.s > 1) {
      const [px, py] = this.local(e);
      this.pan = { px, py, x: this.x, y: this.y };
      this.tile.setPointerCapture(e.pointerId);
    }
  }

  move(e) {
    if (!this.pointers.has(e.pointerId)) return;
    const p = this.local(e);
    this.pointers.set(e.pointerId, p);
    if (this.pinch && this.pointers.size === 2) {
      const [a, b] = [...this.pointers.values()];
      const d = Math.hypot(a[0] - b[0], a[1] - b[1]);
      this.zoomAt(this.pinch.s * (d / this.pinch.d), (a[0] + b[0]) / 2, (a[1] + b[1]) / 2);
    } else if (this.pan) {
      this.x = this.pan.x + (p[0] - this.pan.px);
      this.y = this.pan.y + (p[1] - this.pan.py);
      this.apply();
    }
  }

  up(e) {
    this.pointers.delete(e.pointerId);
    if (this.pointers.size < 2) this.pinch = null;
    if (!this.pointers.size) this.pan = null;
  }

  key(e) {
    const w = this.tile.clientWidth / 2;
    const h = this.tile.clientHeight / 2;
    if (e.key === '+' || e.key === '=') this.zoomAt(this.s * STEP, w, h);
    else if (e.key === '-') this.zoomAt(this.s / STEP, w, h);
    else if (e.key === '0') this.reset();
    else return;
    e.preventDefault();
  }
}
