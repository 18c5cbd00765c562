// SPDX-License-Identifier: Apache-2.0
// site_picker.js - the district console's camera picker, shared by the
// cross-site playback picker (district_playback.js) and the evidence page
// (district_exports.js): the console's cameras (GET /api/v1/cameras, ids
// SITE.ID) as one fieldset per site (fieldset[data-site]), one checkbox per
// camera (input[data-camera=SITE.ID]) in a row (label[data-row=SITE.ID])
// with the camera's name, id and state as text, and an empty span
// (#fp-SITE.ID) the page may write a note into (the playback picker's
// "recorded then").  The server checks every camera again.

import { el } from './common.js';

// One row: the checkbox (ticked when on), calling onChange(box) on change.
function cameraRow(c, on, onChange) {
  const box = el('input', { type: 'checkbox', 'data-camera': c.id, 'aria-describedby': `fp-${c.id}` });
  box.checked = on;
  box.addEventListener('change', () => onChange(box));
  return el('label', { class: 'check pick-camera', 'data-row': c.id, 'data-footage': 'unknown' }, box,
    el('span', { class: 'pick-name' }, c.name || c.camera), el('span', { class: 'muted' }, ` ${c.id}, ${c.status}`),
    el('span', { class: 'pick-footage', id: `fp-${c.id}` }, ''));
}

// Fills node with one fieldset per site of cameras (in their order), ticking
// the ids in want.
export function renderPicker(node, cameras, want, onChange) {
  const bySite = new Map();
  for (const c of cameras) {
    if (!bySite.has(c.site)) bySite.set(c.site, []);
    bySite.get(c.site).push(c);
  }
  const sets = [...bySite].map(([site, list]) => el('fieldset', { class: 'grants pick-site', 'data-site': site },
    el('legend', {}, `Site ${site}`), ...list.map((c) => cameraRow(c, want.includes(c.id), onChange))));
  node.replaceChildren(...sets);
}

// The ids (SITE.ID) ticked in node.
export function tickedCameras(node) {
  return [...node.querySelectorAll('input[type="checkbox"][data-camera]:checked')].map((b) => b.dataset.camera);
}
