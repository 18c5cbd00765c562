// SPDX-License-Identifier: Apache-2.0
// status.js - the status board (status.html): one tile per camera, the disk,
// the recorder itself and the open alerts, each green, amber or red; the
// page a principal's office can leave open.  It refreshes every 5 s.
//
// Sources: GET /api/v1/cameras (status, write errors; any signed-in user sees
// the cameras they are granted), GET /api/v1/health (public: degraded and its
// reason, storage ok/held_full/error), GET /api/v1/storage (admin: free space,
// one tile per storage dir when there are several or one fails)
// and GET /api/v1/alerts?state=active (investigator, admin).  What a role may
// not read is left out, never guessed.  Every field is inserted as text.

import { getJSON, header, el, fmtDateTime, show } from './common.js';

const board = document.getElementById('board');
const openList = document.getElementById('open-alerts');
const updated = document.getElementById('updated');
const message = document.getElementById('message');

const tile = (id, level, name, text) =>
  el('div', { class: `board-tile lvl-${level}`, 'data-tile': id, 'data-level': level },
    el('span', { class: 'board-name' }, name), el('span', { class: 'board-text' }, text));

const optional = (p) => p.catch((e) => (e.status === 403 ? null : Promise.reject(e)));

function gib(b) {
  return `${(b / 1073741824).toFixed(1)} GiB`;
}

async function refresh() {
  let cams, health, storage, alerts;
  try {
    [cams, health, storage, alerts] = await Promise.all([
      getJSON('/cameras'),
      getJSON('/health'),
      optional(getJSON('/storage')),
      optional(getJSON('/alerts?state=active')),
    ]);
  } catch (e) {
    show(message, `Cannot reach the recorder: ${e.message}`);
    board.querySelectorAll('.board-tile').forEach((t) => { t.className = 'board-tile lvl-red'; t.dataset.level = 'red'; });
    return;
  }
  show(message, '');
  const tiles = [];
  // the recorder itself
  tiles.push(tile('recorder', health.status === 'ok' ? 'green' : 'red', 'Recorder',
    health.status === 'ok' ? `running, version ${health.version}` : `needs a person: ${health.reason || 'degraded'}`));
  // the disk
  let diskLevel = health.storage === 'ok' ? 'green' : 'red';
  let diskText = health.storage === 'ok' ? 'ok' : health.storage === 'held_full' ? 'full of held footage' : 'retention fails';
  if (storage) {
    const low = storage.min_free_bytes && storage.fs_avail_bytes < storage.min_free_bytes;
    if (diskLevel === 'green' && low) diskLevel = 'amber';
    diskText += `; ${gib(storage.fs_avail_bytes)} free of ${gib(storage.fs_size_bytes)}`;
    const short = (storage.cameras || []).filter((c) => c.days_estimate !== null && c.retain_days > 0 && c.days_estimate + 0.5 < c.retain_days);
    if (short.length && diskLevel === 'green') diskLevel = 'amber';
    if (short.length) diskText += `; keeps fewer days than promised for ${short.map((c) => c.id).join(', ')}`;
  }
  tiles.push(tile('disk', diskLevel, 'Disk', diskText));
  // each storage dir, when there are several disks or one does not work
  const dirs = (storage && storage.dirs) || [];
  const used = dirs.filter((d) => d.writable || d.segments > 0 || d.state !== 'ok');
  if (used.length > 1 || used.some((d) => d.state !== 'ok')) {
    for (const d of used) {
      const lvl = d.state === 'ok' ? 'green' : d.state === 'read_only' ? 'amber' : 'red';
      let text = d.state === 'ok'
        ? `ok; ${gib(d.fs_avail_bytes)} free of ${gib(d.fs_size_bytes)}${d.write_latency_ms >= 0 ? `; write ${d.write_latency_ms.toFixed(0)} ms` : ''}`
        : `${d.state === 'read_only' ? 'read-only' : 'offline'} since ${d.since ? fmtDateTime(Date.parse(d.since)) : 'start-up'}: ${d.reason}`;
      if (d.state !== 'ok') {
        text += `; ${d.segments} segments here${d.state === 'offline' ? ' unavailable' : ''}`;
        if (d.held_segments) text += `, ${d.held_segments} under evidence holds`;
      }
      let level = lvl;
      const sm = d.smart;
      if (sm && sm.available) {
        const bad = (sm.pending_sectors || 0) + (sm.uncorrectable_sectors || 0);
        text += sm.passed ? `; SMART passed${bad ? `, ${bad} bad sectors` : ''}` : '; SMART: the disk is failing, replace it';
        if (sm.temperature_c !== null) text += `, ${sm.temperature_c} °C`;
        if (!sm.passed) level = 'red';
        else if (bad && level === 'green') level = 'amber';
      }
      tiles.push(tile(`dir-${d.id}`, level, d.data_dir ? `Disk ${d.path} (data_dir)` : `Disk ${d.path}`, text));
    }
  }
  // the open alerts
  if (alerts) {
    const open = alerts.alerts.filter((a) => a.state === 'open');
    const acked = alerts.alerts.length - open.length;
    const level = open.some((a) => a.severity === 'critical') ? 'red' : open.length ? 'amber' : acked ? 'amber' : 'green';
    tiles.push(tile('alerts', level, 'Alerts',
      alerts.alerts.length ? `${open.length} open, ${acked} acknowledged` : 'none open'));
    openList.replaceChildren(...(alerts.alerts.length
      ? alerts.alerts.map((a) => el('li', { class: `lvl-${a.state === 'open' ? (a.severity === 'critical' ? 'red' : 'amber') : 'amber'}`, 'data-id': String(a.id) },
        `${fmtDateTime(Date.parse(a.opened))} · ${a.title}${a.state === 'acknowledged' ? ` (acknowledged by ${a.acknowledged_by})` : ''}`))
      : [el('li', { class: 'muted' }, 'None.')]));
  } else {
    openList.replaceChildren(el('li', { class: 'muted' }, 'Investigators and admins see the alerts.'));
  }
  // every camera
  for (const c of cams.cameras) {
    let level = 'green';
    let text = c.status;
    if (!c.enabled) { level = 'grey'; text = 'disabled'; }
    else if (!c.write_ok) { level = 'red'; text = `cannot write: ${c.write_error}`; }
    else if (c.status === 'offline') { level = 'red'; text = `offline${c.last_error ? ': ' + c.last_error : ''}`; }
    else if (c.status === 'connecting') { level = 'amber'; text = `connecting${c.last_error ? ': ' + c.last_error : ''}`; }
    tiles.push(tile(`camera-${c.id}`, level, c.name || c.id, text));
  }
  board.replaceChildren(...tiles);
  updated.textContent = `updated ${fmtDateTime(Date.now())}`;
  document.body.dataset.loaded = String(Date.now());
}

header('status');
refresh();
setInterval(refresh, 5000);
