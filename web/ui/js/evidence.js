// SPDX-License-Identifier: Apache-2.0
// evidence.js - what the holds and exports pages (holds.html, exports.html)
// share: the camera checkboxes, local date-and-time fields, the form prefilled
// from the URL (?cameras=a,b&start=ISO&end=ISO, as the playback page's
// "Hold…" and "Export…" links pass them) and the form's common checks.
//
// Times: the inputs are text, "YYYY-MM-DD" and a time in the page's format
// (localInput; the browser's zone, named on the page); parseWhen reads them
// as local time, in either format, and the API gets RFC 3339 UTC.

import { el, parseWhen, iso, listCameras, localInput, localMidnight, showError, zoneLabel } from './common.js';


// "Main lobby (lobby)" or "lobby" when the name is the id or missing.
export function cameraLabel(cameras, id) {
  const c = cameras.find((x) => x.id === id);
  return c && c.name && c.name !== id ? `${c.name} (${id})` : id;
}

// Fills box with one checkbox per camera (name as text), ticking `checked`.
export function cameraBoxes(box, cameras, checked) {
  box.replaceChildren(
    ...cameras.map((c) => {
      const input = el('input', { type: 'checkbox', value: c.id, name: 'camera' });
      input.checked = checked.includes(c.id);
      return el('label', { class: 'grant' }, input, cameraLabel(cameras, c.id));
    }),
  );
}

export function checkedCameras(box) {
  return [...box.querySelectorAll('input[type="checkbox"]:checked')].map((b) => b.value);
}

// The URL's prefill: {cameras:[ids], start:ms|NaN, end:ms|NaN}.
export function prefill() {
  const q = new URLSearchParams(location.search);
  return {
    cameras: (q.get('cameras') || q.get('camera') || '').split(',').filter(Boolean),
    start: parseWhen(q.get('start')),
    end: parseWhen(q.get('end')),
  };
}

// Sets the from/to inputs from the URL or to the default (the last `defMs`).
export function fillRange(fFrom, fTo, p, defMs) {
  const end = Number.isNaN(p.end) ? Date.now() : p.end;
  const start = Number.isNaN(p.start) ? end - defMs : p.start;
  fFrom.value = localInput(start);
  fTo.value = localInput(end);
  fFrom.placeholder = fTo.placeholder = localInput(localMidnight(Date.now()) + 15.5 * 3600e3 + 5 * 60e3);
}

// Reads the common fields; returns {body} or {error} (a message for the user).
export function readRange(box, fFrom, fTo) {
  const cameras = checkedCameras(box);
  if (!cameras.length) return { error: 'Choose at least one camera.' };
  const start = parseWhen(fFrom.value);
  const end = parseWhen(fTo.value);
  if (Number.isNaN(start) || Number.isNaN(end)) {
    return { error: `Enter the start and the end as a date and a time (such as ${fFrom.placeholder}).` };
  }
  if (end <= start) return { error: 'The end must be after the start.' };
  return { body: { cameras, start: iso(start), end: iso(end) } };
}

export function zoneNote(node) {
  node.textContent = `Times are in ${zoneLabel()}.`;
}

// Starts the page's form (#f-cameras, #f-from, #f-to, #zone-note): the URL's
// prefill, else the only camera and the last `defMs`.  Returns the cameras
// the user may see, or null after showing why they could not be read.
export async function startForm(defMs) {
  const $ = (id) => document.getElementById(id);
  zoneNote($('zone-note'));
  const p = prefill();
  let cameras;
  try {
    cameras = await listCameras();
  } catch (e) {
    showError(`Cannot reach the NVR: ${e.message}`);
    return null;
  }
  cameraBoxes($('f-cameras'), cameras, p.cameras.length ? p.cameras : cameras.length === 1 ? [cameras[0].id] : []);
  fillRange($('f-from'), $('f-to'), p, defMs);
  return cameras;
}
