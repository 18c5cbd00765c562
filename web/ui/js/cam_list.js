// SPDX-License-Identifier: Apache-2.0
// cam_list.js - the playback page's visible camera list: one toggle button
// per camera (aria-pressed when shown), names cut in the middle to fit with
// the full name in the title, and a filter when there are more than 8.
//
// A plain click asks the page to show that camera alone (show(id)); Ctrl-,
// Cmd- or Shift-click, or a press held HOLD_MS (touch screens), asks it to
// add or remove the camera (toggle(id)).  The page decides (at most 4, never
// none) and calls mark() with what it shows.

import { el, middleName, camLabel } from './common.js';

const HOLD_MS = 500;
const FILTER_FROM = 9;

export class CameraList {
  // list: the group element; filter: an <input type=search>; cams: the
  // cameras ({id, name}); show(id), toggle(id): the page's answers.
  constructor(list, filter, cams, { show, toggle }) {
    this.list = list;
    list.replaceChildren();
    for (const cam of cams) list.append(this.button(cam, show, toggle));
    for (const b of list.children) middleName(b, b.dataset.full, list);
    filter.hidden = cams.length < FILTER_FROM;
    filter.addEventListener('input', () => {
      const q = filter.value.trim().toLowerCase();
      for (const b of list.children) {
        b.hidden = q !== '' && !b.dataset.full.toLowerCase().includes(q) && !b.dataset.camera.includes(q);
      }
    });
  }

  button(cam, show, toggle) {
    const label = camLabel(cam);
    const b = el('button', { type: 'button', class: 'cam', 'data-camera': cam.id, 'data-full': label, title: label }, label);
    let held = null;
    let heldFired = false;
    b.addEventListener('pointerdown', () => {
      heldFired = false;
      held = setTimeout(() => {
        heldFired = true;
        toggle(cam.id);
      }, HOLD_MS);
    });
    for (const ev of ['pointerup', 'pointerleave', 'pointercancel']) b.addEventListener(ev, () => clearTimeout(held));
    b.addEventListener('contextmenu', (e) => heldFired && e.preventDefault());
    b.addEventListener('click', (e) => {
      if (heldFired) return; // the held press did it
      if (e.ctrlKey || e.metaKey || e.shiftKey) toggle(cam.id);
      else show(cam.id);
    });
    return b;
  }

  // The cameras shown now.
  mark(ids) {
    const shown = new Set(ids);
    for (const b of this.list.children) {
      b.setAttribute('aria-pressed', shown.has(b.dataset.camera) ? 'true' : 'false');
      b.classList.toggle('active', shown.has(b.dataset.camera));
    }
  }
}
