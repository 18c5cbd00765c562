// SPDX-License-Identifier: Apache-2.0
// district_playback.js - the district console's cross-site picker
// (district_playback.html, served by `nvr console` only): the cameras the
// person may see, one fieldset per site (site_picker.js, shared with the
// evidence page); up to MAX_GRID ticked and a start
// instant; "Play together" opens the synchronised playback page
// (playback.html: playback.js, player.js, timeline.js, grid_layout.js, as
// the recorder's own page uses them) with those cameras, playing.  The
// console's camera ids are SITE.ID and every camera route of that page
// (playlists, segments, snapshots, recordings for the timeline) is the
// console's proxy to the owning recorder, so cameras of different sites
// play on one clock with nothing site-specific in the player.
//
// Beside each camera: whether its site's recorder published footage at the
// chosen instant, from the catalog (GET /api/v1/sites/SITE/coverage, one
// question per site; docs/ref/http-api.md "Console").  A camera without
// footage there may still be ticked: on the playback page it shows "no
// recording at this time" and keeps in step with the others.
//
// URL: district_playback.html[?cameras=a.x,b.y&t=RFC3339] ticks those and
// sets the start.  For tests: each camera's checkbox carries data-camera,
// its row data-footage ("yes", "no" or "unknown").

import { getJSON, header, iso, show, localInput, parseWhen, timeFormat } from './common.js';
import { MAX_GRID } from './grid_layout.js';
import { renderPicker, tickedCameras } from './site_picker.js';

const $ = (id) => document.getElementById(id);
const COVERAGE_PAD_MS = 60e3;
let cameras = [];

function ticked() {
  return tickedCameras($('sites'));
}

function countChanged(box) {
  const ids = ticked();
  if (ids.length > MAX_GRID && box) {
    box.checked = false;
    show($('message'), `At most ${MAX_GRID} cameras play together.`);
    return;
  }
  show($('message'), '');
  $('count').textContent = `${ids.length} of ${MAX_GRID} cameras`;
  $('play-together').disabled = ids.length === 0;
}

function render(want) {
  renderPicker($('sites'), cameras, want, countChanged);
  if (!cameras.length) show($('message'), 'No cameras are shared with you: ask a district administrator for access.');
  countChanged(null);
}

// Each camera's footage at the start instant, from its site's catalog coverage.
let coverageGen = 0;
async function showCoverage() {
  const gen = ++coverageGen;
  const t = parseWhen($('start').value);
  const rows = [...document.querySelectorAll('[data-row]')];
  if (Number.isNaN(t)) {
    for (const r of rows) r.dataset.footage = 'unknown';
    return;
  }
  const q = `start=${iso(t - COVERAGE_PAD_MS)}&end=${iso(t + COVERAGE_PAD_MS)}`;
  const sites = [...new Set(cameras.map((c) => c.site))];
  const runs = new Map();
  const answered = new Set();
  await Promise.all(sites.map(async (s) => {
    try {
      const doc = await getJSON(`/sites/${encodeURIComponent(s)}/coverage?${q}`);
      for (const c of doc.cameras) runs.set(c.id, c.runs.map(([a, b]) => [Date.parse(a), Date.parse(b)]));
      answered.add(s);
    } catch (e) {
      // that site's cameras stay "unknown"
    }
  }));
  if (gen !== coverageGen) return;
  for (const r of rows) {
    const id = r.dataset.row;
    const known = answered.has(cameras.find((c) => c.id === id).site);
    const has = (runs.get(id) || []).some(([a, b]) => a <= t && t < b);
    r.dataset.footage = !known ? 'unknown' : has ? 'yes' : 'no';
    $(`fp-${id}`).textContent = !known ? '' : has ? ' · recorded then' : ' · no recording then';
  }
}

$('pick').addEventListener('submit', (e) => {
  e.preventDefault();
  const ids = ticked();
  const t = parseWhen($('start').value);
  if (Number.isNaN(t)) {
    show($('message'), `Choose a start such as ${localInput(Date.now() - 300e3)}.`);
    return;
  }
  if (!ids.length || ids.length > MAX_GRID) return;
  const q = new URLSearchParams({ cameras: ids.join(','), t: iso(t), zoom: '2', play: '1' });
  location.href = `playback.html?${q}`;
});
$('start').addEventListener('change', showCoverage);

header('district-playback');
(async () => {
  const q = new URLSearchParams(location.search);
  const want = (q.get('cameras') || '').split(',').filter(Boolean);
  const t = parseWhen(q.get('t'));
  $('start').value = localInput(Number.isNaN(t) ? Date.now() - 300e3 : t);
  $('start-hint').textContent = `Date and time, such as ${localInput(Date.now() - 300e3)}` +
    ` (${timeFormat() === '24h' ? '24-hour' : '12-hour'} clock, this computer's time zone)`;
  try {
    cameras = (await getJSON('/cameras')).cameras.filter((c) => c.site);
  } catch (e) {
    show($('message'), `Cannot read the district's cameras: ${e.message}`);
    return;
  }
  render(want);
  await showCoverage();
  document.body.dataset.loaded = String(Date.now());
})();
