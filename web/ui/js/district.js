// SPDX-License-Identifier: Apache-2.0
// district.js - the district console's status board (district.html, served
// by `nvr console` only): one tile per site (up or down, its cameras by
// state, open alerts, storage health) and the cameras the person may see,
// each a link to the playback page (its routes are proxied by the console).
//
// Sources: GET /api/v1/sites and GET /api/v1/cameras (docs/ref/http-api.md
// "Console").  Every field is inserted as text.

import { getJSON, header, el, fmtDateTime, show } from './common.js';

const sites = document.getElementById('sites');
const cameras = document.getElementById('cameras');
const updated = document.getElementById('updated');
const message = document.getElementById('message');

function siteTile(s) {
  const counts = Object.entries(s.cameras).map(([k, n]) => `${n} ${k}`).join(', ') || 'no cameras';
  const level = s.status !== 'up' ? 'red' : s.open_alerts > 0 || s.storage === 'degraded' ? 'amber' : 'green';
  const text = `${s.status === 'up' ? 'up' : 'down'}, last seen ${fmtDateTime(Date.parse(s.last_seen))}; ${counts}; ` +
    `${s.open_alerts} open alerts; storage ${s.storage}`;
  return el('div', { class: `board-tile lvl-${level}`, 'data-site': s.name, 'data-status': s.status, 'data-level': level },
    el('span', { class: 'board-name' }, s.name), el('span', { class: 'board-text' }, text));
}

function cameraItem(c) {
  const link = el('a', { href: `playback.html?cameras=${encodeURIComponent(c.id)}` }, c.name || c.id);
  return el('li', { 'data-camera': c.id }, link, ` ${c.id}: ${c.status}, ${c.codec} ${c.width}x${c.height}`);
}

async function refresh() {
  let s, c;
  try {
    [s, c] = await Promise.all([getJSON('/sites'), getJSON('/cameras')]);
  } catch (e) {
    show(message, `Cannot read the district catalog: ${e.message}`);
    return;
  }
  show(message, '');
  sites.replaceChildren(...s.sites.map(siteTile));
  cameras.replaceChildren(...c.cameras.map(cameraItem));
  updated.textContent = `updated ${fmtDateTime(Date.now())}`;
  document.body.dataset.loaded = String(Date.now());
}

header('district');
refresh();
setInterval(refresh, 10000);
