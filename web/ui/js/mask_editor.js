// SPDX-License-Identifier: Apache-2.0
// mask_editor.js - the camera editor's motion mask: boxes drawn on a picture
// of the camera where nothing counts as motion (a tree, a TV, a clock, a
// privacy area).  The value is the config key `motion_mask`: boxes
// "x0,y0,x1,y1" in 0..1 of the picture from its top left, joined by "; "
// (docs/ref/config.md); at most MAX boxes, as the server allows.
//
// Drag on the picture to add a box; each box is listed with a Remove
// button; "Clear" removes them all.  From the keyboard (the picture is
// focusable): Enter adds a box in the middle, the arrows move the newest,
// Shift+arrows resize it, Delete removes it.  The picture only guides the
// drawing: without one (a camera not reachable yet) the area stays grey
// and boxes can still be drawn.
//
// For tests: the area carries data-mask (the value) and each box is a
// .mask-box element over the picture.

import { el } from './common.js';

const MAX = 16;
const MIN = 0.01; // a box narrower than this (a click) is not added
const STEP = 0.02;

const r3 = (v) => Math.round(Math.min(1, Math.max(0, v)) * 1000) / 1000;

export function parseMask(s) {
  if (!s) return [];
  return s.split(';').map((part) => part.split(',').map(Number))
    .filter((b) => b.length === 4 && b.every((v) => Number.isFinite(v)) && b[2] > b[0] && b[3] > b[1]);
}

export function formatMask(boxes) {
  return boxes.map((b) => b.map((v) => String(r3(v))).join(',')).join('; ');
}

export class MaskEditor {
  // area: the element the picture and boxes sit in (position: relative);
  // list: the element the box list goes in; onChange() after every change.
  constructor(area, list, onChange) {
    this.area = area;
    this.list = list;
    this.onChange = onChange || (() => {});
    this.boxes = [];
    this.img = el('img', { class: 'mask-picture', alt: 'The camera\'s picture, for drawing the mask' });
    this.img.addEventListener('error', () => this.img.classList.add('missing'));
    this.img.addEventListener('load', () => this.img.classList.remove('missing'));
    this.layer = el('div', { class: 'mask-layer' });
    area.replaceChildren(this.img, this.layer);
    area.tabIndex = 0;
    area.setAttribute('role', 'application');
    area.setAttribute('aria-label', 'Motion mask: drag to add a box where motion is ignored; '
      + 'Enter adds one, arrows move it, Shift+arrows resize it, Delete removes it');
    area.addEventListener('pointerdown', (e) => this.down(e));
    area.addEventListener('keydown', (e) => this.key(e));
  }

  set(value, pictureUrl) {
    this.boxes = parseMask(value).slice(0, MAX);
    if (pictureUrl) this.img.src = pictureUrl;
    else {
      this.img.removeAttribute('src');
      this.img.classList.add('missing');
    }
    this.render();
  }

  value() {
    return formatMask(this.boxes);
  }

  frac(e) {
    const r = this.area.getBoundingClientRect();
    return [r3((e.clientX - r.left) / r.width), r3((e.clientY - r.top) / r.height)];
  }

  down(e) {
    if (e.button !== 0 || this.boxes.length >= MAX) return;
    e.preventDefault();
    this.area.setPointerCapture(e.pointerId);
    const [x0, y0] = this.frac(e);
    const box = [x0, y0, x0, y0];
    this.boxes.push(box);
    const move = (ev) => {
      const [x, y] = this.frac(ev);
      box[0] = Math.min(x0, x);
      box[2] = Math.max(x0, x);
      box[1] = Math.min(y0, y);
      box[3] = Math.max(y0, y);
      this.render(false);
    };
    const up = () => {
      this.area.removeEventListener('pointermove', move);
      this.area.removeEventListener('pointerup', up);
      this.area.removeEventListener('pointercancel', up);
      if (box[2] - box[0] < MIN || box[3] - box[1] < MIN) this.boxes.pop();
      this.render();
    };
    this.area.addEventListener('pointermove', move);
    this.area.addEventListener('pointerup', up);
    this.area.addEventListener('pointercancel', up);
  }

  key(e) {
    const b = this.boxes[this.boxes.length - 1];
    const arrows = { ArrowLeft: [-STEP, 0], ArrowRight: [STEP, 0], ArrowUp: [0, -STEP], ArrowDown: [0, STEP] };
    if (e.key === 'Enter' && this.boxes.length < MAX) {
      this.boxes.push([0.4, 0.4, 0.6, 0.6]);
    } else if ((e.key === 'Delete' || e.key === 'Backspace') && b) {
      this.boxes.pop();
    } else if (arrows[e.key] && b) {
      const [dx, dy] = arrows[e.key];
      if (e.shiftKey) {
        b[2] = r3(Math.max(b[0] + STEP, b[2] + dx));
        b[3] = r3(Math.max(b[1] + STEP, b[3] + dy));
      } else {
        const w = b[2] - b[0], h = b[3] - b[1];
        b[0] = r3(Math.min(1 - w, Math.max(0, b[0] + dx)));
        b[1] = r3(Math.min(1 - h, Math.max(0, b[1] + dy)));
        b[2] = r3(b[0] + w);
        b[3] = r3(b[1] + h);
      }
    } else {
      return;
    }
    e.preventDefault();
    this.render();
  }

  render(notify = true) {
    const pct = (v) => `${(v * 100).toFixed(2)}%`;
    this.layer.replaceChildren(...this.boxes.map((b) => el('div', {
      class: 'mask-box',
      style: `left:${pct(b[0])};top:${pct(b[1])};width:${pct(b[2] - b[0])};height:${pct(b[3] - b[1])}`,
    })));
    this.area.dataset.mask = this.value();
    if (!notify) return;
    const clear = el('button', { type: 'button', class: 'small', onclick: () => {
      this.boxes = [];
      this.render();
    } }, 'Clear');
    this.list.replaceChildren(
      el('p', { class: 'hint' }, this.boxes.length
        ? `${this.boxes.length} area(s) ignored (at most ${MAX}).`
        : 'No area ignored: motion anywhere in the picture counts.'),
      ...this.boxes.map((b, i) => el('div', { class: 'mask-item' },
        `${i + 1}: ${b.map((v) => r3(v)).join(', ')} `,
        el('button', { type: 'button', class: 'small', onclick: () => {
          this.boxes.splice(i, 1);
          this.render();
        } }, 'Remove'))),
      this.boxes.length ? clear : null);
    this.onChange();
  }
}
