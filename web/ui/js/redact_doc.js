// SPDX-License-Identifier: Apache-2.0
// redact_doc.js - the redactions document of the redaction editor
// (redact.js), without the page: the editor's shapes and mute ranges, the
// box of a shape at an instant, and REDACTIONS.json read and written.
//
// The document (docs/guide/records-requests.md, checked again by the
// server, which names any bad field):
//   {"shapes":[{"start":T,"end":T,"box":[x0,y0,x1,y1] | "keyframes":[{"time":T,"box":[...]}],
//               "mode":"blur|pixelate|fill","invert":bool,"camera":ID,"source","by"}],
//    "mute":[{"start":T,"end":T,"camera":ID}]}
// Boxes are in 0..1 of the picture; a shape covers [start, end).
//
// In the editor every time is milliseconds since the epoch (wall clock, as
// the document) and every shape has keyframes, sorted, at least one: a
// shape with one keyframe is written as "box", with more as "keyframes".
// Between keyframes the box moves in a straight line; before the first it
// is the first, after the last the last (the server's rule).

export const MODES = ['blur', 'pixelate', 'fill'];
const SHAPE_KEYS = new Set(['start', 'end', 'box', 'keyframes', 'mode', 'invert', 'camera', 'source', 'by']);
const MUTE_KEYS = new Set(['start', 'end', 'camera']);
const MIN_SIZE = 0.005; // a box narrower than this is a click, not a box

let nextId = 1;

// A new shape: {id, start, end, mode, invert, keyframes:[{t, box}], camera, source, by}.
export function newShape(start, end, box, mode = 'blur', invert = false) {
  return { id: nextId++, start, end, mode, invert, keyframes: [{ t: start, box: clampBox(box) }] };
}

export function newMute(start, end) {
  return { id: nextId++, start, end };
}

const clamp01 = (v) => Math.min(1, Math.max(0, v));
const round4 = (v) => Math.round(v * 1e4) / 1e4;

// [x0, y0, x1, y1] ordered, inside 0..1, 4 decimals.
export function clampBox(b) {
  const x0 = clamp01(Math.min(b[0], b[2]));
  const x1 = clamp01(Math.max(b[0], b[2]));
  const y0 = clamp01(Math.min(b[1], b[3]));
  const y1 = clamp01(Math.max(b[1], b[3]));
  return [round4(x0), round4(y0), round4(x1), round4(y1)];
}

export function bigEnough(b) {
  return b[2] - b[0] >= MIN_SIZE && b[3] - b[1] >= MIN_SIZE;
}

// The shape's box at time t (ms): interpolated between its keyframes.
export function boxAt(shape, t) {
  const k = shape.keyframes;
  if (t <= k[0].t) return k[0].box;
  const last = k[k.length - 1];
  if (t >= last.t) return last.box;
  for (let i = 0; i + 1 < k.length; i++) {
    if (t >= k[i].t && t < k[i + 1].t) {
      const a = (t - k[i].t) / (k[i + 1].t - k[i].t);
      return k[i].box.map((v, j) => v + a * (k[i + 1].box[j] - v));
    }
  }
  return last.box;
}

export function activeAt(shape, t) {
  return t >= shape.start && t < shape.end;
}

// Sets the shape's box at time t: the keyframe within `near` ms of t is
// changed, else one is added there (so moving a box at another time makes
// it follow its subject).  The shape's range grows to include t.
export function setBoxAt(shape, t, box, near = 20) {
  box = clampBox(box);
  const k = shape.keyframes.find((x) => Math.abs(x.t - t) <= near);
  if (k) k.box = box;
  else {
    shape.keyframes.push({ t, box });
    shape.keyframes.sort((a, b) => a.t - b.t);
  }
  if (t < shape.start) shape.start = t;
  if (t >= shape.end) shape.end = t + 1;
}

const iso = (ms) => new Date(ms).toISOString();

// The document for the server and for REDACTIONS.json.
export function toDocument(shapes, mutes) {
  const doc = { shapes: [], mute: [] };
  for (const s of shapes) {
    const o = { start: iso(s.start), end: iso(s.end), mode: s.mode };
    if (s.keyframes.length === 1) o.box = s.keyframes[0].box;
    else o.keyframes = s.keyframes.map((k) => ({ time: iso(k.t), box: k.box }));
    if (s.invert) o.invert = true;
    for (const key of ['camera', 'source', 'by']) if (s[key]) o[key] = s[key];
    doc.shapes.push(o);
  }
  for (const m of mutes) {
    const o = { start: iso(m.start), end: iso(m.end) };
    if (m.camera) o.camera = m.camera;
    doc.mute.push(o);
  }
  return doc;
}

function time(v, where) {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  if (Number.isNaN(t)) throw new Error(`${where}: not an RFC 3339 time`);
  return t;
}

function box(v, where) {
  if (!Array.isArray(v) || v.length !== 4 || v.some((x) => typeof x !== 'number' || x < 0 || x > 1)) {
    throw new Error(`${where}: must be [x0, y0, x1, y1] in 0..1`);
  }
  if (v[2] <= v[0] || v[3] <= v[1]) throw new Error(`${where}: x1/y1 must be right of and below x0/y0`);
  return v.slice();
}

function unknownKeys(o, known, where) {
  for (const k of Object.keys(o)) if (!known.has(k)) throw new Error(`${where}.${k}: unknown member`);
}

// Reads a document (the text of a REDACTIONS.json): {shapes, mutes} for
// the editor, or throws an Error naming the field (the server's rules).
export function fromDocument(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON: ${e.message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('the document must be a JSON object');
  unknownKeys(doc, new Set(['shapes', 'mute']), 'document');
  const shapes = [];
  const mutes = [];
  (doc.shapes || []).forEach((o, i) => {
    const w = `shapes[${i}]`;
    if (!o || typeof o !== 'object') throw new Error(`${w}: must be an object`);
    unknownKeys(o, SHAPE_KEYS, w);
    const start = time(o.start, `${w}.start`);
    const end = time(o.end, `${w}.end`);
    if (end <= start) throw new Error(`${w}.end: must be after start`);
    const mode = o.mode;
    if (!MODES.includes(mode)) throw new Error(`${w}.mode: must be blur, pixelate or fill`);
    let kf;
    if (o.keyframes !== undefined) {
      if (!Array.isArray(o.keyframes) || !o.keyframes.length) throw new Error(`${w}.keyframes: must be a non-empty list`);
      kf = o.keyframes.map((k, j) => ({ t: time(k && k.time, `${w}.keyframes[${j}].time`),
                                        box: box(k && k.box, `${w}.keyframes[${j}].box`) }));
      kf.sort((a, b) => a.t - b.t);
    } else kf = [{ t: start, box: box(o.box, `${w}.box`) }];
    const s = { id: nextId++, start, end, mode, invert: o.invert === true, keyframes: kf };
    for (const key of ['camera', 'source', 'by']) if (typeof o[key] === 'string') s[key] = o[key];
    shapes.push(s);
  });
  (doc.mute || []).forEach((o, i) => {
    const w = `mute[${i}]`;
    if (!o || typeof o !== 'object') throw new Error(`${w}: must be an object`);
    unknownKeys(o, MUTE_KEYS, w);
    const m = { id: nextId++, start: time(o.start, `${w}.start`), end: time(o.end, `${w}.end`) };
    if (m.end <= m.start) throw new Error(`${w}.end: must be after start`);
    if (typeof o.camera === 'string') m.camera = o.camera;
    mutes.push(m);
  });
  return { shapes, mutes };
}
